"""``recist import seg``: its options and its run (the command layer prints)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recist.export.seg_import import SegImport

__all__ = ["add_arguments", "import_command"]


def _table(result: SegImport) -> list[str]:
    lines = [
        f"{result.path}: {len(result.segments)} segment(s) "
        f"on series {result.series_uid}",
        f"{'segment':>7}  {'label':<28} {'slices':>6} {'volume ml':>10} "
        f"{'long mm':>8} {'short mm':>8}",
    ]
    for s in result.segments:
        m = s.measurement
        vol = f"{m.volume_mm3 / 1000:.3f}" if m else "-"
        la = f"{m.long_axis_mm:.1f}" if m else "-"
        sa = f"{m.short_axis_mm:.1f}" if m else "-"
        lines.append(
            f"{s.number:>7}  {s.label[:28]:<28} {len(s.slices):>6} {vol:>10} "
            f"{la:>8} {sa:>8}"
        )
    return lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``recist import seg``."""
    parser.add_argument("files", nargs="+", help="DICOM SEG files")
    parser.add_argument(
        "--images", required=True, help="folder or zip with the source series"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the segments as JSON"
    )
    parser.add_argument(
        "--masks",
        metavar="OUTDIR",
        help="write each segment as <segnum>_<label>.nii.gz on the series grid",
    )


def import_command(args: argparse.Namespace) -> int:
    """Run ``recist import seg``; return the exit status.

    Exit 2 (via the CLI) when a file is not a SEG, is truncated, or its source
    series is not under ``--images``; unplaced frames are warned about on
    stderr and do not change the status.
    """
    from recist import _json as strict_json
    from recist._atomic import check_output_dir
    from recist.export.seg_import import _write_mask_set, read_seg

    if args.masks is not None:
        check_output_dir(args.masks)
    results = [read_seg(f, args.images) for f in args.files]
    if args.masks is not None:  # one set: swapped in whole, or not at all
        for p in _write_mask_set(results, Path(args.masks)):
            print(f"wrote {p}", file=sys.stderr)
    for r in results:
        for u in r.unplaced:
            print(
                f"warning: {r.path}: frame {u.frame} (segment {u.segment}) not "
                f"placed: {u.reason}",
                file=sys.stderr,
            )
    if args.json:
        doc = [r.to_json() for r in results]
        text = strict_json.dumps(doc if len(doc) > 1 else doc[0], indent=2)
        sys.stdout.write(text + "\n")
    else:
        for r in results:
            print("\n".join(_table(r)))
    return 0
