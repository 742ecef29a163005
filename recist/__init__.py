"""recist: RECIST 1.1 and iRECIST tumour response assessment.

The package is headless: importing it loads no Qt, napari, SimpleITK or highdicom.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the names, for type checkers and readers
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

#: Public name -> module.  Loaded on first use (PEP 562), so ``import recist``
#: and the command line start without the model and rules until they are used.
_LAZY = {
    "assess": "recist.assessment",
    "DicomReadError": "recist.errors",
    "InvalidInputError": "recist.errors",
    "InvalidMeasurementError": "recist.errors",
    "MissingDependencyError": "recist.errors",
    "RecistError": "recist.errors",
    "RuleViolation": "recist.errors",
    "Assessed": "recist.model",
    "Assessment": "recist.model",
    "AuditEntry": "recist.model",
    "Baseline": "recist.model",
    "ImageRef": "recist.model",
    "Lesion": "recist.model",
    "Measurement": "recist.model",
    "NewLesion": "recist.model",
    "Options": "recist.model",
    "Reading": "recist.model",
    "Subject": "recist.model",
    "TimePoint": "recist.model",
    "TimePointAssessment": "recist.model",
    "Criteria": "recist.terms",
    "LesionRole": "recist.terms",
    "MeasurementKind": "recist.terms",
    "NewLesionStatus": "recist.terms",
    "NonTargetState": "recist.terms",
    "Response": "recist.terms",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'recist' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


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
