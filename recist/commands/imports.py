"""``recist import sr FILE... [--json]``: read others' files back into readings."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

FORMATS: dict[str, tuple[str, str]] = {
    "sr": ("recist.export.sr_import", "DICOM TID 1500 SRs (any tool's)"),
    "seg": ("recist.export.seg_import", "DICOM SEGs onto their source series"),
}


def _run(args: argparse.Namespace) -> int:
    module = importlib.import_module(FORMATS[args.format][0])
    return int(module.import_command(args))


def add_subparser(subparsers: Any) -> None:
    """Add ``recist import FORMAT ...``; each format module adds its own arguments."""
    parser = subparsers.add_parser(
        "import", help="read DICOM SRs (into readings) and SEGs (measured masks)"
    )
    formats = parser.add_subparsers(dest="format", metavar="FORMAT", required=True)
    for name, (module_name, help_text) in FORMATS.items():
        sub = formats.add_parser(name, help=help_text, description=help_text)
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            sub.set_defaults(func=lambda args, n=name: _missing(n))
            continue
        module.add_arguments(sub)
        sub.set_defaults(func=_run)


def _missing(name: str) -> int:
    print(f"error: 'recist import {name}' is not available in this installation")
    return 2
