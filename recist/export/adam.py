"""Export readings as CDISC ADaM ADRS, ADTR (SDIAM) and ADTTE (PFS, DOR).

Variable names, parameter texts and codings follow the pharmaverse examples
(``pharmaverseadam`` ``adrs_onco``/``adtr_onco``/``adtte_onco``, ``admiralonco``
``admiral_adrs``).  Responses are the engine's (:func:`recist.assess`).  With
DM/ADSL given, ADRS/ADTR/ADTTE carry ``ARM``, ``ACTARM``, ``TRT01P``,
``TRT01A`` and the analysis-set flags, and ``ADY`` counts from ``RFSTDTC``.

Examples
--------
>>> import datetime as dt
>>> from recist.model import Baseline, Lesion, Measurement, Reading, TimePoint
>>> t01 = Lesion(lesion_id="T01", role="TARGET", site="LIVER",
...              baseline=Measurement.of_mm("40"))
>>> reading = Reading(
...     subject_id="S1", baseline=Baseline(date=dt.date(2024, 1, 2), targets=(t01,)),
...     followups=tuple(TimePoint(date=dt.date(2024, m, 27),
...                               targets={"T01": Measurement.of_mm("28")})
...                     for m in (2, 4)))
>>> out = to_adam([reading])
>>> for r in out.adrs:
...     print(r["PARAMCD"], r["AVALC"], r["AVAL"], r["ADT"])
OVR PR 2 2024-02-27
OVR PR 2 2024-04-27
BOR PR 2 2024-02-27
CBOR PR 2 2024-02-27
RSP Y 1 2024-02-27
CRSP Y 1 2024-02-27
CB Y 1 2024-02-27
CCB Y 1 2024-02-27
>>> for r in out.adtr:
...     print(r["AVISIT"], r["AVAL"], r["PCHG"], r["NADIR"])
BASELINE 40.0 0.0 None
WEEK 8 28.0 -30.0 40.0
WEEK 17 28.0 -30.0 28.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from recist._atomic import replacing_dir
from recist.errors import InvalidInputError
from recist.export.sdtm import (
    VisitLike,
    derive_visits,
    evaluator_of,
    to_sdtm,
)
from recist.formats.schedule import VisitSchedule
from recist.model import Assessment, Reading
from recist.report.tte import TteRules
from recist.rules._numeric import pct_change
from recist.terms import Response

__all__ = [
    "ADRS_COLUMNS",
    "ADTR_COLUMNS",
    "AVAL_CODES",
    "AdamExport",
    "to_adam",
    "write_adam",
]

#: ADSL variables copied onto every record (empty without DM/ADSL).
ADSL_COLUMNS: tuple[str, ...] = ("ARM", "ACTARM", "TRT01P", "TRT01A", "SAFFL")
#: Analysis-set flags added as columns when the DM/ADSL holds them.
FLAG_COLUMNS: tuple[str, ...] = ("ITTFL", "FASFL", "EFFFL", "RANDFL", "PPROTFL")

ADRS_COLUMNS: tuple[str, ...] = (
    "STUDYID", "USUBJID", *ADSL_COLUMNS, "ASEQ", "PARAMCD", "PARAM", "PARCAT1",
    "PARCAT2", "PARCAT3", "AVALC", "AVAL", "ADT", "ADY", "ADTF", "AVISIT",
    "ANL01FL", "ANL02FL", "VISITNUM", "VISIT", "RSEVAL", "RSEVALID", "RSDTC",
    "RSSEQ",
)  # fmt: skip
ADTR_COLUMNS: tuple[str, ...] = (
    "STUDYID", "USUBJID", *ADSL_COLUMNS, "ASEQ", "PARAMCD", "PARAM", "PARCAT1",
    "PARCAT2",
    "PARCAT3", "AVAL", "BASE", "CHG", "PCHG", "NADIR", "CHGNAD", "PCHGNAD",
    "ABLFL", "ANL01FL", "ANL02FL", "ANL03FL", "ANL04FL", "PDFL", "ADT", "ADTF",
    "ADY", "AVISIT", "AVISITN", "LSEXP", "LSASS", "TREVAL", "TREVALID",
    "VISITNUM", "VISIT", "TRDTC",
)  # fmt: skip
_INTEGER = frozenset({"ASEQ", "RSSEQ", "CNSR", "ADY"})
_NUMERIC = frozenset(
    {"ASEQ", "AVAL", "VISITNUM", "RSSEQ", "BASE", "CHG", "PCHG", "NADIR", "CHGNAD"}
    | {"PCHGNAD", "ADY", "AVISITN", "ADT", "STARTDT", "CNSR"}
)
_DATES = frozenset({"ADT", "STARTDT"})

LABELS: dict[str, str] = {
    "ARM": "Description of Planned Arm",
    "ACTARM": "Description of Actual Arm",
    "TRT01P": "Planned Treatment for Period 01",
    "TRT01A": "Actual Treatment for Period 01",
    "SAFFL": "Safety Population Flag",
    "ITTFL": "Intent-To-Treat Population Flag",
    "FASFL": "Full Analysis Set Population Flag",
    "EFFFL": "Efficacy Population Flag",
    "RANDFL": "Randomized Population Flag",
    "PPROTFL": "Per-Protocol Population Flag",
    "STUDYID": "Study Identifier",
    "USUBJID": "Unique Subject Identifier",
    "ASEQ": "Analysis Sequence Number",
    "PARAMCD": "Parameter Code",
    "PARAM": "Parameter",
    "PARCAT1": "Parameter Category 1",
    "PARCAT2": "Parameter Category 2",
    "PARCAT3": "Parameter Category 3",
    "AVALC": "Analysis Value (C)",
    "AVAL": "Analysis Value",
    "ADT": "Analysis Date",
    "ADTF": "Analysis Date Imputation Flag",
    "ADY": "Analysis Relative Day",
    "AVISIT": "Analysis Visit",
    "AVISITN": "Analysis Visit (N)",
    "ANL01FL": "Analysis Flag 01",
    "ANL02FL": "Analysis Flag 02",
    "ANL03FL": "Analysis Flag 03",
    "ANL04FL": "Analysis Flag 04",
    "VISITNUM": "Visit Number",
    "VISIT": "Visit Name",
    "RSEVAL": "Evaluator",
    "RSEVALID": "Evaluator Identifier",
    "RSDTC": "Date/Time of Assessment",
    "RSSEQ": "Sequence Number",
    "BASE": "Baseline Value",
    "CHG": "Change from Baseline",
    "PCHG": "Percent Change from Baseline",
    "NADIR": "Nadir",
    "CHGNAD": "Change from Nadir",
    "PCHGNAD": "Percent Change from Nadir",
    "ABLFL": "Baseline Record Flag",
    "PDFL": "Progressive Disease Flag",
    "LSEXP": "Lesions Expected",
    "LSASS": "Lesions Assessed",
    "TREVAL": "Evaluator",
    "TREVALID": "Evaluator Identifier",
    "TRDTC": "Date/Time of Tumor/Lesion Measurement",
}

#: AVAL of a response (admiralonco ``aval_resp``); iRECIST terms as their
#: RECIST 1.1 counterparts (iUPD and iCPD: 5), MISSING: no assessment.
AVAL_CODES: dict[str, int] = {
    "CR": 1, "iCR": 1, "PR": 2, "iPR": 2, "SD": 3, "iSD": 3,
    "NON-CR/NON-PD": 4, "NON-iCR/NON-iUPD": 4, "PD": 5, "iUPD": 5, "iCPD": 5,
    "NE": 6, "MISSING": 7,
}  # fmt: skip

_PD = (Response.PD, Response.ICPD)


@dataclass(frozen=True, slots=True, kw_only=True)
class AdamExport:
    """The ADRS, ADTR and ADTTE records (``dict`` per record) and their columns.

    ``flags`` are the analysis-set flag columns the DM/ADSL held (after the
    ``*_COLUMNS``).
    """

    adrs: list[dict[str, Any]] = field(default_factory=list)
    adtr: list[dict[str, Any]] = field(default_factory=list)
    adtte: list[dict[str, Any]] = field(default_factory=list)
    flags: tuple[str, ...] = ()


def _adsl(data: Any, flags: Sequence[str]) -> dict[str, Any]:
    """ADSL variables of a subject (TRT01P/TRT01A from ARM/ACTARM if absent)."""
    if data is None:
        return dict.fromkeys((*ADSL_COLUMNS, *flags), "")
    arm, act = data.get("ARM"), data.get("ACTARM")
    return {
        "ARM": arm,
        "ACTARM": act,
        "TRT01P": data.get("TRT01P") or arm,
        "TRT01A": data.get("TRT01A") or act,
        "SAFFL": data.get("SAFFL"),
        **{f: data.get(f) for f in flags},
    }


def _who(evaluator: tuple[str, str]) -> str:
    """``Investigator``, ``Independent Assessor``: the PARAM suffix and PARCAT2."""
    return evaluator[0].title()


def _imputation(dtc: str) -> str:
    """ADTF of a date taken from ``dtc``: D (day imputed), M (month), or ''."""
    if len(dtc) >= 10:
        return ""
    return "D" if len(dtc) == 7 else "M"


def _day(date: dt.date, reference: dt.date) -> int:
    delta = (date - reference).days
    return delta + 1 if delta >= 0 else delta


def _bor_date(assessment: Assessment, confirmed: bool) -> int | None:
    """Index of the follow-up that dates the best overall response.

    CR/PR: the first assessment of that response (confirmed BOR: the first one
    that was confirmed).  Otherwise the first follow-up ``k`` from which the BOR
    of the responses up to ``k`` is the final BOR (the engine's own BOR rule on
    the prefix of its time-point responses).
    """
    from recist.rules.best_response import (
        Assessment1,
        best_overall_response,
        first_confirmed_response,
    )

    bor = (
        assessment.best_overall_response_confirmed
        if confirmed
        else assessment.best_overall_response_unconfirmed
    )
    final = bor.value
    points = assessment.timepoints
    seq = [Assessment1(date=p.date, value=p.overall.value) for p in points]
    if final.value in ("CR", "PR", "iCR", "iPR"):
        if confirmed:
            opts = assessment.reading.options
            for j, p in enumerate(points):
                if p.overall.value is not final:
                    continue
                first = first_confirmed_response(
                    seq[j:],
                    criteria=assessment.criteria,
                    confirmation_min_days=opts.confirmation_min_days,
                )
                if first is not None and first.date == p.date:
                    return j
        for j, p in enumerate(points):
            if p.overall.value is final:
                return j
        return None
    inputs = bor.inputs
    for k in range(len(seq)):
        got = best_overall_response(
            seq[: k + 1],
            baseline_date=inputs.get("baseline_date", assessment.reading.baseline.date),  # type: ignore[arg-type]
            criteria=assessment.criteria,
            confirmation=confirmed,
            confirmation_min_days=inputs["confirmation_min_days"],  # type: ignore[arg-type]
            sd_min_days=inputs["sd_min_days"],  # type: ignore[arg-type]
            non_target_only=not assessment.reading.baseline.targets,
        )
        if got.value is final:
            return k
    return None


_RESPONDERS = frozenset({"CR", "PR", "iCR", "iPR"})
_BENEFIT = _RESPONDERS | {"SD", "NON-CR/NON-PD", "iSD", "NON-iCR/NON-iUPD"}

#: The derived ADRS parameters: (PARAMCD, PARAM text with {who}, confirmed,
#: which BOR values are "Y"; None: the BOR itself).
_PARAMS: tuple[tuple[str, str, bool, frozenset[str] | None], ...] = (
    ("BOR", "Best Overall Response by {who} (confirmation not required)", False, None),
    ("CBOR", "Best Confirmed Overall Response by {who}", True, None),
    ("RSP", "Response by {who} (confirmation not required)", False, _RESPONDERS),
    ("CRSP", "Confirmed Response by {who}", True, _RESPONDERS),
    ("CB", "Clinical Benefit by {who} (confirmation for response not required)",
     False, _BENEFIT),
    ("CCB", "Confirmed Clinical Benefit by {who}", True, _BENEFIT),
)  # fmt: skip


def _adrs_rows(
    studyid: str,
    reading: Reading,
    assessment: Assessment,
    labels: Sequence[VisitLike],
    rsseq: Mapping[tuple[str, str, str, str, str], int],
    reference: dt.date,
    adsl: Mapping[str, Any],
) -> list[dict[str, Any]]:
    usubjid = reading.subject_id or ""
    evaluator = evaluator_of(reading.reader)
    who = _who(evaluator)
    criteria = assessment.criteria.value
    irecist = criteria == "iRECIST"
    prefix = "I" if irecist else ""
    suffix = " (iRECIST)" if irecist else ""
    common = {
        "STUDYID": studyid,
        "USUBJID": usubjid,
        **adsl,
        "PARCAT1": "Tumor Response",
        "PARCAT2": who,
        "PARCAT3": criteria,
        "RSEVAL": evaluator[0],
        "RSEVALID": evaluator[1],
        "ADT": None,
        "ADY": None,
        "ADTF": "",
        "AVISIT": "",
        "VISITNUM": None,
        "VISIT": "",
        "RSDTC": "",
        "RSSEQ": None,
    }

    def visit(k: int) -> dict[str, Any]:
        label = labels[k + 1]
        date = reading.followups[k].date
        dtc = label.dtc or date.isoformat()
        key = (usubjid, *evaluator, criteria, label.visit)
        return {
            "ADT": date.isoformat(),
            "ADY": _day(date, reference),
            "ADTF": _imputation(dtc),
            "AVISIT": label.visit,
            "VISITNUM": None if label.visitnum is None else float(label.visitnum),
            "VISIT": label.visit,
            "RSDTC": dtc,
            "RSSEQ": rsseq.get(key),
        }

    rows: list[dict[str, Any]] = []
    for k, point in enumerate(assessment.timepoints):
        value = point.overall.value.value
        rows.append(
            {
                **common,
                "PARAMCD": f"{prefix}OVR",
                "PARAM": f"Overall Response by {who}{suffix}",
                "AVALC": value,
                "AVAL": AVAL_CODES.get(value),
                "ANL01FL": "Y",
                "ANL02FL": "Y",
                **visit(k),
            }
        )
    dated = {c: _bor_date(assessment, c) for c in (False, True)}
    for code, text, confirmed, yes in _PARAMS:
        row: dict[str, Any] = {
            **common,
            "PARAMCD": f"{prefix}{code}",
            "PARAM": text.format(who=who) + suffix,
        }
        bor = (
            assessment.best_overall_response_confirmed
            if confirmed
            else assessment.best_overall_response_unconfirmed
        ).value.value
        when = dated[confirmed]
        if yes is not None:
            flag = bool(assessment.timepoints) and bor in yes
            row |= {"AVALC": "Y" if flag else "N", "AVAL": 1 if flag else 0}
            if flag and when is not None:
                row |= visit(when)
        elif not assessment.timepoints:
            row |= {"AVALC": "MISSING", "AVAL": AVAL_CODES["MISSING"]}
        else:
            row |= {"AVALC": bor, "AVAL": AVAL_CODES.get(bor)}
            if when is not None:
                row |= visit(when)
        row |= {"ANL01FL": "Y", "ANL02FL": "Y"}
        rows.append(row)
    return rows


def _adtr_rows(
    studyid: str,
    reading: Reading,
    assessment: Assessment,
    labels: Sequence[VisitLike],
    reference: dt.date,
    adsl: Mapping[str, Any],
) -> list[dict[str, Any]]:
    targets = reading.baseline.targets
    if not targets:
        return []
    evaluator = evaluator_of(reading.reader)
    who = _who(evaluator)
    expected = ", ".join(t.lesion_id for t in targets)
    # (label, date, values by lesion, overall response or None at baseline)
    visits: list[tuple[VisitLike, dt.date, dict[str, Decimal | None], Response | None]]
    visits = [
        (
            labels[0],
            reading.baseline.date,
            {t.lesion_id: t.diameter_mm for t in targets},
            None,
        )
    ]
    for k, point in enumerate(assessment.timepoints):
        values = {t.lesion_id: point.values_mm.get(t.lesion_id) for t in targets}
        visits.append((labels[k + 1], point.date, values, point.overall.value))
    rows: list[dict[str, Any]] = []
    base = assessment.baseline_sum_mm
    nadir: Decimal | None = None
    progressed = False
    for index, (label, date, values, overall) in enumerate(visits):
        assessed = [v for v in values.values() if v is not None]
        if not assessed or base is None:
            continue
        aval = sum(assessed, Decimal(0))
        complete = len(assessed) == len(values)
        dtc = label.dtc or date.isoformat()
        is_pd = overall in _PD and not progressed
        row: dict[str, Any] = {
            "STUDYID": studyid,
            "USUBJID": reading.subject_id or "",
            **adsl,
            "PARAMCD": "SDIAM",
            "PARAM": f"Target Lesions Sum of Diameters by {who}",
            "PARCAT1": "Target Lesion(s)",
            "PARCAT2": who,
            "PARCAT3": assessment.criteria.value,
            "AVAL": float(aval),
            "BASE": float(base),
            "CHG": float(aval - base),
            "PCHG": pct_change(aval, base),
            "NADIR": None if index == 0 or nadir is None else float(nadir),
            "CHGNAD": None,
            "PCHGNAD": None,
            "ABLFL": "Y" if index == 0 else "",
            "ANL01FL": "Y" if complete else "",
            "ANL02FL": "",
            "ANL03FL": "Y" if complete and not progressed and not is_pd else "",
            "ANL04FL": "Y" if complete and not progressed else "",
            "PDFL": "Y" if is_pd else "",
            "ADT": date.isoformat(),
            "ADTF": _imputation(dtc),
            "ADY": _day(date, reference),
            "AVISIT": "BASELINE" if index == 0 else label.visit,
            "AVISITN": 0.0 if index == 0 else _num(label.visitnum),
            "LSEXP": expected,
            "LSASS": ", ".join(t for t, v in values.items() if v is not None),
            "TREVAL": evaluator[0],
            "TREVALID": evaluator[1],
            "VISITNUM": _num(label.visitnum),
            "VISIT": label.visit,
            "TRDTC": dtc,
        }
        if index > 0 and nadir is not None:
            row["CHGNAD"] = float(aval - nadir)
            row["PCHGNAD"] = pct_change(aval, nadir)
        if complete:
            nadir = aval if nadir is None else min(nadir, aval)
        progressed = progressed or is_pd
        rows.append(row)
    post = [r for r in rows[1:] if r["ANL01FL"] == "Y" and r["PCHG"] is not None]
    if post:
        min(post, key=lambda r: r["PCHG"])["ANL02FL"] = "Y"
    return rows


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _number(rows: list[dict[str, Any]]) -> None:
    counters: dict[str, int] = {}
    for row in rows:
        n = counters.get(row["USUBJID"], 0) + 1
        counters[row["USUBJID"]] = n
        row["ASEQ"] = n


def to_adam(
    readings: Iterable[Reading],
    *,
    studyid: str = "RECIST",
    visits: Sequence[Sequence[VisitLike] | None] | None = None,
    reference_dates: Mapping[str, dt.date] | None = None,
    subject_data: Mapping[str, Any] | None = None,
    assessments: Sequence[Assessment] | None = None,
    schedule: VisitSchedule | None = None,
    rules: TteRules | None = None,
) -> AdamExport:
    """Build ADRS, ADTR and ADTTE records from readings.

    Parameters
    ----------
    readings : iterable of Reading
        Each needs ``subject_id``; ``reader`` gives RSEVAL/RSEVALID and the
        "by Investigator" / "by Independent Assessor" of PARAM.
    studyid : str
        ``STUDYID``.
    visits : sequence, optional
        Per reading, its visits (as :func:`recist.export.sdtm.to_sdtm`).
    reference_dates : mapping of USUBJID to date, optional
        Day 1 of ``ADY`` (DM ``RFSTDTC``); default: the baseline date.
    subject_data : mapping of USUBJID to SubjectData, optional
        DM/ADSL: ``ARM``, ``ACTARM``, ``TRT01P``, ``TRT01A``, flags, first
        dose and death for ADTTE.
    assessments : sequence of Assessment, optional
        ``recist.assess`` of each reading, when already computed.
    schedule : VisitSchedule, optional
        VISITNUM/VISIT of readings without given visits; the missed-visit rule.
    rules : TteRules, optional
        PFS/DOR rules of ADTTE (default: origin first dose, else baseline scan).

    Returns
    -------
    AdamExport

    Notes
    -----
    ADRS (one record per parameter; ``PARCAT1 = "Tumor Response"``, ``PARCAT2``
    the evaluator, ``PARCAT3`` the criteria):

    1. ``OVR`` "Overall Response by Investigator": one per follow-up, AVALC the
       engine's overall response, ``ANL01FL = ANL02FL = Y``.
    2. ``BOR`` "Best Overall Response by Investigator (confirmation not
       required)" and ``CBOR`` "Best Confirmed Overall Response by
       Investigator": the engine's best overall response without / with
       confirmation (its options: ``sd_min_days``, ``confirmation_min_days``).
       ``MISSING`` without follow-ups. ADT/AVISIT: the follow-up from which the
       BOR holds; for CR/PR the first assessment of that response, and for the
       confirmed BOR the first one that was confirmed.
       ``RSP``/``CRSP`` (response, confirmed response: BOR CR or PR) and
       ``CB``/``CCB`` (clinical benefit, the disease control of the summary:
       CR, PR, SD or NON-CR/NON-PD) are Y/N (AVAL 1/0), dated as the BOR when
       Y. iRECIST readings give ``IOVR``, ``IBOR``, ``ICBOR``, ``IRSP``,
       ``ICRSP``, ``ICB``, ``ICCB`` (PARAM suffixed "(iRECIST)"), so they never
       mix with RECIST 1.1 parameters.
    3. AVAL: CR 1, PR 2, SD 3, NON-CR/NON-PD 4, PD 5, NE 6, MISSING 7
       (admiralonco); iRECIST terms as their RECIST 1.1 counterparts.
    4. ``ADT`` is the reading's date; ``ADTF`` is D (M) when ``RSDTC`` lacks the
       day (month): the SDTM reader imputes the first day, admiral the last.

    ADTR (``PARAMCD = SDIAM``, "Target Lesions Sum of Diameters by
    Investigator", ``PARCAT1 = "Target Lesion(s)"``), one record per assessment
    with at least one target value:

    5. AVAL: sum of the values entering the RECIST sum (short axis for nodes, 5
       for too small), over the targets assessed; ``LSEXP``/``LSASS`` list the
       targets expected / assessed; ``ANL01FL = Y`` when all are (only those
       records are complete RECIST sums).
    6. ``BASE``, ``CHG``, ``PCHG = 100 CHG / BASE``; ``NADIR`` the smallest
       complete sum before the record (baseline included; none at baseline),
       ``CHGNAD``, ``PCHGNAD = 100 CHGNAD / NADIR`` (none when the nadir is 0).
    7. ``ABLFL = Y`` at baseline (``AVISIT = "BASELINE"``, ``AVISITN = 0``);
       ``ANL02FL = Y`` at the complete post-baseline record with the smallest
       PCHG (the best change); ``ANL03FL``/``ANL04FL = Y`` on complete records
       before / up to and including the first PD (``PDFL = Y``), as in the
       pharmaverse ``adtr_onco`` data (flags inferred from that data).
    """
    from recist.assessment import assess

    readings = list(readings)
    if assessments is None:
        assessments = [assess(r) for r in readings]
    data = subject_data or {}
    flags = tuple(
        f for f in FLAG_COLUMNS if any(f in d.variables for d in data.values())
    )
    given = list(visits) if visits is not None else [None] * len(readings)
    refs = reference_dates or {}

    def labels_of(r: Reading, v: Sequence[VisitLike] | None) -> Sequence[VisitLike]:
        if v is not None:
            return v
        if schedule is not None:
            ref = refs.get(r.subject_id or "", r.baseline.date)
            dates = [r.baseline.date, *(tp.date for tp in r.followups)]
            return schedule.label(dates, ref)
        return derive_visits(r)

    all_labels = [labels_of(r, v) for r, v in zip(readings, given, strict=True)]
    sdtm = to_sdtm(
        readings,
        studyid=studyid,
        visits=all_labels,
        reference_dates=reference_dates,
        assessments=assessments,
        domains=("RS",),
    )
    rsseq = {
        (r["USUBJID"], r["RSEVAL"], r["RSEVALID"], r["RSCAT"], r["VISIT"]): r["RSSEQ"]
        for r in sdtm.rs
        if r["RSTESTCD"] == "OVRLRESP"
    }
    out = AdamExport(flags=flags)
    chosen: dict[tuple[str, str], tuple[int, Any]] = {}
    for reading, assessment, labels in zip(
        readings, assessments, all_labels, strict=True
    ):
        usubjid = reading.subject_id or ""
        reference = refs.get(usubjid, reading.baseline.date)
        d = data.get(usubjid)
        adsl = _adsl(d, flags)
        out.adrs.extend(
            _adrs_rows(studyid, reading, assessment, labels, rsseq, reference, adsl)
        )
        out.adtr.extend(
            _adtr_rows(studyid, reading, assessment, labels, reference, adsl)
        )
        # ADTTE: one reading per subject and criteria, the investigator's first
        key = (usubjid, assessment.criteria.value)
        rank = 0 if evaluator_of(reading.reader)[0] == "INVESTIGATOR" else 1
        if key not in chosen or rank < chosen[key][0]:
            chosen[key] = (rank, (assessment, d))
    _number(out.adrs)
    _number(out.adtr)
    from recist.export.adtte import to_adtte
    from recist.report.summary import subject_outcome

    outcomes = [
        subject_outcome(a, data=d)
        for _rank, (a, d) in (chosen[k] for k in sorted(chosen))
    ]
    out.adtte.extend(
        to_adtte(
            outcomes,
            studyid=studyid,
            rules=rules or TteRules(schedule=schedule),
            flags=flags,
        )
    )
    return out


def _owned(name: str) -> bool:
    """Files of an earlier export in the folder, dropped if not written again."""
    stem, _, suffix = name.partition(".")
    return stem in ("adrs", "adtr", "adtte") and suffix in ("csv", "xpt")


def write_adam(
    export: AdamExport, outdir: str | Path, *, fmt: str = "csv"
) -> list[Path]:
    """Write ``adrs``, ``adtr`` and ``adtte`` as ``.csv`` and/or ``.xpt``.

    In XPT, ``ADT`` and ``STARTDT`` are SAS dates (``DATE9.``); in CSV ISO text.
    """
    from recist.export._xpt import write_csv, write_xpt

    if fmt not in ("csv", "xpt", "both"):
        raise InvalidInputError(f"unknown format {fmt!r} (csv, xpt or both)")
    folder = Path(outdir)
    made: list[Path] = []
    from recist.export.adtte import ADTTE_COLUMNS, ADTTE_LABELS

    flags = export.flags
    tables = {
        "ADRS": (
            export.adrs,
            (*ADRS_COLUMNS, *flags),
            "Tumor Response Analysis Dataset",
        ),
        "ADTR": (
            export.adtr,
            (*ADTR_COLUMNS, *flags),
            "Tumor Results Analysis Dataset",
        ),
        "ADTTE": (
            export.adtte,
            (*ADTTE_COLUMNS, *flags),
            "Time-to-Event Analysis Dataset",
        ),
    }
    labels = {**LABELS, **ADTTE_LABELS}
    # the set is written into a sibling folder and swapped in whole (locked)
    with replacing_dir(folder, owns=_owned) as tmp:
        for name, (records, columns, label) in tables.items():
            stem = tmp / name.lower()
            numeric = frozenset(c for c in columns if c in _NUMERIC)
            if fmt in ("csv", "both"):
                made.append(
                    write_csv(
                        stem.with_suffix(".csv"),
                        records,
                        columns,
                        numeric=numeric - _DATES,
                        integer=_INTEGER,
                    )
                )
            if fmt in ("xpt", "both"):
                made.append(
                    write_xpt(
                        stem.with_suffix(".xpt"),
                        records,
                        columns,
                        name=name,
                        label=label,
                        labels=labels,
                        numeric=numeric,
                        dates=_DATES,
                    )
                )
    return [folder / p.name for p in made]
