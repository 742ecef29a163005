"""Make text from input safe to print on a terminal."""

from __future__ import annotations

import re

__all__ = ["printable"]

# C0 and C1 control characters (ESC starts terminal escape sequences, CSI is
# U+009B), DEL, the Unicode bidi overrides/isolates that reorder a line, and
# lone surrogates (undecodable bytes of a file name: they cannot be printed).
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def printable(text: object) -> str:
    r"""Return ``str(text)`` with control characters shown as escapes, never run.

    Text from files (DICOM tags, file names, server answers) may hold terminal
    escape sequences that recolour, retitle or clear a terminal, or a carriage
    return that overwrites what was printed.  Each control character becomes
    a visible ``\xNN`` / ``\uNNNN`` escape; everything else is kept.

    Parameters
    ----------
    text : object
        Usually a str; other objects are converted with ``str``.

    Returns
    -------
    str
        One line with no control characters.

    Examples
    --------
    >>> printable("CHEST\x1b[2J")
    'CHEST\\x1b[2J'
    >>> printable("a\rb\nc")
    'a\\rb\\nc'
    >>> printable(b"scan\xff.dcm".decode("utf-8", "surrogateescape"))
    'scan\\udcff.dcm'
    >>> printable("Müller^Zoë")
    'Müller^Zoë'
    """
    return _CONTROL.sub(_escape, str(text))


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    return repr(c)[1:-1] if ord(c) < 0x100 else f"\\u{ord(c):04x}"
