"""Build case-format readings from SDTM TU/TR (and the criteria from RS).

One reading per subject (``USUBJID``), evaluator (``--EVAL``, ``--EVALID``) and
criteria (``RSCAT``). The rules are listed in :func:`readings_from_sdtm`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from recist.formats._sdtm_io import Table

__all__ = [
    "Evaluator",
    "SdtmData",
    "SdtmReading",
    "SdtmVisit",
    "readings_from_sdtm",
]

RECIST11 = "RECIST 1.1"
IRECIST = "iRECIST"


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SdtmData:
    """The TU, TR and (optional) RS datasets of a study, as text tables.

    Attributes
    ----------
    tu, tr : Table
        Tumour identification and tumour results; one ``dict`` per record.
    rs : Table or None
        Disease response, when given.
    sources : dict of str to Path
        The file each domain was read from (``{"TU": Path(...), ...}``).
    """

    tu: Table
    tr: Table
    rs: Table | None = None
    sources: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Evaluator:
    """Who assessed: ``--EVAL`` (``INVESTIGATOR``...) and ``--EVALID``.

    Examples
    --------
    >>> Evaluator(name="INDEPENDENT ASSESSOR", identifier="RADIOLOGIST 1").label
    'INDEPENDENT ASSESSOR/RADIOLOGIST 1'
    >>> Evaluator(name="INVESTIGATOR", identifier="").label
    'INVESTIGATOR'
    """

    name: str  # TUEVAL / TREVAL / RSEVAL
    identifier: str  # TUEVALID / TREVALID / RSEVALID ("" when absent)

    @property
    def label(self) -> str:
        """``NAME/IDENTIFIER``, or the name alone when there is no identifier."""
        if not self.identifier:
            return self.name or "(no evaluator)"
        return f"{self.name}/{self.identifier}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SdtmVisit:
    """One assessment of a reading: the SDTM visit and the date the engine used.

    Attributes
    ----------
    visitnum : Decimal or None
        ``VISITNUM`` (``None`` when the data has none).
    visit : str
        ``VISIT``.
    date : str
        ISO date given to the engine (the earliest complete ``TRDTC`` of the visit).
    dtc : str
        The ``TRDTC`` the date came from, as recorded (may be partial).
    date_imputed : bool
        ``True`` when ``dtc`` was partial and ``date`` is imputed (first day of the
        month or year, moved after the previous assessment when needed).
    baseline : bool
        The baseline assessment of the reading.
    recorded_sum_mm : Decimal or None
        ``TRTESTCD = SUMDIAM`` of the visit where the data records one.
    """

    visitnum: Decimal | None
    visit: str
    date: str
    dtc: str
    date_imputed: bool = False
    baseline: bool = False
    recorded_sum_mm: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SdtmReading:
    """One evaluator's assessments of one subject, as a case-format dict.

    Attributes
    ----------
    usubjid : str
        ``USUBJID``.
    evaluator : Evaluator
        Who read.
    criteria : str
        ``"RECIST 1.1"`` or ``"iRECIST"`` (from ``RSCAT``, else the default).
    case : dict or None
        The case-format input (``baseline``, ``followups``...), ``None`` when the
        data could not be turned into one (see ``input_error``).
    visits : tuple of SdtmVisit
        Baseline first, then one per follow-up in ``case["followups"]`` order.
    notes : tuple of str
        What the conversion had to decide (imputed dates, split visits, ignored
        rows), one line each.
    input_error : str or None
        Why no case could be built (an unknown term, a missing date).
    """

    usubjid: str
    evaluator: Evaluator
    criteria: str
    case: dict[str, Any] | None
    visits: tuple[SdtmVisit, ...] = ()
    notes: tuple[str, ...] = ()
    input_error: str | None = None

    def visit_for_date(self, date: str) -> SdtmVisit | None:
        """Return the follow-up visit assessed on ISO ``date`` (``None`` if none)."""
        for visit in self.visits:
            if visit.date == date and not visit.baseline:
                return visit
        return None


class _ReadingInputError(ValueError):
    """A record of one reading that cannot be converted (the reading is skipped)."""


# --------------------------------------------------------------------------- terms

_NOT_DONE = {"", "NE", "NOT EVALUABLE", "NOT EVALUATED", "NOT ASSESSABLE", "NOT DONE"}
_TOO_SMALL = ("TOO SMALL", "TOO_SMALL")
_NT_STATES = {
    "PRESENT": "PRESENT",
    "ABSENT": "ABSENT",
    "NON-PATHOLOGICAL": "ABSENT",  # a node back to normal size (RECIST 1.1 §4.3.2)
    "UNEQUIVOCAL": "UNEQUIVOCAL PROGRESSION",
    "UNEQUIVOCAL PROGRESSION": "UNEQUIVOCAL PROGRESSION",
    "PROGRESSION": "UNEQUIVOCAL PROGRESSION",
    "EQUIVOCAL": "PRESENT",  # equivocal progression of a non-target is not PD
}
_NEW_STATES = {
    "EQUIVOCAL": True,  # value: equivocal?
    "UNEQUIVOCAL": False,
    "PRESENT": False,
    "UNEQUIVOCAL PROGRESSION": False,
}
_DIAMETER_TESTS = ("DIAMETER", "LDIAM", "LPERP", "SAXIS")
_BASELINE_VISITS = ("SCREENING", "BASELINE")
_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def _value(row: Mapping[str, str], *names: str) -> str:
    """Return the first non-empty of ``row[name]`` (text, stripped), else ``""``."""
    for name in names:
        text = row.get(name, "")
        if text:
            return text
    return ""


def _decimal(text: str) -> Decimal | None:
    """Parse ``text`` as a finite Decimal; ``None`` when it is not a number.

    >>> _decimal("15.3357"), _decimal("PRESENT"), _decimal("nan")
    (Decimal('15.3357'), None, None)
    """
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _is_nodal(location: str) -> bool:
    """Whether a ``TULOC`` is a lymph node.

    >>> _is_nodal("LYMPH NODE"), _is_nodal("Axillary lymph node"), _is_nodal("LIVER")
    (True, True, False)
    """
    return "LYMPH NODE" in location.upper()


def _result(row: Mapping[str, str]) -> str:
    """Return ``TRSTRESC``, else ``TRORRES``, upper-cased."""
    return _value(row, "TRSTRESC", "TRORRES").upper()


def _not_done(row: Mapping[str, str]) -> bool:
    return row.get("TRSTAT", "").upper() == "NOT DONE"


def _measurement(row: Mapping[str, str], where: str) -> Decimal | str | None:
    """Return a diameter in mm, ``"TOO_SMALL"`` or ``None`` (not evaluated).

    Units come from ``TRSTRESU`` (or ``TRORRESU`` for ``TRORRES``): mm or cm.
    """
    if _not_done(row):
        return None
    text = _result(row)
    if any(text.startswith(t) for t in _TOO_SMALL):
        return "TOO_SMALL"
    candidates = (
        (row.get("TRSTRESN", ""), row.get("TRSTRESU", "")),
        (row.get("TRSTRESC", ""), row.get("TRSTRESU", "")),
        (row.get("TRORRES", ""), row.get("TRORRESU", "")),
    )
    for raw, unit in candidates:
        number = _decimal(raw) if raw else None
        if number is None:
            continue
        unit = unit.strip().upper()
        if unit in ("", "MM"):
            return number
        if unit == "CM":
            return number * 10
        raise _ReadingInputError(f"{where}: unit {unit!r} is neither mm nor cm")
    if text in _NOT_DONE:
        return None
    raise _ReadingInputError(f"{where}: result {text!r} is not a diameter")


def _iso(date: dt.date) -> str:
    return date.isoformat()


def _parse_dtc(dtc: str) -> tuple[dt.date | None, dt.date | None]:
    """Return (complete date, first possible date of a partial one) of an ISO 8601 DTC.

    >>> _parse_dtc("2014-01-02T10:00"), _parse_dtc("2014-02"), _parse_dtc("")
    ((datetime.date(2014, 1, 2), None), (None, datetime.date(2014, 2, 1)), (None, None))
    """
    full = _FULL_DATE.match(dtc)
    if full:
        try:
            return dt.date(*map(int, full.groups())), None
        except ValueError:
            return None, None
    partial = _PARTIAL_DATE.match(dtc)
    if partial:
        year, month = partial.groups()
        try:
            return None, dt.date(int(year), int(month or 1), 1)
        except ValueError:
            return None, None
    return None, None


# ---------------------------------------------------------------------- grouping


def _evaluator(row: Mapping[str, str], prefix: str) -> Evaluator:
    return Evaluator(
        name=row.get(f"{prefix}EVAL", ""), identifier=row.get(f"{prefix}EVALID", "")
    )


def _visitnum(row: Mapping[str, str]) -> Decimal | None:
    return _decimal(row.get("VISITNUM", ""))


def _criteria_of(rs_rows: Iterable[Mapping[str, str]]) -> list[str]:
    """Return the criteria ``RSCAT`` names on the rows, in first-seen order."""
    seen: list[str] = []
    for row in rs_rows:
        cat = row.get("RSCAT", "").upper().replace(" ", "")
        name = IRECIST if "IRECIST" in cat else RECIST11 if "RECIST1.1" in cat else ""
        if name and name not in seen:
            seen.append(name)
    return seen


@dataclass(slots=True)
class _Lesion:
    lesion_id: str
    kind: str  # TARGET, NON-TARGET, NEW
    location: str
    nodal: bool


@dataclass(slots=True)
class _Visit:
    visitnum: Decimal | None
    visit: str
    rows: list[dict[str, str]]
    date: dt.date | None = None
    dtc: str = ""
    imputed: bool = False


def _lesions(tu_rows: Sequence[Mapping[str, str]]) -> dict[str, _Lesion]:
    lesions: dict[str, _Lesion] = {}
    for row in tu_rows:
        test = row.get("TUTESTCD", "TUMIDENT").upper()
        if test not in ("TUMIDENT", ""):
            continue
        lesion_id = row.get("TULNKID", "")
        if not lesion_id:
            continue
        kind = _value(row, "TUSTRESC", "TUORRES").upper()
        location = row.get("TULOC", "")
        lesions.setdefault(
            lesion_id,
            _Lesion(lesion_id, kind, location, _is_nodal(location)),
        )
    return lesions


def _split_visits(rows: list[dict[str, str]], notes: list[str]) -> list[_Visit]:
    """Group TR rows into assessments: by VISITNUM (else VISIT), in VISITNUM order.

    A visit whose lesions are each measured more than once on different dates (a
    repeated VISITNUM) is split into one assessment per date.
    """
    groups: dict[tuple[Decimal | None, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        num = _visitnum(row)
        groups[(num, "" if num is not None else row.get("VISIT", ""))].append(row)
    visits: list[_Visit] = []
    for (num, _name), members in groups.items():
        name = _value(members[0], "VISIT") or (str(num) if num is not None else "")
        per_key: dict[tuple[str, str], set[str]] = defaultdict(set)
        for row in members:
            key = (row.get("TRLNKID", ""), row.get("TRTESTCD", ""))
            per_key[key].add(row.get("TRDTC", ""))
        full_dates = {
            d for d in (r.get("TRDTC", "") for r in members) if _parse_dtc(d)[0]
        }
        repeated = any(len(dates) > 1 for dates in per_key.values())
        if repeated and len(full_dates) > 1:
            notes.append(
                f"VISIT {name} (VISITNUM {num}) has the same lesions assessed on "
                f"{len(full_dates)} dates ({', '.join(sorted(full_dates))}): "
                "derived as separate assessments"
            )
            by_date: dict[str, list[dict[str, str]]] = defaultdict(list)
            for row in members:
                by_date[row.get("TRDTC", "")].append(row)
            visits.extend(_Visit(num, name, by_date[d]) for d in sorted(by_date))
        else:
            visits.append(_Visit(num, name, members))
    visits.sort(
        key=lambda v: (
            v.visitnum is None,
            v.visitnum or Decimal(0),
            min((r.get("TRDTC", "") for r in v.rows), default=""),
        )
    )
    return visits


def _date_visits(visits: list[_Visit], notes: list[str]) -> None:
    """Give each assessment an ISO date: the earliest complete TRDTC of its rows.

    With only partial dates the first day of the month (or year) is used, moved to
    the day after the previous assessment when that is later (so the order of the
    visits is kept), and noted.
    """
    previous: dt.date | None = None
    for visit in visits:
        complete: list[tuple[dt.date, str]] = []
        partial: list[tuple[dt.date, str]] = []
        for row in visit.rows:
            dtc = row.get("TRDTC", "")
            full, first = _parse_dtc(dtc)
            if full is not None:
                complete.append((full, dtc))
            elif first is not None:
                partial.append((first, dtc))
        if complete:
            visit.date, visit.dtc = min(complete)
        elif partial:
            first, dtc = min(partial)
            if previous is not None and first <= previous:
                first = previous + dt.timedelta(days=1)
            visit.date, visit.dtc, visit.imputed = first, dtc, True
            notes.append(
                f"VISIT {visit.visit}: TRDTC {dtc} is partial; date imputed as "
                f"{_iso(first)}"
            )
        else:
            msg = f"VISIT {visit.visit}: no TRDTC, so no date for the assessment"
            raise _ReadingInputError(msg)
        previous = visit.date


def _baseline_index(visits: list[_Visit], lesions: Mapping[str, _Lesion]) -> int:
    """Return the baseline: flagged, else SCREENING/BASELINE, else the earliest."""
    for flag in ("TRBLFL", "TRLOBXFL"):
        for index, visit in enumerate(visits):
            if any(r.get(flag, "").upper() == "Y" for r in visit.rows):
                return index
    for index, visit in enumerate(visits):
        if any(word in visit.visit.upper() for word in _BASELINE_VISITS):
            return index
    return 0


def _rows_by_lesion(visit: _Visit, where: str, notes: list[str]) -> dict[str, Any]:
    """``{TRLNKID: {TRTESTCD: row}}`` of one assessment (first of duplicates, noted)."""
    table: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    for row in visit.rows:
        lesion_id = row.get("TRLNKID", "")
        test = row.get("TRTESTCD", "").upper()
        if not lesion_id or test == "SUMDIAM":
            continue
        if test in table[lesion_id]:
            if _result(table[lesion_id][test]) != _result(row):
                notes.append(
                    f"{where} {lesion_id} {test}: several results, the first is used"
                )
            continue
        table[lesion_id][test] = row
    return table


def _target_value(
    tests: Mapping[str, Mapping[str, str]], nodal: bool, where: str
) -> Decimal | str | None:
    """Return a target's RECIST value: DIAMETER, else LPERP (nodal) or LDIAM."""
    wanted = ("DIAMETER", "LPERP", "SAXIS") if nodal else ("DIAMETER", "LDIAM")
    for test in wanted:
        if test in tests:
            return _measurement(tests[test], f"{where} {test}")
    return None  # no record: not evaluated


def _non_target_state(tests: Mapping[str, Mapping[str, str]], where: str) -> str:
    row = tests.get("TUMSTATE") or next(iter(tests.values()))
    if _not_done(row):
        return "NOT EVALUATED"
    text = _result(row)
    if text in _NT_STATES:
        return _NT_STATES[text]
    if text in _NOT_DONE:
        return "NOT EVALUATED"
    raise _ReadingInputError(f"{where} TUMSTATE {text!r} is not a non-target state")


def _new_lesion(
    lesion: _Lesion, tests: Mapping[str, Mapping[str, str]], where: str
) -> dict[str, Any] | None:
    """Return a case-format new lesion, ``None`` when absent or resolved."""
    equivocal = False
    if "TUMSTATE" in tests:
        row = tests["TUMSTATE"]
        text = _result(row)
        if _not_done(row) or text in _NOT_DONE or text == "ABSENT":
            return None
        if text not in _NEW_STATES:
            msg = f"{where} TUMSTATE {text!r} is not a new-lesion state"
            raise _ReadingInputError(msg)
        equivocal = _NEW_STATES[text]
    diameter: Decimal | None = None
    for test in ("DIAMETER", "LPERP" if lesion.nodal else "LDIAM"):
        if test in tests:
            value = _measurement(tests[test], f"{where} {test}")
            diameter = value if isinstance(value, Decimal) else None
            break
    if diameter is not None and diameter == 0 and "TUMSTATE" not in tests:
        return None
    threshold = 15 if lesion.nodal else 10
    return {
        "id": lesion.lesion_id,
        "site": lesion.location or "UNKNOWN",
        "equivocal": equivocal,
        "measurable": diameter is not None and diameter >= threshold,
        "nodal": lesion.nodal,
        "diameter_mm": diameter,
    }


def _build_case(
    usubjid: str,
    evaluator: Evaluator,
    criteria: str,
    tu_rows: Sequence[Mapping[str, str]],
    tr_rows: list[dict[str, str]],
    options: Mapping[str, Any],
) -> SdtmReading:
    notes: list[str] = []
    lesions = _lesions(tu_rows)
    for row in tr_rows:  # lesions TU does not name: kind from TRGRPID
        lesion_id = row.get("TRLNKID", "")
        if lesion_id and lesion_id not in lesions:
            stem = lesion_id.rsplit(".", 1)[0]
            if "." in lesion_id and stem in lesions:
                continue  # a fragment of a split lesion
            group = row.get("TRGRPID", "").upper()
            if group in ("TARGET", "NON-TARGET", "NEW"):
                lesions[lesion_id] = _Lesion(lesion_id, group, "", False)
    visits = _split_visits(tr_rows, notes)
    if not visits:
        raise _ReadingInputError("no TR records")
    _date_visits(visits, notes)
    first = _baseline_index(visits, lesions)
    for skipped in visits[:first]:
        notes.append(f"VISIT {skipped.visit} is before the baseline: not used")
    base, follow = visits[first], visits[first + 1 :]
    targets = [les for les in lesions.values() if les.kind == "TARGET"]
    non_targets = [les for les in lesions.values() if les.kind == "NON-TARGET"]
    new_ids = [les for les in lesions.values() if les.kind == "NEW"]

    where = f"VISIT {base.visit}"
    table = _rows_by_lesion(base, where, notes)
    baseline_targets = []
    for les in targets:
        value = _target_value(table.get(les.lesion_id, {}), les.nodal, where)
        if not isinstance(value, Decimal):
            shown = "not measured" if value is None else "too small to measure"
            msg = f"{where}: target {les.lesion_id} is {shown} at baseline"
            raise _ReadingInputError(msg)
        baseline_targets.append(
            {
                "id": les.lesion_id,
                "site": les.location or "UNKNOWN",
                "nodal": les.nodal,
                "diameter_mm": value,
            }
        )
    baseline = {
        "date": _iso(base.date or dt.date.min),
        "targets": baseline_targets,
        "non_targets": [
            {"id": les.lesion_id, "site": les.location or "UNKNOWN", "nodal": les.nodal}
            for les in non_targets
        ],
    }
    target_ids = {les.lesion_id for les in targets}
    followups = []
    for visit in follow:
        where = f"VISIT {visit.visit}"
        table = _rows_by_lesion(visit, where, notes)
        values: dict[str, Any] = {}
        for les in targets:
            tests = table.get(les.lesion_id)
            values[les.lesion_id] = (
                None if tests is None else _target_value(tests, les.nodal, where)
            )
        fragments: dict[str, list[Any]] = defaultdict(list)
        for lesion_id, tests in table.items():
            base_id = lesion_id.rsplit(".", 1)[0]
            if lesion_id not in lesions and "." in lesion_id and base_id in target_ids:
                kind = lesions[base_id]
                fragments[base_id].append(_target_value(tests, kind.nodal, where))
            elif lesion_id not in lesions:
                values[lesion_id] = None  # the engine reports UNKNOWN_LESION
                notes.append(f"{where}: TR lesion {lesion_id} is not identified in TU")
        for base_id, parts in fragments.items():
            numbers = [p for p in parts if isinstance(p, Decimal)]
            values[base_id] = numbers if len(numbers) == len(parts) else None
        states = {
            les.lesion_id: (
                _non_target_state(table[les.lesion_id], f"{where} {les.lesion_id}")
                if les.lesion_id in table
                else "NOT EVALUATED"
            )
            for les in non_targets
        }
        new_lesions = []
        for les in new_ids:
            if les.lesion_id in table:
                found = _new_lesion(les, table[les.lesion_id], where)
            elif any(
                r.get("TULNKID") == les.lesion_id and _same_visit(r, visit)
                for r in tu_rows
            ):  # identified in TU at this visit, no TR record
                found = _new_lesion(les, {}, where)
            else:
                found = None
            if found is not None:
                new_lesions.append(found)
        followups.append(
            {
                "date": _iso(visit.date or dt.date.min),
                "targets": values,
                "non_targets": states,
                "new_lesions": new_lesions,
            }
        )
    case: dict[str, Any] = {
        "id": f"{usubjid} {evaluator.label}",
        "criteria": criteria,
        "baseline": baseline,
        "followups": followups,
    }
    if options:
        case["options"] = dict(options)
    sdtm_visits = tuple(
        SdtmVisit(
            visitnum=v.visitnum,
            visit=v.visit,
            date=_iso(v.date or dt.date.min),
            dtc=v.dtc,
            date_imputed=v.imputed,
            baseline=v is base,
            recorded_sum_mm=_recorded_sum(v),
        )
        for v in [base, *follow]
    )
    return SdtmReading(
        usubjid=usubjid,
        evaluator=evaluator,
        criteria=criteria,
        case=case,
        visits=sdtm_visits,
        notes=tuple(notes),
    )


def _same_visit(tu_row: Mapping[str, str], visit: _Visit) -> bool:
    num = _visitnum(tu_row)
    if num is not None and visit.visitnum is not None:
        return num == visit.visitnum
    return tu_row.get("VISIT", "") == visit.visit


def _recorded_sum(visit: _Visit) -> Decimal | None:
    for row in visit.rows:
        if row.get("TRTESTCD", "").upper() == "SUMDIAM" and not _not_done(row):
            return _decimal(_value(row, "TRSTRESN", "TRSTRESC", "TRORRES"))
    return None


def readings_from_sdtm(
    data: SdtmData,
    *,
    subject: str | None = None,
    criteria: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> list[SdtmReading]:
    """Turn TU/TR (and RS for the criteria) into one case-format reading per reader.

    Parameters
    ----------
    data : SdtmData
        The datasets (see :func:`recist.formats.sdtm.read_sdtm`).
    subject : str, optional
        Only this ``USUBJID``.
    criteria : str, optional
        ``"RECIST 1.1"`` or ``"iRECIST"`` for every reading; by default each
        reader's ``RSCAT`` (a reading per criterion found), else ``"RECIST 1.1"``.
    options : mapping, optional
        The case format's ``options`` (``confirmation``...), copied into each case.

    Returns
    -------
    list of SdtmReading
        Sorted by subject and evaluator. A reading whose records cannot be
        converted has ``case=None`` and says why in ``input_error``.

    Notes
    -----
    1. A reading is the TR records of one ``USUBJID`` and evaluator (``TREVAL``,
       ``TREVALID``); the lesions are the TU records of the same evaluator (else
       those of the subject without an evaluator).
    2. Assessments are the ``VISITNUM`` groups in ``VISITNUM`` order (a number
       repeated with every lesion measured again on another date is split by date).
       The date is the earliest complete ``TRDTC``; a partial one is imputed to the
       first of the month, kept after the previous assessment, and noted.
    3. Baseline: the assessment flagged ``TRBLFL``/``TRLOBXFL = Y``, else the first
       whose ``VISIT`` says SCREENING or BASELINE, else the earliest; assessments
       before it are not used.
    4. Targets are ``TUORRES = TARGET``; nodal when ``TULOC`` is a lymph node. The
       value is ``TRTESTCD = DIAMETER`` where present, else ``LPERP`` (short axis)
       for nodes and ``LDIAM`` otherwise; ``TRSTRESN`` in ``TRSTRESU`` (mm or cm).
       ``TOO SMALL TO MEASURE`` is ``"TOO_SMALL"``; ``TRSTAT = NOT DONE`` or no
       record is ``None`` (not evaluated). ``T01.1``, ``T01.2``... are fragments
       of split ``T01``.
    5. Non-targets: ``TUMSTATE`` PRESENT, ABSENT, UNEQUIVOCAL (progression);
       NOT DONE or no record is NOT EVALUATED.
    6. New lesions: ``TUORRES = NEW`` (or ``TRGRPID = NEW``), present at each
       assessment with a ``TUMSTATE`` other than ABSENT; EQUIVOCAL is equivocal.
    """
    tr_by: dict[tuple[str, Evaluator], list[dict[str, str]]] = defaultdict(list)
    for row in data.tr:
        usubjid = row.get("USUBJID", "")
        if subject is not None and usubjid != subject:
            continue
        tr_by[(usubjid, _evaluator(row, "TR"))].append(row)
    tu_by: dict[tuple[str, Evaluator], list[dict[str, str]]] = defaultdict(list)
    for row in data.tu:
        tu_by[(row.get("USUBJID", ""), _evaluator(row, "TU"))].append(row)
    rs_by: dict[tuple[str, Evaluator], list[dict[str, str]]] = defaultdict(list)
    for row in data.rs or []:
        rs_by[(row.get("USUBJID", ""), _evaluator(row, "RS"))].append(row)

    readings: list[SdtmReading] = []
    for (usubjid, evaluator), tr_rows in sorted(tr_by.items()):
        tu_rows = tu_by.get((usubjid, evaluator)) or tu_by.get(
            (usubjid, Evaluator(name="", identifier="")), []
        )
        if criteria is not None:
            names = [criteria]
        else:
            overall = [
                r
                for r in rs_by.get((usubjid, evaluator), [])
                if r.get("RSTESTCD", "").upper() == "OVRLRESP"
            ]
            names = _criteria_of(overall) or [RECIST11]
        for name in names:
            try:
                reading = _build_case(
                    usubjid, evaluator, name, tu_rows, tr_rows, options or {}
                )
            except _ReadingInputError as exc:
                reading = SdtmReading(
                    usubjid=usubjid,
                    evaluator=evaluator,
                    criteria=name,
                    case=None,
                    input_error=str(exc),
                )
            readings.append(reading)
    return readings
