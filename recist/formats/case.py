"""The response case format (``shared/spec/case-format.md``): JSON in, JSON out.

:func:`load_case` reads a case (a path, JSON text or a dict with float or
Decimal numbers) into a :class:`~recist.model.Reading`; :func:`assess_json`
returns exactly the case format's output shape, as ``recist assess --json``
prints it.  The reading file (:mod:`recist.formats.reading`) is a superset of
this format and shares its schema.  Unknown keys, wrong types and impossible
values raise :class:`~recist.errors.InvalidInputError` naming the JSON path.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    FiniteFloat,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)

from recist.assessment import assess
from recist.errors import InvalidInputError, InvalidMeasurementError, RuleViolation
from recist.model import (
    Assessment,
    AuditEntry,
    Baseline,
    ImageRef,
    Lesion,
    Measurement,
    NewLesion,
    Options,
    PointLPS,
    Proposal,
    Reading,
    TimePoint,
    mm,
)
from recist.terms import Criteria, LesionRole, NonTargetState

__all__ = [
    "TOO_SMALL",
    "assess_json",
    "assessment_to_json",
    "format_location",
    "load_case",
    "parse_json_text",
]

#: The case-format token for "too small to measure".
TOO_SMALL = "TOO_SMALL"

#: Hostile-input bounds: deepest nesting (a case file is about 6 deep), longest
#: number token, largest length.  A lesion longer than 1 km is a unit or typing
#: error, and the bound keeps every sum finite as a double in JSON output.
MAX_DEPTH = 64
MAX_NUMBER_CHARS = 40
MAX_MM = Decimal(1_000_000)
#: Days in options (confirmation, SD minimum): at most about a century.
MAX_DAYS = 36_525


# --------------------------------------------------------------------- schema
def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"expected a number of millimetres, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"expected a finite number, got {value}")
    if abs(value) > MAX_MM:
        raise ValueError(f"{value} mm is longer than {MAX_MM} mm (1 km): not a lesion")
    try:
        return mm(value)
    except InvalidMeasurementError as exc:
        raise ValueError(str(exc)) from None


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"expected an ISO date YYYY-MM-DD, got {value!r}")


# Python 3.11's fromisoformat also takes 20260216 and 2026-W07-1; the format says
# YYYY-MM-DD.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


Mm = Annotated[Decimal, BeforeValidator(_number)]
Date = Annotated[dt.date, BeforeValidator(_date)]
Point = tuple[FiniteFloat, FiniteFloat, FiniteFloat]  # LPS mm; no NaN/inf


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImageIn(_Strict):
    """``image``: where a measurement was made."""

    study_uid: StrictStr
    series_uid: StrictStr
    sop_uid: StrictStr
    frame: StrictInt | None = Field(default=None, ge=1)


class TargetIn(_Strict):
    """``baseline.targets[]``."""

    id: StrictStr = Field(min_length=1)
    site: StrictStr
    nodal: StrictBool
    diameter_mm: Mm
    slice_thickness_mm: Mm | None = None
    image: ImageIn | None = None
    endpoints_lps: list[Point] | None = None


class NonTargetIn(_Strict):
    """``baseline.non_targets[]``."""

    id: StrictStr = Field(min_length=1)
    site: StrictStr
    nodal: StrictBool = False
    location_lps: Point | None = None  # reading files: where the reader marked it


SimpleValue = Mm | Literal["TOO_SMALL"] | list[Mm] | None


class MeasurementIn(_Strict):
    """Object form of a follow-up target value (reading files)."""

    diameter_mm: SimpleValue = None
    coalesced_into: StrictStr | None = None
    image: ImageIn | None = None
    endpoints_lps: list[Point] | None = None
    reason_not_done: StrictStr | None = None


class NewLesionIn(_Strict):
    """``followups[].new_lesions[]``."""

    id: StrictStr = Field(min_length=1)
    site: StrictStr
    equivocal: StrictBool = False
    measurable: StrictBool = False
    nodal: StrictBool = False
    diameter_mm: Mm | None = None
    image: ImageIn | None = None
    endpoints_lps: list[Point] | None = None


class FollowupIn(_Strict):
    """``followups[]``."""

    date: Date
    targets: dict[str, MeasurementIn | SimpleValue] = Field(default_factory=dict)
    non_targets: dict[str, NonTargetState] = Field(default_factory=dict)
    new_lesions: list[NewLesionIn] = Field(default_factory=list)
    study_uids: list[StrictStr] | None = None


class BaselineIn(_Strict):
    """``baseline``."""

    date: Date
    targets: list[TargetIn] = Field(default_factory=list)
    non_targets: list[NonTargetIn] = Field(default_factory=list)
    study_uids: list[StrictStr] | None = None


class OptionsIn(_Strict):
    """``options``."""

    confirmation: StrictBool = True
    confirmation_min_days: StrictInt = Field(default=28, ge=0, le=MAX_DAYS)
    sd_min_days: StrictInt = Field(default=42, ge=0, le=MAX_DAYS)


class AuditIn(_Strict):
    """``audit[]`` (reading files)."""

    when: StrictStr
    who: StrictStr
    what: StrictStr


class ProposalIn(_Strict):
    """``proposals[]`` (reading files): lesions found by registration, not read."""

    id: StrictStr = Field(min_length=1)
    date: Date
    role: Literal["TARGET", "NON-TARGET", "NEW"]
    status: Literal["PROPOSED", "NOT_FOUND"]
    source_date: Date
    diameter_mm: Mm | None = None
    long_axis_mm: Mm | None = None
    short_axis_mm: Mm | None = None
    image: ImageIn | None = None
    endpoints_lps: list[Point] | None = None
    center_lps: Point | None = None
    residual_mm: float | None = Field(default=None, allow_inf_nan=False)
    similarity: float | None = Field(default=None, allow_inf_nan=False)
    flags: list[StrictStr] = Field(default_factory=list)
    reason: StrictStr = ""


class ReadingIn(_Strict):
    """A case or reading file (the reading adds subject_id, reader, audit)."""

    id: StrictStr | None = None
    description: StrictStr | None = None
    criteria: Criteria = Criteria.RECIST_1_1
    options: OptionsIn = Field(default_factory=OptionsIn)
    baseline: BaselineIn
    followups: list[FollowupIn] = Field(default_factory=list)
    expected: dict[str, Any] | None = None
    subject_id: StrictStr | None = None
    reader: StrictStr | None = None
    audit: list[AuditIn] = Field(default_factory=list)
    subject: dict[StrictStr, StrictStr] | None = None
    proposals: list[ProposalIn] = Field(default_factory=list)


_MODEL_NAMES = frozenset(
    m.__name__
    for m in (
        ImageIn,
        TargetIn,
        NonTargetIn,
        MeasurementIn,
        NewLesionIn,
        FollowupIn,
        BaselineIn,
        OptionsIn,
        AuditIn,
        ProposalIn,
        ReadingIn,
    )
)


# ------------------------------------------------------------------ converting
def format_location(loc: tuple[int | str, ...]) -> str:
    """Write a pydantic location as a JSON path (``followups[1].targets.T03``).

    Examples
    --------
    >>> format_location(("followups", 1, "targets", "T03"))
    'followups[1].targets.T03'
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _is_tag(part: int | str) -> bool:
    """Tell a pydantic union-branch tag (``MeasurementIn``, ``list[...]``)."""
    return isinstance(part, str) and (
        part in _MODEL_NAMES or "[" in part or part in {"decimal", "none"}
    )


def _validation_error(exc: ValidationError, source: str) -> InvalidInputError:
    errors = exc.errors()
    err = errors[0]
    raw = tuple(err["loc"])
    loc = tuple(p for p in raw if not _is_tag(p))
    where = format_location(loc)
    msg = err["msg"]
    same = [e for e in errors if tuple(p for p in e["loc"] if not _is_tag(p)) == loc]
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "required key missing"
    elif raw and raw[-1] == "MeasurementIn":
        msg = (
            f'expected a number of mm, "TOO_SMALL", null, a list of fragments or '
            f"an object with diameter_mm, got {err['input']!r}"
        )
    elif len(same) > 1 and raw != loc:
        msg = next((e["msg"] for e in same if e["type"] == "value_error"), msg)
    if msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
    n = len(errors) - len(same)
    more = f" (and {n} more problems)" if n > 0 else ""
    return InvalidInputError(f"{source}{where}: {msg}{more}", location=where)


def _points(points: list[Point] | None) -> tuple[PointLPS, ...]:
    return tuple((float(x), float(y), float(z)) for x, y, z in points or ())


def _image(image: ImageIn | None) -> ImageRef | None:
    if image is None:
        return None
    return ImageRef(
        study_uid=image.study_uid,
        series_uid=image.series_uid,
        sop_uid=image.sop_uid,
        frame=image.frame,
    )


def _measurement(value: MeasurementIn | SimpleValue, where: str) -> Measurement:
    extra: dict[str, Any] = {}
    coalesced_into = None
    if isinstance(value, MeasurementIn):
        extra = {
            "image": _image(value.image),
            "endpoints_lps": _points(value.endpoints_lps),
        }
        coalesced_into = value.coalesced_into
        if value.reason_not_done is not None:
            if value.diameter_mm is not None or coalesced_into is not None:
                msg = f"{where}: reason_not_done is only for a value not measured"
                raise InvalidInputError(msg, location=where)
            extra["reason_not_done"] = value.reason_not_done
        value = value.diameter_mm
    if coalesced_into is not None:
        if value not in (None, 0):
            msg = f"{where}: a coalesced lesion has diameter_mm 0 or none, got {value}"
            raise InvalidInputError(msg, location=where)
        return Measurement.coalesced(coalesced_into, **extra)
    if value is None:
        return Measurement.not_evaluated(**extra)
    if isinstance(value, str):
        return Measurement.too_small(**extra)
    if isinstance(value, list):
        if not value:
            raise InvalidInputError(
                f"{where}: a split lesion needs fragments", location=where
            )
        return Measurement.split(*value, **extra)
    return Measurement.of_mm(value, **extra)


def _check_unique_ids(doc: ReadingIn) -> None:
    """Refuse an id used twice at baseline or twice in one visit's new lesions."""
    seen: set[str] = set()
    b = doc.baseline
    listed = [("targets", i, t.id) for i, t in enumerate(b.targets)]
    listed += [("non_targets", i, n.id) for i, n in enumerate(b.non_targets)]
    for group, i, lesion_id in listed:
        if lesion_id in seen:
            where = f"baseline.{group}[{i}].id"
            msg = f"{where}: lesion id {lesion_id!r} is used twice at baseline"
            raise InvalidInputError(msg, location=where)
        seen.add(lesion_id)
    for k, f in enumerate(doc.followups):
        new_ids: set[str] = set()
        for j, n in enumerate(f.new_lesions):
            if n.id in new_ids:
                where = f"followups[{k}].new_lesions[{j}].id"
                msg = f"{where}: new lesion id {n.id!r} is listed twice at {f.date}"
                raise InvalidInputError(msg, location=where)
            new_ids.add(n.id)


def reading_from_model(doc: ReadingIn) -> Reading:
    """Build the domain :class:`~recist.model.Reading` from the validated schema."""
    _check_unique_ids(doc)
    b = doc.baseline
    targets = tuple(
        Lesion(
            lesion_id=t.id,
            role=LesionRole.TARGET,
            site=t.site,
            nodal=t.nodal,
            baseline=Measurement.of_mm(
                t.diameter_mm,
                image=_image(t.image),
                endpoints_lps=_points(t.endpoints_lps),
            ),
            slice_thickness_mm=t.slice_thickness_mm,
        )
        for t in b.targets
    )
    non_targets = tuple(
        Lesion(
            lesion_id=n.id,
            role=LesionRole.NON_TARGET,
            site=n.site,
            nodal=n.nodal,
            location_lps=_points([n.location_lps])[0] if n.location_lps else None,
        )
        for n in b.non_targets
    )
    followups = tuple(
        TimePoint(
            date=f.date,
            targets={
                k: _measurement(v, f"followups[{i}].targets.{k}")
                for k, v in f.targets.items()
            },
            non_targets=dict(f.non_targets),
            new_lesions=tuple(
                NewLesion(
                    lesion_id=n.id,
                    site=n.site,
                    equivocal=n.equivocal,
                    measurable=n.measurable,
                    nodal=n.nodal,
                    diameter_mm=n.diameter_mm,
                    image=_image(n.image),
                    endpoints_lps=_points(n.endpoints_lps),
                )
                for n in f.new_lesions
            ),
            study_uids=tuple(f.study_uids or ()),
        )
        for i, f in enumerate(doc.followups)
    )
    o = doc.options
    return Reading(
        baseline=Baseline(
            date=b.date,
            targets=targets,
            non_targets=non_targets,
            study_uids=tuple(b.study_uids or ()),
        ),
        followups=followups,
        criteria=doc.criteria,
        options=Options(
            confirmation=o.confirmation,
            confirmation_min_days=o.confirmation_min_days,
            sd_min_days=o.sd_min_days,
        ),
        subject_id=doc.subject_id,
        reader=doc.reader,
        case_id=doc.id,
        description=doc.description,
        audit=tuple(AuditEntry(when=a.when, who=a.who, what=a.what) for a in doc.audit),
        subject={k.upper(): v for k, v in (doc.subject or {}).items()},
        proposals=tuple(_proposal(p) for p in doc.proposals),
    )


def _proposal(p: ProposalIn) -> Proposal:
    found = p.status == "PROPOSED"
    measurement = None
    if found and p.diameter_mm is not None:
        measurement = Measurement.of_mm(
            p.diameter_mm, image=_image(p.image), endpoints_lps=_points(p.endpoints_lps)
        )
    return Proposal(
        lesion_id=p.id,
        date=p.date,
        role=p.role,
        found=found,
        source_date=p.source_date,
        measurement=measurement,
        long_axis_mm=p.long_axis_mm,
        short_axis_mm=p.short_axis_mm,
        center_lps=None if p.center_lps is None else _points([p.center_lps])[0],
        residual_mm=p.residual_mm,
        similarity=p.similarity,
        flags=tuple(p.flags),
        reason=p.reason,
    )


def parse_json_text(text: str, source: str = "<input>") -> Any:
    """Parse JSON with exact decimals; errors name ``source:line:column``.

    Hostile input is refused with :class:`~recist.errors.InvalidInputError`:
    nesting deeper than :data:`MAX_DEPTH`, number tokens longer than
    :data:`MAX_NUMBER_CHARS` characters or outside the range of a double
    (``1e309``), keys given twice and strings with
    lone surrogates (escapes U+D800 to U+DFFF: not text, no UTF-8 form).

    Examples
    --------
    >>> parse_json_text('{"a": 32.2}')
    {'a': Decimal('32.2')}
    >>> parse_json_text('{"a": 1e309}', "x.json")
    Traceback (most recent call last):
    ...
    recist.errors.InvalidInputError: x.json: number 1e309 is out of range
    """
    try:
        doc = json.loads(
            text,
            parse_float=_json_decimal,
            parse_int=_json_int,
            parse_constant=_json_constant,
            object_pairs_hook=_Object,
        )
    except json.JSONDecodeError as exc:
        where = f"{source}:{exc.lineno}:{exc.colno}"
        raise InvalidInputError(
            f"{where}: malformed JSON: {exc.msg}", location=where
        ) from None
    except _BadNumber as exc:
        raise InvalidInputError(f"{source}: {exc}") from None
    except RecursionError:  # deeper than the parser's recursion limit (~1,000)
        msg = f"{source}: JSON nested deeper than {MAX_DEPTH} levels"
        raise InvalidInputError(msg) from None
    try:
        if not _needs_walk(doc, text):
            return doc
    except RecursionError:  # arrays nested nearly to the parser's limit
        msg = f"{source}: JSON nested deeper than {MAX_DEPTH} levels"
        raise InvalidInputError(msg) from None
    try:
        return _plain(doc, (), 0)
    except _BadDocument as exc:
        loc = tuple(
            p.encode("utf-8", "backslashreplace").decode() if isinstance(p, str) else p
            for p in exc.loc
        )
        where = format_location(loc[:8]) if loc else "(top level)"
        if len(loc) > 8:
            where += f"... ({len(loc)} levels)"
        raise InvalidInputError(f"{source}: {where}: {exc}", location=where) from None


class _BadNumber(ValueError):
    """A JSON number this format refuses (out of range, too long)."""


def _checked_token(token: str) -> str:
    if len(token) > MAX_NUMBER_CHARS:
        shown = f"{token[:12]}...({len(token)} characters)"
        raise _BadNumber(f"number {shown} is longer than {MAX_NUMBER_CHARS} characters")
    return token


def _json_decimal(token: str) -> Decimal:
    value = Decimal(_checked_token(token))
    as_double = float(value)
    if math.isinf(as_double) or (as_double == 0 and not value.is_zero()):
        raise _BadNumber(f"number {token} is out of range")
    return value


def _json_int(token: str) -> int:
    return int(_checked_token(token))


def _json_constant(token: str) -> Decimal:
    # NaN/Infinity are not JSON; kept as Decimal so that the schema refuses them
    # naming their place ("baseline.targets[0].diameter_mm: ... finite")
    return Decimal(token)


class _Object(dict[str, Any]):
    """A JSON object that remembers a key given twice and its nesting depth.

    ``json`` keeps the last of duplicate keys; the depth is computed bottom-up
    while parsing, so a normal file needs no second walk.
    """

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.duplicate = None if len(self) == len(pairs) else _duplicate(pairs)
        depth, suspect = 0, self.duplicate is not None
        for _, v in pairs:
            if isinstance(v, _Object | list):
                d, s = _info(v)
                depth, suspect = max(depth, d), suspect or s
        self.depth, self.suspect = depth + 1, suspect


def _info(value: Any) -> tuple[int, bool]:
    """Return (nesting depth, has a duplicate key below) of a parsed value."""
    if isinstance(value, _Object):
        return value.depth, value.suspect
    if isinstance(value, list):
        depth, suspect = 0, False
        for v in value:
            if isinstance(v, _Object | list):
                d, s = _info(v)
                depth, suspect = max(depth, d), suspect or s
        return depth + 1, suspect
    return 0, False


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _needs_walk(doc: Any, text: str) -> bool:
    """Whether the checking walk :func:`_plain` must run (rarely)."""
    depth, suspect = _info(doc)
    if depth > MAX_DEPTH or suspect:
        return True
    return _SURROGATE_ESCAPE.search(text) is not None or not _encodes(text)


def _encodes(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _duplicate(pairs: list[tuple[str, Any]]) -> str:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return key
        seen.add(key)
    raise AssertionError("no duplicate")  # pragma: no cover


class _BadDocument(ValueError):
    def __init__(self, message: str, loc: tuple[int | str, ...]) -> None:
        super().__init__(message)
        self.loc = loc


def _text(value: str, loc: tuple[int | str, ...]) -> str:
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            msg = "text with a lone surrogate (escapes \\ud800 to \\udfff)"
            raise _BadDocument(msg, loc) from None
    return value


def _plain(value: Any, loc: tuple[int | str, ...], depth: int) -> Any:
    """Check the parsed document in one walk; return it with plain dicts.

    Refuses nesting deeper than :data:`MAX_DEPTH`, keys given twice and text
    with lone surrogates (not text; it cannot be written as UTF-8).
    """
    if isinstance(value, str):
        return _text(value, loc)
    if isinstance(value, dict | list) and depth >= MAX_DEPTH:
        raise _BadDocument(f"JSON nested deeper than {MAX_DEPTH} levels", loc)
    if isinstance(value, dict):
        if value.duplicate is not None:
            key = value.duplicate
            raise _BadDocument(f"key {key!r} given twice in one object", (*loc, key))
        out = {}
        for key, item in value.items():
            here = (*loc, key)
            out[_text(key, here)] = _plain(item, here, depth + 1)
        return out
    if isinstance(value, list):
        return [_plain(v, (*loc, i), depth + 1) for i, v in enumerate(value)]
    return value


def _as_dict(source: str | Path | Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    if isinstance(source, Mapping):
        return source, ""
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{path}: not UTF-8 text ({exc.reason})") from None
    doc = parse_json_text(text, str(path))
    if not isinstance(doc, dict):
        raise InvalidInputError(f"{path}: expected a JSON object at the top level")
    return doc, f"{path}: "


def load_case(source: str | Path | Mapping[str, Any]) -> Reading:
    """Read a case (or reading) file or dict into a :class:`~recist.model.Reading`.

    Parameters
    ----------
    source : str, Path or Mapping
        A path to a ``*.case.json`` / reading file, or the parsed dict (numbers
        may be int, float or Decimal).

    Raises
    ------
    InvalidInputError
        Malformed JSON (with file:line:column), unknown keys, wrong types or
        impossible values (with the JSON path).

    Examples
    --------
    >>> r = load_case({"baseline": {"date": "2026-01-05", "targets": [
    ...     {"id": "T01", "site": "LIVER", "nodal": False, "diameter_mm": 32.2}]}})
    >>> r.baseline.targets[0].diameter_mm
    Decimal('32.2')
    >>> load_case({"baseline": {"date": "2026-01-05"}, "colour": "red"})
    Traceback (most recent call last):
    ...
    recist.errors.InvalidInputError: colour: unknown key
    """
    doc, prefix = _as_dict(source)
    try:
        model = ReadingIn.model_validate(doc)
    except ValidationError as exc:
        raise _validation_error(exc, prefix) from None
    try:
        return reading_from_model(model)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{prefix}{exc}", location=exc.location) from None
    except InvalidMeasurementError as exc:
        raise InvalidInputError(f"{prefix}{exc}") from None


# -------------------------------------------------------------------- output
def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def assessment_to_json(a: Assessment) -> dict[str, Any]:
    """Write an :class:`~recist.model.Assessment` in the case format's output shape."""
    irecist = a.criteria is Criteria.IRECIST
    points = []
    for p in a.timepoints:
        d: dict[str, Any] = {
            "date": p.date.isoformat(),
            "sum_mm": _num(p.sum_mm),
            "pct_from_baseline": _num(p.pct_from_baseline),
            "pct_from_nadir": _num(p.pct_from_nadir),
            "target": p.target.value.value,
            "non_target": p.non_target.value.value,
            "new_lesions": p.new_lesions.value.value,
            "overall": p.overall.value.value,
        }
        if irecist:
            d["new_target_sum_mm"] = _num(p.new_target_sum_mm)
        points.append(d)
    return {
        "id": a.reading.case_id,
        "baseline_sum_mm": _num(a.baseline_sum_mm),
        "timepoints": points,
        "best_overall_response": a.best_overall_response.value.value,
    }


def assess_json(
    case: str | Path | Mapping[str, Any],
    *,
    confirmation: bool | None = None,
    criteria: Criteria | str | None = None,
    confirmation_min_days: int | None = None,
    sd_min_days: int | None = None,
) -> dict[str, Any]:
    """Assess a case and return the case format's output shape.

    Parameters
    ----------
    case : dict, str or Path
        The case (numbers may be float or Decimal), or a path to it.
    confirmation, criteria, confirmation_min_days, sd_min_days : optional
        Override the case's ``criteria`` / ``options``.

    Returns
    -------
    dict
        ``{"id", "baseline_sum_mm", "timepoints": [...], "best_overall_response"}``
        or, for input that breaks a rule, ``{"id", "error": {"code", "lesion"}}``.

    Raises
    ------
    InvalidInputError
        Input that cannot be read at all (see :func:`load_case`).

    Examples
    --------
    >>> out = assess_json({"id": "x", "baseline": {"date": "2026-01-05"}})
    >>> out["error"]
    {'code': 'NO_BASELINE_DISEASE', 'lesion': None}
    """
    reading = load_case(case)
    try:
        result = assess(
            reading,
            confirmation=confirmation,
            criteria=criteria,
            confirmation_min_days=confirmation_min_days,
            sd_min_days=sd_min_days,
        )
    except RuleViolation as exc:
        return {
            "id": reading.case_id,
            "error": {"code": exc.code, "lesion": exc.lesion},
        }
    return assessment_to_json(result)
