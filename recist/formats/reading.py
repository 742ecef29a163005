"""The reading file: one reader's assessments of one subject, as JSON.

A superset of the case format (``case-format.md``): the same keys, plus
``subject_id``, ``reader``, ``audit`` (a list of ``{when, who, what}``), an optional
``subject`` object of DM/ADSL variables as text (``{"ARM": "A", "RFXSTDTC":
"2026-01-02", "DTHDTC": "", "EFFFL": "Y"}``) and, per
measurement, an optional ``image`` (``study_uid``, ``series_uid``, ``sop_uid``,
``frame``) and ``endpoints_lps`` (calliper endpoints, LPS mm); per non-target an
optional ``location_lps`` (``[x, y, z]``, where the reader marked it; files
without it still load); and ``proposals``:
lesions found at a time point by registration (``recist propagate``) that no
reader has accepted yet, which the engine ignores.  A follow-up
target value is then an object::

    {"diameter_mm": 24.0, "image": {...}, "endpoints_lps": [[x, y, z], ...]}
    {"diameter_mm": 0, "coalesced_into": "T01"}

and otherwise the plain case-format value (number, ``"TOO_SMALL"``, ``null`` or
a list of fragments).  Lengths are written exactly as the decimals they hold, so
``reading_from_dict(reading_to_dict(r)) == r``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from recist.formats.case import load_case
from recist.model import (
    ImageRef,
    Lesion,
    Measurement,
    NewLesion,
    PointLPS,
    Proposal,
    Reading,
)
from recist.terms import MeasurementKind

__all__ = [
    "dumps_exact",
    "load_reading",
    "reading_from_dict",
    "reading_to_dict",
    "save_reading",
]


def _image(image: ImageRef | None) -> dict[str, Any] | None:
    if image is None:
        return None
    out: dict[str, Any] = {
        "study_uid": image.study_uid,
        "series_uid": image.series_uid,
        "sop_uid": image.sop_uid,
    }
    if image.frame is not None:
        out["frame"] = image.frame
    return out


def _extras(image: ImageRef | None, points: tuple[PointLPS, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if image is not None:
        out["image"] = _image(image)
    if points:
        out["endpoints_lps"] = [list(p) for p in points]
    return out


def _simple(m: Measurement) -> Any:
    kind = m.kind
    if kind is MeasurementKind.MEASURED:
        return m.diameter_mm
    if kind is MeasurementKind.TOO_SMALL:
        return "TOO_SMALL"
    if kind is MeasurementKind.SPLIT:
        return list(m.fragments_mm)
    if kind is MeasurementKind.COALESCED:
        return Decimal(0)
    return None


def _value(m: Measurement) -> Any:
    extra = _extras(m.image, m.endpoints_lps)
    if m.reason_not_done is not None:
        extra["reason_not_done"] = m.reason_not_done
    if m.kind is MeasurementKind.COALESCED:
        return {"diameter_mm": Decimal(0), "coalesced_into": m.coalesced_into, **extra}
    if extra:
        return {"diameter_mm": _simple(m), **extra}
    return _simple(m)


def _target(t: Lesion) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": t.lesion_id,
        "site": t.site,
        "nodal": t.nodal,
        "diameter_mm": t.diameter_mm,
    }
    if t.slice_thickness_mm is not None:
        out["slice_thickness_mm"] = t.slice_thickness_mm
    if t.baseline is not None:
        out |= _extras(t.baseline.image, t.baseline.endpoints_lps)
    return out


def _non_target(n: Lesion) -> dict[str, Any]:
    out: dict[str, Any] = {"id": n.lesion_id, "site": n.site, "nodal": n.nodal}
    if n.location_lps is not None:
        out["location_lps"] = list(n.location_lps)
    return out


def _new(n: NewLesion) -> dict[str, Any]:
    return {
        "id": n.lesion_id,
        "site": n.site,
        "equivocal": n.equivocal,
        "measurable": n.measurable,
        "nodal": n.nodal,
        "diameter_mm": n.diameter_mm,
        **_extras(n.image, n.endpoints_lps),
    }


def reading_to_dict(reading: Reading) -> dict[str, Any]:
    """Write a reading as a JSON-ready dict (lengths stay :class:`~decimal.Decimal`).

    Use :func:`dumps_exact` (or :func:`save_reading`) to write it without
    losing digits.
    """
    out: dict[str, Any] = {}
    if reading.case_id is not None:
        out["id"] = reading.case_id
    if reading.description is not None:
        out["description"] = reading.description
    if reading.subject_id is not None:
        out["subject_id"] = reading.subject_id
    if reading.reader is not None:
        out["reader"] = reading.reader
    out["criteria"] = reading.criteria.value
    o = reading.options
    out["options"] = {
        "confirmation": o.confirmation,
        "confirmation_min_days": o.confirmation_min_days,
        "sd_min_days": o.sd_min_days,
    }
    b = reading.baseline
    baseline: dict[str, Any] = {
        "date": b.date.isoformat(),
        "targets": [_target(t) for t in b.targets],
        "non_targets": [_non_target(n) for n in b.non_targets],
    }
    if b.study_uids:
        baseline["study_uids"] = list(b.study_uids)
    out["baseline"] = baseline
    followups = []
    for tp in reading.followups:
        f: dict[str, Any] = {
            "date": tp.date.isoformat(),
            "targets": {k: _value(m) for k, m in tp.targets.items()},
            "non_targets": {k: s.value for k, s in tp.non_targets.items()},
            "new_lesions": [_new(n) for n in tp.new_lesions],
        }
        if tp.study_uids:
            f["study_uids"] = list(tp.study_uids)
        followups.append(f)
    out["followups"] = followups
    if reading.subject:
        out["subject"] = dict(reading.subject)
    if reading.audit:
        out["audit"] = [
            {"when": a.when, "who": a.who, "what": a.what} for a in reading.audit
        ]
    if reading.proposals:
        out["proposals"] = [_proposal(p) for p in reading.proposals]
    return out


def _proposal(p: Proposal) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": p.lesion_id,
        "date": p.date.isoformat(),
        "role": p.role,
        "status": "PROPOSED" if p.found else "NOT_FOUND",
        "source_date": p.source_date.isoformat(),
    }
    m = p.measurement
    if m is not None:
        out["diameter_mm"] = m.diameter_mm
    for name in ("long_axis_mm", "short_axis_mm"):
        if getattr(p, name) is not None:
            out[name] = getattr(p, name)
    if m is not None:
        out |= _extras(m.image, m.endpoints_lps)
    if p.center_lps is not None:
        out["center_lps"] = list(p.center_lps)
    for name in ("residual_mm", "similarity"):
        if getattr(p, name) is not None:
            out[name] = getattr(p, name)
    out["flags"] = list(p.flags)
    out["reason"] = p.reason
    return out


def reading_from_dict(doc: Mapping[str, Any]) -> Reading:
    """Read a reading (or case) dict; numbers may be int, float or Decimal.

    Raises
    ------
    InvalidInputError
        Unknown keys, wrong types or impossible values, naming the JSON path.
    """
    return load_case(doc)


def load_reading(path: str | Path) -> Reading:
    """Read a reading file (or a case file) with exact decimals.

    Raises
    ------
    InvalidInputError
        Malformed JSON (file:line:column) or invalid content (JSON path).
    """
    return load_case(Path(path))


def dumps_exact(obj: Any, *, indent: int = 2) -> str:
    """Write JSON with :class:`~decimal.Decimal` numbers exactly as they are.

    Examples
    --------
    >>> print(dumps_exact({"a": [Decimal("54.90"), 1, None]}, indent=0))
    {
    "a": [
    54.90,
    1,
    null
    ]
    }
    <BLANKLINE>
    """
    pad = " " * indent

    def enc(o: Any, level: int) -> str:
        if isinstance(o, Decimal):
            if not o.is_finite():
                raise ValueError(f"cannot write {o} as JSON")
            return str(o)
        if isinstance(o, Mapping):
            if not o:
                return "{}"
            inner = pad * (level + 1)
            items = [
                f"{inner}{json.dumps(str(k))}: {enc(v, level + 1)}"
                for k, v in o.items()
            ]
            return "{\n" + ",\n".join(items) + "\n" + pad * level + "}"
        if isinstance(o, list | tuple):
            if not o:
                return "[]"
            inner = pad * (level + 1)
            items = [f"{inner}{enc(v, level + 1)}" for v in o]
            return "[\n" + ",\n".join(items) + "\n" + pad * level + "]"
        return json.dumps(o, allow_nan=False)

    return enc(obj, 0) + "\n"


def save_reading(reading: Reading, path: str | Path) -> None:
    """Write a reading file atomically.

    The JSON goes to a temporary file in the same folder, is flushed and
    fsync'ed, then replaces ``path`` with :func:`os.replace`; an interrupted save
    leaves the previous file intact.

    Raises
    ------
    OutputPathError
        ``path`` is a folder or its folder does not exist.
    """
    from recist._atomic import check_output_file, new_file_mode

    path = check_output_file(path)
    mode = new_file_mode(path)  # the umask's, or the replaced file's
    text = dumps_exact(reading_to_dict(reading))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename durable; not possible on every platform
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
