"""iRECIST time-point responses: iUPD, iCPD, reset, new target lesion sums.

The RECIST 1.1 arithmetic (:func:`recist.rules.recist11.categories`) is computed
at every assessment; iRECIST changes what a progression does (``irecist.md``).
The memory between assessments (an open iUPD episode, chosen new target lesions,
their earlier sums) is an explicit :class:`IState` passed from one time point to
the next by :func:`step`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from recist.model import Assessed, NewLesion, Options, TimePoint
from recist.rules._numeric import is_pd
from recist.rules.recist11 import Categories, explain_overall, overall_response
from recist.terms import NewLesionStatus, Response, to_irecist

__all__ = [
    "Confirmation",
    "Episode",
    "Findings",
    "IState",
    "IStep",
    "confirmation",
    "observe",
    "open_episode",
    "ordinary_response",
    "progression_text",
    "remember",
    "step",
    "unconfirmed",
]

TARGET, NON_TARGET, NEW = "target", "non-target", "new lesions"
_LABELS = frozenset(r.value for r in Response)
MAX_NEW_TARGETS = 5
MAX_NEW_TARGETS_PER_ORGAN = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Episode:
    """An open unconfirmed progression (iUPD) and what confirmation compares with.

    Parameters
    ----------
    start : datetime.date
        Date of the iUPD that opened it (the progression date if confirmed).
    triggers : frozenset of str
        Categories that progressed then: ``"target"``, ``"non-target"``,
        ``"new lesions"``.
    target_ref_mm : Mapping[str, Decimal]
        Target values evaluated at the iUPD; the +5 mm test compares the same
        lesions (I-04).
    new_target_ref_mm : Decimal or None
        New-target-lesion sum at the iUPD.
    new_non_target_ref_mm : Mapping[str, Decimal]
        Diameters of new non-target lesions at the iUPD, where recorded.
    seen_new_ids : frozenset of str
        Every new lesion id seen up to and including the iUPD.
    """

    start: dt.date
    triggers: frozenset[str]
    target_ref_mm: Mapping[str, Decimal]
    new_target_ref_mm: Decimal | None
    new_non_target_ref_mm: Mapping[str, Decimal]
    seen_new_ids: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class IState:
    """iRECIST memory between assessments.

    ``episode``: the open iUPD, if any; ``confirmed``: iCPD reached (I-12);
    ``new_targets``/``new_non_targets``: classified new lesions (I-01);
    ``new_target_sums``: earlier non-null NLT sums (their nadir); ``seen_new_ids``:
    every unequivocal new lesion id seen so far.
    """

    episode: Episode | None = None
    confirmed: bool = False
    new_targets: tuple[NewLesion, ...] = ()
    new_non_targets: frozenset[str] = frozenset()
    new_target_sums: tuple[Decimal, ...] = ()
    seen_new_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class IStep:
    """iRECIST labels of one assessment."""

    target: Assessed[Response]
    non_target: Assessed[Response]
    overall: Assessed[Response]
    new_target_sum_mm: Decimal | None
    inputs: Mapping[str, object] = field(default_factory=dict)


def _relabel(a: Assessed[Response]) -> Assessed[Response]:
    v = to_irecist(a.value)
    reason = a.reason
    head, sep, tail = reason.partition(":")
    if sep and head in _LABELS:
        reason = f"{v.value}:{tail}"
    rule = a.rule.replace("RECIST 1.1", "iRECIST §3 / RECIST 1.1")
    return Assessed(v, rule, reason, a.inputs)


def _classify_new(
    state: IState, present: list[NewLesion]
) -> tuple[tuple[NewLesion, ...], frozenset[str]]:
    """Choose new target lesions at first sight (irecist.md §2, I-01)."""
    nlt = list(state.new_targets)
    nlnt = set(state.new_non_targets)
    known = {n.lesion_id for n in nlt} | nlnt
    for n in present:
        if n.lesion_id in known:
            continue
        known.add(n.lesion_id)
        d = n.diameter_mm
        size_ok = d is not None and d >= (15 if n.nodal else 10)
        organs = Counter(x.organ for x in nlt)
        if (
            n.measurable
            and size_ok
            and len(nlt) < MAX_NEW_TARGETS
            and organs[n.organ] < MAX_NEW_TARGETS_PER_ORGAN
        ):
            nlt.append(n)
        else:
            nlnt.add(n.lesion_id)
    return tuple(nlt), frozenset(nlnt)


def _new_target_sum(nlt: tuple[NewLesion, ...], tp: TimePoint) -> Decimal | None:
    """NLT sum: not listed or 0 counts 0; listed without size makes it None."""
    if not nlt:
        return None
    listed = {n.lesion_id: n for n in tp.new_lesions}
    total = Decimal(0)
    for n in nlt:
        now = listed.get(n.lesion_id)
        if now is None:
            continue
        if now.diameter_mm is None:
            return None
        total += now.diameter_mm
    return total


def _growth_mm(
    ref: Mapping[str, Decimal], values: Mapping[str, Decimal | None]
) -> Decimal:
    """Least growth of the lesions measured at the iUPD (missing now count 0)."""
    now = sum((v for i in ref if (v := values.get(i)) is not None), Decimal(0))
    return now - sum(ref.values(), Decimal(0))


@dataclass(frozen=True, slots=True, kw_only=True)
class Findings:
    """What one assessment shows about new lesions and progression (§2, §3).

    Computed before any episode logic by :func:`observe`; every later step reads
    it. ``present``: unequivocal new lesions present now (I-02, I-03);
    ``unseen``: those never seen before (§3); ``new_targets``/``new_non_targets``:
    the NLT/NLNT split after this visit (I-01); ``new_target_sum_mm`` and its
    nadir over earlier visits; ``t_pd``/``nt_pd``/``nlt_pd``: RECIST progression
    of the targets, the non-targets and the NLT sum; ``new_status``: the new-lesion
    status the ordinary tables see.
    """

    present: tuple[NewLesion, ...]
    present_ids: frozenset[str]
    unseen: tuple[str, ...]
    new_targets: tuple[NewLesion, ...]
    new_non_targets: frozenset[str]
    new_target_sum_mm: Decimal | None
    new_target_nadir_mm: Decimal | None
    t_pd: bool
    nt_pd: bool
    nlt_pd: bool
    new_status: NewLesionStatus

    @property
    def new_progression(self) -> bool:
        """NEW progresses: a never-seen new lesion, or the NLT sum PD (§3, I-08)."""
        return bool(self.unseen) or self.nlt_pd

    @property
    def progressing(self) -> bool:
        """Any category meets RECIST progression now (§3)."""
        return self.t_pd or self.nt_pd or self.new_progression


def observe(
    state: IState,
    cats: Categories,
    tp: TimePoint,
    *,
    unequivocal_ids: frozenset[str],
) -> Findings:
    """Gather the new-lesion facts and the progressions of one assessment.

    Notes
    -----
    1. Present: listed unequivocal new lesions with a size ``None`` or > 0
       (irecist.md §2, I-02; equivocal ones backdated once unequivocal, I-03).
    2. New lesion targets are chosen at first sight (§2, I-01) and their sum
       follows :func:`_new_target_sum`; its nadir is the smallest earlier sum.
    3. A new lesion progresses only when never seen before; one that resolved
       and reappears counts only through the NLT sum (§3, I-08).
    """
    present = tuple(
        n for n in tp.new_lesions if n.present and n.lesion_id in unequivocal_ids
    )
    present_ids = frozenset(n.lesion_id for n in present)
    nlt, nlnt = _classify_new(state, list(present))
    nlt_sum = _new_target_sum(nlt, tp)
    nadir = min(state.new_target_sums) if state.new_target_sums else None
    new_status = NewLesionStatus.N
    if not present and cats.new_lesions.value is NewLesionStatus.EQUIVOCAL:
        new_status = NewLesionStatus.EQUIVOCAL
    return Findings(
        present=present,
        present_ids=present_ids,
        unseen=tuple(sorted(present_ids - state.seen_new_ids)),
        new_targets=nlt,
        new_non_targets=nlnt,
        new_target_sum_mm=nlt_sum,
        new_target_nadir_mm=nadir,
        t_pd=cats.target.value is Response.PD,
        nt_pd=cats.non_target.value is Response.PD,
        nlt_pd=nlt_sum is not None and nadir is not None and is_pd(nlt_sum, nadir),
        new_status=new_status,
    )


def remember(state: IState, found: Findings) -> IState:
    """Return the memory after this assessment, before the episode (§2, I-01).

    The chosen NLT/NLNT, the NLT sum (for its nadir; a ``None`` sum is not
    kept) and every new lesion id seen so far.
    """
    nlt_sum = found.new_target_sum_mm
    return IState(
        episode=state.episode,
        confirmed=state.confirmed,
        new_targets=found.new_targets,
        new_non_targets=found.new_non_targets,
        new_target_sums=state.new_target_sums + (() if nlt_sum is None else (nlt_sum,)),
        seen_new_ids=state.seen_new_ids | found.present_ids,
    )


def ordinary_response(cats: Categories, found: Findings) -> Assessed[Response]:
    """Apply the RECIST 1.1 table with ``i`` labels: no new progression (§3).

    Only called when nothing progresses by a new lesion (none present, or only
    ones seen before). While a new lesion seen before is present, iCR is never
    given: it becomes iPR, or NON-iCR/NON-iUPD without targets (I-08).
    """
    base = overall_response(cats.target.value, cats.non_target.value, found.new_status)
    out = _relabel(explain_overall(base, cats))
    if not found.present:
        return out
    ids = ", ".join(sorted(found.present_ids))
    if out.value is Response.ICR:
        nt_only = cats.target.value is Response.NA
        v = Response.NON_ICR_NON_IUPD if nt_only else Response.IPR
        why = (
            f"{v.value}: categories give iCR but new lesion {ids} (seen before, "
            "not a new progression) is present (I-08)"
        )
        return Assessed(v, "iRECIST §4.2", why, out.inputs)
    why = f"{out.reason}; new lesion {ids} seen before, not a new progression"
    return Assessed(out.value, out.rule, why, out.inputs)


def progression_text(cats: Categories, found: Findings, episode: Episode | None) -> str:
    """Name every category that progresses now, with its numbers (§3, §4.2)."""
    parts = []
    if found.t_pd:
        parts.append(f"target ({cats.target.reason})")
    if found.nt_pd:
        parts.append(f"non-target ({cats.non_target.reason})")
    if found.unseen:
        parts.append(f"new lesion {', '.join(found.unseen)}")
    elif found.present and episode is not None and NEW in episode.triggers:
        ids = ", ".join(sorted(found.present_ids))
        parts.append(f"new lesion {ids} still present")
    if found.nlt_pd:
        parts.append(
            f"new target sum {found.new_target_sum_mm} mm over its nadir "
            f"{found.new_target_nadir_mm} mm"
        )
    return "; ".join(parts)


def open_episode(
    state: IState, cats: Categories, tp: TimePoint, found: Findings
) -> Episode:
    """Open an iUPD episode and record what confirmation compares with (§3).

    The triggers are the categories that progress now; the target reference is
    the values measured now (a partial sum when targets are missing: the same
    lesions are compared later, I-04, I-14); the NLT sum and the NLNT diameters
    now; every new lesion id seen so far.
    """
    triggers = frozenset(
        name
        for name, hit in (
            (TARGET, found.t_pd),
            (NON_TARGET, found.nt_pd),
            (NEW, found.new_progression),
        )
        if hit
    )
    nlnt_ref = {
        n.lesion_id: n.diameter_mm
        for n in found.present
        if n.lesion_id in found.new_non_targets and n.diameter_mm is not None
    }
    return Episode(
        start=tp.date,
        triggers=triggers,
        target_ref_mm={i: v for i, v in cats.sums.values.items() if v is not None},
        new_target_ref_mm=found.new_target_sum_mm,
        new_non_target_ref_mm=nlnt_ref,
        seen_new_ids=state.seen_new_ids | found.present_ids,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Confirmation:
    """What confirms an open iUPD at one assessment (§4.1).

    ``reasons``: one phrase per test met (empty: not confirmed); ``target`` /
    ``non_target``: the category itself confirms (its label becomes iCPD, §5);
    ``inputs``: numbers used (the target growth).
    """

    reasons: tuple[str, ...]
    target: bool
    non_target: bool
    inputs: Mapping[str, object] = field(default_factory=dict)


def confirmation(
    ep: Episode,
    cats: Categories,
    found: Findings,
    *,
    in_window: bool,
) -> Confirmation:
    """Test an open episode for confirmation (irecist.md §4.1).

    Parameters
    ----------
    ep : Episode
        The open iUPD.
    cats : Categories
        The RECIST 1.1 arithmetic now.
    found : Findings
        From :func:`observe`.
    in_window : bool
        At least ``confirmation_min_days`` after the iUPD (I-06).

    Notes
    -----
    1. Test 4, any time: a new lesion id not seen up to the iUPD.
    2. Only in the window (I-06):
       test 1, target trigger: the lesions measured at the iUPD grew >= 5 mm
       over their sum then, like with like (I-04, I-13, I-14; a lesion missing
       now counts 0, one missing at the iUPD is not compared);
       test 2, non-target trigger or not: non-target unequivocal progression
       (I-05); test 3, new-lesion trigger: the NLT sum grew >= 5 mm over the
       iUPD's, or an NLNT with a recorded diameter grew (I-09); test 5: a
       category that had not progressed now meets RECIST progression.
    """
    reasons: list[str] = []
    inputs: dict[str, object] = {}
    target_ok = nt_ok = False
    fresh = sorted(found.present_ids - ep.seen_new_ids)
    if fresh:
        reasons.append(f"further new lesion {', '.join(fresh)}")
    if not in_window:
        return Confirmation(reasons=tuple(reasons), target=False, non_target=False)
    if TARGET in ep.triggers:
        growth = _growth_mm(ep.target_ref_mm, cats.sums.values)
        ref_sum = sum(ep.target_ref_mm.values(), Decimal(0))
        inputs["target_growth_mm"] = growth
        if growth >= 5:
            target_ok = True
            reasons.append(
                f"target sum {growth:+} mm over {ref_sum} mm at the iUPD on "
                f"{ep.start} (>= 5 mm)"
            )
    elif found.t_pd:
        target_ok = True
        reasons.append(f"targets now progress ({cats.target.reason})")
    if found.nt_pd:
        nt_ok = True
        again = "again" if NON_TARGET in ep.triggers else "now"
        reasons.append(f"non-target unequivocal progression {again}")
    nlt_sum = found.new_target_sum_mm
    if NEW in ep.triggers:
        nlt_ref = ep.new_target_ref_mm
        if nlt_ref is not None and nlt_sum is not None and nlt_sum - nlt_ref >= 5:
            reasons.append(
                f"new target sum {nlt_sum} mm is {nlt_sum - nlt_ref:+} mm over "
                f"{nlt_ref} mm at the iUPD"
            )
        listed = {n.lesion_id: n for n in found.present}
        for lid, d0 in ep.new_non_target_ref_mm.items():
            n = listed.get(lid)
            if n is not None and n.diameter_mm is not None and n.diameter_mm > d0:
                reasons.append(f"new non-target {lid} grew {d0} -> {n.diameter_mm} mm")
    elif found.nlt_pd:
        reasons.append(
            f"new target sum {nlt_sum} mm now progresses over its nadir "
            f"{found.new_target_nadir_mm} mm"
        )
    return Confirmation(
        reasons=tuple(reasons), target=target_ok, non_target=nt_ok, inputs=inputs
    )


def unconfirmed(
    ep: Episode,
    cats: Categories,
    found: Findings,
    *,
    days: int,
    options: Options,
    inputs: Mapping[str, object],
) -> tuple[Episode | None, Assessed[Response]]:
    """Decide an open episode this assessment does not confirm (irecist.md §4.2).

    Returns
    -------
    (Episode or None, Assessed)
        The episode kept open (or None after a reset) and the overall response.

    Notes
    -----
    1. Still iUPD while a category still meets RECIST progression, or the
       episode was triggered by new lesions and any new lesion is present (I-08).
    2. NE, episode open, when the target or non-target category is NE (I-07).
    3. Otherwise reset: the ordinary table (:func:`ordinary_response`).
    """
    still_new = NEW in ep.triggers and bool(found.present)  # I-08
    if found.t_pd or found.nt_pd or found.nlt_pd or still_new:
        wait = ""
        if days < options.confirmation_min_days:
            wait = (
                f" (only {days} days after the iUPD; confirmation needs "
                f">= {options.confirmation_min_days})"
            )
        text = progression_text(cats, found, ep)
        why = f"iUPD: still progressing, not confirmed{wait}: {text}"
        return ep, Assessed(Response.IUPD, "iRECIST §4.2", why, inputs)
    if Response.NE in (cats.target.value, cats.non_target.value):
        why = (
            f"NE: iUPD of {ep.start} neither confirmed nor resolved and a category is "
            "not evaluable; the iUPD stays open (I-07)"
        )
        return ep, Assessed(Response.NE, "iRECIST §4.2", why, inputs)
    base = ordinary_response(cats, found)
    why = f"{base.reason}; iUPD of {ep.start} not confirmed, reset"
    return None, Assessed(base.value, "iRECIST §4.2", why, base.inputs)


def step(
    state: IState,
    cats: Categories,
    tp: TimePoint,
    *,
    unequivocal_ids: frozenset[str],
    options: Options,
) -> tuple[IState, IStep]:
    """Assess one follow-up under iRECIST and return the state for the next.

    Parameters
    ----------
    state : IState
        Memory from the previous assessment (``IState()`` at the first).
    cats : Categories
        The RECIST 1.1 arithmetic at this assessment.
    tp : TimePoint
        The assessment itself (new lesions and their sizes).
    unequivocal_ids : frozenset of str
        New lesions unequivocal at some visit (backdated, I-03).
    options : Options
        ``confirmation_min_days`` is the confirmation window (I-06).

    Notes
    -----
    1. :func:`observe` the new lesions and progressions; :func:`remember` them.
    2. After iCPD every assessment is iCPD (§4.3, I-12).
    3. Without an open iUPD: any RECIST progression :func:`open_episode` (iUPD,
       §3), otherwise :func:`ordinary_response`.
    4. With an open iUPD: :func:`confirmation` (iCPD, §4.1), otherwise
       :func:`unconfirmed` (still iUPD, NE or reset, §4.2).
    """
    found = observe(state, cats, tp, unequivocal_ids=unequivocal_ids)
    nxt = remember(state, found)
    inputs: dict[str, object] = {
        "new_target_sum_mm": found.new_target_sum_mm,
        "new_target_nadir_mm": found.new_target_nadir_mm,
        "present_new_lesions": sorted(found.present_ids),
    }
    target, non_target = _relabel(cats.target), _relabel(cats.non_target)

    def result(new_state: IState, overall: Assessed[Response]) -> tuple[IState, IStep]:
        return new_state, IStep(
            target=target,
            non_target=non_target,
            overall=overall,
            new_target_sum_mm=found.new_target_sum_mm,
            inputs=inputs,
        )

    if state.confirmed:
        why = "iCPD: progression was confirmed earlier; assessment stops there (I-12)"
        return result(nxt, Assessed(Response.ICPD, "iRECIST §4.3", why, inputs))
    ep = state.episode
    if ep is None:
        if not found.progressing:
            return result(nxt, ordinary_response(cats, found))
        why = f"iUPD: unconfirmed progression by {progression_text(cats, found, None)}"
        episode = open_episode(state, cats, tp, found)
        overall = Assessed(Response.IUPD, "iRECIST §3", why, inputs)
        return result(replace(nxt, episode=episode), overall)
    days = (tp.date - ep.start).days
    inputs |= {
        "iupd_date": ep.start,
        "days_since_iupd": days,
        "triggers": sorted(ep.triggers),
    }
    conf = confirmation(
        ep, cats, found, in_window=days >= options.confirmation_min_days
    )
    inputs |= conf.inputs
    if conf.target:
        why = f"iCPD: targets confirm the iUPD of {ep.start}"
        target = Assessed(Response.ICPD, "iRECIST §4.1", why, target.inputs)
    if conf.non_target:
        why = f"iCPD: non-target progression confirms the iUPD of {ep.start}"
        non_target = Assessed(Response.ICPD, "iRECIST §4.1", why, non_target.inputs)
    if conf.reasons:
        why = f"iCPD: iUPD of {ep.start} confirmed {days} days later by " + "; ".join(
            conf.reasons
        )
        overall = Assessed(Response.ICPD, "iRECIST §4.1", why, inputs)
        return result(replace(nxt, episode=None, confirmed=True), overall)
    kept, overall = unconfirmed(
        ep, cats, found, days=days, options=options, inputs=inputs
    )
    return result(replace(nxt, episode=kept), overall)
