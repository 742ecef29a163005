"""Best overall response, with and without confirmation (RECIST 1.1 §9, iRECIST §6).

Confirmation follows admiralonco ``derive_param_confirmed_bor`` with its defaults
(``ref_confirm = 28``, ``max_nr_ne = 1``, ``accept_sd = FALSE``), Conventions
R-11 to R-14, I-10 and I-11.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from recist.model import Assessed
from recist.terms import Criteria, Response

__all__ = [
    "Assessment1",
    "best_overall_response",
    "cr_then_worse_warnings",
    "first_confirmed_response",
]

R = Response

# Canonical (RECIST 1.1) names of the iRECIST overall responses, for the algorithm.
_CANON = {
    R.ICR: R.CR,
    R.IPR: R.PR,
    R.ISD: R.SD,
    R.NON_ICR_NON_IUPD: R.NON_CR_NON_PD,
}
_RANK = {
    Criteria.RECIST_1_1: (R.CR, R.PR, R.SD, R.NON_CR_NON_PD, R.PD, R.NE),
    Criteria.IRECIST: (R.ICR, R.IPR, R.ISD, R.NON_ICR_NON_IUPD, R.ICPD, R.IUPD, R.NE),
}
_STOP = {Criteria.RECIST_1_1: R.PD, Criteria.IRECIST: R.ICPD}


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment1:
    """One time point's overall response, as BOR sees it (date and value)."""

    date: dt.date
    value: Response


def _canon(v: Response) -> Response:
    return _CANON.get(v, v)


def _label(v: Response, criteria: Criteria) -> Response:
    if criteria is Criteria.RECIST_1_1:
        return v
    back = {c: i for i, c in _CANON.items()}
    return back.get(v, v)


def _confirmation(
    i: int, seq: Sequence[Assessment1], min_days: int
) -> tuple[bool, str]:
    """Say whether the CR/PR at ``seq[i]`` is confirmed (admiralonco, R-14)."""
    first = seq[i]
    kind = _canon(first.value)
    targets = (R.CR,) if kind is R.CR else (R.CR, R.PR)
    allowed = (R.CR, R.NE) if kind is R.CR else (R.CR, R.PR, R.NE)
    upper = next(
        (
            j
            for j in range(i + 1, len(seq))
            if _canon(seq[j].value) in targets
            and (seq[j].date - first.date).days >= min_days
        ),
        None,
    )
    wanted = "/".join(t.value for t in targets)
    if upper is None:
        return False, f"no later {wanted} at least {min_days} days after {first.date}"
    between = [_canon(a.value) for a in seq[i + 1 : upper + 1]]
    conf = seq[upper]
    days = (conf.date - first.date).days
    bad = [a for a in seq[i + 1 : upper + 1] if _canon(a.value) not in allowed]
    if bad:
        return (
            False,
            f"{bad[0].value.value} on {bad[0].date} before the confirming scan",
        )
    n_ne = between.count(R.NE)
    if n_ne > 1:
        return False, f"{n_ne} NE assessments before the confirming scan (at most 1)"
    if kind is R.PR and R.CR in between and R.PR in between:
        last_pr = max(k for k, v in enumerate(between) if v is R.PR)
        first_cr = min(k for k, v in enumerate(between) if v is R.CR)
        if first_cr < last_pr:
            return False, "a PR follows a CR before the confirming scan"
    return True, f"confirmed by {conf.value.value} on {conf.date} ({days} days later)"


def best_overall_response(
    responses: Sequence[Assessment1],
    *,
    baseline_date: dt.date,
    criteria: Criteria = Criteria.RECIST_1_1,
    confirmation: bool = True,
    confirmation_min_days: int = 28,
    sd_min_days: int = 42,
    non_target_only: bool = False,
) -> Assessed[Response]:
    """Best overall response of a reading (RECIST 1.1 §9 or iRECIST §6).

    Parameters
    ----------
    responses : sequence of Assessment1
        Overall time-point responses in date order.
    baseline_date : datetime.date
        Reference of the SD window (R-11).
    criteria : Criteria
        RECIST 1.1 (window ends at the first PD) or iRECIST (at the first iCPD).
    confirmation : bool
        CR/PR need a confirming assessment (§9.3) or count at once (§9.2).
    confirmation_min_days : int
        Least days between a response and its confirmation (inclusive).
    sd_min_days : int
        Least days from baseline for SD / NON-CR/NON-PD to count (inclusive).
    non_target_only : bool
        No targets at baseline: an unconfirmed CR counts as NON-CR/NON-PD (R-12).

    Notes
    -----
    1. Keep the assessments up to and including the first PD (iRECIST: iCPD).
    2. Each counts as itself, except: CR/PR with confirmation on and no
       confirmation count as SD (NON-CR/NON-PD without targets) when at least
       ``sd_min_days`` after baseline, else NE; SD and NON-CR/NON-PD earlier
       than ``sd_min_days`` count as NE.
    3. The best by CR > PR > SD > NON-CR/NON-PD > PD > NE (iRECIST: iCR > iPR >
       iSD > NON-iCR/NON-iUPD > iCPD > iUPD > NE). No assessment: NE (R-17).

    Examples
    --------
    >>> d = dt.date
    >>> seq = [Assessment1(date=d(2026, 2, 16), value=Response.PR),
    ...        Assessment1(date=d(2026, 3, 16), value=Response.PR)]
    >>> best_overall_response(seq, baseline_date=d(2026, 1, 5)).value.value
    'PR'
    """
    rule = "RECIST 1.1 §9.3" if confirmation else "RECIST 1.1 §9.2"
    if criteria is Criteria.IRECIST:
        rule = "iRECIST §6"
    inputs: dict[str, object] = {
        "responses": [(a.date, a.value) for a in responses],
        "confirmation": confirmation,
        "confirmation_min_days": confirmation_min_days,
        "sd_min_days": sd_min_days,
        "baseline_date": baseline_date,
    }
    stop = _STOP[criteria]
    window: list[Assessment1] = []
    for a in responses:
        window.append(a)
        if a.value is stop:
            break
    if not window:
        return Assessed(R.NE, rule, "NE: no follow-up assessment (R-17)", inputs)
    counted: list[tuple[Response, str]] = []
    for i, a in enumerate(window):
        v, c = a.value, _canon(a.value)
        early = (a.date - baseline_date).days < sd_min_days
        note = ""
        if c in (R.CR, R.PR) and confirmation:
            ok, why = _confirmation(i, window, confirmation_min_days)
            if ok:
                note = why
            else:
                fallback = R.NON_CR_NON_PD if non_target_only else R.SD
                v = R.NE if early else _label(fallback, criteria)
                note = f"{a.value.value} on {a.date} unconfirmed: {why}"
                if early:
                    note += f"; before day {sd_min_days}"
        elif c in (R.SD, R.NON_CR_NON_PD) and early:
            v = R.NE
            note = (
                f"{a.value.value} on {a.date} is day {(a.date - baseline_date).days}, "
                f"before the {sd_min_days}-day minimum"
            )
        counted.append((v, note))
    rank = _RANK[criteria]
    best_i = min(range(len(counted)), key=lambda k: (rank.index(counted[k][0]), k))
    best, note = counted[best_i]
    a = window[best_i]
    n = len(window)
    why = f"{best.value}: best of {n} assessment(s), from {a.value.value} on {a.date}"
    if note:
        why += f" ({note})"
    if len(window) < len(responses):
        why += (
            f"; assessments after the first {stop.value} on {window[-1].date} ignored"
        )
    return Assessed(best, rule, why, inputs)


def cr_then_worse_warnings(responses: Sequence[Assessment1]) -> tuple[str, ...]:
    """Warn where a CR is followed by PR or SD (R-13: a data issue for the reader).

    Examples
    --------
    >>> d = dt.date
    >>> seq = [Assessment1(date=d(2026, 2, 16), value=Response.CR),
    ...        Assessment1(date=d(2026, 3, 30), value=Response.PR)]
    >>> cr_then_worse_warnings(seq)[0][:40]
    'CR on 2026-02-16 is followed by PR on 20'
    """
    out = []
    for a, b in itertools.pairwise(responses):
        if _canon(a.value) is R.CR and _canon(b.value) in (R.PR, R.SD):
            out.append(
                f"CR on {a.date} is followed by {b.value.value} on {b.date}: if the CR "
                "was real the later disease is progression, if doubtful re-read it as "
                "PR (RECIST 1.1 Table 3 footnote, Convention R-13)"
            )
    return tuple(out)


def first_confirmed_response(
    responses: Sequence[Assessment1],
    *,
    criteria: Criteria = Criteria.RECIST_1_1,
    confirmation_min_days: int = 28,
) -> Assessment1 | None:
    """Return the first CR/PR (iCR/iPR) that is confirmed (a confirmed DoR start).

    Only assessments up to the first PD (iRECIST: iCPD) count, and confirmation
    is judged as in :func:`best_overall_response`.

    Examples
    --------
    >>> d = dt.date
    >>> seq = [Assessment1(date=d(2026, 2, 1), value=Response.PR),
    ...        Assessment1(date=d(2026, 3, 1), value=Response.SD),
    ...        Assessment1(date=d(2026, 4, 1), value=Response.PR),
    ...        Assessment1(date=d(2026, 5, 1), value=Response.PR)]
    >>> first_confirmed_response(seq).date
    datetime.date(2026, 4, 1)
    """
    stop = _STOP[criteria]
    window: list[Assessment1] = []
    for a in responses:
        window.append(a)
        if a.value is stop:
            break
    for i, a in enumerate(window):
        if _canon(a.value) in (R.CR, R.PR):
            ok, _why = _confirmation(i, window, confirmation_min_days)
            if ok:
                return a
    return None
