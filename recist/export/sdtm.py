"""Export readings as CDISC SDTM TU, TR and RS (SDTMIG v3.4, RECIST 1.1 supplement).

One reading is one evaluator's assessments of one subject. Its lesions become
``TU`` records (``TUTESTCD = TUMIDENT``), its measurements and states ``TR``
records, and the engine's responses (:func:`recist.assess`) ``RS`` records. The
output is read back by :func:`recist.formats.sdtm.readings_from_sdtm`
(SDTM -> reading -> SDTM keeps every value a reading holds).

Column names, test codes and result terms follow the pharmaverse example data
(``pharmaversesdtm`` ``tu_onco``/``tr_onco``/``rs_onco``); see :func:`to_sdtm`
for the conventions where SDTM leaves room.

Examples
--------
>>> import datetime as dt
>>> from recist.model import Baseline, Lesion, Measurement, Reading, TimePoint
>>> t01 = Lesion(lesion_id="T01", role="TARGET", site="LIVER",
...              baseline=Measurement.of_mm("40"))
>>> reading = Reading(
...     subject_id="S1", reader="INVESTIGATOR",
...     baseline=Baseline(date=dt.date(2024, 1, 2), targets=(t01,)),
...     followups=(TimePoint(date=dt.date(2024, 2, 27),
...                          targets={"T01": Measurement.of_mm("28")}),))
>>> out = to_sdtm([reading], studyid="DEMO")
>>> for r in out.tr:
...     print(r["VISIT"], r["TRTESTCD"], r["TRORRES"])
BASELINE LDIAM 40
BASELINE SUMDIAM 40
WEEK 8 LDIAM 28
WEEK 8 SUMDIAM 28
>>> [(r["RSTESTCD"], r["RSORRES"]) for r in out.rs]
[('TRGRESP', 'PR'), ('OVRLRESP', 'PR')]
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from recist._atomic import replacing_dir
from recist.errors import InvalidInputError, RecistError
from recist.formats.schedule import VisitSchedule
from recist.model import Assessment, Measurement, NewLesion, Reading
from recist.terms import (
    Criteria,
    MeasurementKind,
    NewLesionStatus,
    NonTargetState,
    Response,
)

__all__ = [
    "EVALUATORS",
    "RS_COLUMNS",
    "TR_COLUMNS",
    "TU_COLUMNS",
    "SdtmExport",
    "VisitLabel",
    "VisitLike",
    "derive_visits",
    "evaluator_of",
    "load_inputs",
    "reading_from_sdtm",
    "to_sdtm",
    "write_sdtm",
]

logger = logging.getLogger(__name__)

# ----------------------------------------------------------------- variables

TU_COLUMNS: tuple[str, ...] = (
    "STUDYID",
    "DOMAIN",
    "USUBJID",
    "TUSEQ",
    "TULNKID",
    "TUTESTCD",
    "TUTEST",
    "TUORRES",
    "TUSTRESC",
    "TULOC",
    "TUMETHOD",
    "TUEVAL",
    "TUEVALID",
    "VISITNUM",
    "VISIT",
    "TUDTC",
    "TUDY",
)
TR_COLUMNS: tuple[str, ...] = (
    "STUDYID",
    "DOMAIN",
    "USUBJID",
    "TRSEQ",
    "TRGRPID",
    "TRLNKGRP",
    "TRLNKID",
    "TRTESTCD",
    "TRTEST",
    "TRORRES",
    "TRORRESU",
    "TRSTRESC",
    "TRSTRESN",
    "TRSTRESU",
    "TRSTAT",
    "TRREASND",
    "TRMETHOD",
    "TREVAL",
    "TREVALID",
    "VISITNUM",
    "VISIT",
    "TRDTC",
    "TRDY",
)
RS_COLUMNS: tuple[str, ...] = (
    "STUDYID",
    "DOMAIN",
    "USUBJID",
    "RSSEQ",
    "RSLNKGRP",
    "RSTESTCD",
    "RSTEST",
    "RSCAT",
    "RSORRES",
    "RSSTRESC",
    "RSSTAT",
    "RSREASND",
    "RSEVAL",
    "RSEVALID",
    "VISITNUM",
    "VISIT",
    "RSDTC",
    "RSDY",
)

INTEGER: frozenset[str] = frozenset({"TUSEQ", "TRSEQ", "RSSEQ"})
NUMERIC: frozenset[str] = frozenset(
    {"TUSEQ", "TRSEQ", "RSSEQ", "VISITNUM", "TUDY", "TRDY", "RSDY", "TRSTRESN"}
)

#: SDTMIG v3.4 variable labels (40 characters at most, for XPT).
LABELS: dict[str, str] = {
    "STUDYID": "Study Identifier",
    "DOMAIN": "Domain Abbreviation",
    "USUBJID": "Unique Subject Identifier",
    "VISITNUM": "Visit Number",
    "VISIT": "Visit Name",
    "TUSEQ": "Sequence Number",
    "TULNKID": "Link ID",
    "TUTESTCD": "Tumor/Lesion ID Short Name",
    "TUTEST": "Tumor/Lesion ID Test Name",
    "TUORRES": "Tumor/Lesion ID Result",
    "TUSTRESC": "Tumor/Lesion ID Result Std. Format",
    "TULOC": "Location of the Tumor/Lesion",
    "TUMETHOD": "Method of Identification",
    "TUEVAL": "Evaluator",
    "TUEVALID": "Evaluator Identifier",
    "TUDTC": "Date/Time of Tumor/Lesion Identification",
    "TUDY": "Study Day of Tumor/Lesion Identification",
    "TRSEQ": "Sequence Number",
    "TRGRPID": "Group ID",
    "TRLNKGRP": "Link Group ID",
    "TRLNKID": "Link ID",
    "TRTESTCD": "Tumor/Lesion Assessment Short Name",
    "TRTEST": "Tumor/Lesion Assessment Test Name",
    "TRORRES": "Result or Finding in Original Units",
    "TRORRESU": "Original Units",
    "TRSTRESC": "Character Result/Finding in Std Format",
    "TRSTRESN": "Numeric Result/Finding in Standard Units",
    "TRSTRESU": "Standard Units",
    "TRSTAT": "Completion Status",
    "TRREASND": "Reason Not Done",
    "TRMETHOD": "Method Used to Identify the Tumor/Lesion",
    "TREVAL": "Evaluator",
    "TREVALID": "Evaluator Identifier",
    "TRDTC": "Date/Time of Tumor/Lesion Measurement",
    "TRDY": "Study Day of Tumor/Lesion Measurement",
    "RSSEQ": "Sequence Number",
    "RSLNKGRP": "Link Group ID",
    "RSTESTCD": "Assessment Short Name",
    "RSTEST": "Assessment Name",
    "RSCAT": "Category for Assessment",
    "RSORRES": "Result or Finding in Original Units",
    "RSSTRESC": "Character Result/Finding in Std Format",
    "RSSTAT": "Completion Status",
    "RSREASND": "Reason Not Done",
    "RSEVAL": "Evaluator",
    "RSEVALID": "Evaluator Identifier",
    "RSACPTFL": "Accepted Record Flag",
    "RSDTC": "Date/Time of Assessment",
    "RSDY": "Study Day of Assessment",
}

DATASET_LABELS = {
    "TU": "Tumor/Lesion Identification",
    "TR": "Tumor/Lesion Results",
    "RS": "Disease Response and Clin Classification",
}

TR_TESTS = {
    "LDIAM": "Longest Diameter",
    "LPERP": "Longest Perpendicular",
    "SUMDIAM": "Sum of Diameter",
    "TUMSTATE": "Tumor State",
}
RS_TESTS = {
    "TRGRESP": "Target Response",
    "NTRGRESP": "Non-target Response",
    "NEWLPROG": "New Lesion Progression",
    "NEWLIND": "New Lesion Indicator",
    "OVRLRESP": "Overall Response",
}

#: Evaluator terms (CDISC codelist EVAL, C78735) recognised in ``Reading.reader``.
EVALUATORS = (
    "INVESTIGATOR",
    "INDEPENDENT ASSESSOR",
    "ADJUDICATION COMMITTEE",
    "SPONSOR",
    "VENDOR",
)

_NT_RESULT = {
    NonTargetState.PRESENT: "PRESENT",
    NonTargetState.ABSENT: "ABSENT",
    NonTargetState.UNEQUIVOCAL_PROGRESSION: "UNEQUIVOCAL",
}
_NEWLPROG = {NewLesionStatus.Y: "UNEQUIVOCAL", NewLesionStatus.EQUIVOCAL: "EQUIVOCAL"}


# -------------------------------------------------------------------- visits


class VisitLike(Protocol):
    """Anything with ``visitnum``, ``visit`` and ``dtc`` (e.g. ``SdtmVisit``)."""

    @property
    def visitnum(self) -> Decimal | None: ...  # noqa: D102

    @property
    def visit(self) -> str: ...  # noqa: D102

    @property
    def dtc(self) -> str: ...  # noqa: D102


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitLabel:
    """The SDTM visit of one assessment.

    Parameters
    ----------
    visitnum : Decimal or None
        ``VISITNUM``.
    visit : str
        ``VISIT`` (``"BASELINE"``, ``"WEEK 6"``).
    dtc : str
        ``--DTC`` as recorded (ISO 8601, may be partial such as ``"2014-02"``);
        ``""``: the reading's date.
    """

    visitnum: Decimal | None
    visit: str
    dtc: str = ""


def derive_visits(reading: Reading) -> tuple[VisitLabel, ...]:
    """Name the assessments of a reading that carries no visits.

    Parameters
    ----------
    reading : Reading
        The reading.

    Returns
    -------
    tuple of VisitLabel
        Baseline first, then one per follow-up.

    Notes
    -----
    1. Baseline: ``VISIT = "BASELINE"``, ``VISITNUM = 1``.
    2. The k-th follow-up: ``VISITNUM = k + 1`` and ``VISIT = "WEEK n"`` with
       ``n`` the days since baseline divided by 7, rounded half up.
    3. A follow-up whose ``WEEK n`` is already taken is ``"UNSCHEDULED k+1"``.

    Examples
    --------
    >>> import datetime as dt
    >>> from recist.model import Baseline, TimePoint
    >>> r = Reading(baseline=Baseline(date=dt.date(2024, 1, 1)),
    ...             followups=(TimePoint(date=dt.date(2024, 2, 11)),
    ...                        TimePoint(date=dt.date(2024, 2, 13))))
    >>> [(v.visit, int(v.visitnum)) for v in derive_visits(r)]
    [('BASELINE', 1), ('WEEK 6', 2), ('UNSCHEDULED 3', 3)]
    """
    start = reading.baseline.date
    labels = [VisitLabel(visitnum=Decimal(1), visit="BASELINE")]
    used = {"BASELINE"}
    for k, tp in enumerate(reading.followups, start=1):
        days = (tp.date - start).days
        week = (2 * days + 7) // 14  # round(days / 7), half up, in integers
        name = f"WEEK {week}"
        if name in used:
            name = f"UNSCHEDULED {k + 1}"
        used.add(name)
        labels.append(VisitLabel(visitnum=Decimal(k + 1), visit=name))
    return tuple(labels)


def evaluator_of(reader: str | None) -> tuple[str, str]:
    """Split ``Reading.reader`` into ``(--EVAL, --EVALID)``.

    Examples
    --------
    >>> evaluator_of(None), evaluator_of("INVESTIGATOR")
    (('INVESTIGATOR', ''), ('INVESTIGATOR', ''))
    >>> evaluator_of("INDEPENDENT ASSESSOR/RADIOLOGIST 1")
    ('INDEPENDENT ASSESSOR', 'RADIOLOGIST 1')
    >>> evaluator_of("Dr Who")
    ('INDEPENDENT ASSESSOR', 'Dr Who')
    """
    if reader is None or not reader.strip():
        return "INVESTIGATOR", ""
    text = reader.strip()
    head, sep, tail = text.partition("/")
    if head.strip().upper() in EVALUATORS:
        return head.strip().upper(), tail.strip() if sep else ""
    return "INDEPENDENT ASSESSOR", text


# -------------------------------------------------------------------- output


@dataclass(frozen=True, slots=True, kw_only=True)
class SdtmExport:
    """The exported datasets: one ``dict`` per record, columns as ``*_COLUMNS``."""

    tu: list[dict[str, Any]] = field(default_factory=list)
    tr: list[dict[str, Any]] = field(default_factory=list)
    rs: list[dict[str, Any]] = field(default_factory=list)
    rs_columns: tuple[str, ...] = RS_COLUMNS

    def tables(self) -> dict[str, tuple[list[dict[str, Any]], tuple[str, ...]]]:
        """Return ``{"TU": (records, columns), "TR": ..., "RS": ...}``."""
        return {
            "TU": (self.tu, TU_COLUMNS),
            "TR": (self.tr, TR_COLUMNS),
            "RS": (self.rs, self.rs_columns),
        }


def _num_text(value: Decimal) -> str:
    """Format mm as the reference files do: ``21``, ``32.32``, ``0``.

    >>> [_num_text(Decimal(t)) for t in ("21.0", "32.320", "1E+2", "0.00")]
    ['21', '32.32', '100', '0']
    """
    text = format(value.normalize(), "f")
    return text


def _study_day(date: dt.date | None, reference: dt.date) -> int | None:
    """SDTM study day: day 1 is the reference date; there is no day 0."""
    from recist.formats.schedule import study_day

    return None if date is None else study_day(date, reference)


def _full_date(dtc: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(dtc[:10]) if len(dtc) >= 10 else None
    except ValueError:
        return None


@dataclass(slots=True)
class _Context:
    studyid: str
    usubjid: str
    evaluator: tuple[str, str]
    method: str
    reference: dt.date
    group_prefix: str

    def common(self, domain: str) -> dict[str, Any]:
        return {"STUDYID": self.studyid, "DOMAIN": domain, "USUBJID": self.usubjid}

    def visit(self, domain: str, label: VisitLike, date: dt.date) -> dict[str, Any]:
        dtc = label.dtc or date.isoformat()
        day = _study_day(_full_date(dtc), self.reference)
        return {
            "VISITNUM": None if label.visitnum is None else float(label.visitnum),
            "VISIT": label.visit,
            f"{domain}DTC": dtc,
            f"{domain}DY": day,
        }


def _tr_row(
    ctx: _Context,
    visit: dict[str, Any],
    *,
    group: str,
    link_group: str,
    lesion_id: str,
    test: str,
    result: str = "",
    number: Decimal | None = None,
    not_done: bool = False,
    reason: str = "",
) -> dict[str, Any]:
    unit = "mm" if number is not None else ""
    return {
        **ctx.common("TR"),
        "TRGRPID": group,
        "TRLNKGRP": link_group,
        "TRLNKID": lesion_id,
        "TRTESTCD": test,
        "TRTEST": TR_TESTS[test],
        "TRORRES": result,
        "TRORRESU": unit,
        "TRSTRESC": result,
        "TRSTRESN": None if number is None else float(number),
        "TRSTRESU": unit,
        "TRSTAT": "NOT DONE" if not_done else "",
        "TRREASND": reason if not_done else "",
        "TRMETHOD": ctx.method,
        "TREVAL": ctx.evaluator[0],
        "TREVALID": ctx.evaluator[1],
        **visit,
    }


def _measurement_rows(
    ctx: _Context,
    visit: dict[str, Any],
    link_group: str,
    lesion_id: str,
    nodal: bool,
    m: Measurement | None,
) -> list[dict[str, Any]]:
    test = "LPERP" if nodal else "LDIAM"

    def row(
        lesion: str, result: str = "", number: Decimal | None = None, why: str = ""
    ) -> Any:
        return _tr_row(
            ctx,
            visit,
            group="TARGET",
            link_group=link_group,
            lesion_id=lesion,
            test=test,
            result=result,
            number=number,
            not_done=not result,
            reason=why,
        )

    if m is None or m.kind is MeasurementKind.NOT_EVALUATED:
        return [row(lesion_id, why=(m.reason_not_done or "") if m else "")]
    if m.kind is MeasurementKind.TOO_SMALL:
        return [row(lesion_id, MeasurementKind.TOO_SMALL.value)]
    if m.kind is MeasurementKind.SPLIT:
        return [
            row(f"{lesion_id}.{k}", _num_text(part), part)
            for k, part in enumerate(m.fragments_mm, start=1)
        ]
    value = m.value_mm  # MEASURED, or COALESCED (0: its size is in the other)
    if value is None:  # pragma: no cover - MEASURED and COALESCED have one
        return [row(lesion_id)]
    return [row(lesion_id, _num_text(value), value)]


def _new_lesion_rows(
    ctx: _Context, visit: dict[str, Any], link_group: str, new: NewLesion
) -> list[dict[str, Any]]:
    if not new.present:
        state = "ABSENT"
    else:
        state = "EQUIVOCAL" if new.equivocal else "UNEQUIVOCAL"

    def row(test: str, result: str, number: Decimal | None = None) -> Any:
        return _tr_row(
            ctx,
            visit,
            group="NEW",
            link_group=link_group,
            lesion_id=new.lesion_id,
            test=test,
            result=result,
            number=number,
        )

    rows = [row("TUMSTATE", state)]
    d = new.diameter_mm
    if d is not None:
        rows.append(row("LPERP" if new.nodal else "LDIAM", _num_text(d), d))
    return rows


def _tu_row(
    ctx: _Context,
    visit: dict[str, Any],
    lesion_id: str,
    role: str,
    site: str,
) -> dict[str, Any]:
    tu_visit = {k.replace("TR", "TU", 1): v for k, v in visit.items()}
    return {
        **ctx.common("TU"),
        "TULNKID": lesion_id,
        "TUTESTCD": "TUMIDENT",
        "TUTEST": "Tumor Identification",
        "TUORRES": role,
        "TUSTRESC": role,
        "TULOC": site,
        "TUMETHOD": ctx.method,
        "TUEVAL": ctx.evaluator[0],
        "TUEVALID": ctx.evaluator[1],
        **tu_visit,
    }


def _rs_row(
    ctx: _Context,
    visit: dict[str, Any],
    criteria: Criteria,
    test: str,
    result: str,
    link_group: str = "",
) -> dict[str, Any]:
    rs_visit = {k.replace("TR", "RS", 1): v for k, v in visit.items()}
    return {
        **ctx.common("RS"),
        "RSLNKGRP": link_group,
        "RSTESTCD": test,
        "RSTEST": RS_TESTS[test],
        "RSCAT": criteria.value,
        "RSORRES": result,
        "RSSTRESC": result,
        "RSSTAT": "",
        "RSREASND": "",
        "RSEVAL": ctx.evaluator[0],
        "RSEVALID": ctx.evaluator[1],
        **rs_visit,
    }


def _tu_tr_rows(
    ctx: _Context,
    reading: Reading,
    assessment: Assessment,
    labels: Sequence[VisitLike],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    tu: list[dict[str, Any]] = []
    tr: list[dict[str, Any]] = []
    base = reading.baseline
    visit = ctx.visit("TR", labels[0], base.date)
    group = f"{ctx.group_prefix}A1"
    for lesion in base.targets:
        tu.append(_tu_row(ctx, visit, lesion.lesion_id, "TARGET", lesion.site))
    for lesion in base.non_targets:
        tu.append(_tu_row(ctx, visit, lesion.lesion_id, "NON-TARGET", lesion.site))
    for lesion in base.targets:
        tr += _measurement_rows(
            ctx, visit, group, lesion.lesion_id, lesion.nodal, lesion.baseline
        )
    if base.targets and assessment.baseline_sum_mm is not None:
        s = assessment.baseline_sum_mm
        tr.append(
            _tr_row(
                ctx,
                visit,
                group="TARGET",
                link_group=group,
                lesion_id="",
                test="SUMDIAM",
                result=_num_text(s),
                number=s,
            )
        )
    for lesion in base.non_targets:
        tr.append(
            _tr_row(
                ctx,
                visit,
                group="NON-TARGET",
                link_group=group,
                lesion_id=lesion.lesion_id,
                test="TUMSTATE",
                result="PRESENT",
            )
        )
    identified: set[str] = set()
    for k, (tp, point) in enumerate(
        zip(reading.followups, assessment.timepoints, strict=True), start=2
    ):
        visit = ctx.visit("TR", labels[k - 1], tp.date)
        group = f"{ctx.group_prefix}A{k}"
        for new in tp.new_lesions:
            if new.lesion_id not in identified:
                identified.add(new.lesion_id)
                tu.append(_tu_row(ctx, visit, new.lesion_id, "NEW", new.site))
        for lesion in base.targets:
            m = tp.targets.get(lesion.lesion_id)
            tr += _measurement_rows(
                ctx, visit, group, lesion.lesion_id, lesion.nodal, m
            )
        if base.targets and point.sum_mm is not None:
            s = point.sum_mm
            tr.append(
                _tr_row(
                    ctx,
                    visit,
                    group="TARGET",
                    link_group=group,
                    lesion_id="",
                    test="SUMDIAM",
                    result=_num_text(s),
                    number=s,
                )
            )
        for lesion in base.non_targets:
            state = tp.non_targets.get(lesion.lesion_id, NonTargetState.NOT_EVALUATED)
            result = _NT_RESULT.get(state, "")
            tr.append(
                _tr_row(
                    ctx,
                    visit,
                    group="NON-TARGET",
                    link_group=group,
                    lesion_id=lesion.lesion_id,
                    test="TUMSTATE",
                    result=result,
                    not_done=not result,
                )
            )
        for new in tp.new_lesions:
            tr += _new_lesion_rows(ctx, visit, group, new)
    return tu, tr


def _rs_rows(
    ctx: _Context,
    reading: Reading,
    assessment: Assessment,
    labels: Sequence[VisitLike],
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    criteria = assessment.criteria
    for k, (tp, point) in enumerate(
        zip(reading.followups, assessment.timepoints, strict=True), start=2
    ):
        visit = ctx.visit("TR", labels[k - 1], tp.date)
        group = f"{ctx.group_prefix}A{k}"
        for test, assessed in (
            ("TRGRESP", point.target),
            ("NTRGRESP", point.non_target),
        ):
            if assessed.value is not Response.NA:
                rows.append(_rs_row(ctx, visit, criteria, test, assessed.value.value))
        new = point.new_lesions.value
        if criteria is Criteria.IRECIST:
            flag = "N" if new is NewLesionStatus.N else "Y"
            rows.append(_rs_row(ctx, visit, criteria, "NEWLIND", flag))
        elif new in _NEWLPROG:
            rows.append(_rs_row(ctx, visit, criteria, "NEWLPROG", _NEWLPROG[new]))
        overall = point.overall.value.value
        rows.append(_rs_row(ctx, visit, criteria, "OVRLRESP", overall, group))
    return rows


def _visit_labels(
    reading: Reading, visits: Sequence[VisitLike] | None
) -> Sequence[VisitLike]:
    if visits is None:
        return derive_visits(reading)
    if len(visits) != 1 + len(reading.followups):
        msg = (
            f"{reading.subject_id}: {len(visits)} visits given for "
            f"{1 + len(reading.followups)} assessments (baseline + follow-ups)"
        )
        raise InvalidInputError(msg)
    return visits


def _renumber(rows: list[dict[str, Any]], seq: str) -> None:
    counters: dict[str, int] = {}
    for row in rows:
        n = counters.get(row["USUBJID"], 0) + 1
        counters[row["USUBJID"]] = n
        row[seq] = n


def to_sdtm(
    readings: Iterable[Reading],
    *,
    studyid: str = "RECIST",
    visits: Sequence[Sequence[VisitLike] | None] | None = None,
    reference_dates: Mapping[str, dt.date] | None = None,
    method: str = "CT SCAN",
    assessments: Sequence[Assessment] | None = None,
    schedule: VisitSchedule | None = None,
    domains: Sequence[str] = ("TU", "TR", "RS"),
    accepted: Sequence[bool] | None = None,
) -> SdtmExport:
    """Build SDTM TU, TR and RS records from readings.

    Parameters
    ----------
    readings : iterable of Reading
        Each needs ``subject_id`` (USUBJID). ``reader`` gives --EVAL/--EVALID
        (:func:`evaluator_of`).
    studyid : str
        ``STUDYID``.
    visits : sequence, optional
        Per reading, its visits (baseline then follow-ups), e.g. the
        ``SdtmReading.visits`` it was read from; ``None`` (or a ``None`` entry):
        :func:`derive_visits`.
    reference_dates : mapping of USUBJID to date, optional
        Day 1 of ``--DY`` (DM ``RFSTDTC``); default: the baseline date.
    method : str
        ``TUMETHOD``/``TRMETHOD`` (a reading does not record the modality).
    assessments : sequence of Assessment, optional
        ``recist.assess`` of each reading, when already computed.
    schedule : VisitSchedule, optional
        The protocol's visits: VISITNUM/VISIT of readings without given visits
        come from it (unscheduled ``x.01``), study days from ``reference_dates``.
    domains : sequence of str
        The domains to build (ADaM needs RS only, for RSSEQ).
    accepted : sequence of bool, optional
        Per reading, whether it is the accepted read (central review): RS then
        gets ``RSACPTFL`` (after ``RSEVALID``), ``"Y"`` on the accepted
        reading's records and empty on the others, as admiralonco expects.

    Returns
    -------
    SdtmExport

    Raises
    ------
    InvalidInputError
        A reading without ``subject_id``, a visit list of the wrong length, or two
        readings of one subject and evaluator with different lesions.
    RuleViolation
        A reading the engine rejects (e.g. a 7 mm target): its responses cannot
        be exported.

    Notes
    -----
    1. TU: one ``TUMIDENT`` record per baseline target (``TUORRES = TARGET``)
       and non-target (``NON-TARGET``) at the baseline visit, and per new lesion
       (``NEW``) at the first visit listing it. ``TULNKID`` is the lesion id,
       ``TULOC`` its site.
    2. TR (``TRLNKID`` = ``TULNKID``): a target's RECIST value is ``LDIAM``, for
       a lymph node ``LPERP`` (short axis). Not evaluated (or left out):
       ``TRSTAT = NOT DONE``, empty result. Too small: ``TRORRES = TRSTRESC =
       "TOO SMALL TO MEASURE"`` (the sum counts 5 mm). A split lesion: one record
       per fragment, ``T01.1``, ``T01.2``. A coalesced lesion: 0 (the merged size
       is on the lesion it joined; the link itself is not exported). ``SUMDIAM``
       per visit (empty ``TRLNKID``) when the engine can sum; none when a target
       is not evaluated. Non-targets: ``TUMSTATE`` PRESENT / ABSENT /
       UNEQUIVOCAL, not evaluated: NOT DONE. New lesions: ``TUMSTATE`` EQUIVOCAL
       / UNEQUIVOCAL (ABSENT at size 0) and their size when measured.
    3. RS (``RSCAT`` = the criteria): ``TRGRESP`` and ``NTRGRESP`` unless NA
       (no such lesions), ``NEWLPROG`` only when a new lesion is present
       (UNEQUIVOCAL or EQUIVOCAL, as the pharmaverse data), iRECIST ``NEWLIND``
       (Y/N) instead, and ``OVRLRESP``. Values are the engine's.
    4. ``TRLNKGRP``/``RSLNKGRP`` link a visit's measurements to its overall
       response: ``A1`` (baseline), ``A2``...; readings of the same subject other
       than the investigator's are prefixed ``R1-``, ``R2-`` (pharmaverse style).
    5. ``--SEQ`` numbers each subject's records in order. Dates (``--DTC``) are
       the visit's recorded ``dtc`` when given, else the reading's dates.
    6. The same subject and evaluator under two criteria (RECIST 1.1 and
       iRECIST) share TU/TR; each adds its RS.
    """
    from recist.assessment import assess

    readings = list(readings)
    if assessments is None:
        assessments = [assess(r) for r in readings]
    if visits is None:
        visits = [None] * len(readings)
    flags = [None] * len(readings) if accepted is None else list(accepted)
    if len(flags) != len(readings):
        raise InvalidInputError("give one accepted flag per reading")
    out = SdtmExport()
    if accepted is not None:
        k = RS_COLUMNS.index("RSEVALID") + 1
        out = SdtmExport(rs_columns=(*RS_COLUMNS[:k], "RSACPTFL", *RS_COLUMNS[k:]))
    prefixes: dict[str, dict[tuple[str, str], str]] = {}
    shared: dict[tuple[str, str, str], Reading] = {}
    for reading, assessment, given, flag in zip(
        readings, assessments, visits, flags, strict=True
    ):
        usubjid = reading.subject_id
        if not usubjid:
            msg = f"reading {reading.case_id or ''} has no subject_id (USUBJID)"
            raise InvalidInputError(msg.replace("  ", " "))
        evaluator = evaluator_of(reading.reader)
        subject = prefixes.setdefault(usubjid, {})
        if evaluator not in subject:
            first_investigator = evaluator == ("INVESTIGATOR", "") and "" not in (
                subject.values()
            )
            others = sum(1 for p in subject.values() if p)
            subject[evaluator] = "" if first_investigator else f"R{others + 1}-"
        reference = (reference_dates or {}).get(usubjid, reading.baseline.date)
        ctx = _Context(
            studyid=studyid,
            usubjid=usubjid,
            evaluator=evaluator,
            method=method,
            reference=reference,
            group_prefix=subject[evaluator],
        )
        if given is None and schedule is not None:
            dates = [reading.baseline.date, *(tp.date for tp in reading.followups)]
            given = schedule.label(dates, reference)
        labels = _visit_labels(reading, given)
        key = (usubjid, *evaluator)
        seen = shared.get(key)
        if seen is None:
            shared[key] = reading
            if "TU" in domains or "TR" in domains:
                tu, tr = _tu_tr_rows(ctx, reading, assessment, labels)
                out.tu.extend(tu)
                out.tr.extend(tr)
        elif (seen.baseline, seen.followups) != (reading.baseline, reading.followups):
            msg = (
                f"{usubjid} {'/'.join(evaluator)}: two readings with different lesions"
            )
            raise InvalidInputError(msg)
        if "RS" in domains:
            rs = _rs_rows(ctx, reading, assessment, labels)
            if flag is not None:
                for row in rs:
                    row["RSACPTFL"] = "Y" if flag else ""
            out.rs.extend(rs)
    _renumber(out.tu, "TUSEQ")
    _renumber(out.tr, "TRSEQ")
    _renumber(out.rs, "RSSEQ")
    return out


def _owned(name: str) -> bool:
    """Files of an earlier export in the folder, dropped if not written again."""
    stem, _, suffix = name.partition(".")
    return stem in ("tu", "tr", "rs") and suffix in ("csv", "xpt")


def write_sdtm(
    export: SdtmExport, outdir: str | Path, *, fmt: str = "csv"
) -> list[Path]:
    """Write ``tu``, ``tr`` and ``rs`` as ``.csv`` and/or ``.xpt`` into ``outdir``.

    Parameters
    ----------
    export : SdtmExport
    outdir : str or Path
        Created if missing.
    fmt : {"csv", "xpt", "both"}

    Returns
    -------
    list of Path
        The files written (``tu.csv``, ``tr.csv``, ``rs.csv``, ``tu.xpt``...).
    """
    from recist.export._xpt import write_csv, write_xpt

    if fmt not in ("csv", "xpt", "both"):
        raise InvalidInputError(f"unknown format {fmt!r} (csv, xpt or both)")
    folder = Path(outdir)
    made: list[Path] = []
    # the set is written into a sibling folder and swapped in whole (locked)
    with replacing_dir(folder, owns=_owned) as tmp:
        for name, (records, columns) in export.tables().items():
            stem = tmp / name.lower()
            if fmt in ("csv", "both"):
                path = stem.with_suffix(".csv")
                made.append(
                    write_csv(path, records, columns, numeric=NUMERIC, integer=INTEGER)
                )
            if fmt in ("xpt", "both"):
                made.append(
                    write_xpt(
                        stem.with_suffix(".xpt"),
                        records,
                        columns,
                        name=name,
                        label=DATASET_LABELS[name],
                        labels=LABELS,
                        numeric=NUMERIC,
                    )
                )
    return [folder / p.name for p in made]


# ------------------------------------------------------------ SDTM as input


def reading_from_sdtm(sdtm_reading: Any) -> tuple[Reading, tuple[VisitLike, ...]]:
    """Turn a :class:`recist.formats.sdtm.SdtmReading` into a reading and visits.

    The reading gets ``subject_id = USUBJID`` and ``reader = EVAL/EVALID``; the
    visits keep ``VISIT``, ``VISITNUM`` and the recorded ``--DTC``, so that
    :func:`to_sdtm` writes them back unchanged.

    Raises
    ------
    InvalidInputError
        The SDTM records could not be turned into a case (``input_error``).
    """
    from dataclasses import replace

    from recist.formats.case import load_case

    if sdtm_reading.case is None:
        msg = f"{sdtm_reading.usubjid}: {sdtm_reading.input_error}"
        raise InvalidInputError(msg)
    reading = replace(
        load_case(sdtm_reading.case),
        subject_id=sdtm_reading.usubjid,
        reader=sdtm_reading.evaluator.label,
    )
    return reading, tuple(sdtm_reading.visits)


def load_inputs(
    paths: Sequence[str], sdtm: str | None
) -> tuple[list[Reading], list[Sequence[VisitLike] | None], list[str]]:
    """Load reading files and/or an SDTM folder; return readings, visits, skipped.

    ``skipped`` lists the SDTM readings that could not be converted, with why.
    """
    from recist.formats.reading import load_reading

    readings: list[Reading] = []
    visits: list[Sequence[VisitLike] | None] = []
    skipped: list[str] = []
    seen: dict[tuple[str | None, str | None], str] = {}
    for path in paths:
        reading = load_reading(path)
        key = (reading.subject_id, reading.reader)
        if key in seen:  # its TU/TR merge, but RS would hold every response twice
            msg = (
                f"{path}: same subject {key[0]!r} and reader {key[1]!r} as "
                f"{seen[key]}; give each reading once"
            )
            raise InvalidInputError(msg, location=str(path))
        seen[key] = str(path)
        readings.append(reading)
        visits.append(None)
    if sdtm is not None:
        from recist.formats.sdtm import read_sdtm, readings_from_sdtm

        for item in readings_from_sdtm(read_sdtm(sdtm)):
            try:
                reading, labels = reading_from_sdtm(item)
            except RecistError as exc:
                skipped.append(f"{item.usubjid} {item.evaluator.label}: {exc}")
                continue
            readings.append(reading)
            visits.append(labels)
    return readings, visits, skipped
