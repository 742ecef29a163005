"""``recist export {sr,seg,sdtm,adam}``: write readings in others' formats.

Each format's module owns its options and its ``*_command(args) -> int``; this
module only dispatches, so the formats load their heavy dependencies (highdicom,
pandas) only when used.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

# format -> (module with add_arguments(parser) and export_command(args), help)
FORMATS: dict[str, tuple[str, str]] = {
    "sr": ("recist.export.sr", "DICOM Comprehensive 3D SR (TID 1500)"),
    "seg": ("recist.export.seg", "DICOM SEG of segmented lesions"),
    "sdtm": ("recist.export.sdtm", "CDISC SDTM TU, TR and RS (CSV and SAS XPT v5)"),
    "adam": ("recist.export.adam", "CDISC ADaM ADRS and ADTR (CSV and SAS XPT v5)"),
}


def _run(args: argparse.Namespace) -> int:
    module = importlib.import_module(FORMATS[args.format][0])
    return int(module.export_command(args))


def add_subparser(subparsers: Any) -> None:
    """Add ``recist export FORMAT ...``; each format module adds its own arguments."""
    parser = subparsers.add_parser(
        "export", help="write readings as SR, SEG, SDTM or ADaM"
    )
    formats = parser.add_subparsers(dest="format", metavar="FORMAT", required=True)
    for name, (module_name, help_text) in FORMATS.items():
        sub = formats.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # not written yet or an extra is missing
            sub.set_defaults(func=_unavailable(name))
            continue
        module.add_arguments(sub)
        sub.set_defaults(func=_run)


def _unavailable(name: str) -> Any:
    def run(args: argparse.Namespace) -> int:
        print(f"error: 'recist export {name}' is not available in this installation")
        return 2

    return run
