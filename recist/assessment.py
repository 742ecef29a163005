"""Assess a reading: every time point and the best overall response.

:func:`assess` is the engine's single entry point; it is pure (no I/O, clock or
globals) and raises :class:`~recist.errors.RuleViolation` for invalid input.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from decimal import Decimal

from recist.model import Assessed, Assessment, Reading, TimePointAssessment
from recist.rules import irecist, recist11
from recist.rules._numeric import pct
from recist.rules.best_response import (
    Assessment1,
    best_overall_response,
    cr_then_worse_warnings,
)
from recist.terms import Criteria, Response

__all__ = ["assess"]

log = logging.getLogger(__name__)


def assess(
    reading: Reading,
    *,
    confirmation: bool | None = None,
    criteria: Criteria | str | None = None,
    confirmation_min_days: int | None = None,
    sd_min_days: int | None = None,
    reference_date: dt.date | None = None,
) -> Assessment:
    """Derive every time-point response and the best overall response.

    Parameters
    ----------
    reading : Reading
        One reader's assessments of one subject.
    confirmation, confirmation_min_days, sd_min_days : optional
        Override the reading's options (None: keep them).
    criteria : Criteria or str, optional
        Override the reading's criteria (``"RECIST 1.1"`` or ``"iRECIST"``).
    reference_date : datetime.date, optional
        Day from which ``sd_min_days`` counts (e.g. first dose); default the
        baseline scan date (R-11).

    Returns
    -------
    Assessment

    Raises
    ------
    RuleViolation
        The first violation, in spec order, of :func:`~recist.rules.recist11.
        check_reading` (code, rule and lesion).

    Examples
    --------
    >>> import datetime as dt
    >>> from recist.model import Baseline, Lesion, Measurement, TimePoint
    >>> t = Lesion(lesion_id="T01", role="TARGET", site="LIVER",
    ...            baseline=Measurement.of_mm("64.0"))
    >>> r = Reading(
    ...     baseline=Baseline(date=dt.date(2026, 1, 5), targets=(t,)),
    ...     followups=(TimePoint(date=dt.date(2026, 2, 16),
    ...                          targets={"T01": Measurement.of_mm("42.0")}),))
    >>> a = assess(r, confirmation=False)
    >>> a.timepoints[0].target.reason
    'PR: sum 42.0 mm is -34.4% from baseline 64.0 mm'
    >>> a.best_overall_response.value.value
    'PR'
    """
    opts = reading.options
    changes: dict[str, object] = {}
    if confirmation is not None:
        changes["confirmation"] = confirmation
    if confirmation_min_days is not None:
        changes["confirmation_min_days"] = confirmation_min_days
    if sd_min_days is not None:
        changes["sd_min_days"] = sd_min_days
    if changes:
        opts = replace(opts, **changes)  # type: ignore[arg-type]
    crit = reading.criteria if criteria is None else Criteria(criteria)
    if opts != reading.options or crit is not reading.criteria:
        reading = replace(reading, options=opts, criteria=crit)

    violations = recist11.check_reading(reading)
    if violations:
        raise violations[0]

    cats = recist11.categories(reading)
    points: list[TimePointAssessment] = []
    if crit is Criteria.IRECIST:
        sure = recist11.unequivocal_new_lesion_ids(reading.followups)
        state = irecist.IState()
        for c, tp in zip(cats, reading.followups, strict=True):
            state, st = irecist.step(state, c, tp, unequivocal_ids=sure, options=opts)
            points.append(
                _point(c, st.target, st.non_target, st.overall, st.new_target_sum_mm)
            )
    else:
        for c in cats:
            overall = recist11.overall_response(
                c.target.value, c.non_target.value, c.new_lesions.value
            )
            why = recist11.explain_overall(overall, c)
            points.append(_point(c, c.target, c.non_target, why, None))

    seq = [Assessment1(date=p.date, value=p.overall.value) for p in points]
    nt_only = not reading.baseline.targets

    def bor(confirm: bool) -> Assessed[Response]:
        return best_overall_response(
            seq,
            baseline_date=reference_date or reading.baseline.date,
            criteria=crit,
            confirmation=confirm,
            confirmation_min_days=opts.confirmation_min_days,
            sd_min_days=opts.sd_min_days,
            non_target_only=nt_only,
        )

    confirmed, unconfirmed = bor(True), bor(False)
    warnings = cr_then_worse_warnings(seq)
    for w in warnings:
        log.info("%s: %s", reading.subject_id or reading.case_id or "reading", w)
    baseline_mm = cats[0].baseline_mm if cats else _baseline_sum(reading)
    return Assessment(
        reading=reading,
        criteria=crit,
        baseline_sum_mm=baseline_mm,
        timepoints=tuple(points),
        best_overall_response=confirmed if opts.confirmation else unconfirmed,
        best_overall_response_confirmed=confirmed,
        best_overall_response_unconfirmed=unconfirmed,
        confirmation=opts.confirmation,
        warnings=warnings,
    )


def _baseline_sum(reading: Reading) -> Decimal | None:
    targets = reading.baseline.targets
    if not targets:
        return None
    return sum((t.diameter_mm or Decimal(0) for t in targets), Decimal(0))


def _point(
    c: recist11.Categories,
    target: Assessed[Response],
    non_target: Assessed[Response],
    overall: Assessed[Response],
    new_target_sum_mm: Decimal | None,
) -> TimePointAssessment:
    s = c.sums.sum_mm if c.baseline_mm is not None else None
    from_baseline = (
        None if s is None or c.baseline_mm is None else pct(s, c.baseline_mm)
    )
    from_nadir = None if s is None or c.nadir_mm is None else pct(s, c.nadir_mm)
    return TimePointAssessment(
        date=c.date,
        sum_mm=s,
        pct_from_baseline=from_baseline,
        pct_from_nadir=from_nadir,
        nadir_mm=c.nadir_mm,
        target=target,
        non_target=non_target,
        new_lesions=c.new_lesions,
        overall=overall,
        new_target_sum_mm=new_target_sum_mm,
        values_mm=c.sums.values,
    )
