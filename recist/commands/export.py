"""``recist export {sr,seg,sdtm,adam}``: write readings in others' formats.

Each format's command module (``recist.commands._export_<format>``) owns its
options and its ``export_command(args) -> int``; this module only dispatches,
so the formats load their heavy dependencies (highdicom, pandas) only when used.
"""

from __future__ import annotations

from typing import Any

from recist.commands._formats import add_format_parsers

# format -> (module with add_arguments(parser) and export_command(args), help)
FORMATS: dict[str, tuple[str, str]] = {
    "sr": ("recist.commands._export_sr", "DICOM Comprehensive 3D SR (TID 1500)"),
    "seg": ("recist.commands._export_seg", "DICOM SEG of segmented lesions"),
    "sdtm": (
        "recist.commands._export_sdtm",
        "CDISC SDTM TU, TR and RS (CSV and SAS XPT v5)",
    ),
    "adam": (
        "recist.commands._export_adam",
        "CDISC ADaM ADRS and ADTR (CSV and SAS XPT v5)",
    ),
}


def add_subparser(subparsers: Any) -> None:
    """Add ``recist export FORMAT ...``; each format module adds its own arguments."""
    add_format_parsers(
        subparsers,
        "export",
        help_text="write readings as SR, SEG, SDTM or ADaM",
        formats=FORMATS,
        function="export_command",
    )
