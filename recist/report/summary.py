"""Efficacy summary of many subjects: BOR tables, ORR/DCR, PFS and DoR, by group.

Each subject contributes one reading, assessed by the engine
(:func:`recist.assess`); nothing here re-derives a response.  Subject-level data
(DM/ADSL, or a reading's ``subject`` fields) give the analysis set, the groups,
the first dose and the death date.

Conventions (where the issue, the SAP and RECIST leave room)
------------------------------------------------------------
1. Denominator: the analysis set (``--population FLAG``: subjects with
   ``FLAG = Y`` in DM/ADSL; default every DM/ADSL subject, or every subject read
   when no DM/ADSL is given).  A subject of the set without a reading, or whose
   reading the engine rejects, counts as NE (with the reason) in every table
   and is censored at the origin in PFS unless they died.  Readings of subjects
   outside the set are listed, not counted.
2. ORR = (CR + PR) / n; DCR = (CR + PR + SD + NON-CR/NON-PD) / n, exact
   (Clopper-Pearson) 95% CIs.  iRECIST readings are summarised in iRECIST
   categories (iBOR, iORR = iCR + iPR, iDCR adds iSD and NON-iCR/NON-iUPD); a
   summary never mixes the two criteria (``--criteria`` selects).
3. Best % change = the smallest ``100 (S - B) / B`` over follow-ups with a
   complete sum, up to and including the first PD (iRECIST: the first iCPD,
   so a pseudo-progression's later shrinkage counts).
4. PFS and DoR follow :class:`recist.report.tte.TteRules` (stated in the
   outputs).  DoR starts at the first CR/PR, and for the confirmed BOR at the
   first CR/PR that was confirmed.
5. SD minimum duration counts from the reference date (``--sd-reference``,
   default first dose when DM/ADSL gives it, else the baseline scan); the
   confirmation interval is between the response and its confirming scan
   (RECIST 1.1 §9.3, admiralonco ``ref_confirm``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from recist.assessment import assess
from recist.errors import InvalidInputError, RecistError, RuleViolation
from recist.formats.subjects import SubjectData
from recist.model import Assessment, Reading
from recist.report._stats import (
    DAYS_PER_MONTH,
    KaplanMeier,
    Proportion,
    TimeToEvent,
    exact_test,
    kaplan_meier,
    proportion,
)
from recist.report.tte import (
    CENSOR_NONE,
    EVENT_ICPD,
    EVENT_PD,
    Assessed1,
    TteRules,
    time_to_event,
)
from recist.rules._numeric import pct_change
from recist.rules.best_response import Assessment1, first_confirmed_response
from recist.terms import Criteria, Response

__all__ = [
    "BOR_CATEGORIES",
    "IBOR_CATEGORIES",
    "EfficacySummary",
    "GroupSummary",
    "ReferenceComparison",
    "SubjectOutcome",
    "compare_with_adam",
    "load_subjects",
    "select_population",
    "subject_outcome",
    "summarize",
    "write_summary",
]

log = logging.getLogger(__name__)

R = Response

#: Rows of the BOR table, in the order of CDISC's RS codelist.
BOR_CATEGORIES: tuple[str, ...] = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
#: Rows of the iBOR table (iRECIST).
IBOR_CATEGORIES: tuple[str, ...] = (
    "iCR", "iPR", "iSD", "NON-iCR/NON-iUPD", "iUPD", "iCPD", "NE",
)  # fmt: skip

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
_IRESPONSE = (R.ICR, R.IPR)
_ICONTROL = (R.ICR, R.IPR, R.ISD, R.NON_ICR_NON_IUPD)
_IRESET = (R.ICR, R.IPR, R.ISD, R.NON_ICR_NON_IUPD)

NO_READING = "no reading for this subject"


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
        Exact, unrounded (Convention 3).
    pct_by_date : tuple of (date, float)
        % change from baseline at each follow-up with a complete sum.
    responses : tuple of (date, Response)
        Overall response at each follow-up (RECIST 1.1 categories).
    error : str or None
        Why there is no assessment: the engine rejected the reading, or there
        is no reading (then BOR is NE).
    criteria : str
        ``"RECIST 1.1"`` or ``"iRECIST"``.
    iresponses : tuple of (date, Response)
        The overall responses as the criteria name them (iRECIST categories).
    ibor_confirmed, ibor_unconfirmed : Response
        BOR as the criteria name it.
    response_start : Mapping[str, date or None]
        DoR start per flavour: ``"confirmed"`` the first confirmed CR/PR,
        ``"unconfirmed"`` the first CR/PR.
    progression_date : date or None
        First PD (RECIST 1.1); iRECIST: the iUPD that an iCPD confirmed.
    pseudo_progression : bool
        iRECIST: an iUPD later followed by iSD, iPR or iCR.
    data : SubjectData or None
        DM/ADSL variables (with the reading's own subject fields).
    reference_date : date or None
        Day from which the SD minimum duration was counted.
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
    criteria: str = "RECIST 1.1"
    iresponses: tuple[tuple[dt.date, Response], ...] = ()
    ibor_confirmed: Response | None = None
    ibor_unconfirmed: Response | None = None
    response_start: Mapping[str, dt.date | None] = field(default_factory=dict)
    progression_date: dt.date | None = None
    pseudo_progression: bool = False
    data: SubjectData | None = None
    reference_date: dt.date | None = None

    def bor(self, *, confirmed: bool) -> Response:
        """Return the confirmed or unconfirmed best overall response."""
        return self.bor_confirmed if confirmed else self.bor_unconfirmed

    def ibor(self, *, confirmed: bool) -> Response:
        """Best overall response in the criteria's own categories."""
        value = self.ibor_confirmed if confirmed else self.ibor_unconfirmed
        return self.bor(confirmed=confirmed) if value is None else value

    def var(self, name: str) -> str:
        """Return a DM/ADSL variable (``""`` when unknown)."""
        return "" if self.data is None else self.data.get(name)

    @property
    def last_date(self) -> dt.date | None:
        """Date of the last follow-up (or the baseline when there is none)."""
        return self.responses[-1][0] if self.responses else self.baseline_date

    @property
    def death_date(self) -> dt.date | None:
        """Date of death from DM/ADSL."""
        return None if self.data is None else self.data.death

    def _assessed(self) -> list[Assessed1]:
        return [Assessed1(date=d, adequate=v is not R.NE) for d, v in self.responses]

    def origin(self, rules: TteRules) -> tuple[dt.date | None, str]:
        """PFS start and what it is (the baseline scan when the DM lacks it)."""
        data = self.data
        if data is not None:
            if rules.origin == "first-dose" and data.first_dose is not None:
                return data.first_dose, "first dose"
            if rules.origin == "randomisation" and data.randomisation is not None:
                return data.randomisation, "randomisation"
        return self.baseline_date, "baseline scan"

    def _new_therapy(self, rules: TteRules) -> dt.date | None:
        from recist.formats.subjects import parse_date

        if rules.new_therapy_var is None or self.data is None:
            return None
        return parse_date(self.data.get(rules.new_therapy_var))

    def pfs(self, rules: TteRules | None = None) -> TimeToEvent | None:
        """Progression-free survival by ``rules`` (None: no origin date known)."""
        rules = rules or TteRules(origin="baseline-scan")
        start, _what = self.origin(rules)
        if start is None:
            return None
        nothing = CENSOR_NONE
        if self.error is not None:
            nothing = f"{CENSOR_NONE} ({self.error.split(':')[0]})"
        return self._time_to_event(start, rules, nothing_text=nothing)

    def duration_of_response(
        self, *, confirmed: bool, rules: TteRules | None = None
    ) -> TimeToEvent | None:
        """Duration of response (Convention 4), or None for a non-responder."""
        if self.bor(confirmed=confirmed) not in _RESPONSE:
            return None
        start = self.response_start.get("confirmed" if confirmed else "unconfirmed")
        if start is None:
            return None
        rules = rules or TteRules(origin="baseline-scan")
        return self._time_to_event(start, rules)

    def _time_to_event(
        self, start: Any, rules: TteRules, **texts: str
    ) -> TimeToEvent | None:
        """PFS or DoR from ``start``: this subject's assessments, PD and death."""
        irecist = self.criteria == Criteria.IRECIST.value
        return time_to_event(
            self.subject_id,
            start=start,
            assessments=self._assessed(),
            progression=self.progression_date,
            death=self.death_date,
            rules=rules,
            new_therapy=self._new_therapy(rules),
            reference=self.data.reference_start if self.data else None,
            progression_text=EVENT_ICPD if irecist else EVENT_PD,
            **texts,
        )


def _progression(
    criteria: Criteria, seq: Sequence[tuple[dt.date, Response]]
) -> tuple[dt.date | None, bool]:
    """Progression date and whether a pseudo-progression was seen (iRECIST)."""
    if criteria is not Criteria.IRECIST:
        return next((d for d, v in seq if v is R.PD), None), False
    pseudo = False
    run_start: dt.date | None = None
    for d, v in seq:
        if v is R.IUPD:
            run_start = run_start or d
        elif v is R.ICPD:
            return run_start or d, pseudo
        elif v in _IRESET:
            pseudo = pseudo or run_start is not None
            run_start = None
    return None, pseudo


def subject_outcome(
    assessment: Assessment,
    *,
    subject_id: str | None = None,
    data: SubjectData | None = None,
    reference_date: dt.date | None = None,
) -> SubjectOutcome:
    """Summarise one subject's assessment.

    Parameters
    ----------
    assessment : Assessment
        From :func:`recist.assess`.
    subject_id : str, optional
        Defaults to the reading's ``subject_id``, else its ``case_id``.
    data : SubjectData, optional
        DM/ADSL variables of the subject.
    reference_date : date, optional
        The SD reference date the assessment used (recorded only).

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
    raw: list[tuple[dt.date, Response]] = []
    best: float | None = None
    progressed = False
    stop = R.ICPD if assessment.criteria is Criteria.IRECIST else R.PD
    for tp in assessment.timepoints:
        value = _canon(tp.overall.value)
        responses.append((tp.date, value))
        raw.append((tp.date, tp.overall.value))
        p = None if tp.sum_mm is None or base is None else pct_change(tp.sum_mm, base)
        if p is not None:
            pcts.append((tp.date, p))
            if not progressed and (best is None or p < best):
                best = p
        progressed = progressed or tp.overall.value is stop  # iUPD: not yet
    crit = assessment.criteria
    seq = [Assessment1(date=d, value=v) for d, v in raw]
    confirmed = first_confirmed_response(
        seq,
        criteria=crit,
        confirmation_min_days=reading.options.confirmation_min_days,
    )
    first: dt.date | None = None
    for d, v in raw:
        if _canon(v) in _RESPONSE:
            first = d
            break
        if v is stop:
            break
    progression, pseudo = _progression(crit, raw)
    return SubjectOutcome(
        subject_id=sid,
        reader=reading.reader,
        baseline_date=reading.baseline.date,
        bor_confirmed=_canon(assessment.best_overall_response_confirmed.value),
        bor_unconfirmed=_canon(assessment.best_overall_response_unconfirmed.value),
        best_pct_change=best,
        pct_by_date=tuple(pcts),
        responses=tuple(responses),
        criteria=crit.value,
        iresponses=tuple(raw),
        ibor_confirmed=assessment.best_overall_response_confirmed.value,
        ibor_unconfirmed=assessment.best_overall_response_unconfirmed.value,
        response_start={
            "confirmed": None if confirmed is None else confirmed.date,
            "unconfirmed": first,
        },
        progression_date=progression,
        pseudo_progression=pseudo,
        data=data,
        reference_date=reference_date or reading.baseline.date,
    )


# ------------------------------------------------------------------- tables


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupSummary:
    """One column of the summary: a group (``ARM=A``) or ``Overall``.

    ``bor_counts[flavour][category]``, ``orr``/``dcr[flavour]`` as
    :class:`Proportion`; ``null_p[flavour]`` the exact test's p-value against
    ``--null-orr``; ``pfs`` and ``dor`` Kaplan-Meier estimates (DoR of the
    primary flavour).
    """

    label: str
    n: int
    bor_counts: Mapping[str, Mapping[str, int]]
    orr: Mapping[str, Proportion]
    dcr: Mapping[str, Proportion]
    null_p: Mapping[str, float | None]
    pfs: KaplanMeier
    dor: KaplanMeier
    pseudo_progression: int
    subject_ids: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """JSON form of the column."""
        return {
            "label": self.label,
            "n": self.n,
            "bor_counts": {k: dict(v) for k, v in self.bor_counts.items()},
            "orr": {k: v.as_json() for k, v in self.orr.items()},
            "dcr": {k: v.as_json() for k, v in self.dcr.items()},
            "null_orr_p": dict(self.null_p),
            "pfs": self.pfs.as_json(),
            "dor": self.dor.as_json(),
            "pseudo_progression": self.pseudo_progression,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class EfficacySummary:
    """BOR counts, ORR and DCR (confirmed and unconfirmed), PFS, DoR, by group.

    ``bor_counts``, ``orr``, ``dcr`` are the overall column's (as before
    groups existed); ``groups`` holds one :class:`GroupSummary` per ``--by``
    value, ``overall`` the overall one.
    """

    subjects: tuple[SubjectOutcome, ...]
    bor_counts: Mapping[str, Mapping[str, int]]
    orr: Mapping[str, Proportion]
    dcr: Mapping[str, Proportion]
    confirmation: bool = True
    notes: tuple[str, ...] = ()
    criteria: str = "RECIST 1.1"
    by: tuple[str, ...] = ()
    groups: tuple[GroupSummary, ...] = ()
    overall: GroupSummary | None = None
    rules: TteRules = field(default_factory=lambda: TteRules(origin="baseline-scan"))
    pfs: Mapping[str, TimeToEvent | None] = field(default_factory=dict)
    dor: Mapping[str, TimeToEvent | None] = field(default_factory=dict)
    null_orr: float | None = None
    population: str = "every subject read"
    sd_reference: str = "baseline scan"
    excluded: tuple[tuple[str, str], ...] = ()

    @property
    def n(self) -> int:
        """Number of subjects."""
        return len(self.subjects)

    @property
    def irecist(self) -> bool:
        """True when the subjects were read by iRECIST."""
        return self.criteria == Criteria.IRECIST.value

    def group_of(self, s: SubjectOutcome) -> str:
        """Return the subject's group label (``"ARM=A"``; ``""`` without ``--by``)."""
        return _group_label(s, self.by)

    def criteria_words(self) -> list[str]:
        """Say what was derived and how, in sentences."""
        flavour = "confirmed" if self.confirmation else "unconfirmed"
        cats = "iRECIST (iBOR, iORR, iDCR)" if self.irecist else "RECIST 1.1"
        out = [
            f"Criteria: {cats}; primary best overall response: {flavour}; "
            "both flavours are tabulated.",
            f"Analysis set: {self.population}; n = {self.n}. Subjects of the set "
            "without a usable reading count as not evaluable (NE).",
            f"SD (and an unconfirmed CR/PR counted as SD) needs its assessment at "
            f"least the SD minimum days after the {self.sd_reference}; a CR/PR is "
            "confirmed by a CR/PR at least the confirmation interval later (RECIST "
            "1.1 §9.3).",
            "ORR and DCR carry exact (Clopper-Pearson) 95% CIs; KM medians the "
            "Brookmeyer-Crowley 95% CI (log-log); 6- and 12-month rates log-log "
            "95% CIs (Greenwood).",
        ]
        if self.null_orr is not None:
            out.append(
                f"ORR is tested against a historical rate of {self.null_orr:g} with "
                "a one-sided exact binomial test (H1: ORR > rate)."
            )
        return out + self.rules.describe()

    def as_json(self) -> dict[str, Any]:
        """Return the ``summary.json`` document (keys as the issue gives them)."""
        primary = self.confirmation

        def tte(t: TimeToEvent | None) -> dict[str, Any] | None:
            if t is None:
                return None
            return {
                "start": t.start.isoformat(),
                "end": t.end.isoformat(),
                "days": t.aval,
                "months": t.aval / DAYS_PER_MONTH,
                "event": t.event,
                "reason": t.description,
            }

        listing = []
        for s in self.subjects:
            listing.append(
                {
                    "subject": s.subject_id,
                    "group": self.group_of(s),
                    "criteria": s.criteria,
                    "bor": s.ibor(confirmed=False).value,
                    "confirmed_bor": s.ibor(confirmed=True).value,
                    "best_pct_change": s.best_pct_change,
                    "pfs": tte(self.pfs.get(s.subject_id)),
                    "dor": tte(self.dor.get(s.subject_id)),
                    "dor_start": _iso(
                        s.response_start.get("confirmed" if primary else "unconfirmed")
                    ),
                    "pseudo_progression": s.pseudo_progression,
                    "not_evaluable_reason": s.error,
                }
            )
        overall = self.overall
        return {
            "n": self.n,
            "criteria": self.criteria,
            "bor_counts": {k: dict(v) for k, v in self.bor_counts.items()},
            "orr": {k: v.as_json() for k, v in self.orr.items()},
            "dcr": {k: v.as_json() for k, v in self.dcr.items()},
            "best_pct_change": {s.subject_id: s.best_pct_change for s in self.subjects},
            "primary": "confirmed" if primary else "unconfirmed",
            "not_evaluable": {
                s.subject_id: s.error for s in self.subjects if s.error is not None
            },
            "population": self.population,
            "reference_date": self.sd_reference,
            "pfs_origin": self.rules.origin,
            "censoring_rules": self.rules.describe(),
            "method": self.criteria_words(),
            "null_orr": self.null_orr,
            "by": list(self.by),
            "overall": None if overall is None else overall.as_json(),
            "groups": {g.label: g.as_json() for g in self.groups},
            "subjects": listing,
            "excluded": [{"subject": u, "reason": w} for u, w in self.excluded],
            "notes": list(self.notes),
        }


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


def _group_label(s: SubjectOutcome, by: Sequence[str]) -> str:
    return ", ".join(f"{v}={s.var(v) or '(missing)'}" for v in by)


def _column(
    label: str,
    subs: Sequence[SubjectOutcome],
    *,
    irecist: bool,
    null_orr: float | None,
    pfs: Mapping[str, TimeToEvent | None],
    dor: Mapping[str, TimeToEvent | None],
) -> GroupSummary:
    n = len(subs)
    cats = IBOR_CATEGORIES if irecist else BOR_CATEGORIES
    resp = _IRESPONSE if irecist else _RESPONSE
    ctrl = _ICONTROL if irecist else _CONTROL
    counts: dict[str, dict[str, int]] = {}
    orr: dict[str, Proportion] = {}
    dcr: dict[str, Proportion] = {}
    null_p: dict[str, float | None] = {}
    for flavour, confirmed in (("confirmed", True), ("unconfirmed", False)):
        get = (
            (lambda s, c=confirmed: s.ibor(confirmed=c))
            if irecist
            else (lambda s, c=confirmed: s.bor(confirmed=c))
        )
        c = Counter(get(s).value for s in subs)
        table = {cat: c.pop(cat, 0) for cat in cats}
        table.update(sorted(c.items()))
        counts[flavour] = table
        k = sum(table[r.value] for r in resp)
        orr[flavour] = proportion(k, n)
        dcr[flavour] = proportion(sum(table[r.value] for r in ctrl), n)
        null_p[flavour] = (
            None if null_orr is None or n == 0 else exact_test(k, n, null_orr)
        )

    def km(items: Iterable[TimeToEvent | None]) -> KaplanMeier:
        got = [t for t in items if t is not None]
        return kaplan_meier(
            [t.aval / DAYS_PER_MONTH for t in got], [t.event for t in got]
        )

    return GroupSummary(
        label=label,
        n=n,
        bor_counts=counts,
        orr=orr,
        dcr=dcr,
        null_p=null_p,
        pfs=km(pfs.get(s.subject_id) for s in subs),
        dor=km(dor.get(s.subject_id) for s in subs),
        pseudo_progression=sum(s.pseudo_progression for s in subs),
        subject_ids=tuple(s.subject_id for s in subs),
    )


def summarize(
    subjects: Iterable[SubjectOutcome],
    *,
    confirmation: bool = True,
    notes: Sequence[str] = (),
    by: Sequence[str] = (),
    rules: TteRules | None = None,
    null_orr: float | None = None,
    population: str = "every subject read",
    sd_reference: str = "baseline scan",
    excluded: Sequence[tuple[str, str]] = (),
) -> EfficacySummary:
    """Count best responses, derive ORR/DCR with exact CIs, PFS and DoR, by group.

    Parameters
    ----------
    subjects : iterable of SubjectOutcome
        The analysis set (see :func:`select_population`).
    confirmation : bool, default True
        Which flavour is primary (both are always given).
    notes : sequence of str
        What loading decided or skipped, one line each.
    by : sequence of str
        DM/ADSL variables to group by (``ARM``); an overall column always.
    rules : TteRules, optional
        PFS/DoR rules (default: origin at the baseline scan).
    null_orr : float, optional
        Historical ORR for the one-sided exact test. *Permitted:* 0 < p < 1.
    population, sd_reference : str
        Said in the outputs.
    excluded : sequence of (subject, reason)
        Readings not in the analysis set.

    Raises
    ------
    InvalidInputError
        Subjects read by RECIST 1.1 and iRECIST together.

    Examples
    --------
    >>> s = summarize([SubjectOutcome(subject_id=str(i), bor_confirmed=R.PR,
    ...                               bor_unconfirmed=R.PR) for i in range(5)]
    ...               + [SubjectOutcome(subject_id=str(i)) for i in range(5, 10)])
    >>> s.bor_counts["confirmed"]["PR"], s.orr["confirmed"].text()
    (5, '5/10 (50.0%; 95% CI 18.7-81.3%)')
    """
    subs = tuple(sorted(subjects, key=lambda s: s.subject_id))
    crits = {s.criteria for s in subs if s.error is None}
    if len(crits) > 1:
        msg = (
            "readings by RECIST 1.1 and iRECIST together: summarise one criteria "
            "at a time (--criteria)"
        )
        raise InvalidInputError(msg)
    criteria = crits.pop() if crits else "RECIST 1.1"
    irecist = criteria == Criteria.IRECIST.value
    if null_orr is not None and not 0 < null_orr < 1:
        raise InvalidInputError(f"null ORR must be in (0, 1), got {null_orr}")
    rules = rules or TteRules(origin="baseline-scan")
    pfs = {s.subject_id: s.pfs(rules) for s in subs}
    dor = {
        s.subject_id: s.duration_of_response(confirmed=confirmation, rules=rules)
        for s in subs
    }
    kw: dict[str, Any] = {
        "irecist": irecist,
        "null_orr": null_orr,
        "pfs": pfs,
        "dor": dor,
    }
    overall = _column("Overall", subs, **kw)
    groups: list[GroupSummary] = []
    if by:
        members: dict[str, list[SubjectOutcome]] = {}
        for s in subs:
            members.setdefault(_group_label(s, by), []).append(s)
        groups = [_column(g, members[g], **kw) for g in sorted(members)]
    return EfficacySummary(
        subjects=subs,
        bor_counts=overall.bor_counts,
        orr=overall.orr,
        dcr=overall.dcr,
        confirmation=confirmation,
        notes=tuple(notes),
        criteria=criteria,
        by=tuple(by),
        groups=tuple(groups),
        overall=overall,
        rules=rules,
        pfs=pfs,
        dor=dor,
        null_orr=null_orr,
        population=population,
        sd_reference=sd_reference,
        excluded=tuple(excluded),
    )


# --------------------------------------------------------------------- loading


@dataclass(frozen=True, slots=True, kw_only=True)
class _Loaded:
    """A reading found in the input, before selection."""

    subject_id: str
    reading: Reading | None
    reader: str | None
    criteria: str
    where: str
    error: str | None = None


#: Below this many files loading runs in this process.
PARALLEL_MIN_FILES = 400


def _ref_of(data: SubjectData | None, choice: str) -> dt.date | None:
    if data is None:
        return None
    if choice == "first-dose":
        return data.first_dose
    if choice == "randomisation":
        return data.randomisation
    return None


_Assessed = tuple[_Loaded, SubjectOutcome, dict[str, str], str]


def _assess_files(
    job: tuple[Sequence[Path], Mapping[str, dt.date], str, Mapping[str, Any]],
) -> list[_Assessed | str]:
    """Read and assess reading files (in a worker process when many).

    Returns, per file, ``(meta, outcome, own subject fields, reference kind)``
    or the note why it was skipped.  Outcomes carry no DM/ADSL (the caller
    attaches it); nothing returned holds a mapping proxy, so it pickles.
    """
    from recist.formats.reading import load_reading

    paths, refs, sd_reference, options = job
    out: list[_Assessed | str] = []
    for path in paths:
        try:
            reading = load_reading(path)
        except RecistError as exc:
            out.append(f"skipped {path.name}: not a reading or case file ({exc})")
            continue
        sid = reading.subject_id or reading.case_id or path.stem
        own = dict(reading.subject)
        ref = refs.get(sid)
        if ref is None and own:
            ref = _ref_of(SubjectData(usubjid=sid, variables=own), sd_reference)
        kind = "baseline scan" if ref is None else sd_reference.replace("-", " ")
        meta = _Loaded(
            subject_id=sid,
            reading=None,
            reader=reading.reader,
            criteria=reading.criteria.value,
            where=path.name,
        )
        try:
            result = assess(reading, reference_date=ref, **options)
        except RuleViolation as exc:
            lesion = f" (lesion {exc.lesion})" if exc.lesion else ""
            outcome = SubjectOutcome(
                subject_id=sid,
                reader=reading.reader,
                baseline_date=reading.baseline.date,
                error=f"{exc.code}{lesion}: {exc}",
                criteria=reading.criteria.value,
            )
            out.append((meta, outcome, own, ""))
            continue
        outcome = subject_outcome(result, subject_id=sid, reference_date=ref)
        out.append((meta, outcome, own, kind))
    return out


def _in_parallel(func: Any, jobs: Sequence[Any]) -> list[Any]:
    """Map ``func`` over ``jobs`` in worker processes (fork), in order.

    For the CPU-bound parsing and assessing of many readings; runs here where
    fork is not available or there is one CPU.
    """
    import multiprocessing as mp
    import os

    workers = min(len(jobs), os.cpu_count() or 1)
    if workers < 2 or "fork" not in mp.get_all_start_methods():
        return [func(j) for j in jobs]
    with mp.get_context("fork").Pool(workers) as pool:
        return pool.map(func, jobs)


def _from_json_files(
    paths: Sequence[Path],
    notes: list[str],
    refs: Mapping[str, dt.date],
    sd_reference: str,
    options: Mapping[str, Any],
) -> list[_Assessed]:
    import os

    if len(paths) >= PARALLEL_MIN_FILES:
        n = 4 * (os.cpu_count() or 1)
        size = -(-len(paths) // n)
        jobs = [
            (paths[i : i + size], refs, sd_reference, options)
            for i in range(0, len(paths), size)
        ]
        got = [x for part in _in_parallel(_assess_files, jobs) for x in part]
    else:
        got = _assess_files((paths, refs, sd_reference, options))
    out: list[_Assessed] = []
    for x in got:
        if isinstance(x, str):
            notes.append(x)
        else:
            out.append(x)
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
    criteria: str | None,
) -> list[_Loaded]:
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
        if criteria is not None and r.criteria != criteria:
            continue
        by_subject.setdefault(r.usubjid, []).append(r)
    out: list[_Loaded] = []
    for sid in sorted(by_subject):
        chosen = sorted(by_subject[sid], key=_reader_rank)[0]
        label = chosen.evaluator.label
        if chosen.case is None:
            out.append(
                _Loaded(
                    subject_id=sid,
                    reading=None,
                    reader=label,
                    criteria=chosen.criteria,
                    where="SDTM",
                    error=f"INPUT: {chosen.input_error}",
                )
            )
            continue
        reading = load_case({**chosen.case, "subject_id": sid, "reader": label})
        out.append(
            _Loaded(
                subject_id=sid,
                reading=reading,
                reader=label,
                criteria=reading.criteria.value,
                where="SDTM",
            )
        )
    skipped = sum(len(v) for v in by_subject.values()) - len(out)
    if skipped:
        notes.append(
            f"SDTM: {skipped + len(out)} readings of {len(out)} subjects; one per "
            "subject used (RECIST 1.1 first, then INVESTIGATOR, then by evaluator "
            "label); --evaluator/--criteria select others"
        )
    return out


def _select(
    loaded: Sequence[_Loaded], evaluator: str | None, criteria: str | None
) -> list[_Loaded]:
    """Keep the readings --evaluator/--criteria select; refuse a subject twice."""
    kept = [
        x
        for x in loaded
        if (criteria is None or x.criteria == criteria)
        and (evaluator is None or evaluator.upper() in (x.reader or "").upper())
    ]
    seen: dict[str, _Loaded] = {}
    for x in kept:
        if x.subject_id in seen:
            a = seen[x.subject_id]
            msg = (
                f"subject {x.subject_id} is given twice ({a.where}: "
                f"{a.reader or 'no reader'}, {a.criteria}; {x.where}: "
                f"{x.reader or 'no reader'}, {x.criteria}); choose one with "
                "--evaluator or --criteria"
            )
            raise InvalidInputError(msg, location=x.where)
        seen[x.subject_id] = x
    return kept


def _date_for(
    choice: str, data: SubjectData | None, reading: Reading
) -> tuple[dt.date, str]:
    if data is not None:
        if choice == "first-dose" and data.first_dose is not None:
            return data.first_dose, "first dose"
        if choice == "randomisation" and data.randomisation is not None:
            return data.randomisation, "randomisation"
    return reading.baseline.date, "baseline scan"


def _assess_one(
    x: _Loaded,
    options: Mapping[str, Any],
    data: SubjectData | None,
    sd_reference: str,
    used: Counter[str],
) -> SubjectOutcome:
    reading = x.reading
    if reading is None:
        return SubjectOutcome(
            subject_id=x.subject_id, reader=x.reader, error=x.error, data=data,
            criteria=x.criteria,
        )  # fmt: skip
    ref, what = _date_for(sd_reference, data, reading)
    used[what] += 1
    try:
        result = assess(reading, reference_date=ref, **options)
    except RuleViolation as exc:
        lesion = f" (lesion {exc.lesion})" if exc.lesion else ""
        return SubjectOutcome(
            subject_id=x.subject_id,
            reader=reading.reader,
            baseline_date=reading.baseline.date,
            error=f"{exc.code}{lesion}: {exc}",
            criteria=reading.criteria.value,
            data=data,
        )
    return subject_outcome(
        result, subject_id=x.subject_id, data=data, reference_date=ref
    )


def load_subjects(
    source: str | Path | None = None,
    *,
    tu: str | Path | None = None,
    tr: str | Path | None = None,
    rs: str | Path | None = None,
    confirmation: bool = True,
    sd_min_days: int | None = None,
    evaluator: str | None = None,
    criteria: str | None = None,
    subject_data: Mapping[str, SubjectData] | None = None,
    sd_reference: str = "first-dose",
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
        Least days from the reference date for SD to count (default: the
        reading's).
    evaluator : str, optional
        Keep readings whose reader / evaluator label contains this text.
    criteria : {"RECIST 1.1", "iRECIST"}, optional
        Keep readings by these criteria.
    subject_data : mapping of USUBJID to SubjectData, optional
        DM/ADSL; a reading's own ``subject`` fields fill what it lacks.
    sd_reference : {"first-dose", "randomisation", "baseline-scan"}
        Day the SD minimum duration counts from (the baseline scan when the
        subject has no such date).

    Returns
    -------
    (list of SubjectOutcome, list of str)
        The subjects and notes on what was skipped or decided.

    Raises
    ------
    InvalidInputError
        A subject given twice that ``evaluator``/``criteria`` do not separate.
    """
    notes: list[str] = []
    options: dict[str, Any] = {"confirmation": confirmation}
    if sd_min_days is not None:
        options["sd_min_days"] = sd_min_days
    path = None if source is None else Path(source)
    table = subject_data or {}
    used: Counter[str] = Counter()
    out: list[SubjectOutcome] = []
    jsons: list[Path] = []
    if tu or tr or rs:
        files = {"tu": _p(tu), "tr": _p(tr), "rs": _p(rs)}
        loaded = _from_sdtm(path, files, options, notes, evaluator, criteria)
    elif path is None:
        raise FileNotFoundError("give a folder or file, or --tu/--tr")
    elif path.is_file():
        jsons = [path]
    elif not path.is_dir():
        raise FileNotFoundError(str(path))
    else:
        jsons = sorted(p for p in path.rglob("*.json") if p.is_file())
        if not jsons:
            from recist.formats._sdtm_io import find_domain_files

            if not any(find_domain_files(path).values()):
                raise InvalidInputError(
                    f"{path}: no reading or case *.json files and no SDTM TU/TR files",
                    location=str(path),
                )
            loaded = _from_sdtm(path, {}, options, notes, evaluator, criteria)
    if jsons:
        refs = {u: d for u, sd in table.items() if (d := _ref_of(sd, sd_reference))}
        assessed = _from_json_files(jsons, notes, refs, sd_reference, options)
        kept = {id(m) for m in _select([a[0] for a in assessed], evaluator, criteria)}
        for meta, outcome, own, kind in assessed:
            if id(meta) not in kept:
                continue
            data = _merge_data(meta.subject_id, own, table.get(meta.subject_id))
            out.append(replace(outcome, data=data))
            if kind:
                used[kind] += 1
    else:
        for x in _select(loaded, evaluator, criteria):
            own = dict(x.reading.subject) if x.reading is not None else {}
            data = _merge_data(x.subject_id, own, table.get(x.subject_id))
            out.append(_assess_one(x, options, data, sd_reference, used))
    if used:
        notes.append(
            "SD minimum duration counted from: "
            + ", ".join(f"{k} ({v} subjects)" for k, v in sorted(used.items()))
        )
    return out, notes


def _merge_data(
    sid: str, own: Mapping[str, str], given: SubjectData | None
) -> SubjectData | None:
    """DM/ADSL values win over the reading's own subject fields."""
    if not own:
        return given
    base = SubjectData(usubjid=sid, variables=own, source="reading")
    return base if given is None else base.merged(given.variables, given.source)


def select_population(
    subjects: Sequence[SubjectOutcome],
    subject_data: Mapping[str, SubjectData] | None,
    population: str | None,
) -> tuple[list[SubjectOutcome], list[tuple[str, str]], str]:
    """Keep the analysis set; add its subjects without a reading (as NE).

    Parameters
    ----------
    subjects : sequence of SubjectOutcome
    subject_data : mapping of USUBJID to SubjectData, optional
        DM/ADSL. Without it the set is every subject read.
    population : str, optional
        A flag variable (``EFFFL``, ``SAFFL``, ``ITTFL``...); None: every
        DM/ADSL subject.

    Returns
    -------
    (subjects, excluded, description)
        ``excluded`` lists ``(subject, why)`` of readings left out.

    Raises
    ------
    InvalidInputError
        ``population`` without DM/ADSL (or a flag no subject record holds).
    """
    from recist.formats.subjects import ANALYSIS_SETS

    if not subject_data:
        if population is not None:
            flag = population.upper()
            inset = [s for s in subjects if s.var(flag) == "Y"]
            if not any(s.var(flag) for s in subjects):
                msg = f"--population {population}: no DM/ADSL and no reading has {flag}"
                raise InvalidInputError(msg)
            out = [
                (s.subject_id, f"{flag} is not Y") for s in subjects if s not in inset
            ]
            return inset, out, f"{ANALYSIS_SETS.get(flag, flag)} ({flag} = Y)"
        return list(subjects), [], "every subject read (no DM/ADSL given)"
    flag = None if population is None else population.upper()
    if flag is not None and not any(flag in d.variables for d in subject_data.values()):
        msg = f"--population {population}: DM/ADSL has no variable {flag}"
        raise InvalidInputError(msg)
    members = {u for u, d in subject_data.items() if flag is None or d.get(flag) == "Y"}
    by_id = {s.subject_id: s for s in subjects}
    kept = [s for s in subjects if s.subject_id in members]
    excluded = [
        (
            s.subject_id,
            "not in DM/ADSL"
            if s.subject_id not in subject_data
            else f"{flag} is not Y",
        )
        for s in subjects
        if s.subject_id not in members
    ]
    for u in sorted(members - set(by_id)):
        kept.append(
            SubjectOutcome(subject_id=u, error=NO_READING, data=subject_data[u])
        )
    what = (
        f"every DM/ADSL subject ({len(members)})"
        if flag is None
        else f"{ANALYSIS_SETS.get(flag, flag)} ({flag} = Y)"
    )
    return kept, excluded, what


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


def _pct(k: int, n: int) -> str:
    return f"{k} ({100 * k / n:.1f}%)" if n else str(k)


def _columns(summary: EfficacySummary) -> list[GroupSummary]:
    overall = summary.overall
    return [*summary.groups, *([overall] if overall is not None else [])]


def bor_rows(summary: EfficacySummary, flavour: str | None = None) -> list[list[str]]:
    """Rows of the BOR table: category then n (%) per group and overall.

    Without ``flavour``: the overall column, confirmed and unconfirmed.
    """
    if flavour is None:
        rows: list[list[str]] = []
        cats = list(summary.bor_counts["confirmed"])
        extra = [k for k in summary.bor_counts["unconfirmed"] if k not in cats]
        for c in [*cats, *extra]:
            cells = [c]
            for f in ("confirmed", "unconfirmed"):
                cells.append(_pct(summary.bor_counts[f].get(c, 0), summary.n))
            rows.append(cells)
        rows.append(["Total", str(summary.n), str(summary.n)])
        return rows
    cols = _columns(summary)
    cats = list(dict.fromkeys(c for g in cols for c in g.bor_counts[flavour]))
    rows = [
        [c, *(_pct(g.bor_counts[flavour].get(c, 0), g.n) for g in cols)] for c in cats
    ]
    rows.append(["Total", *(str(g.n) for g in cols)])
    return rows


def _rate_rows(summary: EfficacySummary) -> list[list[str]]:
    i = "i" if summary.irecist else ""
    cols = _columns(summary)
    rows: list[list[str]] = []
    for f in ("confirmed", "unconfirmed"):
        rows.append([f"{i}ORR ({f})", *(g.orr[f].text() for g in cols)])
        rows.append([f"{i}DCR ({f})", *(g.dcr[f].text() for g in cols)])
    if summary.null_orr is not None:
        f = "confirmed" if summary.confirmation else "unconfirmed"
        rows.append(
            [
                f"one-sided exact p, {i}ORR > {summary.null_orr:g}",
                *(_pvalue(g.null_p.get(f)) for g in cols),
            ]
        )
    for name, key in (("PFS", "pfs"), ("DoR", "dor")):
        kms = [getattr(g, key) for g in cols]
        rows.append([f"{name} events / n", *(f"{k.events}/{k.n}" for k in kms)])
        rows.append([f"{name} median (95% CI)", *(k.median_text() for k in kms)])
        for m in (6, 12):
            rows.append(
                [f"{name} {m}-month rate (95% CI)", *(_rate(k, m) for k in kms)]
            )
    if summary.irecist:
        rows.append(
            ["pseudo-progression (iUPD then iSD/iPR/iCR)",
             *(str(g.pseudo_progression) for g in cols)]
        )  # fmt: skip
    return rows


def _pvalue(p: float | None) -> str:
    return "n/a" if p is None else f"{p:.4f}"


def _rate(km: KaplanMeier, months: int) -> str:
    r = km.rates.get(months)
    if r is None:
        return "NE (follow-up shorter)"
    return f"{100 * r[0]:.1f}% ({100 * r[1]:.1f}-{100 * r[2]:.1f}%)"


def _listing(summary: EfficacySummary) -> list[list[str]]:
    def t(x: TimeToEvent | None) -> list[str]:
        if x is None:
            return ["", ""]
        what = "event" if x.event else "censored"
        return [f"{x.aval / DAYS_PER_MONTH:.2f}", f"{what}: {x.description}"]

    rows = []
    for s in summary.subjects:
        pct = "" if s.best_pct_change is None else f"{s.best_pct_change:+.1f}"
        rows.append(
            [
                s.subject_id,
                summary.group_of(s),
                s.ibor(confirmed=False).value,
                s.ibor(confirmed=True).value,
                pct,
                *t(summary.pfs.get(s.subject_id)),
                *t(summary.dor.get(s.subject_id)),
                s.error or "",
            ]
        )
    return rows


def _figures(summary: EfficacySummary) -> dict[str, Any]:
    from recist.report import plots

    confirmed = summary.confirmation
    i = "i" if summary.irecist else ""

    def per_group(times: Mapping[str, TimeToEvent | None]) -> Any:
        if not summary.groups:
            return [t for t in times.values() if t is not None]
        return [
            (g.label, [t for u in g.subject_ids if (t := times.get(u)) is not None])
            for g in summary.groups
        ]

    return {
        "waterfall": plots.waterfall(summary, confirmed=confirmed),
        "spider": plots.spider(summary, confirmed=confirmed),
        "swimmer": plots.swimmer(summary, confirmed=confirmed),
        "km_pfs": plots.kaplan_meier(
            per_group(summary.pfs),
            title=f"Progression-free survival{' (iRECIST)' if i else ''}",
            ylabel="Progression-free survival probability",
        ),
        "km_dor": plots.kaplan_meier(
            per_group(summary.dor),
            title=f"Duration of response ({'confirmed' if confirmed else 'any'} "
            "responders)",
            ylabel="Probability of remaining in response",
        ),
    }


def write_summary(
    summary: EfficacySummary,
    out_dir: str | Path,
    *,
    comparison: ReferenceComparison | None = None,
) -> list[Path]:
    """Write ``summary.json``, ``summary.html`` and the plots (PNG and SVG).

    Every text taken from the input (subject ids, group values, file names,
    reasons) is HTML-escaped.

    Returns
    -------
    list of Path
        Every file written.
    """
    import base64
    import html
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
    esc = html.escape
    images: list[str] = []
    for stem, fig in _figures(summary).items():
        png, svg = plots.save_figure(fig, out, stem)
        written += [png, svg]
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        images.append(
            f'<h2>{stem}</h2><img alt="{stem}" src="data:image/png;base64,{data}">'
        )
    confirmed = summary.confirmation
    flavour = "confirmed" if confirmed else "unconfirmed"
    other = "unconfirmed" if confirmed else "confirmed"
    heads = ["", *(g.label for g in _columns(summary))]
    i = "i" if summary.irecist else ""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        "<h1>Efficacy summary</h1>",
        f"<p class=note>{summary.n} subjects ({esc(summary.population)}); "
        f"criteria {esc(summary.criteria)}; primary: {flavour} {i}BOR"
        + (f"; by {esc(', '.join(summary.by))}" if summary.by else "")
        + f"; generated {stamp} by recist.</p>",
        "<h2>Methods</h2><ul>",
        *(f"<li>{esc(line)}</li>" for line in summary.criteria_words()),
        "</ul>",
        f"<h2>Best overall response ({flavour})</h2>",
        _html_table([f"{i}BOR", *heads[1:]], bor_rows(summary, flavour)),
        f"<h2>Best overall response ({other})</h2>",
        _html_table([f"{i}BOR", *heads[1:]], bor_rows(summary, other)),
        "<h2>Rates and time to event</h2>",
        _html_table(heads, _rate_rows(summary)),
        *images,
        "<h2>Subjects</h2>",
        _html_table(
            [
                "subject",
                "group",
                f"{i}BOR",
                f"confirmed {i}BOR",
                "best %",
                "PFS (months)",
                "PFS event / censoring",
                "DoR (months)",
                "DoR event / censoring",
                "not evaluable because",
            ],
            _listing(summary),
        ),
    ]
    if comparison is not None:
        body.append("<h2>Reference check (ADaM)</h2><pre>")
        body.append(esc("\n".join(comparison.lines())))
        body.append("</pre>")
    if summary.excluded:
        body.append(
            f"<h2>Readings outside the analysis set ({len(summary.excluded)})</h2>"
        )
        body.append(_html_table(["subject", "why"], summary.excluded))
    if summary.notes:
        body.append("<h2>Notes</h2><ul>")
        body += [f"<li>{esc(n)}</li>" for n in summary.notes]
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
