"""``recist export seg``: its options and its run (the command layer prints)."""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_arguments", "export_command"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``recist export seg``."""
    parser.add_argument("reading", help="reading file (JSON)")
    parser.add_argument("out", help="SEG file to write")
    parser.add_argument("--images", required=True, help="folder or zip with images")
    parser.add_argument(
        "--series",
        metavar="UID",
        help="the source series, when the masks fit the grid of several",
    )
    parser.add_argument(
        "--mask",
        action="append",
        default=[],
        metavar="LESION=PATH",
        help="a lesion's mask (NIfTI/NRRD on the series grid); repeat per lesion",
    )


def export_command(args: argparse.Namespace) -> int:
    """Run ``recist export seg``; return the exit status."""
    from recist.export.seg import export_seg
    from recist.formats.reading import load_reading

    masks: dict[str, str] = {}
    for item in args.mask:
        lesion_id, sep, path = item.partition("=")
        if not sep or not lesion_id or not path:
            print(f"error: --mask wants LESION=PATH, got {item!r}", file=sys.stderr)
            return 2
        masks[lesion_id] = path
    reading = load_reading(args.reading)
    out = export_seg(reading, args.images, masks, args.out, series_uid=args.series)
    print(out)
    return 0
