"""``recist export sr``: its options and its run (the command layer prints)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from recist._atomic import check_output_file
from recist.errors import OutputPathError

__all__ = ["add_arguments", "export_command"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``recist export sr``."""
    parser.add_argument("reading", help="reading file (JSON)")
    parser.add_argument("out", help="SR file, or a folder for one SR per time point")
    parser.add_argument(
        "--images", required=True, help="folder or zip with the referenced images"
    )
    parser.add_argument(
        "--timepoint",
        default=None,
        help="'baseline', an ISO date or 'all' (default: the latest; 'all' "
        "when OUT is a folder)",
    )
    parser.add_argument(
        "--seg",
        action="append",
        default=[],
        metavar="SEG.dcm",
        help="a SEG of the reading (recist export seg): its lesions' groups "
        "reference their segments (repeatable)",
    )
    parser.add_argument(
        "--push",
        metavar="URL",
        help="then send the SRs to this DICOMweb server (STOW-RS, as 'recist push')",
    )


def export_command(args: argparse.Namespace) -> int:
    """Run ``recist export sr``; return the exit status."""
    from recist.export.sr import export_sr, timepoint_dates
    from recist.formats.reading import load_reading

    reading = load_reading(args.reading)
    dates = timepoint_dates(reading)
    out = Path(args.out)
    choice = args.timepoint
    if choice is None:
        choice = "all" if (out.is_dir() or args.out.endswith(("/", "\\"))) else None
    if choice == "all":
        chosen = list(range(len(dates)))
        if out.exists() and not out.is_dir():
            raise OutputPathError(out, "is a file; give a folder")
    elif choice is None:
        chosen = [len(dates) - 1]
    elif choice == "baseline":
        chosen = [0]
    else:
        try:
            chosen = [dates.index(dt.date.fromisoformat(choice))]
        except ValueError:
            known = ", ".join(d.isoformat() for d in dates)
            msg = f"error: --timepoint {choice!r} is not one of: baseline, {known}"
            print(msg, file=sys.stderr)
            return 2
    if choice != "all":
        check_output_file(out)
    from recist.matching import check_images_in

    if args.push:  # a bad URL is refused before anything is written
        from recist.dicom._web import DicomWebSource

        DicomWebSource(args.push)
    check_images_in(reading, args.images)  # another patient's images: exit 2
    notes: list[str] = []
    written = export_sr(
        reading, args.images, out, timepoints=chosen, notes=notes, segs=args.seg
    )
    for note in notes:
        print(f"note: {note}")
    for path in written:
        print(path)
    if args.push:
        from recist.commands.push import push, report

        result = push(args.push, [str(p) for p in written], headers={}, timeout_s=60)
        return report(result, as_json=False)
    return 0
