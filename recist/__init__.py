"""recist: RECIST 1.1 and iRECIST tumour response assessment.

The package is headless: importing it loads no Qt, napari, SimpleITK or highdicom.
"""

from recist.assessment import assess
from recist.errors import (
    DicomReadError,
    InvalidInputError,
    InvalidMeasurementError,
    MissingDependencyError,
    RecistError,
    RuleViolation,
)
from recist.model import (
    Assessed,
    Assessment,
    AuditEntry,
    Baseline,
    ImageRef,
    Lesion,
    Measurement,
    NewLesion,
    Options,
    Reading,
    Subject,
    TimePoint,
    TimePointAssessment,
)
from recist.terms import (
    Criteria,
    LesionRole,
    MeasurementKind,
    NewLesionStatus,
    NonTargetState,
    Response,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "Assessed",
    "Assessment",
    "AuditEntry",
    "Baseline",
    "Criteria",
    "DicomReadError",
    "ImageRef",
    "InvalidInputError",
    "InvalidMeasurementError",
    "Lesion",
    "LesionRole",
    "Measurement",
    "MeasurementKind",
    "MissingDependencyError",
    "NewLesion",
    "NewLesionStatus",
    "NonTargetState",
    "Options",
    "Reading",
    "RecistError",
    "Response",
    "RuleViolation",
    "Subject",
    "TimePoint",
    "TimePointAssessment",
    "__version__",
    "assess",
]
