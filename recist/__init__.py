"""recist: RECIST 1.1 and iRECIST tumour response assessment.

The package is headless: importing it loads no Qt, napari, SimpleITK or highdicom.
"""

from recist.errors import (
    DicomReadError,
    InvalidInputError,
    InvalidMeasurementError,
    MissingDependencyError,
    RecistError,
    RuleViolation,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "DicomReadError",
    "InvalidInputError",
    "InvalidMeasurementError",
    "MissingDependencyError",
    "RecistError",
    "RuleViolation",
    "__version__",
]
