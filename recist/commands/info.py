"""``recist info PATH [--json]``: list series, non-image objects and skipped files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from recist import _json as strict_json
from recist._text import printable

__all__ = ["add_subparser", "format_table", "run"]


def add_subparser(subparsers: Any) -> None:
    """Register ``info`` on the ``recist`` command line."""
    p = subparsers.add_parser(
        "info",
        help="list the DICOM series (and non-image objects, skipped files) in a path",
        description="Scan a folder (recursively), a zip file or files for DICOM and "
        "print each image series with its geometry and problems.",
    )
    p.add_argument("path", nargs="+", help="folder, zip file, or DICOM files")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def _fmt_triple(values: tuple[float, ...], digits: int = 3) -> str:
    return " x ".join(f"{v:.{digits}g}" for v in values)


def format_table(report: Any) -> str:
    """Render a :class:`recist.dicom.ScanResult` as readable text.

    Every value from the files (tags, paths, reasons) goes through
    :func:`recist._text.printable`: no terminal escape sequence is printed raw.
    """
    lines: list[str] = []
    head = (
        "patient",
        "date",
        "mod",
        "description",
        "images",
        "size",
        "spacing mm",
        "thick",
    )
    rows = []
    for s in report.series:
        thick = "" if s.slice_thickness is None else f"{s.slice_thickness:g}"
        rows.append(
            (
                printable(s.patient_id or "-"),
                printable(s.study_date or "-"),
                printable(s.modality or "-"),
                printable((s.description or "-")[:32]),
                str(s.n_images),
                " x ".join(str(v) for v in s.size),
                _fmt_triple(s.spacing, 4),
                thick,
            )
        )
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(head)]
    lines.append(f"{len(report.series)} image series")
    if rows:
        lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
        for s, r in zip(report.series, rows, strict=True):
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
            lines.append(f"    series {printable(s.key)}")
            for p in s.problems:
                lines.append(f"    ! {p.code}: {printable(p.message)}")
    lines.append(f"{len(report.non_image)} non-image object(s)")
    for o in report.non_image:
        kind, name = printable(o.type), printable(o.sop_class_name)
        lines.append(f"  {kind:<8} {name}  {printable(o.path)}")
    lines.append(f"{len(report.skipped)} skipped file(s)")
    for sk in report.skipped:
        lines.append(f"  {printable(sk.path)}: {printable(sk.reason)}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Scan ``args.path`` and print the table or JSON; 2 if a path is missing."""
    from recist.dicom import scan_report

    paths = [Path(p) for p in args.path]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        shown = ", ".join(printable(m) for m in missing)
        print(f"error: no such file or folder: {shown}", file=sys.stderr)
        return 2
    report = scan_report(paths[0] if len(paths) == 1 else paths)
    if args.json:
        print(strict_json.dumps(report.to_json(), indent=2))
    else:
        print(format_table(report))
    return 0
