"""Exceptions of the recist package.

Every error a user can cause by bad input is a :class:`RecistError`; each also
subclasses the fitting builtin so generic handlers keep working.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "DicomReadError",
    "InvalidInputError",
    "InvalidMeasurementError",
    "MissingDependencyError",
    "OutputBusyError",
    "OutputPathError",
    "OutputWriteError",
    "RecistError",
    "RuleViolation",
]


class RecistError(Exception):
    """Base class of every recist error."""


class RuleViolation(RecistError, ValueError):
    """Input breaks a RECIST rule (e.g. a third target in one organ).

    Parameters
    ----------
    message : str
        One line a reader understands, naming the rule and the numbers.
    code : str
        The case-format error code (``TOO_MANY_TARGETS``, ...).
    rule : str
        The spec section that is broken (``"RECIST 1.1 §2.2"``).
    lesion : str or None
        The lesion to blame, where one is.
    """

    def __init__(
        self, message: str, *, code: str, rule: str, lesion: str | None = None
    ):
        super().__init__(message)
        self.code = code
        self.rule = rule
        self.lesion = lesion


class InvalidInputError(RecistError, ValueError):
    """Input that cannot be read (malformed JSON, unknown key, wrong type).

    ``location`` says where (a JSON path such as ``followups[1].targets.T03``).
    """

    def __init__(self, message: str, *, location: str | None = None):
        super().__init__(message)
        self.location = location


class InvalidMeasurementError(RecistError, ValueError):
    """A measurement value that cannot exist (NaN or negative millimetres)."""

    def __init__(self, message: str, *, lesion: str | None = None):
        super().__init__(message)
        self.lesion = lesion


class DicomReadError(RecistError, OSError):
    """A file or series could not be read as DICOM; ``path`` and ``reason`` say why."""

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class ReadingMismatchError(RecistError, ValueError):
    """A reading does not belong to the images it is opened with."""


class MissingDependencyError(RecistError, ImportError):
    """An optional dependency is not installed; the message names the extra."""


class OutputPathError(RecistError, OSError):
    """An output path that cannot be written (no such folder, a folder for a file).

    Raised before any work is done; ``path`` and ``reason`` say what is wrong.
    """

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class OutputWriteError(OutputPathError):
    """A writer produced an incomplete or wrong file (a full disk, a quota).

    The previous file (or set of files) is kept; nothing partial is moved into
    place.
    """


class OutputBusyError(OutputPathError):
    """Another recist process is writing the same output folder right now."""
