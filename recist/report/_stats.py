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
    "DAYS_PER_MONTH",
    "KaplanMeier",
    "Proportion",
    "TimeToEvent",
    "clopper_pearson",
    "exact_test",
    "kaplan_meier",
    "numbers_at_risk",
    "proportion",
]

#: Days in a month (365.25 / 12), the unit of KM medians and landmark rates.
DAYS_PER_MONTH = 30.4375


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
    from scipy.special import betaincinv  # the Beta quantile; lighter than stats

    lo = 0.0 if k == 0 else float(betaincinv(k, n - k + 1, alpha / 2))
    hi = 1.0 if k == n else float(betaincinv(k + 1, n - k, 1 - alpha / 2))
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


def exact_test(k: int, n: int, p0: float) -> float:
    """One-sided exact binomial test of ``H0: p <= p0`` against ``p > p0``.

    The p-value is ``P(X >= k | n, p0)`` (scipy.stats.binomtest,
    ``alternative="greater"``): the single-arm phase 2 test of a response
    rate against a historical rate.

    Examples
    --------
    >>> round(exact_test(4, 20, 0.10), 4)   # 1 - sum_{x<4} C(20,x) .1^x .9^(20-x)
    0.133
    """
    from scipy.stats import binomtest

    return float(binomtest(k, n, p0, alternative="greater").pvalue)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeToEvent:
    """One subject's time to an event or to censoring (an ADTTE record).

    ``start`` (STARTDT) and ``end`` (ADT) are dates; ``event`` is True when the
    event was seen at ``end`` (CNSR 0), False when censored there (CNSR 1).
    ``description`` is EVNTDESC for an event and CNSDTDSC (the censoring
    reason) otherwise; ``source`` names the record that dates ``end``.
    """

    subject_id: str
    start: dt.date
    end: dt.date
    event: bool
    description: str = ""
    source: str = ""

    @property
    def days(self) -> int:
        """Days from ``start`` to ``end`` (date difference)."""
        return (self.end - self.start).days

    @property
    def aval(self) -> int:
        """ADTTE ``AVAL`` in days: ``ADT - STARTDT + 1`` (admiral's convention)."""
        return self.days + 1


@dataclass(frozen=True, slots=True, kw_only=True)
class KaplanMeier:
    """Kaplan-Meier estimate with its median and landmark rates (months).

    ``median``/``median_ci`` are None where not reached / not estimable;
    ``rates[m] = (S, low, high)`` at ``m`` months, None beyond the follow-up.
    """

    n: int
    events: int
    times: tuple[float, ...]
    survival: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    median: float | None
    median_ci: tuple[float | None, float | None]
    rates: dict[int, tuple[float, float, float] | None]

    def median_text(self) -> str:
        """``"5.6 (95% CI 3.2-NE) months"``; NE: not estimable / not reached."""

        def f(x: float | None) -> str:
            return "NE" if x is None else f"{x:.1f}"

        if self.n == 0:
            return "no subjects"
        lo, hi = self.median_ci
        med = "not reached" if self.median is None else f"{self.median:.1f}"
        return f"{med} (95% CI {f(lo)}-{f(hi)}) months"

    def as_json(self) -> dict[str, object]:
        """JSON form: n, events, median with CI, landmark rates."""
        return {
            "n": self.n,
            "events": self.events,
            "censored": self.n - self.events,
            "median_months": self.median,
            "median_ci_months": list(self.median_ci),
            "rates": {
                f"{m}_months": None
                if r is None
                else {"estimate": r[0], "ci_low": r[1], "ci_high": r[2]}
                for m, r in self.rates.items()
            },
        }


def kaplan_meier(
    durations_months: Sequence[float],
    events: Sequence[bool],
    *,
    alpha: float = 0.05,
    landmarks: Sequence[int] = (6, 12),
) -> KaplanMeier:
    """Kaplan-Meier estimate, Greenwood variance, log-log 95% CIs.

    Parameters
    ----------
    durations_months : sequence of float
        Time to event or censoring. *Permitted values:* >= 0.
    events : sequence of bool
        True for an event, False for censored.
    alpha : float, default 0.05
    landmarks : sequence of int, default (6, 12)
        Months at which ``S(t)`` is reported with its CI.

    Notes
    -----
    1. ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)`` over event times.
    2. Greenwood: ``V(t) = sum d_i / (n_i (n_i - d_i))``; log-log limits
       ``S(t) ** exp(+-z sqrt(V) / log S(t))`` (lifelines' and SAS's default).
    3. Median: the first time with ``S(t) <= 0.5``; where ``S`` is exactly 0.5
       up to the next event time, the midpoint of the two (SAS LIFETEST, R
       ``survfit``; lifelines takes the later time); where it stays at 0.5 to
       the end, not reached. Its CI (Brookmeyer and
       Crowley 1982, log-log): lower limit the first time the lower limit of
       ``S`` is ``<= 0.5``, upper limit the first time the upper limit is; None
       (NE) when that never happens.
    4. A landmark beyond the last observed time is not estimated (None).

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 3, 4], [True, True, True, True])
    >>> km.median, km.survival   # S = 0.5 from t = 2 to 3: midpoint
    (2.5, (1.0, 0.75, 0.5, 0.25, 0.0))
    """
    import math

    from scipy.special import ndtri  # the normal quantile

    if len(durations_months) != len(events):
        raise ValueError("durations and events differ in length")
    z = float(ndtri(1 - alpha / 2))
    pairs = sorted(
        (float(t), bool(e)) for t, e in zip(durations_months, events, strict=True)
    )
    n = len(pairs)
    times = [0.0]
    surv = [1.0]
    lower = [1.0]
    upper = [1.0]
    s, v = 1.0, 0.0
    at_risk = n
    i = 0
    while i < n:
        t = pairs[i][0]
        d = c = 0
        while i < n and pairs[i][0] == t:
            d += pairs[i][1]
            c += not pairs[i][1]
            i += 1
        if d:
            s *= 1 - d / at_risk
            v = v + d / (at_risk * (at_risk - d)) if at_risk > d else math.inf
            if 0 < s < 1 and math.isfinite(v):
                w = z * math.sqrt(v) / math.log(s)
                lo, hi = s ** math.exp(-w), s ** math.exp(w)
            else:
                lo, hi = (0.0, 0.0) if s == 0 else (s, s)
            times.append(float(t))
            surv.append(s)
            lower.append(min(lo, hi))
            upper.append(max(lo, hi))
        at_risk -= d + c

    def first(values: list[float]) -> float | None:
        return next((t for t, x in zip(times, values, strict=True) if x <= 0.5), None)

    median = first(surv)
    if median is not None and surv[times.index(median)] == 0.5:
        # flat at exactly 0.5: the midpoint to the next event time (SAS, R)
        later = [t for t, x in zip(times, surv, strict=True) if x < 0.5]
        median = (median + later[0]) / 2 if later else None

    last = max((float(t) for t, _ in pairs), default=0.0)
    rates: dict[int, tuple[float, float, float] | None] = {}
    for m in landmarks:
        if m > last:
            rates[m] = None
            continue
        k = max(j for j, t in enumerate(times) if t <= m)
        rates[m] = (surv[k], lower[k], upper[k])
    return KaplanMeier(
        n=n,
        events=sum(1 for _, e in pairs if e),
        times=tuple(times),
        survival=tuple(surv),
        lower=tuple(lower),
        upper=tuple(upper),
        median=median,
        median_ci=(first(lower), first(upper)),
        rates=rates,
    )


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
