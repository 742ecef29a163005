"""Central review subject report: PDF (A4, matplotlib) and self-contained HTML.

Page 1: header (subject, reader, criteria, dates), the lesion x time point
table (diameters, sums, % change from baseline and nadir, non-target states,
new lesions, responses) and the best overall response.  Page 2: the engine's
reason for every response and the sum-of-diameters plot.  Then key images:
each target at each time point, on the slice it was measured on, with its
calliper.  Every page carries page numbers and a generated-on stamp.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recist.rules._numeric import fmt_pct

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from recist.model import Assessment
    from recist.report._images import KeyImage

__all__ = ["lesion_table", "render_html", "render_pdf", "subject_pages"]

A4 = (8.27, 11.69)
_MARGIN = 0.07
_IMAGE_COLS = 4
_IMAGE_ROWS = 4


#: The response categories of a time point: (label, TimePointAssessment attribute).
_CATEGORIES = (
    ("Target", "target"),
    ("Non-target", "non_target"),
    ("New lesions", "new_lesions"),
    ("Overall", "overall"),
)


def _mm(v: object) -> str:
    return "—" if v is None else f"{v}"


def lesion_table(a: Assessment) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the lesion x time point table (text cells).

    Examples
    --------
    >>> import datetime as dt
    >>> from recist import assess
    >>> from recist.model import Baseline, Lesion, Measurement, Reading, TimePoint
    >>> t = Lesion(lesion_id="T01", role="TARGET", site="LIVER",
    ...            baseline=Measurement.of_mm("64.0"))
    >>> r = Reading(baseline=Baseline(date=dt.date(2026, 1, 5), targets=(t,)),
    ...     followups=(TimePoint(date=dt.date(2026, 2, 16),
    ...                          targets={"T01": Measurement.of_mm("42.0")}),))
    >>> head, rows = lesion_table(assess(r, confirmation=False))
    >>> head
    ['Lesion', 'Site', '2026-01-05 (BL)', '2026-02-16']
    >>> rows[0], rows[1][2:], rows[2][2:]
    (['T01', 'LIVER', '64.0', '42.0'], ['64.0', '42.0'], ['', '-34.4%'])
    """
    reading = a.reading
    b = reading.baseline
    head = ["Lesion", "Site", f"{b.date} (BL)", *(str(tp.date) for tp in a.timepoints)]
    rows: list[list[str]] = []
    for t in b.targets:
        site = t.site + (" (node, SA)" if t.nodal else "")
        cells = [t.lesion_id, site, _mm(t.diameter_mm)]
        for tp in reading.followups:
            m = tp.targets.get(t.lesion_id)
            cells.append("NE" if m is None or m.value_mm is None else _mm(m.value_mm))
        rows.append(cells)
    rows.append(
        ["Sum (mm)", "", _mm(a.baseline_sum_mm), *(_mm(p.sum_mm) for p in a.timepoints)]
    )
    rows.append(
        [
            "% from baseline",
            "",
            "",
            *(fmt_pct(p.pct_from_baseline) for p in a.timepoints),
        ]
    )
    rows.append(
        ["% from nadir", "", "", *(fmt_pct(p.pct_from_nadir) for p in a.timepoints)]
    )
    rows.append(["Nadir (mm)", "", "", *(_mm(p.nadir_mm) for p in a.timepoints)])
    for n in b.non_targets:
        states = [tp.non_targets.get(n.lesion_id) for tp in reading.followups]
        rows.append(
            [
                n.lesion_id,
                n.site,
                "PRESENT",
                *(("NOT EVALUATED" if s is None else s.value) for s in states),
            ]
        )
    news = []
    for tp in reading.followups:
        listed = [
            f"{x.lesion_id} {x.site}" + (" (equiv.)" if x.equivocal else "")
            for x in tp.new_lesions
            if x.present
        ]
        news.append(", ".join(listed) or "none")
    rows.append(["New lesions", "", "", *news])
    for label, attr in _CATEGORIES:
        rows.append(
            [
                f"{label.removesuffix('s')} response",
                "",
                "",
                *(getattr(p, attr).value.value for p in a.timepoints),
            ]
        )
    return head, rows


def _bor_lines(a: Assessment) -> list[str]:
    c, u = a.best_overall_response_confirmed, a.best_overall_response_unconfirmed
    primary = "confirmed" if a.confirmation else "unconfirmed"
    return [
        f"Best overall response ({primary}, as the protocol requires): "
        f"{a.best_overall_response.value.value}",
        f"Confirmed: {c.value.value} — {c.reason} ({c.rule})",
        f"Unconfirmed: {u.value.value} — {u.reason} ({u.rule})",
    ]


def _header_lines(a: Assessment) -> list[tuple[str, str]]:
    r = a.reading
    return [
        ("Subject", r.subject_id or r.case_id or "—"),
        ("Reader", r.reader or "—"),
        ("Criteria", a.criteria.value),
        ("Baseline", str(r.baseline.date)),
        ("Time points", ", ".join(str(tp.date) for tp in r.followups) or "none"),
        (
            "Options",
            f"confirmation {'on' if a.confirmation else 'off'}, "
            f"≥{r.options.confirmation_min_days} d; SD ≥{r.options.sd_min_days} d",
        ),
    ]


def _footer(fig: Figure, page: int, pages: int, stamp: str, subject: str) -> None:
    fig.text(
        _MARGIN,
        0.025,
        f"recist central review · subject {subject} · generated {stamp}",
        fontsize=7,
        color="#555555",
    )
    fig.text(
        1 - _MARGIN,
        0.025,
        f"Page {page} of {pages}",
        fontsize=7,
        color="#555555",
        ha="right",
    )
    fig.add_artist(_rule(fig, 0.04))


def _rule(fig: Figure, y: float) -> Any:
    from matplotlib.lines import Line2D

    return Line2D(
        [_MARGIN, 1 - _MARGIN],
        [y, y],
        transform=fig.transFigure,
        color="#999999",
        lw=0.5,
    )


def _title(fig: Figure, text: str) -> None:
    fig.text(_MARGIN, 0.955, text, fontsize=14, weight="bold")
    fig.add_artist(_rule(fig, 0.945))


def _table(
    ax: Axes, head: list[str], rows: list[list[str]], *, fontsize: float = 7
) -> Any:
    ax.set_axis_off()
    colours = []
    for row in rows:
        shade = (
            "#f2f2f2"
            if row[0].endswith("response") or row[0].startswith(("Sum", "%"))
            else "white"
        )
        colours.append([shade] * len(row))
    tab = ax.table(
        cellText=rows,
        colLabels=head,
        loc="upper center",
        cellLoc="center",
        cellColours=colours,
        colLoc="center",
    )
    tab.auto_set_font_size(False)
    tab.set_fontsize(fontsize)
    tab.scale(1, 1.35)
    for (r, c), cell in tab.get_celld().items():
        cell.set_edgecolor("#bbbbbb")
        cell.set_linewidth(0.4)
        if r == 0:
            cell.set_facecolor("#dde4ee")
            cell.set_text_props(weight="bold")
        if c in (0, 1):
            cell.set_text_props(ha="left")
            cell.PAD = 0.03
    tab.auto_set_column_width(list(range(len(head))))
    return tab


def _bottom_of(fig: Figure, artist: Any) -> float:
    """Return the bottom of a drawn artist, in figure coordinates (0 at the foot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else None
    renderer = (canvas or FigureCanvasAgg(fig)).get_renderer()  # type: ignore[no-untyped-call]
    box = artist.get_window_extent(renderer).transformed(fig.transFigure.inverted())
    return float(box.y0)


def _page1(a: Assessment) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=A4)
    _title(fig, "Central review — RECIST subject report")
    y = 0.925
    for k, v in _header_lines(a):
        fig.text(_MARGIN, y, k, fontsize=9, weight="bold", va="top")
        fig.text(
            _MARGIN + 0.14, y, "\n".join(textwrap.wrap(v, 95)), fontsize=9, va="top"
        )
        y -= 0.018 * (1 + len(v) // 95)
    head, rows = lesion_table(a)
    ax = fig.add_axes((_MARGIN, 0.22, 1 - 2 * _MARGIN, y - 0.24))
    tab = _table(ax, head, rows, fontsize=7 if len(head) <= 7 else 6)
    yb = _bottom_of(fig, tab) - 0.03  # just below the table
    for line in _bor_lines(a):
        wrapped = textwrap.wrap(line, 110)
        fig.text(
            _MARGIN,
            yb,
            "\n".join(wrapped),
            fontsize=8,
            weight="bold" if line.startswith("Best") else "normal",
            va="top",
        )
        yb -= 0.016 * len(wrapped) + 0.004
    if a.warnings:
        fig.text(
            _MARGIN,
            yb - 0.005,
            "Notes: " + "; ".join(a.warnings),
            fontsize=7,
            color="#8a4b00",
            va="top",
            wrap=True,
        )
    return fig


def _page2(a: Assessment) -> Figure:
    from matplotlib.figure import Figure

    from recist.report.plots import sum_of_diameters

    fig = Figure(figsize=A4)
    _title(fig, "Responses with the engine's reasons")
    y = 0.925
    for tp in a.timepoints:
        fig.text(
            _MARGIN,
            y,
            f"{tp.date}: overall {tp.overall.value.value}",
            fontsize=9,
            weight="bold",
            va="top",
        )
        y -= 0.017
        for label, attr in _CATEGORIES:
            x = getattr(tp, attr)
            text = f"{label}: {x.value.value} — {x.reason} [{x.rule}]"
            wrapped = textwrap.wrap(text, 115, subsequent_indent="    ")
            fig.text(_MARGIN + 0.02, y, "\n".join(wrapped), fontsize=7, va="top")
            y -= 0.0125 * len(wrapped) + 0.002
        y -= 0.006
    top = min(y - 0.04, 0.45)
    ax = fig.add_axes((_MARGIN + 0.05, 0.08, 1 - 2 * _MARGIN - 0.05, top - 0.08))
    sum_of_diameters(a, ax=ax)
    return fig


def _draw_key_image(ax: Axes, k: KeyImage) -> None:
    c, w = k.window
    ax.imshow(
        k.pixels,
        cmap="gray",
        vmin=c - w / 2,
        vmax=c + w / 2,
        interpolation="nearest",
        aspect=k.spacing_mm[1] / k.spacing_mm[0],
    )
    pts = k.endpoints_px
    for i in range(0, len(pts) - 1, 2):
        (x0, y0), (x1, y1) = pts[i], pts[i + 1]
        colour = "#ffcc00" if i == 0 else "#33ccff"
        ax.plot([x0, x1], [y0, y1], color=colour, lw=1.2, marker="+", ms=6)
    ax.set_xticks([])
    ax.set_yticks([])
    length = "—" if k.value_mm is None else f"{k.value_mm} mm"
    ax.set_title(f"{k.lesion_id} · {k.date} · {length}", fontsize=7)
    fov = k.pixels.shape[1] * k.spacing_mm[0]
    ax.text(
        0.02,
        0.02,
        f"W {w:g} / L {c:g} · FOV {fov:.0f} mm",
        color="white",
        fontsize=5.5,
        transform=ax.transAxes,
    )


def _image_pages(
    a: Assessment, images: dict[tuple[str, dt.date], KeyImage], missing: list[str]
) -> list[Figure]:
    from matplotlib.figure import Figure

    dates = [a.reading.baseline.date, *(tp.date for tp in a.reading.followups)]
    lesions = [t.lesion_id for t in a.reading.baseline.targets]
    pages: list[Figure] = []
    col_chunks = [dates[i : i + _IMAGE_COLS] for i in range(0, len(dates), _IMAGE_COLS)]
    row_chunks = [
        lesions[i : i + _IMAGE_ROWS] for i in range(0, len(lesions), _IMAGE_ROWS)
    ]
    for cols in col_chunks:
        for rows in row_chunks:
            fig = Figure(figsize=A4)
            _title(fig, "Key images (slice measured on, calliper as read)")
            cell_w = (1 - 2 * _MARGIN) / _IMAGE_COLS
            cell_h = 0.85 / _IMAGE_ROWS
            for r, lid in enumerate(rows):
                for c, date in enumerate(cols):
                    ax = fig.add_axes(
                        (
                            _MARGIN + c * cell_w + 0.005,
                            0.925 - (r + 1) * cell_h + 0.02,
                            cell_w - 0.01,
                            cell_h - 0.035,
                        )
                    )
                    k = images.get((lid, date))
                    if k is None:
                        ax.set_axis_off()
                        ax.text(
                            0.5,
                            0.5,
                            f"{lid} · {date}\nno key image",
                            ha="center",
                            va="center",
                            fontsize=7,
                            transform=ax.transAxes,
                        )
                    else:
                        _draw_key_image(ax, k)
            fig.text(
                _MARGIN,
                0.055,
                "Yellow: long axis (short axis in blue for nodes; "
                "a node's RECIST value is its short axis). Window from the DICOM "
                "header.",
                fontsize=6.5,
                color="#444444",
            )
            pages.append(fig)
    if missing:
        fig = pages[-1] if pages else Figure(figsize=A4)
        fig.text(
            _MARGIN,
            0.07,
            "Missing: " + "; ".join(missing[:6]),
            fontsize=6,
            color="#8a4b00",
            wrap=True,
        )
        if not pages:
            pages.append(fig)
    return pages


def subject_pages(
    assessment: Assessment,
    images: dict[tuple[str, dt.date], KeyImage] | None = None,
    *,
    missing: list[str] | None = None,
    generated: dt.datetime | None = None,
) -> list[Figure]:
    """Lay out the report's A4 pages (matplotlib figures, footers included)."""
    import matplotlib as mpl

    from recist.report.plots import _STYLE

    with mpl.rc_context(_STYLE):  # type: ignore[arg-type]
        pages = [_page1(assessment), _page2(assessment)]
        if images is not None:
            pages += _image_pages(assessment, images, missing or [])
    stamp = (generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    r = assessment.reading
    subject = r.subject_id or r.case_id or "—"
    for i, fig in enumerate(pages, 1):
        _footer(fig, i, len(pages), stamp, subject)
    return pages


def render_pdf(
    pages: list[Figure], path: str | Path, *, title: str = "RECIST report"
) -> Path:
    """Write the pages to one PDF (with document metadata)."""
    from matplotlib.backends.backend_pdf import PdfPages

    from recist._atomic import replacing

    out = Path(path)
    with (
        replacing(out) as tmp,
        PdfPages(tmp, metadata={"Title": title, "Creator": "recist"}) as pdf,
    ):
        for fig in pages:
            pdf.savefig(fig)
    return out


def _png(fig: Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


#: The subject report page body; every ``{{ value }}`` is escaped (autoescape).
_BODY = """\
<h1>Central review — RECIST subject report</h1><table>
{%- for k, v in header %}
<tr><th>{{ k }}</th><td style='text-align:left'>{{ v }}</td></tr>
{%- endfor %}
</table><h2>Lesions and responses</h2>
{{ lesions }}
{%- for x in bor %}
<p>{% if loop.first %}<b>{{ x }}</b>{% else %}{{ x }}{% endif %}</p>
{%- endfor %}
<h2>Reasons</h2><ul>
{%- for r in reasons %}
<li>{{ r.date }} {{ r.label }}: <b>{{ r.value }}</b> —
{{ r.reason }} [{{ r.rule }}]</li>
{%- endfor %}
</ul>
<img alt="sum of diameters" src="{{ plot }}">
{%- if images %}
<h2>Key images</h2><div>
{%- for im in images %}
<img style="width:24%" alt="{{ im.alt }}" src="{{ im.src }}">
{%- endfor %}
</div>
{%- endif %}
<p class=note>Generated {{ stamp }} by recist.</p>
"""


def render_html(
    assessment: Assessment,
    images: dict[tuple[str, dt.date], KeyImage] | None,
    path: str | Path,
    *,
    generated: dt.datetime | None = None,
) -> Path:
    """Write a self-contained HTML report (tables as HTML, figures inline PNG).

    Every text from the reading (ids, sites, subject, reader, reasons) is
    escaped by the template engine (:mod:`recist.report._html`).
    """
    from matplotlib.figure import Figure

    from recist.report._html import PAGE, png_data_uri, render, table
    from recist.report.plots import sum_of_diameters

    a = assessment
    stamp = (generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    head, rows = lesion_table(a)
    reasons = [
        {
            "date": tp.date,
            "label": label,
            "value": getattr(tp, attr).value.value,
            "reason": getattr(tp, attr).reason,
            "rule": getattr(tp, attr).rule,
        }
        for tp in a.timepoints
        for label, attr in _CATEGORIES
    ]
    key = []
    for (lid, date), k in sorted((images or {}).items()):
        fig = Figure(figsize=(2.4, 2.5), layout="constrained")
        _draw_key_image(fig.add_subplot(), k)
        key.append({"alt": f"{lid} {date}", "src": png_data_uri(_png(fig, 100))})
    body = render(
        _BODY,
        header=_header_lines(a),
        lesions=table(head, rows),
        bor=_bor_lines(a),
        reasons=reasons,
        plot=png_data_uri(_png(sum_of_diameters(a))),
        images=key,
        stamp=stamp,
    )
    title = f"RECIST report {a.reading.subject_id or ''}"
    page = render(PAGE, title=title, body=body)
    from recist._atomic import replacing

    out = Path(path)
    with replacing(out) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return out
