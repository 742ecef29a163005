"""Exact binomial intervals and time-to-event data for the efficacy summary.

Pure functions over numbers and dates: no plotting, no I/O.  The Kaplan-Meier
fit itself is lifelines' (imported where it is used, in :mod:`.plots` and
:mod:`.summary`); this module prepares its durations and events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Proportion",
    "TimeToEvent",
    "clopper_pearson",
    "numbers_at_risk",
    "proportion",
]


def clopper_pearson(k: int, n: int, *, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson) two-sided confidence interval of a proportion.

    Parameters
    ----------
    k : int
        Number of successes. *Permitted values:* ``0 <= k <= n``.
    n : int
        Number of trials. *Permitted values:* ``n >= 1``.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    (float, float)
        Lower and upper bound: the ``alpha/2`` quantile of Beta(k, n - k + 1)
        and the ``1 - alpha/2`` quantile of Beta(k + 1, n - k); 0 when ``k = 0``
        and 1 when ``k = n``.

    Examples
    --------
    >>> lo, hi = clopper_pearson(0, 10)
    >>> lo, round(hi, 4)   # 1 - 0.025 ** (1 / 10)
    (0.0, 0.3085)
    >>> [round(x, 4) for x in clopper_pearson(5, 10)]
    [0.1871, 0.8129]
    """
    if n < 1 or not 0 <= k <= n:
        msg = f"need 0 <= k <= n and n >= 1, got k={k}, n={n}"
        raise ValueError(msg)
    from scipy.stats import beta

    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


@dataclass(frozen=True, slots=True, kw_only=True)
class Proportion:
    """A rate with its exact 95% confidence interval (``estimate = k / n``)."""

    k: int
    n: int
    estimate: float | None
    ci_low: float | None
    ci_high: float | None

    def as_json(self) -> dict[str, float | None]:
        """Return ``{"estimate", "ci_low", "ci_high"}`` (None when ``n = 0``)."""
        return {
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
        }

    def text(self) -> str:
        """Display form: ``"5/10 (50.0%; 95% CI 18.7-81.3%)"``."""
        if self.estimate is None or self.ci_low is None or self.ci_high is None:
            return f"{self.k}/{self.n} (n/a)"
        return (
            f"{self.k}/{self.n} ({100 * self.estimate:.1f}%; 95% CI "
            f"{100 * self.ci_low:.1f}-{100 * self.ci_high:.1f}%)"
        )


def proportion(k: int, n: int) -> Proportion:
    """Build a :class:`Proportion` with its Clopper-Pearson 95% interval.

    Examples
    --------
    >>> proportion(5, 10).text()
    '5/10 (50.0%; 95% CI 18.7-81.3%)'
    >>> proportion(0, 0).estimate is None
    True
    """
    if n == 0:
        return Proportion(k=k, n=n, estimate=None, ci_low=None, ci_high=None)
    lo, hi = clopper_pearson(k, n)
    return Proportion(k=k, n=n, estimate=k / n, ci_low=lo, ci_high=hi)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeToEvent:
    """One subject's time to an event (days) or to censoring.

    ``start`` and ``end`` are dates; ``event`` is True when the event (e.g.
    progression) was seen at ``end``, False when censored there.
    """

    subject_id: str
    start: dt.date
    end: dt.date
    event: bool

    @property
    def days(self) -> int:
        """Days from ``start`` to ``end``."""
        return (self.end - self.start).days


def numbers_at_risk(durations: Sequence[float], times: Sequence[float]) -> list[int]:
    """Count subjects still at risk (duration >= t) at each time ``t``.

    The convention of Kaplan-Meier tables: a subject censored or with the event
    at exactly ``t`` is still at risk at ``t``.

    Examples
    --------
    >>> numbers_at_risk([1, 2, 2, 5], [0, 2, 3, 6])
    [4, 3, 1, 0]
    """
    return [sum(1 for d in durations if d >= t) for t in times]
