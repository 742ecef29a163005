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


def _legend(ax: object, used: Sequence[str]) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(color=BOR_COLOURS.get(c, "#999999"), label=c) for c in used]
    ax.legend(handles=handles, title="BOR", frameon=False, loc="best")  # type: ignore[attr-defined]


def waterfall(summary: EfficacySummary, *, confirmed: bool = True) -> Figure:
    """Best % change in the sum of diameters per subject, coloured by BOR."""
    with _style():
        fig = _figure(8, 4.5)
        ax = fig.add_subplot()
        rows = sorted(
            (s for s in summary.subjects if s.best_pct_change is not None),
            key=lambda s: -(s.best_pct_change or 0.0),
        )
        bors = [s.bor(confirmed=confirmed).value for s in rows]
        ax.bar(
            range(len(rows)),
            [s.best_pct_change or 0.0 for s in rows],
            color=[BOR_COLOURS.get(b, "#999999") for b in bors],
            width=0.85,
        )
        ax.axhline(20, color="#D55E00", ls="--", lw=0.8)
        ax.axhline(-30, color="#0072B2", ls="--", lw=0.8)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xticks([])
        ax.set_xlabel(
            f"subjects with a post-baseline sum (n = {len(rows)} of {summary.n})"
        )
        ax.set_ylabel("best change in sum of diameters from baseline (%)")
        flavour = "confirmed" if confirmed else "unconfirmed"
        ax.set_title(f"Waterfall: best % change, coloured by {flavour} BOR")
        _legend(ax, [c for c in BOR_COLOURS if c in bors])
    return fig


def spider(summary: EfficacySummary, *, confirmed: bool = True) -> Figure:
    """% change from baseline over time (weeks), one line per subject."""
    with _style():
        fig = _figure(8, 4.5)
        ax = fig.add_subplot()
        used: list[str] = []
        for s in summary.subjects:
            if not s.pct_by_date or s.baseline_date is None:
                continue
            base = s.baseline_date
            weeks = [0.0] + [(d - base).days / 7 for d, _ in s.pct_by_date]
            pcts = [0.0] + [p for _, p in s.pct_by_date]
            bor = s.bor(confirmed=confirmed).value
            used.append(bor)
            ax.plot(
                weeks,
                pcts,
                color=BOR_COLOURS.get(bor, "#999999"),
                lw=0.9,
                marker="o",
                ms=2.5,
                alpha=0.85,
            )
        ax.axhline(20, color="#D55E00", ls="--", lw=0.8)
        ax.axhline(-30, color="#0072B2", ls="--", lw=0.8)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_xlabel("weeks since baseline scan")
        ax.set_ylabel("change in sum of diameters from baseline (%)")
        ax.set_title("Spider plot: % change over time")
        _legend(ax, [c for c in BOR_COLOURS if c in used])
    return fig


_MARKERS = {"CR": "*", "PR": "^", "PD": "X", "NE": "."}


def swimmer(
    summary: EfficacySummary, *, confirmed: bool = True, limit: int = 60
) -> Figure:
    """Time on assessment per subject (bars by BOR) with response markers.

    Shows the ``limit`` subjects with the longest follow-up (said in the title).
    """
    with _style():
        subs = [s for s in summary.subjects if s.baseline_date and s.responses]
        subs.sort(
            key=lambda s: (
                ((s.last_date or dt.date.min) - (s.baseline_date or dt.date.min)).days
            )
        )
        shown = subs[-limit:]
        fig = _figure(8, max(3.0, 0.16 * len(shown) + 1.4))
        ax = fig.add_subplot()
        for y, s in enumerate(shown):
            base = s.baseline_date
            assert base is not None
            bor = s.bor(confirmed=confirmed).value
            length = ((s.last_date or base) - base).days / 7
            ax.barh(y, length, color=BOR_COLOURS.get(bor, "#999999"), height=0.7)
            for d, r in s.responses:
                m = _MARKERS.get(r.value)
                if m:
                    ax.plot(
                        (d - base).days / 7,
                        y,
                        marker=m,
                        color="black",
                        ms=5 if m != "." else 3,
                        ls="none",
                    )
        ax.set_yticks(range(len(shown)), [s.subject_id for s in shown], fontsize=6)
        ax.set_xlabel("weeks since baseline scan")
        more = (
            f" (longest {len(shown)} of {len(subs)})" if len(subs) > len(shown) else ""
        )
        ax.set_title(f"Swimmer plot: time on assessment{more}")
        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], marker=m, color="black", ls="none", label=k)
            for k, m in _MARKERS.items()
        ]
        leg = ax.legend(
            handles=handles, title="visit", frameon=False, loc="lower right"
        )
        ax.add_artist(leg)
        used = sorted(
            {s.bor(confirmed=confirmed).value for s in shown},
            key=list(BOR_COLOURS).index,
        )
        from matplotlib.patches import Patch

        ax.legend(
            handles=[Patch(color=BOR_COLOURS[c], label=c) for c in used],
            title="BOR",
            frameon=False,
            loc="center right",
        )
    return fig


def kaplan_meier(
    events: Sequence[TimeToEvent], *, title: str, xlabel: str = "months"
) -> Figure:
    """Kaplan-Meier curve (lifelines) with 95% CI, censor marks and numbers at risk."""
    with _style():
        fig = _figure(8, 4.8)
        gs = fig.add_gridspec(2, 1, height_ratios=[5, 1])
        ax = fig.add_subplot(gs[0])
        tab = fig.add_subplot(gs[1], sharex=ax)
        if not events:
            ax.text(
                0.5,
                0.5,
                "no subjects",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
            ax.set_title(title)
            tab.set_axis_off()
            return fig
        from lifelines import KaplanMeierFitter

        months = [e.days / 30.4375 for e in events]
        observed = [e.event for e in events]
        kmf = KaplanMeierFitter().fit(months, observed, label=title)
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_
        ax.step(sf.index, sf.values, where="post", color="#0072B2", lw=1.5)
        ax.fill_between(
            ci.index,
            ci.iloc[:, 0],
            ci.iloc[:, 1],
            step="post",
            color="#0072B2",
            alpha=0.15,
            lw=0,
        )
        cens = [t for t, o in zip(months, observed, strict=True) if not o]
        ax.plot(cens, [float(kmf.predict(t)) for t in cens], "|", color="#0072B2", ms=7)
        med = kmf.median_survival_time_
        med_txt = "not reached" if med == float("inf") else f"{med:.1f} {xlabel}"
        n_ev = sum(observed)
        ax.set_title(f"{title}: n = {len(events)}, events = {n_ev}, median {med_txt}")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("probability")
        top = max(months) if months else 1.0
        step = max(1, round(top / 6))
        ticks = [float(t) for t in range(0, int(top) + step + 1, step)]
        ax.set_xticks(ticks)
        ax.set_xlim(0, ticks[-1])
        at_risk = numbers_at_risk(months, ticks)
        tab.set_axis_off()
        tab.text(
            -0.04, 0.5, "at risk", ha="right", va="center", transform=tab.transAxes
        )
        for t, k in zip(ticks, at_risk, strict=True):
            tab.text(t, 0.5, str(k), ha="center", va="center")
        ax.set_xlabel(xlabel)
    return fig


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
