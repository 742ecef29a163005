"""HTML for reports: Jinja2 templates with autoescape, one style sheet.

Everything a report shows can come from input (lesion ids, sites, reader and
subject names, file names, notes, ADaM USUBJIDs), so nothing is put into HTML
by string formatting: templates are rendered by a Jinja2 environment with
``autoescape=True``, which escapes ``& < > " '`` in every ``{{ value }}`` in
text and in quoted attributes.  Only :class:`markupsafe.Markup` that this module
builds (tables, ``data:`` URIs of PNGs we rendered) passes unescaped.

Use :func:`render` with a template string, :func:`table` for a header + rows
table and :func:`png_data_uri` for an inline image; :data:`PAGE` is the page
layout (``title``, ``body``).  The subject report (:mod:`recist.report.subject`)
and the efficacy summary use these.

Examples
--------
>>> str(render("<img alt='{{ a }}'>", a="x' onerror='alert(1)"))
"<img alt='x&#39; onerror=&#39;alert(1)'>"
>>> str(table(["id"], [["<b>T01</b>"]]))
'<table><thead><tr><th>id</th></tr></thead><tbody><tr><td>&lt;b&gt;T01&lt;/b&gt;</td></tr></tbody></table>'
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["CSS", "PAGE", "png_data_uri", "render", "table"]

CSS = (
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;font-size:13px;"
    "max-width:60em;margin:2em auto;color:#222}h1{font-size:20px}h2{font-size:16px;"
    "border-bottom:1px solid #ccc}table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#eee}"
    "img{max-width:100%}.note{color:#555;font-size:12px}"
)

#: The page layout: ``{{ title }}`` and ``{{ body }}`` (Markup from :func:`render`).
PAGE = (
    "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
    "<title>{{ title }}</title><style>{{ css }}</style></head>"
    "<body>{{ body }}</body></html>\n"
)

_TABLE = (
    "<table><thead><tr>{% for h in header %}<th>{{ h }}</th>{% endfor %}</tr></thead>"
    "<tbody>{% for row in rows %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}"
    "</tr>{% endfor %}</tbody></table>"
)


@functools.cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails, not blank
        keep_trailing_newline=True,
    )


@functools.cache
def _template(source: str) -> Any:
    return _environment().from_string(source)


def render(source: str, **context: Any) -> Any:
    """Render a template string with autoescape; return :class:`markupsafe.Markup`.

    ``css`` defaults to :data:`CSS`.  Values are escaped unless they are Markup
    (e.g. from :func:`table` or an earlier :func:`render`).
    """
    from markupsafe import Markup

    context.setdefault("css", Markup(CSS))
    return Markup(_template(source).render(**context))


def table(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Any:
    """Return an HTML table of ``header`` and ``rows``, every cell escaped."""
    return render(_TABLE, header=list(header), rows=[list(r) for r in rows])


def png_data_uri(png: bytes) -> Any:
    """Return a ``data:image/png;base64,...`` URI (base64 needs no escaping)."""
    from markupsafe import Markup

    return Markup("data:image/png;base64," + base64.b64encode(png).decode("ascii"))
