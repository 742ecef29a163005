"""Matplotlib figures of the efficacy summary and the subject report.

Figures are built on :class:`matplotlib.figure.Figure` (no pyplot state, no GUI
backend); :func:`save_figure` writes PNG and SVG.  Colours follow the response
categories consistently across figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recist.report._stats import TimeToEvent, numbers_at_risk

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from recist.model import Assessment
    from recist.report.summary import EfficacySummary

__all__ = [
    "BOR_COLOURS",
    "SPIDER_MAX_LINES",
    "colour_of",
    "kaplan_meier",
    "save_figure",
    "spider",
    "sum_of_diameters",
    "swimmer",
    "waterfall",
]

#: One colour per response category (colour-blind friendly, Okabe-Ito).
BOR_COLOURS = {
    "CR": "#0072B2",
    "PR": "#56B4E9",
    "SD": "#009E73",
    "NON-CR/NON-PD": "#F0E442",
    "PD": "#D55E00",
    "NE": "#999999",
}
_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "svg.hashsalt": "recist",
    "svg.fonttype": "none",  # text stays text: smaller, faster SVG
}


def _figure(width_in: float, height_in: float) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    return fig


def _style() -> AbstractContextManager[None]:
    import matplotlib as mpl

    return mpl.rc_context(_STYLE)  # type: ignore[arg-type]


def save_figure(fig: Figure, out_dir: str | Path, stem: str) -> list[Path]:
    """Write ``stem.png`` (150 dpi) and ``stem.svg`` into ``out_dir``."""
    from recist._atomic import check_output_dir, replacing

    out = check_output_dir(out_dir)
    paths = [out / f"{stem}.png", out / f"{stem}.svg"]
    with _style():
        with replacing(paths[0]) as tmp:
            fig.savefig(tmp, dpi=150, format="png")
        with replacing(paths[1]) as tmp:
            fig.savefig(tmp, metadata={"Date": None}, format="svg")
    return paths


def _legend(ax: object, used: Sequence[str], title: str = "BOR") -> None:
    from matplotlib.patches import Patch

    handles = [Patch(color=colour_of(c), label=c) for c in used]
    ax.legend(handles=handles, title=title, frameon=False, loc="best", fontsize=7)  # type: ignore[attr-defined]


#: iRECIST categories share the RECIST 1.1 colours; iUPD is its own (amber).
_I_COLOURS = {
    "iCR": BOR_COLOURS["CR"],
    "iPR": BOR_COLOURS["PR"],
    "iSD": BOR_COLOURS["SD"],
    "NON-iCR/NON-iUPD": BOR_COLOURS["NON-CR/NON-PD"],
    "iUPD": "#E69F00",
    "iCPD": BOR_COLOURS["PD"],
}
_GROUP_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")

#: Above this many subjects the spider plot draws a stated random sample.
SPIDER_MAX_LINES = 300


def colour_of(category: str) -> str:
    """Colour of a response category (RECIST 1.1 or iRECIST)."""
    return BOR_COLOURS.get(category) or _I_COLOURS.get(category, "#999999")


def _category(summary: EfficacySummary, s: Any, confirmed: bool) -> str:
    value = (
        s.ibor(confirmed=confirmed) if summary.irecist else s.bor(confirmed=confirmed)
    )
    return str(value.value)


def _order(summary: EfficacySummary) -> list[str]:
    from recist.report.summary import BOR_CATEGORIES, IBOR_CATEGORIES

    return list(IBOR_CATEGORIES if summary.irecist else BOR_CATEGORIES)


def _groups(summary: EfficacySummary) -> list[tuple[str, list[Any]]]:
    """``[(label, subjects)]``: one per --by group, or one "All" without groups."""
    if not summary.groups:
        return [("All subjects", list(summary.subjects))]
    members: dict[str, list[Any]] = {}
    for s in summary.subjects:
        members.setdefault(summary.group_of(s), []).append(s)
    return [(g.label, members.get(g.label, [])) for g in summary.groups]


def waterfall(summary: EfficacySummary, *, confirmed: bool = True) -> Figure:
    """Best % change per subject, coloured by BOR, one panel per group.

    Bars are vertical lines (one per subject), so 6,000 subjects draw in one
    collection and stay readable as a profile.
    """
    from matplotlib.collections import LineCollection

    groups = _groups(summary)
    with _style():
        fig = _figure(8, 1.2 + 2.6 * len(groups))
        axes = fig.subplots(len(groups), 1, squeeze=False, sharey=True)[:, 0]
        used: set[str] = set()
        for ax, (label, subs) in zip(axes, groups, strict=True):
            rows = sorted(
                (s for s in subs if s.best_pct_change is not None),
                key=lambda s: -(s.best_pct_change or 0.0),
            )
            cats = [_category(summary, s, confirmed) for s in rows]
            used.update(cats)
            segs = [
                ((i, 0.0), (i, s.best_pct_change or 0.0)) for i, s in enumerate(rows)
            ]
            lw = max(0.3, min(6.0, 400 / max(len(rows), 1)))
            ax.add_collection(
                LineCollection(segs, colors=[colour_of(c) for c in cats], linewidths=lw)
            )
            ax.set_xlim(-1, max(len(rows), 1))
            lo = min((s.best_pct_change or 0.0 for s in rows), default=-100.0)
            hi = max((s.best_pct_change or 0.0 for s in rows), default=50.0)
            ax.set_ylim(min(lo, -100.0) - 5, max(hi, 30.0) + 5)
            ax.axhline(20, color="#D55E00", ls="--", lw=0.8)
            ax.axhline(-30, color="#0072B2", ls="--", lw=0.8)
            ax.axhline(0, color="black", lw=0.6)
            ax.set_xticks([])
            ax.set_ylabel("best change from baseline (%)")
            ax.set_title(
                f"{label}: n = {len(rows)} with a post-baseline sum of {len(subs)}",
                fontsize=9,
            )
        flavour = "confirmed" if confirmed else "unconfirmed"
        i = "i" if summary.irecist else ""
        fig.suptitle(
            f"Waterfall: best % change, coloured by {flavour} {i}BOR",
            fontweight="bold",
        )
        axes[-1].set_xlabel(
            "subjects, ordered by best % change (dashed: +20% and -30%)"
        )
        from matplotlib.patches import Patch

        axes[0].legend(
            handles=[
                Patch(color=colour_of(c), label=c) for c in _order(summary) if c in used
            ],
            title=f"{i}BOR",
            frameon=False,
            fontsize=7,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
        )
    return fig


def spider(summary: EfficacySummary, *, confirmed: bool = True) -> Figure:
    """% change from baseline over time (weeks), coloured by group (or BOR).

    Above :data:`SPIDER_MAX_LINES` subjects a seeded random sample of that many
    is drawn (said in the title).
    """
    import random

    from matplotlib.collections import LineCollection

    groups = _groups(summary)
    by_group = len(groups) > 1
    with _style():
        fig = _figure(8, 4.5)
        ax = fig.add_subplot()
        lines: list[list[tuple[float, float]]] = []
        colours: list[str] = []
        total = 0
        for gi, (_label, subs) in enumerate(groups):
            tracks = []
            for s in subs:
                if not s.pct_by_date or s.baseline_date is None:
                    continue
                base = s.baseline_date
                pts = [(0.0, 0.0)] + [
                    ((d - base).days / 7, p) for d, p in s.pct_by_date
                ]
                tracks.append((s, pts))
            total += len(tracks)
            colour = _GROUP_COLOURS[gi % len(_GROUP_COLOURS)]
            for s, pts in tracks:
                lines.append(pts)
                colours.append(
                    colour if by_group else colour_of(_category(summary, s, confirmed))
                )
        shown = list(range(len(lines)))
        note = ""
        if len(lines) > SPIDER_MAX_LINES:
            shown = sorted(random.Random(0).sample(shown, SPIDER_MAX_LINES))
            note = f" (random sample of {SPIDER_MAX_LINES} of {len(lines)} subjects)"
        alpha = 0.85 if len(shown) <= 60 else 0.35
        ax.add_collection(
            LineCollection(
                [lines[i] for i in shown],
                colors=[colours[i] for i in shown],
                linewidths=0.8,
                alpha=alpha,
            )
        )
        if lines:
            xs = [x for i in shown for x, _ in lines[i]]
            ys = [y for i in shown for _, y in lines[i]]
            ax.set_xlim(0, max(xs) * 1.03 + 0.1)
            ax.set_ylim(min(min(ys), -100) - 5, max(max(ys), 30) + 5)
        ax.axhline(20, color="#D55E00", ls="--", lw=0.8)
        ax.axhline(-30, color="#0072B2", ls="--", lw=0.8)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xlabel("weeks since baseline scan")
        ax.set_ylabel("change in sum of diameters from baseline (%)")
        ax.set_title(f"Spider plot: % change over time{note}")
        if by_group:
            _legend(ax, [g for g, _ in groups], "group")
            for h, c in zip(
                ax.get_legend().legend_handles, _GROUP_COLOURS, strict=False
            ):
                h.set_color(c)  # type: ignore[union-attr]
        else:
            used = {colours[i] for i in shown}
            _legend(ax, [c for c in _order(summary) if colour_of(c) in used], "BOR")
    return fig


_MARKERS = {"CR": "*", "PR": "^", "PD": "X", "NE": "."}


def swimmer(
    summary: EfficacySummary, *, confirmed: bool = True, limit: int = 60
) -> Figure:
    """Time on study per subject, lanes grouped, with response and death markers.

    Bars run from the baseline scan to the last assessment (or death), coloured
    by BOR; an arrow marks a subject still on follow-up (censored PFS without
    death); a dagger marks death.  Shows the ``limit`` subjects with the
    longest follow-up (said in the title).
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    with _style():
        subs = [
            s
            for s in summary.subjects
            if s.baseline_date and (s.responses or s.death_date)
        ]

        def end(s: Any) -> dt.date:
            last = s.last_date or s.baseline_date
            death = s.death_date
            return max(last, death) if death is not None else last

        subs.sort(key=lambda s: (end(s) - s.baseline_date).days)
        shown = subs[-limit:]
        shown.sort(key=lambda s: (summary.group_of(s), (end(s) - s.baseline_date).days))
        fig = _figure(8, max(3.0, 0.16 * len(shown) + 1.6))
        ax = fig.add_subplot()
        marks: dict[str, tuple[list[float], list[int]]] = {}
        lengths: list[float] = []
        deaths: tuple[list[float], list[int]] = ([], [])
        for y, s in enumerate(shown):
            base = s.baseline_date
            assert base is not None
            length = (end(s) - base).days / 7
            lengths.append(length)
            for d, r in s.responses:
                m = _MARKERS.get(r.value)
                if m:
                    xs, ys = marks.setdefault(m, ([], []))
                    xs.append((d - base).days / 7)
                    ys.append(y)
            pfs = summary.pfs.get(s.subject_id)
            if s.death_date is not None:
                deaths[0].append(length)
                deaths[1].append(y)
            elif pfs is not None and not pfs.event:
                ax.annotate(
                    "",
                    xy=(length + 1.5, y),
                    xytext=(length, y),
                    arrowprops={"arrowstyle": "->", "lw": 0.8},
                )
        ax.barh(
            range(len(shown)),
            lengths,
            color=[colour_of(_category(summary, s, confirmed)) for s in shown],
            height=0.7,
        )
        for m, (xs, ys) in marks.items():
            ax.plot(xs, ys, marker=m, color="black", ms=5 if m != "." else 3,
                    ls="none")  # fmt: skip
        if deaths[0]:
            ax.plot(*deaths, marker="$\\dagger$", color="black", ms=7, ls="none")
        labels = [
            f"{s.subject_id} ({summary.group_of(s)})" if summary.by else s.subject_id
            for s in shown
        ]
        ax.set_yticks(range(len(shown)), labels, fontsize=6)
        ax.set_xlabel("weeks since baseline scan")
        more = (
            f" (longest {len(shown)} of {len(subs)})" if len(subs) > len(shown) else ""
        )
        ax.set_title(f"Swimmer plot: time on study{more}")
        handles = [
            Line2D([], [], marker=m, color="black", ls="none", label=k)
            for k, m in _MARKERS.items()
        ]
        handles.append(
            Line2D([], [], marker="$\\dagger$", color="black", ls="none", label="death")
        )
        handles.append(
            Line2D([], [], marker="$\\rightarrow$", color="black", ls="none",
                   label="ongoing")
        )  # fmt: skip
        fig.legend(
            handles=handles,
            title="visit",
            frameon=False,
            loc="outside right lower",
            fontsize=7,
        )
        longest = max(((end(s) - s.baseline_date).days / 7 for s in shown), default=1)
        ax.set_xlim(0, longest * 1.08 + 2)
        used = {_category(summary, s, confirmed) for s in shown}
        fig.legend(
            handles=[
                Patch(color=colour_of(c), label=c) for c in _order(summary) if c in used
            ],
            title="BOR",
            frameon=False,
            loc="outside right upper",
            fontsize=7,
        )
    return fig


def kaplan_meier(
    curves: Sequence[TimeToEvent] | Sequence[tuple[str, Sequence[TimeToEvent]]],
    *,
    title: str,
    ylabel: str = "Probability",
    xlabel: str = "months",
) -> Figure:
    """Kaplan-Meier curves with 95% CI, censor marks, median and numbers at risk.

    ``curves`` is one list of times, or ``[(group label, times), ...]`` for a
    curve per group (numbers at risk per group under the plot).  The median
    is marked on each curve with its Brookmeyer-Crowley 95% CI.
    """
    from recist.report._stats import DAYS_PER_MONTH
    from recist.report._stats import kaplan_meier as km_fit

    groups: list[tuple[str, Sequence[TimeToEvent]]]
    if curves and isinstance(curves[0], tuple):
        groups = list(curves)  # type: ignore[arg-type]
    else:
        groups = [("All", curves)]  # type: ignore[list-item]
    groups = [(g, ev) for g, ev in groups if ev] or [("All", [])]
    with _style():
        rows = len(groups)
        fig = _figure(8, 4.4 + 0.22 * rows)
        gs = fig.add_gridspec(2, 1, height_ratios=[5, 0.35 + 0.3 * rows])
        ax = fig.add_subplot(gs[0])
        tab = fig.add_subplot(gs[1], sharex=ax)
        tab.set_axis_off()
        if not groups[0][1]:
            ax.text(0.5, 0.5, "no subjects", ha="center", va="center",
                    transform=ax.transAxes)  # fmt: skip
            ax.set_title(title)
            return fig
        top = max(e.aval / DAYS_PER_MONTH for _, ev in groups for e in ev)
        step = max(1, round(top / 6))
        ticks = [float(t) for t in range(0, int(top) + step + 1, step)]
        texts = []
        for gi, (label, events) in enumerate(groups):
            colour = _GROUP_COLOURS[gi % len(_GROUP_COLOURS)]
            months = [e.aval / DAYS_PER_MONTH for e in events]
            observed = [e.event for e in events]
            fit = km_fit(months, observed)
            last = max(months)  # draw the curve on to the last follow-up
            xs = [*fit.times, last] if last > fit.times[-1] else list(fit.times)
            pad = len(xs) - len(fit.times)
            ax.step(xs, [*fit.survival, *fit.survival[-1:] * pad], where="post",
                    color=colour, lw=1.5, label=label)  # fmt: skip
            ax.fill_between(xs, [*fit.lower, *fit.lower[-1:] * pad],
                            [*fit.upper, *fit.upper[-1:] * pad], step="post",
                            color=colour, alpha=0.12, lw=0)  # fmt: skip
            cens = [t for t, o in zip(months, observed, strict=True) if not o]
            ax.plot(cens, [_s_at(fit, t) for t in cens], "|", color=colour, ms=7)
            if fit.median is not None:
                lo, hi = fit.median_ci
                ax.plot([fit.median], [0.5], "o", color=colour, ms=4)
                ax.hlines(0.5, lo if lo is not None else fit.median,
                          hi if hi is not None else ticks[-1], color=colour,
                          lw=2.5, alpha=0.5)  # fmt: skip
            texts.append(
                f"{label}: n = {fit.n}, events = {fit.events}, median "
                f"{fit.median_text()}"
            )
            y = 1 - (gi + 0.5) / rows
            tab.text(-0.02, y, label, ha="right", va="center", color=colour,
                     transform=tab.get_yaxis_transform(), fontsize=7)  # fmt: skip
            for t, k in zip(ticks, numbers_at_risk(months, ticks), strict=True):
                tab.text(t, y, str(k), ha="center", va="center", fontsize=7,
                         color=colour)  # fmt: skip
        tab.set_ylim(0, 1)
        tab.text(0.0, 1.02, "number at risk", transform=tab.transAxes, fontsize=7)
        ax.axhline(0.5, color="#bbbbbb", lw=0.6, ls=":")
        ax.set_title(title)
        ax.text(0.99, 0.98, "\n".join(texts), transform=ax.transAxes, ha="right",
                va="top", fontsize=7)  # fmt: skip
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(ylabel)
        ax.set_xticks(ticks)
        ax.set_xlim(0, ticks[-1])
        ax.set_xlabel(
            f"{xlabel} (median: dot on the curve, bar: 95% CI, Brookmeyer-Crowley)"
        )
        if len(groups) > 1:
            ax.legend(frameon=False, loc="lower left", fontsize=7)
    return fig


def _s_at(fit: Any, t: float) -> float:
    import bisect

    return float(fit.survival[bisect.bisect_right(fit.times, t) - 1])


def sum_of_diameters(assessment: Assessment, *, ax: Axes | None = None) -> Figure:
    """Sum of target diameters over time with baseline, nadir, -30% and +20% lines.

    Drawn into ``ax`` when given (its figure is returned), else a new figure.
    The nadir is the smallest sum of the series; +20% is drawn over it.
    """
    with _style():
        if ax is None:
            fig = _figure(7.2, 3.4)
            ax = fig.add_subplot()
        else:
            fig = ax.get_figure()  # type: ignore[assignment]
        base = assessment.baseline_sum_mm
        bdate = assessment.reading.baseline.date
        if base is None:
            ax.text(0.5, 0.5, "no target lesions", ha="center", transform=ax.transAxes)
            return fig
        dates = [bdate] + [
            tp.date for tp in assessment.timepoints if tp.sum_mm is not None
        ]
        sums = [float(base)] + [
            float(tp.sum_mm) for tp in assessment.timepoints if tp.sum_mm is not None
        ]
        weeks = [(d - bdate).days / 7 for d in dates]
        ax.plot(weeks, sums, color="black", marker="o", lw=1.5, zorder=3)
        for w, s, tp in zip(
            weeks[1:],
            sums[1:],
            [t for t in assessment.timepoints if t.sum_mm is not None],
            strict=True,
        ):
            ax.annotate(
                tp.overall.value.value,
                (w, s),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=8,
                color=BOR_COLOURS.get(tp.overall.value.value, "black"),
            )
        b = float(base)
        nadir = min(sums)
        ax.axhline(b, color="#555555", ls="-", lw=0.8, label=f"baseline {b:g} mm")
        ax.axhline(
            0.7 * b,
            color="#0072B2",
            ls="--",
            lw=0.8,
            label=f"-30% of baseline ({0.7 * b:.1f} mm)",
        )
        ax.axhline(nadir, color="#009E73", ls=":", lw=0.8, label=f"nadir {nadir:g} mm")
        ax.axhline(
            1.2 * nadir,
            color="#D55E00",
            ls="--",
            lw=0.8,
            label=f"+20% over nadir ({1.2 * nadir:.1f} mm)",
        )
        ax.set_xticks(
            weeks,
            [f"{d:%d %b %Y}\nwk {w:.0f}" for d, w in zip(dates, weeks, strict=True)],
            fontsize=7,
        )
        ax.set_ylabel("sum of diameters (mm)")
        ax.set_ylim(0, max(max(sums), 1.2 * nadir, b) * 1.18)
        ax.legend(frameon=False, fontsize=7, loc="lower left")
        ax.set_title("Sum of target lesion diameters")
    return fig
