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

__all__ = ["Episode", "IState", "IStep", "step"]

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
    1. Without an open iUPD, any RECIST progression (target PD, unequivocal
       non-target progression, an unequivocal new lesion present, or the NLT sum
       PD against its own nadir) opens one: overall iUPD.
    2. With an open iUPD, iCPD when (a) a new lesion id not seen before appears
       (any time), or, at least ``confirmation_min_days`` after the iUPD, (b) the
       targets measured at the iUPD grew >= 5 mm over their sum then (target
       trigger), (c) non-target unequivocal progression again, (d) the NLT sum
       grew >= 5 mm or a new non-target lesion grew (new-lesion trigger), or
       (e) a category that had not progressed now meets RECIST progression.
    3. Not confirmed: iUPD while anything still progresses (incl. any new lesion
       present, I-08); NE if target or non-target is NE (I-07); otherwise the
       episode resets and the ordinary table applies.
    4. After iCPD every assessment is iCPD (I-12).
    """
    present = [
        n for n in tp.new_lesions if n.present and n.lesion_id in unequivocal_ids
    ]
    present_ids = frozenset(n.lesion_id for n in present)
    # irecist.md §3: a new lesion is progression when never seen before; one seen
    # earlier (resolved, then back) counts only through the new-target sum.
    unseen = sorted(present_ids - state.seen_new_ids)
    nlt, nlnt = _classify_new(state, present)
    nlt_sum = _new_target_sum(nlt, tp)
    nlt_nadir = min(state.new_target_sums) if state.new_target_sums else None
    nlt_pd = nlt_sum is not None and nlt_nadir is not None and is_pd(nlt_sum, nlt_nadir)
    t_pd = cats.target.value is Response.PD
    nt_pd = cats.non_target.value is Response.PD
    new_prog = bool(unseen) or nlt_pd
    inputs: dict[str, object] = {
        "new_target_sum_mm": nlt_sum,
        "new_target_nadir_mm": nlt_nadir,
        "present_new_lesions": sorted(present_ids),
    }
    nxt = IState(
        episode=state.episode,
        confirmed=state.confirmed,
        new_targets=nlt,
        new_non_targets=nlnt,
        new_target_sums=state.new_target_sums + (() if nlt_sum is None else (nlt_sum,)),
        seen_new_ids=state.seen_new_ids | present_ids
        if present_ids
        else state.seen_new_ids,
    )
    target, non_target = _relabel(cats.target), _relabel(cats.non_target)
    new_status = NewLesionStatus.N
    if not present and cats.new_lesions.value is NewLesionStatus.EQUIVOCAL:
        new_status = NewLesionStatus.EQUIVOCAL

    def ordinary() -> Assessed[Response]:
        # Only called when no new lesion progresses (none, or only ones seen before).
        base = overall_response(cats.target.value, cats.non_target.value, new_status)
        out = _relabel(explain_overall(base, cats))
        if not present:
            return out
        ids = ", ".join(sorted(present_ids))
        if out.value is Response.ICR:
            # I-08: never iCR with a new lesion present.
            nt_only = cats.target.value is Response.NA
            v = Response.NON_ICR_NON_IUPD if nt_only else Response.IPR
            why = (
                f"{v.value}: categories give iCR but new lesion {ids} (seen before, "
                "not a new progression) is present (I-08)"
            )
            return Assessed(v, "iRECIST §4.2", why, out.inputs)
        why = f"{out.reason}; new lesion {ids} seen before, not a new progression"
        return Assessed(out.value, out.rule, why, out.inputs)

    def progression_text() -> str:
        parts = []
        if t_pd:
            parts.append(f"target ({cats.target.reason})")
        if nt_pd:
            parts.append(f"non-target ({cats.non_target.reason})")
        if unseen:
            parts.append(f"new lesion {', '.join(unseen)}")
        elif present and ep is not None and NEW in ep.triggers:
            parts.append(f"new lesion {', '.join(sorted(present_ids))} still present")
        if nlt_pd:
            parts.append(f"new target sum {nlt_sum} mm over its nadir {nlt_nadir} mm")
        return "; ".join(parts)

    if state.confirmed:
        why = "iCPD: progression was confirmed earlier; assessment stops there (I-12)"
        overall = Assessed(Response.ICPD, "iRECIST §4.3", why, inputs)
        return nxt, IStep(
            target=target,
            non_target=non_target,
            overall=overall,
            new_target_sum_mm=nlt_sum,
            inputs=inputs,
        )

    ep = state.episode
    if ep is None:
        if not (t_pd or nt_pd or new_prog):
            return nxt, IStep(
                target=target,
                non_target=non_target,
                overall=ordinary(),
                new_target_sum_mm=nlt_sum,
                inputs=inputs,
            )
        triggers = frozenset(
            name
            for name, hit in ((TARGET, t_pd), (NON_TARGET, nt_pd), (NEW, new_prog))
            if hit
        )
        ref = {i: v for i, v in cats.sums.values.items() if v is not None}
        nlnt_ref = {
            n.lesion_id: n.diameter_mm
            for n in present
            if n.lesion_id in nlnt and n.diameter_mm is not None
        }
        episode = Episode(
            start=tp.date,
            triggers=triggers,
            target_ref_mm=ref,
            new_target_ref_mm=nlt_sum,
            new_non_target_ref_mm=nlnt_ref,
            seen_new_ids=state.seen_new_ids | present_ids,
        )
        why = f"iUPD: unconfirmed progression by {progression_text()}"
        overall = Assessed(Response.IUPD, "iRECIST §3", why, inputs)
        return replace(nxt, episode=episode), IStep(
            target=target,
            non_target=non_target,
            overall=overall,
            new_target_sum_mm=nlt_sum,
            inputs=inputs,
        )

    # An iUPD episode is open.
    days = (tp.date - ep.start).days
    in_window = days >= options.confirmation_min_days
    inputs |= {
        "iupd_date": ep.start,
        "days_since_iupd": days,
        "triggers": sorted(ep.triggers),
    }
    confirms: list[str] = []
    target_confirms = nt_confirms = False
    fresh = sorted(present_ids - ep.seen_new_ids)
    still_new = NEW in ep.triggers and bool(present)  # I-08
    if fresh:
        confirms.append(f"further new lesion {', '.join(fresh)}")
    if in_window:
        if TARGET in ep.triggers:
            growth = _growth_mm(ep.target_ref_mm, cats.sums.values)
            ref_sum = sum(ep.target_ref_mm.values(), Decimal(0))
            inputs["target_growth_mm"] = growth
            if growth >= 5:
                target_confirms = True
                confirms.append(
                    f"target sum {growth:+} mm over {ref_sum} mm at the iUPD on "
                    f"{ep.start} (>= 5 mm)"
                )
        elif t_pd:
            target_confirms = True
            confirms.append(f"targets now progress ({cats.target.reason})")
        if nt_pd:
            nt_confirms = True
            again = "again" if NON_TARGET in ep.triggers else "now"
            confirms.append(f"non-target unequivocal progression {again}")
        if NEW in ep.triggers:
            nlt_ref = ep.new_target_ref_mm
            if nlt_ref is not None and nlt_sum is not None and nlt_sum - nlt_ref >= 5:
                confirms.append(
                    f"new target sum {nlt_sum} mm is {nlt_sum - nlt_ref:+} mm over "
                    f"{nlt_ref} mm at the iUPD"
                )
            listed = {n.lesion_id: n for n in present}
            for lid, d0 in ep.new_non_target_ref_mm.items():
                n = listed.get(lid)
                if n is not None and n.diameter_mm is not None and n.diameter_mm > d0:
                    confirms.append(
                        f"new non-target {lid} grew {d0} -> {n.diameter_mm} mm"
                    )
        elif nlt_pd:
            confirms.append(
                f"new target sum {nlt_sum} mm now progresses over its nadir "
                f"{nlt_nadir} mm"
            )
    if target_confirms:
        why = f"iCPD: targets confirm the iUPD of {ep.start}"
        target = Assessed(Response.ICPD, "iRECIST §4.1", why, target.inputs)
    if nt_confirms:
        why = f"iCPD: non-target progression confirms the iUPD of {ep.start}"
        non_target = Assessed(Response.ICPD, "iRECIST §4.1", why, non_target.inputs)
    if confirms:
        why = f"iCPD: iUPD of {ep.start} confirmed {days} days later by " + "; ".join(
            confirms
        )
        overall = Assessed(Response.ICPD, "iRECIST §4.1", why, inputs)
        return replace(nxt, episode=None, confirmed=True), IStep(
            target=target,
            non_target=non_target,
            overall=overall,
            new_target_sum_mm=nlt_sum,
            inputs=inputs,
        )
    if t_pd or nt_pd or nlt_pd or still_new:
        wait = (
            f" (only {days} days after the iUPD; confirmation needs "
            f">= {options.confirmation_min_days})"
            if not in_window
            else ""
        )
        why = f"iUPD: still progressing, not confirmed{wait}: {progression_text()}"
        overall = Assessed(Response.IUPD, "iRECIST §4.2", why, inputs)
        return replace(nxt, episode=ep), IStep(
            target=target,
            non_target=non_target,
            overall=overall,
            new_target_sum_mm=nlt_sum,
            inputs=inputs,
        )
    if Response.NE in (cats.target.value, cats.non_target.value):
        why = (
            f"NE: iUPD of {ep.start} neither confirmed nor resolved and a category is "
            "not evaluable; the iUPD stays open (I-07)"
        )
        overall = Assessed(Response.NE, "iRECIST §4.2", why, inputs)
        return replace(nxt, episode=ep), IStep(
            target=target,
            non_target=non_target,
            overall=overall,
            new_target_sum_mm=nlt_sum,
            inputs=inputs,
        )
    base = ordinary()
    overall = Assessed(
        base.value,
        "iRECIST §4.2",
        f"{base.reason}; iUPD of {ep.start} not confirmed, reset",
        base.inputs,
    )
    return replace(nxt, episode=None), IStep(
        target=target,
        non_target=non_target,
        overall=overall,
        new_target_sum_mm=nlt_sum,
        inputs=inputs,
    )
