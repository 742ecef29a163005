"""RECIST 1.1 rules: baseline checks, sums, category and overall responses.

Each rule is a pure function returning :class:`~recist.model.Assessed` with the
spec section it follows (``shared/spec/recist-1.1.md``) and a one-line reason.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from recist.errors import RuleViolation
from recist.model import Assessed, Baseline, Lesion, Reading, TimePoint
from recist.rules._numeric import fmt_mm, fmt_pct, is_pd, is_pr, pct
from recist.terms import (
    ERROR_ORDER,
    ErrorCode,
    NewLesionStatus,
    NonTargetState,
    Response,
)

__all__ = [
    "MAX_TARGETS",
    "MAX_TARGETS_PER_ORGAN",
    "RULE_NEW",
    "RULE_NON_TARGET",
    "RULE_OVERALL",
    "RULE_TARGET",
    "Categories",
    "TargetSums",
    "categories",
    "check_baseline",
    "check_followups",
    "check_reading",
    "explain_overall",
    "is_measurable",
    "new_lesion_response",
    "non_target_response",
    "overall_response",
    "target_response",
    "target_response_from_sums",
    "target_sums",
    "unequivocal_new_lesion_ids",
]

MAX_TARGETS = 5
MAX_TARGETS_PER_ORGAN = 2

RULE_BASELINE = "RECIST 1.1 §2"
RULE_MEASURABLE = "RECIST 1.1 §2.1"
RULE_SELECTION = "RECIST 1.1 §2.2"
RULE_STRUCTURE = "RECIST 1.1 §1"
RULE_FOLLOWUP = "RECIST 1.1 §3"
RULE_TARGET = "RECIST 1.1 §4"
RULE_NON_TARGET = "RECIST 1.1 §5"
RULE_NEW = "RECIST 1.1 §6"
RULE_OVERALL = "RECIST 1.1 §7"


def _violation(
    code: ErrorCode, rule: str, lesion: str | None, msg: str
) -> RuleViolation:
    return RuleViolation(msg, code=code.value, rule=rule, lesion=lesion)


def is_measurable(lesion: Lesion) -> tuple[bool, str]:
    """Whether a baseline target is measurable (spec §2.1, Convention R-01).

    Non-nodal: longest diameter >= 10 mm and, when the slice thickness is known,
    >= 2 x slice thickness.  Nodal: short axis >= 15 mm.  Limits are inclusive.

    Returns
    -------
    (bool, str)
        The verdict and the limit it was compared with, for messages.

    Examples
    --------
    >>> from recist.model import Measurement, mm
    >>> t = Lesion(lesion_id="T01", role="TARGET", site="LIVER",
    ...            baseline=Measurement.of_mm(12), slice_thickness_mm=mm(8))
    >>> is_measurable(t)
    (False, 'non-nodal lesion needs >= 16 mm (2 x slice thickness 8 mm)')
    """
    d = lesion.diameter_mm
    if lesion.nodal:
        limit, why = Decimal(15), "lymph node needs a short axis >= 15 mm"
    else:
        limit, why = Decimal(10), "non-nodal lesion needs >= 10 mm"
        st = lesion.slice_thickness_mm
        if st is not None and 2 * st > limit:
            limit = 2 * st
            why = f"non-nodal lesion needs >= {limit} mm (2 x slice thickness {st} mm)"
    return (d is not None and d >= limit), why


def check_baseline(baseline: Baseline) -> tuple[RuleViolation, ...]:
    """List every baseline violation, in the spec's order (§2.4, R-03).

    Parameters
    ----------
    baseline : Baseline

    Returns
    -------
    tuple of RuleViolation
        Empty when the baseline is valid; otherwise the first one is the error
        reported.

    Notes
    -----
    1. ``NO_BASELINE_DISEASE``: no target and no non-target.
    2. ``TOO_MANY_TARGETS``: more than 5 targets.
    3. ``TOO_MANY_TARGETS_IN_ORGAN``: each target beyond the second in its organ
       (nodes are one organ; sites trimmed and case-folded, R-02), listed order.
    4. ``TARGET_NOT_MEASURABLE``: each target below its limit, listed order.
    """
    out: list[RuleViolation] = []
    if not baseline.targets and not baseline.non_targets:
        msg = "no target and no non-target lesion at baseline"
        out.append(_violation(ErrorCode.NO_BASELINE_DISEASE, RULE_BASELINE, None, msg))
    n = len(baseline.targets)
    if n > MAX_TARGETS:
        msg = f"{n} target lesions at baseline; at most {MAX_TARGETS} are allowed"
        out.append(_violation(ErrorCode.TOO_MANY_TARGETS, RULE_SELECTION, None, msg))
    per_organ: Counter[str] = Counter()
    for t in baseline.targets:
        per_organ[t.organ] += 1
        if per_organ[t.organ] > MAX_TARGETS_PER_ORGAN:
            organ = "LYMPH NODE" if t.nodal else t.site.strip()
            msg = (
                f"{t.lesion_id} is target number {per_organ[t.organ]} in organ "
                f"{organ}; at most {MAX_TARGETS_PER_ORGAN} per organ"
            )
            code = ErrorCode.TOO_MANY_TARGETS_IN_ORGAN
            out.append(_violation(code, RULE_SELECTION, t.lesion_id, msg))
    for t in baseline.targets:
        ok, why = is_measurable(t)
        if not ok:
            msg = f"target {t.lesion_id} measures {fmt_mm(t.diameter_mm)} mm: {why}"
            code = ErrorCode.TARGET_NOT_MEASURABLE
            out.append(_violation(code, RULE_MEASURABLE, t.lesion_id, msg))
    return tuple(out)


def check_followups(reading: Reading) -> tuple[RuleViolation, ...]:
    """List follow-up structure violations: unknown ids, dates, coalesced loops.

    Unknown ids are reported per follow-up in list order, targets before
    non-targets; a coalesced value naming an unknown target counts too.  A date
    not strictly after the previous one (or the baseline) is out of order.
    Coalesced values pointing in a circle are ``COALESCED_CYCLE`` (§3).
    """
    out: list[RuleViolation] = []
    target_ids = {t.lesion_id for t in reading.baseline.targets}
    nt_ids = {t.lesion_id for t in reading.baseline.non_targets}
    for tp in reading.followups:
        unknown = [i for i in tp.targets if i not in target_ids]
        unknown += [
            m.coalesced_into
            for m in tp.targets.values()
            if m.coalesced_into is not None and m.coalesced_into not in target_ids
        ]
        unknown += [i for i in tp.non_targets if i not in nt_ids]
        for lesion_id in unknown:
            msg = (
                f"follow-up {tp.date} names {lesion_id}, which is not a baseline lesion"
            )
            code = ErrorCode.UNKNOWN_LESION
            out.append(_violation(code, RULE_STRUCTURE, lesion_id, msg))
    for tp in reading.followups:
        out.extend(_coalesced_cycles(tp, target_ids))
    previous = reading.baseline.date
    for tp in reading.followups:
        if tp.date <= previous:
            msg = f"follow-up {tp.date} is not after the previous assessment {previous}"
            code = ErrorCode.DATES_OUT_OF_ORDER
            out.append(_violation(code, RULE_STRUCTURE, None, msg))
        previous = max(previous, tp.date)
    return tuple(out)


def _coalesced_cycles(tp: TimePoint, target_ids: set[str]) -> list[RuleViolation]:
    """Coalesced values that never reach a lesion carrying the merged diameter.

    recist-1.1.md §3: the merged diameter goes on one of the original ids and 0
    on the others.  Following ``coalesced_into`` from each target must end on a
    target recorded otherwise (a chain T01 -> T02 -> T03 ends on T03); a loop
    (T01 into T02 and T02 into T01, or T01 into itself) drops the merged lesion
    from the sum and would give a false CR.  One violation per loop, naming the
    first of its lesions in listed order.
    """
    into = {
        i: m.coalesced_into
        for i, m in tp.targets.items()
        if m.coalesced_into is not None and m.coalesced_into in target_ids
    }
    out: list[RuleViolation] = []
    reported: set[str] = set()
    for start in into:
        path: list[str] = []
        node: str | None = start
        while node in into and node not in path:
            path.append(node)
            node = into[node]
        if node is None or node not in path:
            continue  # ends on a lesion that carries a value
        loop = path[path.index(node) :]
        if reported & set(loop):
            continue
        reported.update(loop)
        first = min(loop, key=list(tp.targets).index)
        chain = " -> ".join([*loop, loop[0]])
        msg = (
            f"follow-up {tp.date}: coalesced lesions point in a circle ({chain}); "
            "the merged diameter must go on one of them and 0 on the others"
        )
        out.append(_violation(ErrorCode.COALESCED_CYCLE, RULE_FOLLOWUP, first, msg))
    return out


def check_reading(reading: Reading) -> tuple[RuleViolation, ...]:
    """List every violation of a reading, the first in spec order first (§2.4).

    Examples
    --------
    >>> import datetime as dt
    >>> from recist.model import Baseline, Reading
    >>> r = Reading(baseline=Baseline(date=dt.date(2026, 1, 5)))
    >>> [v.code for v in check_reading(r)]
    ['NO_BASELINE_DISEASE']
    """
    found = check_baseline(reading.baseline) + check_followups(reading)
    rank = {code.value: i for i, code in enumerate(ERROR_ORDER)}
    return tuple(sorted(found, key=lambda v: rank[v.code]))  # stable: listed order


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetSums:
    """Target values at one follow-up (spec §3).

    ``values``: id -> mm or None (not evaluated); ``sum_mm``: the sum, None
    unless every target was evaluated; ``partial_mm``: sum of the evaluated ones;
    ``missing``: ids not evaluated.
    """

    values: Mapping[str, Decimal | None]
    sum_mm: Decimal | None
    partial_mm: Decimal
    missing: tuple[str, ...]


def target_sums(targets: Sequence[Lesion], tp: TimePoint) -> TargetSums:
    """Sum the baseline targets' values at a follow-up (R-04, R-05).

    Examples
    --------
    >>> import datetime as dt
    >>> from recist.model import Measurement
    >>> ts = [Lesion(lesion_id=i, role="TARGET", site=i) for i in ("T01", "T02")]
    >>> tp = TimePoint(date=dt.date(2026, 2, 16),
    ...                targets={"T01": Measurement.split(15, 12)})
    >>> s = target_sums(ts, tp)
    >>> s.sum_mm is None, s.partial_mm, s.missing
    (True, Decimal('27'), ('T02',))
    """
    values: dict[str, Decimal | None] = {}
    for t in targets:
        m = tp.targets.get(t.lesion_id)
        values[t.lesion_id] = None if m is None else m.value_mm
    known = [v for v in values.values() if v is not None]
    partial = sum(known, Decimal(0))
    missing = tuple(i for i, v in values.items() if v is None)
    return TargetSums(
        values=values,
        sum_mm=None if missing else partial,
        partial_mm=partial,
        missing=missing,
    )


def target_response_from_sums(
    sum_mm: Decimal, *, baseline_mm: Decimal, nadir_mm: Decimal
) -> Assessed[Response]:
    """Classify a complete target sum that is not a complete response (§4.2, §8).

    Parameters
    ----------
    sum_mm, baseline_mm, nadir_mm : Decimal
        Now, at baseline, smallest so far. *Permitted values:* >= 0; baseline > 0.

    Notes
    -----
    1. PD: S - N >= 5 and 5 S >= 6 N. 2. PR: 10 S <= 7 B. 3. SD. All exact (R-07).

    Examples
    --------
    >>> s, b = Decimal("42.0"), Decimal("64.0")
    >>> target_response_from_sums(s, baseline_mm=b, nadir_mm=b).reason
    'PR: sum 42.0 mm is -34.4% from baseline 64.0 mm'
    """
    inputs = {"sum_mm": sum_mm, "baseline_mm": baseline_mm, "nadir_mm": nadir_mm}
    rise = sum_mm - nadir_mm
    if is_pd(sum_mm, nadir_mm):
        why = (
            f"PD: sum {sum_mm} mm is {rise:+} mm ({fmt_pct(pct(sum_mm, nadir_mm))}) "
            f"over nadir {nadir_mm} mm"
        )
        if nadir_mm == 0:
            why = f"PD: sum {sum_mm} mm is {rise:+} mm over nadir 0 mm"
        return Assessed(Response.PD, RULE_TARGET, why, inputs)
    change = fmt_pct(pct(sum_mm, baseline_mm))
    if is_pr(sum_mm, baseline_mm):
        why = f"PR: sum {sum_mm} mm is {change} from baseline {baseline_mm} mm"
        return Assessed(Response.PR, RULE_TARGET, why, inputs)
    why = (
        f"SD: sum {sum_mm} mm is {change} from baseline {baseline_mm} mm, "
        f"{rise:+} mm from nadir {nadir_mm} mm"
    )
    return Assessed(Response.SD, RULE_TARGET, why, inputs)


def target_response(
    targets: Sequence[Lesion],
    sums: TargetSums,
    *,
    baseline_mm: Decimal | None,
    nadir_mm: Decimal | None,
) -> Assessed[Response]:
    """Target response at a follow-up (spec §4; R-06 CR before PD; §4.3 NE; R-18).

    Parameters
    ----------
    targets : sequence of Lesion
        Baseline targets.
    sums : TargetSums
        Their values at this follow-up (:func:`target_sums`).
    baseline_mm, nadir_mm : Decimal or None
        Baseline sum and nadir (smallest complete sum among baseline and earlier
        follow-ups); None only without targets.

    Notes
    -----
    1. NA without targets.
    2. A target not evaluated: NE when CR is still possible (every measured
       non-nodal target 0, every measured node < 10 mm; R-18); else PD if the
       partial sum alone proves PD against the nadir; otherwise NE.
    3. CR: every non-nodal target 0 and every node < 10 mm (the sum may be > 0).
    4. Otherwise :func:`target_response_from_sums`.
    """
    if not targets or baseline_mm is None or nadir_mm is None:
        return Assessed(Response.NA, RULE_TARGET, "NA: no target lesions at baseline")
    inputs: dict[str, object] = {
        "values_mm": dict(sums.values),
        "baseline_mm": baseline_mm,
        "nadir_mm": nadir_mm,
    }
    if sums.missing:
        p, missing = sums.partial_mm, ", ".join(sums.missing)
        inputs["partial_mm"] = p
        if _cr_possible(targets, sums.values):
            why = (
                f"NE: {missing} not evaluated and every measured target is 0 mm or a "
                f"node < 10 mm, so CR is still possible; the partial sum {p} mm "
                "cannot prove PD (R-18)"
            )
            return Assessed(Response.NE, "RECIST 1.1 §4.3", why, inputs)
        if is_pd(p, nadir_mm):
            why = (
                f"PD: {missing} not evaluated, but the partial sum {p} mm is already "
                f"{p - nadir_mm:+} mm over nadir {nadir_mm} mm (+20% and +5 mm met)"
            )
            return Assessed(Response.PD, "RECIST 1.1 §4.3", why, inputs)
        why = f"NE: {missing} not evaluated; partial sum {p} mm does not prove PD"
        return Assessed(Response.NE, "RECIST 1.1 §4.3", why, inputs)
    s = sums.sum_mm
    assert s is not None  # no target missing
    values = sums.values
    nonnodal_gone = all(values[t.lesion_id] == 0 for t in targets if not t.nodal)
    nodes_normal = all(_lt(values[t.lesion_id], 10) for t in targets if t.nodal)
    if nonnodal_gone and nodes_normal:
        why = "CR: every non-nodal target is 0 mm"
        if any(t.nodal for t in targets):
            why += f" and every target node is < 10 mm short axis (sum {s} mm)"
        return Assessed(Response.CR, "RECIST 1.1 §4.2", why, inputs)
    return target_response_from_sums(s, baseline_mm=baseline_mm, nadir_mm=nadir_mm)


def _lt(value: Decimal | None, limit: int) -> bool:
    return value is not None and value < limit


def _cr_possible(
    targets: Sequence[Lesion], values: Mapping[str, Decimal | None]
) -> bool:
    """Whether some values of the missing targets would make the response CR (R-18).

    A missing target can be 0 mm (non-nodal) or a normal node, so CR stays
    possible exactly when every *measured* non-nodal target is 0 and every
    *measured* node is < 10 mm (R-06).
    """
    for t in targets:
        v = values.get(t.lesion_id)
        if v is None:
            continue
        if (t.nodal and v >= 10) or (not t.nodal and v != 0):
            return False
    return True


def non_target_response(
    non_targets: Sequence[Lesion], tp: TimePoint
) -> Assessed[Response]:
    """Non-target response at a follow-up (spec §5, Convention R-08).

    Notes
    -----
    1. NA without non-targets. 2. PD if any is ``UNEQUIVOCAL PROGRESSION``.
    3. NE if any is ``NOT EVALUATED`` or left out. 4. CR if all ``ABSENT``.
    5. NON-CR/NON-PD otherwise.
    """
    if not non_targets:
        return Assessed(Response.NA, RULE_NON_TARGET, "NA: no non-target lesions")
    states = {
        n.lesion_id: tp.non_targets.get(n.lesion_id, NonTargetState.NOT_EVALUATED)
        for n in non_targets
    }
    inputs: dict[str, object] = {"states": states}

    def having(state: NonTargetState) -> list[str]:
        return [i for i, s in states.items() if s is state]

    if up := having(NonTargetState.UNEQUIVOCAL_PROGRESSION):
        why = f"PD: unequivocal progression of non-target {', '.join(up)}"
        return Assessed(Response.PD, RULE_NON_TARGET, why, inputs)
    if ne := having(NonTargetState.NOT_EVALUATED):
        why = f"NE: non-target {', '.join(ne)} not evaluated"
        return Assessed(Response.NE, RULE_NON_TARGET, why, inputs)
    if len(having(NonTargetState.ABSENT)) == len(states):
        why = "CR: every non-target lesion is absent"
        return Assessed(Response.CR, RULE_NON_TARGET, why, inputs)
    present = ", ".join(having(NonTargetState.PRESENT))
    why = f"NON-CR/NON-PD: non-target {present} present, none progressing"
    return Assessed(Response.NON_CR_NON_PD, RULE_NON_TARGET, why, inputs)


def unequivocal_new_lesion_ids(followups: Iterable[TimePoint]) -> frozenset[str]:
    """Ids of new lesions shown unequivocally (and present) at any visit (R-09).

    Such a lesion is treated as unequivocal wherever it is listed, from its first
    appearance: progression is dated back to when it first appeared.
    """
    return frozenset(
        n.lesion_id
        for tp in followups
        for n in tp.new_lesions
        if n.present and not n.equivocal
    )


def new_lesion_response(
    tp: TimePoint, unequivocal_ids: frozenset[str]
) -> Assessed[NewLesionStatus]:
    """New-lesion category at a follow-up (spec §6, R-09, R-10).

    Parameters
    ----------
    tp : TimePoint
    unequivocal_ids : frozenset of str
        From :func:`unequivocal_new_lesion_ids` over the whole record.
    """
    present = [n for n in tp.new_lesions if n.present]
    sure = [n.lesion_id for n in present if n.lesion_id in unequivocal_ids]
    inputs: dict[str, object] = {"present": [n.lesion_id for n in present]}
    if sure:
        backdated = [
            n.lesion_id for n in present if n.equivocal and n.lesion_id in sure
        ]
        why = f"Y: unequivocal new lesion {', '.join(sure)}"
        if backdated:
            why += (
                f" ({', '.join(backdated)} equivocal here, unequivocal later: "
                "progression dated to its first appearance, R-09)"
            )
        return Assessed(NewLesionStatus.Y, RULE_NEW, why, inputs)
    if present:
        ids = ", ".join(n.lesion_id for n in present)
        why = f"EQUIVOCAL: new lesion {ids} equivocal, not progression (R-10)"
        return Assessed(NewLesionStatus.EQUIVOCAL, RULE_NEW, why, inputs)
    return Assessed(NewLesionStatus.N, RULE_NEW, "N: no new lesion", inputs)


def overall_response(
    target: Response, non_target: Response, new_lesions: NewLesionStatus
) -> Assessed[Response]:
    """Overall time-point response from the three categories (spec §7 tables).

    With targets (``target`` not NA) [E09] Table 1; without, Table 2.
    ``EQUIVOCAL`` new lesions count as ``N`` (R-10).

    Examples
    --------
    >>> R, N = Response, NewLesionStatus
    >>> overall_response(R.CR, R.NON_CR_NON_PD, N.N).value.value
    'PR'
    >>> overall_response(R.NA, R.CR, N.EQUIVOCAL).value.value
    'CR'
    """
    inputs = {"target": target, "non_target": non_target, "new_lesions": new_lesions}
    t, nt = target.value, non_target.value
    if new_lesions is NewLesionStatus.Y:
        return Assessed(Response.PD, RULE_OVERALL, "PD: new lesion", inputs)
    if target is Response.PD:
        return Assessed(
            Response.PD, RULE_OVERALL, "PD: target lesions progressed", inputs
        )
    if non_target is Response.PD:
        why = "PD: unequivocal non-target progression"
        return Assessed(Response.PD, RULE_OVERALL, why, inputs)
    if target is Response.NA:  # Table 2, non-target disease only
        if non_target is Response.NA:
            why = "NE: no target and no non-target lesion"
            return Assessed(Response.NE, RULE_OVERALL, why, inputs)
        why = f"{nt}: non-target disease only, non-target {nt}, no new lesion"
        return Assessed(non_target, "RECIST 1.1 §7.2", why, inputs)
    if target is Response.CR:
        if non_target in (Response.CR, Response.NA):
            why = f"CR: target CR, non-target {nt}, no new lesion"
            return Assessed(Response.CR, RULE_OVERALL, why, inputs)
        why = f"PR: target CR but non-target {nt}"
        return Assessed(Response.PR, RULE_OVERALL, why, inputs)
    why = f"{t}: target {t}, non-target {nt}, no new lesion"
    return Assessed(target, RULE_OVERALL, why, inputs)


@dataclass(frozen=True, slots=True, kw_only=True)
class Categories:
    """The RECIST 1.1 arithmetic at one follow-up (shared by iRECIST)."""

    date: dt.date
    sums: TargetSums
    baseline_mm: Decimal | None
    nadir_mm: Decimal | None
    target: Assessed[Response]
    non_target: Assessed[Response]
    new_lesions: Assessed[NewLesionStatus]


def categories(reading: Reading) -> tuple[Categories, ...]:
    """Compute sums, nadirs and the three categories at every follow-up.

    The nadir at a follow-up is the smallest complete sum among the baseline and
    the *earlier* follow-ups (§4.1; NE visits never enter it, R-16).
    """
    bl = reading.baseline
    targets = bl.targets
    baseline_mm: Decimal | None = None
    if targets:
        baseline_mm = sum((t.diameter_mm or Decimal(0) for t in targets), Decimal(0))
    nadir = baseline_mm
    sure = unequivocal_new_lesion_ids(reading.followups)
    out: list[Categories] = []
    for tp in reading.followups:
        sums = target_sums(targets, tp)
        out.append(
            Categories(
                date=tp.date,
                sums=sums,
                baseline_mm=baseline_mm,
                nadir_mm=nadir,
                target=target_response(
                    targets, sums, baseline_mm=baseline_mm, nadir_mm=nadir
                ),
                non_target=non_target_response(bl.non_targets, tp),
                new_lesions=new_lesion_response(tp, sure),
            )
        )
        if nadir is not None and sums.sum_mm is not None:
            nadir = min(nadir, sums.sum_mm)
    return tuple(out)


def explain_overall(overall: Assessed[Response], c: Categories) -> Assessed[Response]:
    """Give an overall response the reason of the category that decided it.

    PD names every progressing category with its numbers; a response decided by
    the targets quotes the target reason; the others keep the table's reason.
    """
    v = overall.value
    if v is Response.PD:
        parts = [a.reason for a in (c.target, c.non_target) if a.value is Response.PD]
        if c.new_lesions.value is NewLesionStatus.Y:
            parts.append(c.new_lesions.reason)
        why = "PD: " + "; ".join(p.partition(": ")[2] or p for p in parts)
        return Assessed(v, overall.rule, why, overall.inputs)
    if (
        c.target.value in (Response.PR, Response.SD, Response.NE)
        and v is c.target.value
    ):
        detail = c.target.reason.partition(": ")[2]
        nt, new = c.non_target.value.value, c.new_lesions.value.value
        rest = f"non-target {nt}, new lesions {new}"
        return Assessed(v, overall.rule, f"{v.value}: {detail}; {rest}", overall.inputs)
    return overall
