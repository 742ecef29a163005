"""Import optional dependencies with an error that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from recist.errors import MissingDependencyError

__all__ = ["require"]


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming ``extra``.

    Parameters
    ----------
    module : str
        Module to import, e.g. ``"lifelines"``.
    extra : str
        The recist extra that installs it, e.g. ``"report"``.
    feature : str
        What needs it, for the message, e.g. ``"Kaplan-Meier plots"``.

    Examples
    --------
    >>> require("json", extra="all", feature="JSON").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        msg = (
            f"{feature} needs the optional package {module!r}: "
            f"pip install 'recist[{extra}]'"
        )
        raise MissingDependencyError(msg) from exc
