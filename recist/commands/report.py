"""``recist report``: the central review document of one reading (PDF/HTML).

``recist report READING --images DIR --pdf OUT.pdf [--html OUT.html]``: the
reading's lesions and responses with the engine's reasons, key images of every
target at every time point (found by SOP Instance UID in the DICOM of DIR) and
the sum-of-diameters plot.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_subparser", "run"]


def add_subparser(subparsers: Any) -> None:
    """Add the ``report`` subcommand to the ``recist`` parser."""
    p = subparsers.add_parser(
        "report",
        help="central review report of one reading (PDF, HTML) with key images",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("reading", type=Path, metavar="READING", help="reading or case JSON")
    p.add_argument("--images", type=Path, metavar="DIR", help="folder with the DICOM")
    p.add_argument("--pdf", type=Path, metavar="OUT.pdf")
    p.add_argument("--html", type=Path, metavar="OUT.html")
    p.add_argument(
        "--confirmation",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="override the reading's confirmation option",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``recist report``; return the exit status."""
    from recist.assessment import assess
    from recist.formats.reading import load_reading
    from recist.report._images import key_images
    from recist.report.subject import render_html, render_pdf, subject_pages

    if args.pdf is None and args.html is None:
        print("recist report: give --pdf and/or --html", file=sys.stderr)
        return 2
    from recist._atomic import check_output_file

    for out in (args.pdf, args.html):
        if out is not None:
            check_output_file(out)
    reading = load_reading(args.reading)
    result = assess(reading, confirmation=args.confirmation)
    images = None
    missing: list[str] = []
    if args.images is not None:
        if not args.images.exists():
            print(f"recist report: no such folder: {args.images}", file=sys.stderr)
            return 2
        from recist.matching import check_images_in

        check_images_in(reading, args.images)  # another patient's images: exit 2
        images, missing = key_images(reading, args.images)
    from recist._atomic import replacing_files

    outs = [p for p in (args.pdf, args.html) if p is not None]
    with replacing_files(outs) as tmps:  # both written before either is replaced
        tmp = dict(zip(outs, tmps, strict=True))
        if args.pdf is not None:
            pages = subject_pages(result, images, missing=missing)
            title = f"RECIST report {reading.subject_id or ''}"
            render_pdf(pages, tmp[args.pdf], title=title)
        if args.html is not None:
            render_html(result, images, tmp[args.html])
    if args.pdf is not None:
        print(f"wrote {args.pdf} ({len(pages)} pages)")
    if args.html is not None:
        print(f"wrote {args.html}")
    for m in missing:
        print(f"no key image: {m}", file=sys.stderr)
    return 0
