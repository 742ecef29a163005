"""``recist convert PATH OUT [--series UID]``: write a series to NIfTI, NRRD or MHA."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["SUFFIXES", "add_subparser", "run"]

#: Output formats SimpleITK writes with the same geometry (by file name suffix).
SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd")


def add_subparser(subparsers: Any) -> None:
    """Register ``convert`` on the ``recist`` command line."""
    p = subparsers.add_parser(
        "convert",
        help="write a DICOM series to NIfTI (.nii/.nii.gz), NRRD or MHA",
        description="Read one image series (tilt corrected, uneven spacing "
        "regularised, HU for CT) and write it with SimpleITK.",
    )
    p.add_argument("path", help="folder, zip file or DICOM file")
    p.add_argument("out", help="output file: .nii, .nii.gz, .nrrd or .mha")
    p.add_argument("--series", metavar="UID", help="series UID (or key UID#n) to write")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Convert; exit 2 with the series list if the choice is ambiguous."""
    from recist._atomic import check_output_dir, check_output_file
    from recist._image_write import write_image
    from recist.dicom import read_volume, scan_report

    src, out = Path(args.path), Path(args.out)
    if not src.exists():
        print(f"error: no such file or folder: {src}", file=sys.stderr)
        return 2
    if not out.name.lower().endswith(SUFFIXES):
        print(
            f"error: output must end with one of {', '.join(SUFFIXES)}", file=sys.stderr
        )
        return 2
    series = list(scan_report(src).series)
    if args.series is not None:
        chosen = [s for s in series if args.series in (s.key, s.series_uid)]
    else:
        chosen = series
    if len(chosen) != 1:
        if not series:
            print(f"error: no image series in {src}", file=sys.stderr)
            return 2
        what = "matches" if args.series is not None else "found"
        print(
            f"error: {len(chosen)} series {what}; choose one with --series:",
            file=sys.stderr,
        )
        for s in chosen or series:
            shape = "x".join(str(v) for v in s.size)
            print(f"  {s.key}  {s.modality} {s.description!r} {shape}", file=sys.stderr)
        return 2
    check_output_dir(out.parent)
    check_output_file(out)
    volume = read_volume(chosen[0])
    write_image(volume.to_sitk(), out)  # read back before it replaces anything
    size = "x".join(str(v) for v in volume.size)
    print(f"wrote {out} ({size}, {volume.array.dtype}, series {chosen[0].key})")
    for p in volume.metadata["problems"]:
        print(f"  ! {p}")
    return 0
