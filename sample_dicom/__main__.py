"""``python -m sample_dicom OUT [--seed N]``: write the synthetic sample study."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sample_dicom._study import generate


def main(argv: list[str] | None = None) -> int:
    """Write the study to OUT and print what was written; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m sample_dicom",
        description="Write the synthetic four-visit CT sample study and its truth.",
    )
    parser.add_argument("out", type=Path, help="output folder (created if needed)")
    parser.add_argument("--seed", type=int, default=0, help="noise and UID seed (>= 0)")
    parser.add_argument(
        "--tracking",
        action="store_true",
        help=(
            "write the tracking study instead: the baseline, then follow-ups where "
            "the patient is rotated, shifted and breathing, scanned on other grids, "
            "with lesions that shrink, grow or vanish (truth.tracking.json)"
        ),
    )
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error("--seed must be >= 0")
    t0 = time.perf_counter()
    if args.tracking:
        from sample_dicom._moved import generate_tracking

        tracking = generate_tracking(args.out, seed=args.seed)
        for v in tracking.truth["visits"]:
            print(f"{v['date']}  {v['label']:<8}  motion {v['motion']}")
        print(f"truth: {tracking.truth_path}  seeds: {tracking.seeds_path}")
        return 0
    study = generate(args.out, seed=args.seed)
    elapsed = time.perf_counter() - t0
    for v in study.visits:
        print(f"{v.date}  {v.label:<8}  {len(v.files)} images  {v.series_dir}")
    print(f"truth: {study.case_path}  {study.lesions_path}")
    bor = study.case["expected"]["best_overall_response"]
    print(f"expected best overall response: {bor}  ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
