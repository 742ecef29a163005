"""``recist import {sr,seg} FILE...``: read others' files back (readings, masks)."""

from __future__ import annotations

from typing import Any

from recist.commands._formats import add_format_parsers

FORMATS: dict[str, tuple[str, str]] = {
    "sr": ("recist.commands._import_sr", "DICOM TID 1500 SRs (any tool's)"),
    "seg": ("recist.commands._import_seg", "DICOM SEGs onto their source series"),
}


def add_subparser(subparsers: Any) -> None:
    """Add ``recist import FORMAT ...``; each format module adds its own arguments."""
    add_format_parsers(
        subparsers,
        "import",
        help_text="read DICOM SRs (into readings) and SEGs (measured masks)",
        formats=FORMATS,
        function="import_command",
    )
