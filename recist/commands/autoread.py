"""``recist autoread STUDY --seeds SEEDS --out READING``: seed points to a reading."""

from __future__ import annotations

import argparse
from typing import Any


def add_subparser(subparsers: Any) -> None:
    """Add ``recist autoread``."""
    p = subparsers.add_parser(
        "autoread",
        help="segment and measure lesions from one seed point each, write a reading",
        description=(
            "Segment the lesion under each seed point at each visit, measure it "
            "(long axis, or short axis for nodes) and write a reading file that "
            "references the slice of every measurement. Prints the assessment."
        ),
    )
    p.add_argument("study", help="folder or zip with one CT series per visit")
    p.add_argument("--seeds", required=True, help="seed file (see recist.autoread)")
    p.add_argument("--out", required=True, help="reading file to write (JSON)")
    p.add_argument("--subject", default=None, help="USUBJID (default: PatientID)")
    p.add_argument("--reader", default="recist autoread", help="reader name")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read, save, and print the per-visit responses."""
    from recist import assess
    from recist._atomic import check_output_file
    from recist.autoread import load_seeds, read_from_seeds
    from recist.formats.reading import save_reading

    check_output_file(args.out)  # before the segmentation work, not after
    reading = read_from_seeds(
        args.study, load_seeds(args.seeds), subject_id=args.subject, reader=args.reader
    )
    save_reading(reading, args.out)
    result = assess(reading)
    print(
        f"wrote {args.out}: {len(reading.baseline.targets)} targets, "
        f"{len(reading.followups)} follow-ups"
    )
    for tp in result.timepoints:
        overall = tp.overall
        print(f"  {tp.date}  {tp.sum_mm} mm  {overall.value.value:14} {overall.reason}")
    bor = result.best_overall_response
    print(f"  best overall response: {bor.value.value} ({bor.reason})")
    return 0
