"""``recist import sr``: its options and its run (the command layer prints)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["add_arguments", "import_command"]


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return obj
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    return obj


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``recist import sr``."""
    parser.add_argument(
        "files", nargs="+", help="TID 1500 SR files, or folders holding them"
    )
    parser.add_argument(
        "--json", action="store_true", help="print every SR's content as JSON"
    )
    parser.add_argument("--out", help="write the rebuilt reading (JSON) here")
    parser.add_argument(
        "--images", help="folder or zip with the referenced images (for positions)"
    )


def import_command(args: argparse.Namespace) -> int:
    """Run ``recist import sr``; return the exit status.

    Exit 2 when no TID 1500 SR could be read, or when a reading was asked for
    (``--out``, or no ``--json``) and none could be rebuilt (no measurement
    group with a length, e.g. dcmqi's volumetric SRs).  ``--json`` alone exits
    0 whenever an SR was described, with ``skipped`` saying why no reading.
    """
    from recist.export.sr import index_images
    from recist.export.sr_import import reading_from_srs, sr_files
    from recist.formats.reading import dumps_exact, reading_to_dict, save_reading

    images = None if args.images is None else index_images(args.images)
    found: list[str] = []
    files = sr_files(args.files, found)
    result = reading_from_srs(files, images=images)
    for line in (*found, *result.skipped):
        print(f"skipped: {line}", file=sys.stderr)
    for line in result.notes:
        print(f"note: {line}", file=sys.stderr)
    if not result.documents:
        print("error: no TID 1500 SR could be read", file=sys.stderr)
        return 2
    if args.json:
        out: dict[str, Any] = {
            "documents": _jsonable(list(result.documents)),
            "skipped": list(result.skipped),
            "notes": list(result.notes),
        }
        if result.reading is not None:
            out["reading"] = reading_to_dict(result.reading)
        sys.stdout.write(dumps_exact(out))
    if result.reading is None and (args.out or not args.json):
        msg = (
            f"error: no reading could be rebuilt: {result.reason}; "
            "--json describes the SRs"
        )
        print(msg, file=sys.stderr)
        return 2
    if args.out and result.reading is not None:
        save_reading(result.reading, args.out)
        print(args.out)
    elif not args.json and result.reading is not None:
        sys.stdout.write(dumps_exact(reading_to_dict(result.reading)))
    return 0
