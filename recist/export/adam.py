"""Export readings as CDISC ADaM ADRS (OVR, BOR, CBOR) and ADTR (SDIAM).

Variable names, parameter texts and codings follow the pharmaverse examples
(``pharmaverseadam`` ``adrs_onco``/``adtr_onco``, ``admiralonco`` ``admiral_adrs``).
Responses are the engine's (:func:`recist.assess`); subject-level variables
(ADSL) are not merged: join them on ``USUBJID``.

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
>>> for r in out.adtr:
...     print(r["AVISIT"], r["AVAL"], r["PCHG"], r["NADIR"])
BASELINE 40.0 0.0 None
WEEK 8 28.0 -30.0 40.0
WEEK 17 28.0 -30.0 28.0
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from recist._atomic import replacing_dir
from recist.errors import InvalidInputError
from recist.export.sdtm import (
    VisitLike,
    derive_visits,
    evaluator_of,
    export_inputs,
    to_sdtm,
)
from recist.export.sdtm import (
    add_arguments as _sdtm_arguments,
)
from recist.model import Assessment, Reading
from recist.rules._numeric import pct_change
from recist.terms import Response

__all__ = [
    "ADRS_COLUMNS",
    "ADTR_COLUMNS",
    "AVAL_CODES",
    "AdamExport",
    "add_arguments",
    "export_command",
    "to_adam",
    "write_adam",
]

ADRS_COLUMNS: tuple[str, ...] = (
    "STUDYID", "USUBJID", "ASEQ", "PARAMCD", "PARAM", "PARCAT1", "PARCAT2",
    "PARCAT3", "AVALC", "AVAL", "ADT", "ADTF", "AVISIT", "ANL01FL", "ANL02FL",
    "VISITNUM", "VISIT", "RSEVAL", "RSEVALID", "RSDTC", "RSSEQ",
)  # fmt: skip
ADTR_COLUMNS: tuple[str, ...] = (
    "STUDYID", "USUBJID", "ASEQ", "PARAMCD", "PARAM", "PARCAT1", "PARCAT2",
    "PARCAT3", "AVAL", "BASE", "CHG", "PCHG", "NADIR", "CHGNAD", "PCHGNAD",
    "ABLFL", "ANL01FL", "ANL02FL", "ANL03FL", "ANL04FL", "PDFL", "ADT", "ADTF",
    "ADY", "AVISIT", "AVISITN", "LSEXP", "LSASS", "TREVAL", "TREVALID",
    "VISITNUM", "VISIT", "TRDTC",
)  # fmt: skip
_INTEGER = frozenset({"ASEQ", "RSSEQ"})
_NUMERIC = frozenset(
    {"ASEQ", "AVAL", "VISITNUM", "RSSEQ", "BASE", "CHG", "PCHG", "NADIR", "CHGNAD"}
    | {"PCHGNAD", "ADY", "AVISITN", "ADT"}
)
_DATES = frozenset({"ADT"})

LABELS: dict[str, str] = {
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
    """The ADRS and ADTR records (``dict`` per record, ``*_COLUMNS`` order)."""

    adrs: list[dict[str, Any]] = field(default_factory=list)
    adtr: list[dict[str, Any]] = field(default_factory=list)


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


def _bor_date(reading: Reading, assessment: Assessment, confirmed: bool) -> int | None:
    """Index of the follow-up that dates the best overall response.

    The first follow-up ``k`` from which the BOR of ``followups[:k+1]`` is the
    final BOR; for CR/PR the first follow-up up to ``k`` whose response is it.
    """
    from recist.assessment import assess

    def best(a: Assessment) -> Response:
        attr = "confirmed" if confirmed else "unconfirmed"
        return getattr(a, f"best_overall_response_{attr}").value  # type: ignore[no-any-return]

    final = best(assessment)
    points = assessment.timepoints
    for k in range(len(points)):
        prefix = replace(reading, followups=reading.followups[: k + 1])
        if best(assess(prefix)) is final:
            if final.value in ("CR", "PR", "iCR", "iPR"):
                for j in range(k + 1):
                    if points[j].overall.value is final:
                        return j
            return k
    return None


def _adrs_rows(
    studyid: str,
    reading: Reading,
    assessment: Assessment,
    labels: Sequence[VisitLike],
    rsseq: Mapping[tuple[str, str, str, str, str], int],
) -> list[dict[str, Any]]:
    usubjid = reading.subject_id or ""
    evaluator = evaluator_of(reading.reader)
    who = _who(evaluator)
    criteria = assessment.criteria.value
    common = {
        "STUDYID": studyid,
        "USUBJID": usubjid,
        "PARCAT1": "Tumor Response",
        "PARCAT2": who,
        "PARCAT3": criteria,
        "RSEVAL": evaluator[0],
        "RSEVALID": evaluator[1],
    }

    def visit(k: int) -> dict[str, Any]:
        label = labels[k + 1]
        date = reading.followups[k].date
        dtc = label.dtc or date.isoformat()
        key = (usubjid, *evaluator, criteria, label.visit)
        return {
            "ADT": date.isoformat(),
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
                "PARAMCD": "OVR",
                "PARAM": f"Overall Response by {who}",
                "AVALC": value,
                "AVAL": AVAL_CODES.get(value),
                "ANL01FL": "Y",
                "ANL02FL": "Y",
                **visit(k),
            }
        )
    for code, text, confirmed in (
        ("BOR", f"Best Overall Response by {who} (confirmation not required)", False),
        ("CBOR", f"Best Confirmed Overall Response by {who}", True),
    ):
        row: dict[str, Any] = {**common, "PARAMCD": code, "PARAM": text}
        if not assessment.timepoints:
            row |= {"AVALC": "MISSING", "AVAL": AVAL_CODES["MISSING"]}
        else:
            bor = (
                assessment.best_overall_response_confirmed
                if confirmed
                else assessment.best_overall_response_unconfirmed
            ).value.value
            row |= {"AVALC": bor, "AVAL": AVAL_CODES.get(bor)}
            dated = _bor_date(reading, assessment, confirmed)
            if dated is not None:
                row |= visit(dated)
        row |= {"ANL01FL": "Y", "ANL02FL": "Y"}
        rows.append(row)
    return rows


def _adtr_rows(
    studyid: str,
    reading: Reading,
    assessment: Assessment,
    labels: Sequence[VisitLike],
    reference: dt.date,
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
) -> AdamExport:
    """Build ADRS and ADTR records from readings.

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
        Day 1 of ``ADY`` (ADSL ``TRTSDT``); default: the baseline date.

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
       BOR holds; for CR/PR the first assessment of that response.
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
    assessments = [assess(r) for r in readings]
    given = list(visits) if visits is not None else [None] * len(readings)
    all_labels = [
        v if v is not None else derive_visits(r)
        for r, v in zip(readings, given, strict=True)
    ]
    sdtm = to_sdtm(
        readings,
        studyid=studyid,
        visits=all_labels,
        reference_dates=reference_dates,
        assessments=assessments,
    )
    rsseq = {
        (r["USUBJID"], r["RSEVAL"], r["RSEVALID"], r["RSCAT"], r["VISIT"]): r["RSSEQ"]
        for r in sdtm.rs
        if r["RSTESTCD"] == "OVRLRESP"
    }
    out = AdamExport()
    for reading, assessment, labels in zip(
        readings, assessments, all_labels, strict=True
    ):
        reference = (reference_dates or {}).get(
            reading.subject_id or "", reading.baseline.date
        )
        out.adrs.extend(_adrs_rows(studyid, reading, assessment, labels, rsseq))
        out.adtr.extend(_adtr_rows(studyid, reading, assessment, labels, reference))
    _number(out.adrs)
    _number(out.adtr)
    return out


def _owned(name: str) -> bool:
    """Files of an earlier export in the folder, dropped if not written again."""
    stem, _, suffix = name.partition(".")
    return stem in ("adrs", "adtr") and suffix in ("csv", "xpt")


def write_adam(
    export: AdamExport, outdir: str | Path, *, fmt: str = "csv"
) -> list[Path]:
    """Write ``adrs`` and ``adtr`` as ``.csv`` and/or ``.xpt`` into ``outdir``.

    In XPT, ``ADT`` is a SAS date (``DATE9.``); in CSV ISO text.
    """
    from recist.export._xpt import write_csv, write_xpt

    if fmt not in ("csv", "xpt", "both"):
        raise InvalidInputError(f"unknown format {fmt!r} (csv, xpt or both)")
    folder = Path(outdir)
    made: list[Path] = []
    # the set is written into a sibling folder and swapped in whole (locked)
    with replacing_dir(folder, owns=_owned) as tmp:
        tables = {
            "ADRS": (export.adrs, ADRS_COLUMNS, "Tumor Response Analysis Dataset"),
            "ADTR": (export.adtr, ADTR_COLUMNS, "Tumor Results Analysis Dataset"),
        }
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
                        labels=LABELS,
                        numeric=numeric,
                        dates=_DATES,
                    )
                )
    return [folder / p.name for p in made]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``recist export adam`` (as ``export sdtm``)."""
    _sdtm_arguments(parser)


def export_command(args: argparse.Namespace) -> int:
    """Run ``recist export adam READING... OUTDIR``; 0 when written, 2 on bad input."""
    readings, visits, outdir = export_inputs(args)
    export = to_adam(readings, studyid=args.studyid, visits=visits)
    for path in write_adam(export, outdir, fmt=args.fmt):
        sys.stdout.write(f"{path}\n")
    return 0
