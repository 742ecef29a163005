"""Reader agreement of a double read: kappa, PD dates, ICC, Bland-Altman, p-chart.

Pure functions over numbers, and :func:`reader_metrics` over the store's
subject statuses.  Only subjects whose two reads are complete count.

- BOR agreement: Cohen's kappa with a 95 % CI from the large-sample standard
  error of Fleiss, Cohen and Everitt (1969), as ``statsmodels``'
  ``cohens_kappa`` computes it.
- First-PD date: the share of subjects whose reads agree (both without
  progression, or progression dates within the charter's ``pd_days``).
- Sums of diameters: ICC(2,1) (two-way random effects, absolute agreement,
  single rater; Shrout and Fleiss 1979, McGraw and Wong's ICC(A,1)) and
  Bland-Altman 95 % limits of agreement (read 1 minus read 2), over the time
  points both readers summed.  Time points of one subject are not independent;
  the figures describe agreement, they are not a test.
- Adjudication rate: adjudicated or waiting subjects per complete pair.
- Acceptance per reader: the share of their adjudicated subjects in which
  their read was accepted, against p-chart limits ``p ± 3 sqrt(p (1-p) / n)``
  (``p`` the overall rate, 0.5 when every adjudication picks one of two reads).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Kappa",
    "ReaderMetrics",
    "bland_altman",
    "cohen_kappa",
    "icc_a1",
    "reader_metrics",
]

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal


@dataclass(frozen=True, slots=True, kw_only=True)
class Kappa:
    """Cohen's kappa, its standard error and 95 % CI (None when undefined)."""

    kappa: float | None
    se: float | None
    ci: tuple[float, float] | None
    n: int
    observed: float | None  # proportion of agreement


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> Kappa:
    """Cohen's kappa of paired categories, with the asymptotic 95 % CI.

    Examples
    --------
    A 2x2 table with 20 + 15 agreements in 50 (po = 0.7, pe = 0.5):

    >>> pairs = [("Y", "Y")] * 20 + [("Y", "N")] * 5 + [("N", "Y")] * 10
    >>> k = cohen_kappa(pairs + [("N", "N")] * 15)
    >>> round(k.kappa, 3)
    0.4
    """
    n = len(pairs)
    if n == 0:
        return Kappa(kappa=None, se=None, ci=None, n=0, observed=None)
    cats = sorted({c for p in pairs for c in p})
    counts = Counter(pairs)
    p = {(a, b): counts[(a, b)] / n for a in cats for b in cats}
    row = {a: sum(p[(a, b)] for b in cats) for a in cats}
    col = {b: sum(p[(a, b)] for a in cats) for b in cats}
    po = sum(p[(a, a)] for a in cats)
    pe = sum(row[a] * col[a] for a in cats)
    if pe >= 1:
        return Kappa(kappa=None, se=None, ci=None, n=n, observed=po)
    k = (po - pe) / (1 - pe)
    if n < 2:  # one pair: no spread to estimate; a zero-width CI would mislead
        return Kappa(kappa=k, se=None, ci=None, n=n, observed=po)
    # Fleiss, Cohen and Everitt (1969), eq. 13: variance of kappa-hat
    a_term = sum(p[(i, i)] * (1 - (row[i] + col[i]) * (1 - k)) ** 2 for i in cats)
    b_term = (1 - k) ** 2 * sum(
        p[(i, j)] * (col[i] + row[j]) ** 2 for i in cats for j in cats if i != j
    )
    c_term = (k - pe * (1 - k)) ** 2
    var = max(a_term + b_term - c_term, 0.0) / (n * (1 - pe) ** 2)
    se = math.sqrt(var)
    return Kappa(kappa=k, se=se, ci=(k - Z95 * se, k + Z95 * se), n=n, observed=po)


def icc_a1(table: Sequence[Sequence[float]]) -> float | None:
    """ICC(2,1): two-way random effects, absolute agreement, single rater.

    ``table`` has one row per subject and one column per rater (no gaps).

    Examples
    --------
    Shrout and Fleiss (1979), Table 2 (6 targets, 4 judges): ICC(2,1) = 0.29.

    >>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6],
    ...       [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> round(icc_a1(sf), 2)
    0.29
    """
    n = len(table)
    if n < 2:
        return None
    k = len(table[0])
    grand = sum(map(sum, table)) / (n * k)
    rows = [sum(r) / k for r in table]
    cols = [sum(r[j] for r in table) / n for j in range(k)]
    ss_rows = k * sum((m - grand) ** 2 for m in rows)
    ss_cols = n * sum((m - grand) ** 2 for m in cols)
    ss_total = sum((x - grand) ** 2 for r in table for x in r)
    ss_err = ss_total - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_err / ((n - 1) * (k - 1))
    denom = msr + (k - 1) * mse + k * (msc - mse) / n
    if denom == 0:
        return None
    return (msr - mse) / denom


def bland_altman(pairs: Sequence[tuple[float, float]]) -> dict[str, float] | None:
    """Mean difference (first minus second) and 95 % limits of agreement.

    Examples
    --------
    Differences 2, 0, -2, 4: mean 1, SD sqrt(20/3) = 2.582, limits 1 -/+ 5.061.

    >>> ba = bland_altman([(12, 10), (10, 10), (8, 10), (14, 10)])
    >>> [round(ba[k], 3) for k in ("mean_diff", "sd_diff", "lower", "upper")]
    [1.0, 2.582, -4.061, 6.061]
    """
    if len(pairs) < 2:
        return None
    diffs = [a - b for a, b in pairs]
    mean = sum(diffs) / len(diffs)
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1))
    return {
        "n": len(diffs),
        "mean_diff": mean,
        "sd_diff": sd,
        "lower": mean - Z95 * sd,
        "upper": mean + Z95 * sd,
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class ReaderMetrics:
    """Agreement and adjudication figures of a double read."""

    n_pairs: int
    bor_kappa: Kappa
    pd_agreement: float | None
    pd_n: int
    sums_icc: float | None
    sums_n: int
    bland_altman: dict[str, float] | None
    adjudication_rate: float | None
    n_adjudication: int
    acceptance: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as JSON-ready values."""
        k = self.bor_kappa
        return {
            "n_pairs": self.n_pairs,
            "bor_kappa": {
                "kappa": k.kappa,
                "se": k.se,
                "ci95": k.ci,
                "n": k.n,
                "observed_agreement": k.observed,
            },
            "pd_date_agreement": {"proportion": self.pd_agreement, "n": self.pd_n},
            "sums": {
                "icc_a1": self.sums_icc,
                "n": self.sums_n,
                "bland_altman": self.bland_altman,
            },
            "adjudication_rate": self.adjudication_rate,
            "n_adjudication": self.n_adjudication,
            "acceptance": self.acceptance,
        }

    def lines(self) -> list[str]:
        """Return the figures as lines of text."""

        def f(x: float | None, d: int = 3) -> str:
            return "n/a" if x is None else f"{x:.{d}f}"

        k = self.bor_kappa
        ci = "n/a" if k.ci is None else f"{k.ci[0]:.3f} to {k.ci[1]:.3f}"
        out = [
            f"complete double reads: {self.n_pairs}",
            f"BOR agreement: kappa {f(k.kappa)} (95% CI {ci}), "
            f"observed {f(k.observed)} (n {k.n})",
            f"first-PD date agreement: {f(self.pd_agreement)} (n {self.pd_n})",
            f"sums of diameters: ICC(2,1) {f(self.sums_icc)} (n {self.sums_n} "
            "time points)",
        ]
        ba = self.bland_altman
        if ba is not None:
            out.append(
                f"Bland-Altman (read 1 - read 2): mean {ba['mean_diff']:+.2f} mm, "
                f"95% limits {ba['lower']:+.2f} to {ba['upper']:+.2f} mm"
            )
        out.append(
            f"adjudication rate: {f(self.adjudication_rate)} "
            f"({self.n_adjudication} of {self.n_pairs})"
        )
        for name, a in sorted(self.acceptance.items()):
            flag = "  OUT OF CONTROL" if a["out_of_control"] else ""
            out.append(
                f"  {name}: accepted {a['accepted']}/{a['adjudicated']} "
                f"({f(a['rate'], 2)}; p-chart limits {a['lcl']:.2f}-{a['ucl']:.2f})"
                f"{flag}"
            )
        return out


def reader_metrics(statuses: Sequence[Any], *, pd_days: int = 0) -> ReaderMetrics:
    """Compute :class:`ReaderMetrics` from :meth:`ReviewStore.status` lines."""
    import datetime as dt

    done = [
        s
        for s in statuses
        if s.state in ("agree", "waiting adjudication", "adjudicated")
    ]
    kappa = cohen_kappa([(s.bor[0] or "NE", s.bor[1] or "NE") for s in done])
    agree_pd = 0
    for s in done:
        a, b = s.first_pd
        if a is None or b is None:
            agree_pd += a is None and b is None
        else:
            days = abs((dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days)
            agree_pd += days <= pd_days
    sums: list[tuple[float, float]] = []
    for s in done:
        for x, y in zip(s.sums[0], s.sums[1], strict=False):
            if x is not None and y is not None:
                sums.append((float(x), float(y)))
    adjudicated = [
        s for s in done if s.state in ("waiting adjudication", "adjudicated")
    ]
    decided = [s for s in done if s.state == "adjudicated"]
    tally: dict[str, list[int]] = {}
    for s in decided:
        for k, name in enumerate(s.readers, start=1):
            if name is None:
                continue
            t = tally.setdefault(name, [0, 0])
            t[0] += s.accepted_slot == k
            t[1] += 1
    p_bar = sum(t[0] for t in tally.values()) / max(
        sum(t[1] for t in tally.values()), 1
    )
    acceptance = {}
    for name, (acc, n) in tally.items():
        half = 3 * math.sqrt(p_bar * (1 - p_bar) / n)
        lcl, ucl = max(p_bar - half, 0.0), min(p_bar + half, 1.0)
        rate = acc / n
        acceptance[name] = {
            "accepted": acc,
            "adjudicated": n,
            "rate": rate,
            "p_bar": p_bar,
            "lcl": lcl,
            "ucl": ucl,
            "out_of_control": not lcl <= rate <= ucl,
        }
    return ReaderMetrics(
        n_pairs=len(done),
        bor_kappa=kappa,
        pd_agreement=agree_pd / len(done) if done else None,
        pd_n=len(done),
        sums_icc=icc_a1([list(p) for p in sums]),
        sums_n=len(sums),
        bland_altman=bland_altman(sums),
        adjudication_rate=len(adjudicated) / len(done) if done else None,
        n_adjudication=len(adjudicated),
        acceptance=acceptance,
    )
