"""Strict JSON for every ``--json`` output.

Python's :func:`json.dumps` writes ``NaN`` and ``Infinity``, which are not JSON
(RFC 8259 §6) and which strict parsers (``jq``, JavaScript's ``JSON.parse``)
reject.  Input bounds keep the engine's numbers finite; a non-finite float that
still reaches an output (a NaN pixel spacing in a DICOM header) is written as
``null``: the value is unknown.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["dumps"]


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def dumps(obj: Any, **kwargs: Any) -> str:
    """Return ``obj`` as strict JSON (non-finite floats as ``null``).

    Examples
    --------
    >>> dumps({"a": float("inf"), "b": [1.5, float("nan")]})
    '{"a": null, "b": [1.5, null]}'
    """
    try:
        return json.dumps(obj, allow_nan=False, **kwargs)
    except ValueError:  # a non-finite float somewhere: write it as null
        return json.dumps(_finite(obj), allow_nan=False, **kwargs)
