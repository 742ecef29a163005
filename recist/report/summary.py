"""Efficacy summary of many subjects: BOR table, ORR/DCR, best % change, KM data.

Each subject contributes one reading, assessed by the engine
(:func:`recist.assess`); nothing here re-derives a response.  A reading the
engine rejects (a target < 10 mm at baseline...) counts as NE with the reason,
so the denominator stays every subject read.

Conventions (where the brief and RECIST leave room)
---------------------------------------------------
1. ORR = (CR + PR) / n; DCR = (CR + PR + SD + NON-CR/NON-PD) / n; n is every
   subject, NE included.  iRECIST values count as their RECIST 1.1 category
   (iCR as CR...; iUPD and iCPD as PD).
2. Best % change = the smallest ``100 (S - B) / B`` over follow-ups with a
   complete sum, up to and including the first PD.
3. PFS runs from the baseline scan date to the first PD (event) or the last
   evaluable (not NE) assessment (censored); deaths are not in a reading.
   Duration of response runs from the first CR/PR to the first PD after it, for
   subjects whose BOR is CR or PR, censored at the last evaluable assessment.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recist.assessment import assess
from recist.errors import InvalidInputError, RecistError, RuleViolation
from recist.model import Assessment, Reading
from recist.report._stats import Proportion, TimeToEvent, proportion
from recist.rules._numeric import pct_change
from recist.terms import Response

__all__ = [
    "BOR_CATEGORIES",
    "EfficacySummary",
    "ReferenceComparison",
    "SubjectOutcome",
    "compare_with_adam",
    "load_subjects",
    "subject_outcome",
    "summarize",
    "write_summary",
]

log = logging.getLogger(__name__)

R = Response

#: Rows of the BOR table, in the order of CDISC's RS codelist.
BOR_CATEGORIES: tuple[str, ...] = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")

_RECIST_OF = {
    R.ICR: R.CR,
    R.IPR: R.PR,
    R.ISD: R.SD,
    R.NON_ICR_NON_IUPD: R.NON_CR_NON_PD,
    R.IUPD: R.PD,
    R.ICPD: R.PD,
    R.NA: R.NE,
}
_RESPONSE = (R.CR, R.PR)
_CONTROL = (R.CR, R.PR, R.SD, R.NON_CR_NON_PD)


def _canon(value: Response) -> Response:
    return _RECIST_OF.get(value, value)


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectOutcome:
    """What the summary needs of one subject (one reading).

    Attributes
    ----------
    subject_id : str
        USUBJID (or the reading's id / file name).
    reader : str or None
    baseline_date : datetime.date or None
    bor_confirmed, bor_unconfirmed : Response
        As the engine gives them, mapped to RECIST 1.1 categories.
    best_pct_change : float or None
        Exact, unrounded (Convention 2).
    pct_by_date : tuple of (date, float)
        % change from baseline at each follow-up with a complete sum.
    responses : tuple of (date, Response)
        Overall response at each follow-up (RECIST 1.1 categories).
    error : str or None
        Why the engine rejected the reading (then BOR is NE).
    """

    subject_id: str
    reader: str | None = None
    baseline_date: dt.date | None = None
    bor_confirmed: Response = R.NE
    bor_unconfirmed: Response = R.NE
    best_pct_change: float | None = None
    pct_by_date: tuple[tuple[dt.date, float], ...] = ()
    responses: tuple[tuple[dt.date, Response], ...] = ()
    error: str | None = None

    def bor(self, *, confirmed: bool) -> Response:
        """Return the confirmed or unconfirmed best overall response."""
        return self.bor_confirmed if confirmed else self.bor_unconfirmed

    @property
    def last_date(self) -> dt.date | None:
        """Date of the last follow-up (or the baseline when there is none)."""
        return self.responses[-1][0] if self.responses else self.baseline_date

    def pfs(self) -> TimeToEvent | None:
        """Progression-free time (Convention 3), or None without a baseline."""
        if self.baseline_date is None:
            return None
        end = self.baseline_date
        for date, value in self.responses:
            if value is R.PD:
                return TimeToEvent(
                    subject_id=self.subject_id,
                    start=self.baseline_date,
                    end=date,
                    event=True,
                )
            if value is not R.NE:
                end = date
        return TimeToEvent(
            subject_id=self.subject_id, start=self.baseline_date, end=end, event=False
        )

    def duration_of_response(self, *, confirmed: bool) -> TimeToEvent | None:
        """Duration of response (Convention 3), or None for a non-responder."""
        if self.bor(confirmed=confirmed) not in _RESPONSE:
            return None
        start: dt.date | None = None
        end: dt.date | None = None
        for date, value in self.responses:
            if start is None:
                if value in _RESPONSE:
                    start = end = date
                continue
            if value is R.PD:
                return TimeToEvent(
                    subject_id=self.subject_id, start=start, end=date, event=True
                )
            if value is not R.NE:
                end = date
        if start is None or end is None:  # pragma: no cover - BOR says responder
            return None
        return TimeToEvent(
            subject_id=self.subject_id, start=start, end=end, event=False
        )


def subject_outcome(
    assessment: Assessment, *, subject_id: str | None = None
) -> SubjectOutcome:
    """Summarise one subject's assessment.

    Parameters
    ----------
    assessment : Assessment
        From :func:`recist.assess`.
    subject_id : str, optional
        Defaults to the reading's ``subject_id``, else its ``case_id``.

    Examples
    --------
    >>> import datetime as dt
    >>> from recist.model import Baseline, Lesion, Measurement, TimePoint
    >>> t = Lesion(lesion_id="T01", role="TARGET", site="LIVER",
    ...            baseline=Measurement.of_mm("64.0"))
    >>> r = Reading(subject_id="S1",
    ...     baseline=Baseline(date=dt.date(2026, 1, 5), targets=(t,)),
    ...     followups=(TimePoint(date=dt.date(2026, 2, 16),
    ...                          targets={"T01": Measurement.of_mm("42.0")}),))
    >>> o = subject_outcome(assess(r))
    >>> o.best_pct_change, o.bor_unconfirmed.value, o.bor_confirmed.value
    (-34.375, 'PR', 'SD')
    """
    reading = assessment.reading
    sid = subject_id or reading.subject_id or reading.case_id or "?"
    base = assessment.baseline_sum_mm
    pcts: list[tuple[dt.date, float]] = []
    responses: list[tuple[dt.date, Response]] = []
    best: float | None = None
    progressed = False
    for tp in assessment.timepoints:
        value = _canon(tp.overall.value)
        responses.append((tp.date, value))
        p = None if tp.sum_mm is None or base is None else pct_change(tp.sum_mm, base)
        if p is not None:
            pcts.append((tp.date, p))
            if not progressed and (best is None or p < best):
                best = p
        progressed = progressed or value is R.PD
    return SubjectOutcome(
        subject_id=sid,
        reader=reading.reader,
        baseline_date=reading.baseline.date,
        bor_confirmed=_canon(assessment.best_overall_response_confirmed.value),
        bor_unconfirmed=_canon(assessment.best_overall_response_unconfirmed.value),
        best_pct_change=best,
        pct_by_date=tuple(pcts),
        responses=tuple(responses),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class EfficacySummary:
    """BOR counts, ORR and DCR (confirmed and unconfirmed) over subjects.

    ``bor_counts[flavour][category]`` with flavour ``"confirmed"`` or
    ``"unconfirmed"``; ``orr``/``dcr`` likewise hold :class:`Proportion`.
    """

    subjects: tuple[SubjectOutcome, ...]
    bor_counts: Mapping[str, Mapping[str, int]]
    orr: Mapping[str, Proportion]
    dcr: Mapping[str, Proportion]
    confirmation: bool = True
    notes: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        """Number of subjects."""
        return len(self.subjects)

    def as_json(self) -> dict[str, Any]:
        """Return the ``summary.json`` document (keys as the issue gives them)."""
        return {
            "n": self.n,
            "bor_counts": {k: dict(v) for k, v in self.bor_counts.items()},
            "orr": {k: v.as_json() for k, v in self.orr.items()},
            "dcr": {k: v.as_json() for k, v in self.dcr.items()},
            "best_pct_change": {s.subject_id: s.best_pct_change for s in self.subjects},
            "primary": "confirmed" if self.confirmation else "unconfirmed",
            "not_evaluable": {
                s.subject_id: s.error for s in self.subjects if s.error is not None
            },
        }


def summarize(
    subjects: Iterable[SubjectOutcome],
    *,
    confirmation: bool = True,
    notes: Sequence[str] = (),
) -> EfficacySummary:
    """Count best responses and derive ORR and DCR with exact 95% CIs.

    Parameters
    ----------
    subjects : iterable of SubjectOutcome
    confirmation : bool, default True
        Which flavour is primary (both are always given).
    notes : sequence of str
        What loading decided or skipped, one line each.

    Examples
    --------
    >>> s = summarize([SubjectOutcome(subject_id=str(i), bor_confirmed=R.PR,
    ...                               bor_unconfirmed=R.PR) for i in range(5)]
    ...               + [SubjectOutcome(subject_id=str(i)) for i in range(5, 10)])
    >>> s.bor_counts["confirmed"]["PR"], s.orr["confirmed"].text()
    (5, '5/10 (50.0%; 95% CI 18.7-81.3%)')
    """
    subs = tuple(sorted(subjects, key=lambda s: s.subject_id))
    n = len(subs)
    counts: dict[str, dict[str, int]] = {}
    orr: dict[str, Proportion] = {}
    dcr: dict[str, Proportion] = {}
    for flavour, confirmed in (("confirmed", True), ("unconfirmed", False)):
        c = Counter(s.bor(confirmed=confirmed).value for s in subs)
        table = {cat: c.pop(cat, 0) for cat in BOR_CATEGORIES}
        table.update(sorted(c.items()))
        counts[flavour] = table
        orr[flavour] = proportion(sum(table[r.value] for r in _RESPONSE), n)
        dcr[flavour] = proportion(sum(table[r.value] for r in _CONTROL), n)
    return EfficacySummary(
        subjects=subs,
        bor_counts=counts,
        orr=orr,
        dcr=dcr,
        confirmation=confirmation,
        notes=tuple(notes),
    )


# --------------------------------------------------------------------- loading


def _assess(reading: Reading, sid: str, options: Mapping[str, Any]) -> SubjectOutcome:
    try:
        result = assess(reading, **options)
    except RuleViolation as exc:
        lesion = f" (lesion {exc.lesion})" if exc.lesion else ""
        return SubjectOutcome(
            subject_id=sid,
            reader=reading.reader,
            baseline_date=reading.baseline.date,
            error=f"{exc.code}{lesion}: {exc}",
        )
    return subject_outcome(result, subject_id=sid)


def _from_json_files(
    paths: Sequence[Path], options: Mapping[str, Any], notes: list[str]
) -> list[SubjectOutcome]:
    from recist.formats.reading import load_reading

    out: list[SubjectOutcome] = []
    for path in paths:
        try:
            reading = load_reading(path)
        except RecistError as exc:
            notes.append(f"skipped {path.name}: not a reading or case file ({exc})")
            continue
        sid = reading.subject_id or reading.case_id or path.stem
        out.append(_assess(reading, sid, options))
    return out


def _reader_rank(reading: Any) -> tuple[int, int, str]:
    ev = reading.evaluator
    investigator = ev.name.upper() == "INVESTIGATOR" or not ev.name
    return (
        0 if reading.criteria == "RECIST 1.1" else 1,
        0 if investigator else 1,
        ev.label,
    )


def _from_sdtm(
    directory: Path | None,
    files: Mapping[str, Path | None],
    options: Mapping[str, Any],
    notes: list[str],
    evaluator: str | None,
) -> list[SubjectOutcome]:
    from recist.formats.case import load_case
    from recist.formats.sdtm import read_sdtm, readings_from_sdtm

    data = read_sdtm(
        directory, tu=files.get("tu"), tr=files.get("tr"), rs=files.get("rs")
    )
    case_options = {
        "confirmation": True,
        **{
            k: v
            for k, v in options.items()
            if k in ("confirmation_min_days", "sd_min_days")
        },
    }
    readings = readings_from_sdtm(data, options=case_options)
    by_subject: dict[str, list[Any]] = {}
    for r in readings:
        if evaluator is not None and evaluator.upper() not in r.evaluator.label.upper():
            continue
        by_subject.setdefault(r.usubjid, []).append(r)
    out: list[SubjectOutcome] = []
    for sid in sorted(by_subject):
        chosen = sorted(by_subject[sid], key=_reader_rank)[0]
        label = chosen.evaluator.label
        if chosen.case is None:
            out.append(
                SubjectOutcome(
                    subject_id=sid, reader=label, error=f"INPUT: {chosen.input_error}"
                )
            )
            continue
        reading = load_case({**chosen.case, "subject_id": sid, "reader": label})
        out.append(_assess(reading, sid, options))
    skipped = len(readings) - len(out)
    if skipped:
        notes.append(
            f"SDTM: {len(readings)} readings of {len(out)} subjects; one per subject "
            "used (RECIST 1.1 first, then INVESTIGATOR, then by evaluator label)"
        )
    return out


def load_subjects(
    source: str | Path | None = None,
    *,
    tu: str | Path | None = None,
    tr: str | Path | None = None,
    rs: str | Path | None = None,
    confirmation: bool = True,
    sd_min_days: int | None = None,
    evaluator: str | None = None,
) -> tuple[list[SubjectOutcome], list[str]]:
    """Assess every subject of a folder of readings, or of SDTM TU/TR(/RS).

    Parameters
    ----------
    source : str or Path, optional
        A folder of reading / case ``*.json`` files (searched recursively), a
        single such file, or a folder of SDTM files named by domain.
    tu, tr, rs : str or Path, optional
        SDTM domain files (they win over ``source``).
    confirmation : bool, default True
        The primary flavour; both are derived either way.
    sd_min_days : int, optional
        Least days from baseline for SD to count (default: the reading's).
    evaluator : str, optional
        SDTM only: keep readings whose evaluator label contains this text.

    Returns
    -------
    (list of SubjectOutcome, list of str)
        The subjects and notes on what was skipped or decided.
    """
    notes: list[str] = []
    options: dict[str, Any] = {"confirmation": confirmation}
    if sd_min_days is not None:
        options["sd_min_days"] = sd_min_days
    path = None if source is None else Path(source)
    if tu or tr or rs:
        files = {"tu": _p(tu), "tr": _p(tr), "rs": _p(rs)}
        return _from_sdtm(path, files, options, notes, evaluator), notes
    if path is None:
        raise FileNotFoundError("give a folder or file, or --tu/--tr")
    if path.is_file():
        return _from_json_files([path], options, notes), notes
    if not path.is_dir():
        raise FileNotFoundError(str(path))
    jsons = sorted(p for p in path.rglob("*.json") if p.is_file())
    if jsons:
        return _from_json_files(jsons, options, notes), notes
    from recist.formats._sdtm_io import find_domain_files

    if not any(find_domain_files(path).values()):
        raise InvalidInputError(
            f"{path}: no reading or case *.json files and no SDTM TU/TR files",
            location=str(path),
        )
    return _from_sdtm(path, {}, options, notes, evaluator), notes


def _p(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)


# ------------------------------------------------------------ reference check


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceComparison:
    """Our numbers beside an ADaM reference for the subjects it covers.

    ``bor`` rows: ``(usubjid, ours, theirs, agree, why)``; ``best_pct`` rows:
    ``(usubjid, ours, theirs, agree, why)`` with ``agree`` within 0.05 points.
    """

    flavour: str
    bor: tuple[tuple[str, str, str, bool, str], ...] = ()
    best_pct: tuple[tuple[str, float | None, float | None, bool, str], ...] = ()
    notes: tuple[str, ...] = field(default=())

    def lines(self) -> list[str]:
        """Human-readable agreement report."""
        out: list[str] = []
        if self.bor:
            out.append(f"BOR ({self.flavour}) vs ADRS: {_agreement(self.bor)}")
            out += [
                f"  {u}: ours {o}, ADRS {t}" + ("" if ok else f"  <- {why}")
                for u, o, t, ok, why in self.bor
            ]
        if self.best_pct:
            out.append(f"best % change vs ADTR: {_agreement(self.best_pct)}")
            out += [
                f"  {u}: ours {_f(o)}, ADTR {_f(t)}" + ("" if ok else f"  <- {why}")
                for u, o, t, ok, why in self.best_pct
            ]
        out += list(self.notes)
        return out


_NOT_IN_INPUT = "subject not in our input"


def _agreement(rows: Sequence[tuple[str, object, object, bool, str]]) -> str:
    """Say how many of the subjects in both agree, and how many are only theirs."""
    both = [r for r in rows if not r[4].startswith(_NOT_IN_INPUT)]
    only = len(rows) - len(both)
    text = f"{sum(r[3] for r in both)}/{len(both)} subjects in both agree"
    return text + (f" ({only} reference subject(s) not in the input)" if only else "")


def _f(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.1f}%"


def _why_bor(s: SubjectOutcome | None, theirs: str, ours: str) -> str:
    if s is None:
        return _NOT_IN_INPUT
    if s.error is not None:
        return f"engine rejected the reading: {s.error.split(':')[0]}"
    if theirs == "MISSING":
        return "ADRS has no BOR for this subject"
    return (
        "derivation differs (see per-visit responses; "
        "the onco group is not strict RECIST)"
    )


def _other_visits(
    s: SubjectOutcome | None, theirs: set[str], why: str, what: str
) -> str:
    """Say when the reference's visit dates are not the input's (other records)."""
    if s is None or not why or not theirs:
        return why
    ours = {d.isoformat() for d, _ in s.responses}
    if ours and not theirs & ours:
        mine = ", ".join(sorted(ours))
        return (
            f"{why}; {what} dates ({', '.join(sorted(theirs))}) are none of the "
            f"input's follow-ups ({mine}): the ADaM was derived from other records"
        )
    return why


def _adam_table(
    path: str | Path | None, name: str, required: Sequence[str]
) -> list[dict[str, str]] | None:
    """Read an ADaM dataset; refuse one without records or the variables we use."""
    from recist.formats._sdtm_io import read_table

    if path is None:
        return None
    table = read_table(path)
    if not table:
        raise InvalidInputError(
            f"{path}: the {name} dataset has no records", location=str(path)
        )
    missing = [c for c in required if c not in table[0]]
    if missing:
        msg = f"{path}: not an ADaM {name} dataset, no {', '.join(missing)}"
        raise InvalidInputError(msg, location=str(path))
    return table


def _number(text: str, path: str | Path | None, column: str) -> float | None:
    """Return a numeric cell as float (``""`` is None); refuse other text."""
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        msg = f"{path}: {column} {text!r} is not a number"
        raise InvalidInputError(msg, location=str(path)) from None


def compare_with_adam(
    summary: EfficacySummary,
    *,
    adrs: str | Path | None = None,
    adtr: str | Path | None = None,
    confirmed: bool | None = None,
) -> ReferenceComparison:
    """Compare BOR (ADRS ``BOR``/``CBOR``) and best % change (ADTR ``SDIAM``).

    Parameters
    ----------
    summary : EfficacySummary
    adrs, adtr : path, optional
        ADaM CSV files (``adam_adrs_onco.csv``, ``adam_adtr_onco.csv``).
    confirmed : bool, optional
        Compare confirmed BOR with ``CBOR`` (default: the summary's primary
        flavour); unconfirmed with ``BOR``.

    Notes
    -----
    1. Only subjects whose ADRS BOR is not ``MISSING`` are compared.
    2. ADTR's best change is ``PCHG`` of ``PARAMCD = SDIAM`` where
       ``ANL02FL = Y`` (admiral's best post-baseline record).

    Raises
    ------
    InvalidInputError
        A file that is missing, has no records, lacks a variable used here
        (ADRS ``USUBJID PARAMCD AVALC``; ADTR ``USUBJID PARAMCD PCHG ANL02FL
        ADT``) or has a ``PCHG`` that is not a number.
    """
    conf = summary.confirmation if confirmed is None else confirmed
    by_id = {s.subject_id: s for s in summary.subjects}
    bor_rows: list[tuple[str, str, str, bool, str]] = []
    adrs_dates: dict[str, set[str]] = {}
    adrs_table = _adam_table(adrs, "ADRS", ("USUBJID", "PARAMCD", "AVALC"))
    adtr_table = _adam_table(
        adtr, "ADTR", ("USUBJID", "PARAMCD", "PCHG", "ANL02FL", "ADT")
    )
    if adrs_table is not None:
        for row in adrs_table:
            if row.get("PARAMCD") == "OVR" and row.get("ADT"):
                adrs_dates.setdefault(row.get("USUBJID", ""), set()).add(row["ADT"])
    pct_rows: list[tuple[str, float | None, float | None, bool, str]] = []
    if adrs_table is not None:
        param = "CBOR" if conf else "BOR"
        for row in adrs_table:
            if row.get("PARAMCD") != param:
                continue
            theirs = row.get("AVALC", "")
            if theirs in ("", "MISSING"):
                continue
            u = row.get("USUBJID", "")
            s = by_id.get(u)
            ours = "absent" if s is None else s.bor(confirmed=conf).value
            ok = ours == theirs
            why = "" if ok else _why_bor(s, theirs, ours)
            why = _other_visits(s, adrs_dates.get(u, set()), why, "ADRS OVR")
            bor_rows.append((u, ours, theirs, ok, why))
    if adtr_table is not None:
        table = adtr_table
        adtr_dates: dict[str, set[str]] = {}
        for row in table:
            if row.get("PARAMCD") == "SDIAM" and row.get("ABLFL") != "Y":
                adtr_dates.setdefault(row.get("USUBJID", ""), set()).add(row["ADT"])
        for row in table:
            if row.get("PARAMCD") != "SDIAM" or row.get("ANL02FL") != "Y":
                continue
            u = row.get("USUBJID", "")
            ref = _number(row.get("PCHG", ""), adtr, "PCHG")
            s = by_id.get(u)
            mine = None if s is None else s.best_pct_change
            ok = mine is not None and ref is not None and abs(mine - ref) < 0.05
            why = ""
            if not ok:
                if s is None:
                    why = _NOT_IN_INPUT
                elif s.error is not None:
                    why = f"engine rejected the reading: {s.error.split(':')[0]}"
                else:
                    why = "sums differ"
                why = _other_visits(s, adtr_dates.get(u, set()), why, "ADTR SDIAM")
            pct_rows.append((u, mine, ref, ok, why))
    return ReferenceComparison(
        flavour="confirmed" if conf else "unconfirmed",
        bor=tuple(sorted(bor_rows)),
        best_pct=tuple(sorted(pct_rows, key=lambda r: r[0])),
    )


# ------------------------------------------------------------------- writing


def _html_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    import html

    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = (
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;font-size:13px;"
    "max-width:60em;margin:2em auto;color:#222}h1{font-size:20px}h2{font-size:16px;"
    "border-bottom:1px solid #ccc}table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#eee}"
    "img{max-width:100%}.note{color:#555;font-size:12px}"
)


def bor_rows(summary: EfficacySummary) -> list[list[str]]:
    """Rows of the BOR table: category, confirmed n (%), unconfirmed n (%)."""
    rows: list[list[str]] = []
    cats = list(summary.bor_counts["confirmed"])
    for c in [*cats, *(k for k in summary.bor_counts["unconfirmed"] if k not in cats)]:
        cells = [c]
        for flavour in ("confirmed", "unconfirmed"):
            k = summary.bor_counts[flavour].get(c, 0)
            pct = f" ({100 * k / summary.n:.1f}%)" if summary.n else ""
            cells.append(f"{k}{pct}")
        rows.append(cells)
    rows.append(["Total", str(summary.n), str(summary.n)])
    return rows


def write_summary(
    summary: EfficacySummary,
    out_dir: str | Path,
    *,
    comparison: ReferenceComparison | None = None,
) -> list[Path]:
    """Write ``summary.json``, ``summary.html`` and the plots (PNG and SVG).

    Returns
    -------
    list of Path
        Every file written.
    """
    import base64
    import json

    from recist._atomic import check_output_dir, replacing
    from recist.report import plots

    out = check_output_dir(out_dir)
    written: list[Path] = []
    doc = summary.as_json()
    if comparison is not None:
        doc["reference"] = comparison.lines()
    js = out / "summary.json"
    with replacing(js) as tmp:
        tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    written.append(js)
    confirmed = summary.confirmation
    figures = {
        "waterfall": plots.waterfall(summary, confirmed=confirmed),
        "spider": plots.spider(summary, confirmed=confirmed),
        "swimmer": plots.swimmer(summary, confirmed=confirmed),
        "km_pfs": plots.kaplan_meier(
            [e for s in summary.subjects if s.error is None and (e := s.pfs())],
            title="Progression-free survival",
        ),
        "km_dor": plots.kaplan_meier(
            [
                e
                for s in summary.subjects
                if (e := s.duration_of_response(confirmed=confirmed))
            ],
            title="Duration of response",
        ),
    }
    images: list[str] = []
    for stem, fig in figures.items():
        png, svg = plots.save_figure(fig, out, stem)
        written += [png, svg]
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        images.append(
            f'<h2>{stem}</h2><img alt="{stem}" src="data:image/png;base64,{data}">'
        )
    rates = [
        [name, *(getattr(summary, key)[f].text() for f in ("confirmed", "unconfirmed"))]
        for name, key in (
            ("ORR (CR+PR)", "orr"),
            ("DCR (CR+PR+SD+NON-CR/NON-PD)", "dcr"),
        )
    ]
    ne = [(s.subject_id, s.error) for s in summary.subjects if s.error]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        "<h1>Efficacy summary</h1>",
        f"<p class=note>{summary.n} subjects; primary: "
        f"{'confirmed' if confirmed else 'unconfirmed'} BOR; generated {stamp} "
        "by recist. Exact (Clopper-Pearson) 95% CIs.</p>",
        "<h2>Best overall response</h2>",
        _html_table(["BOR", "confirmed", "unconfirmed"], bor_rows(summary)),
        _html_table(["rate", "confirmed", "unconfirmed"], rates),
        *images,
    ]
    if comparison is not None:
        body.append("<h2>Reference check (ADaM)</h2><pre>")
        body.append("\n".join(comparison.lines()))
        body.append("</pre>")
    if ne:
        body.append(f"<h2>Not evaluable by the engine ({len(ne)})</h2>")
        body.append(_html_table(["subject", "reason"], ne))
    if summary.notes:
        body.append("<h2>Notes</h2><ul>")
        body += [f"<li>{n}</li>" for n in summary.notes]
        body.append("</ul>")
    page = (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>Efficacy summary</title><style>{_CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
    html_path = out / "summary.html"
    with replacing(html_path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    written.append(html_path)
    return written
