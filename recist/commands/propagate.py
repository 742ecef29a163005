"""``recist propagate READING --images STUDY --timepoint DATE --out READING2``."""

from __future__ import annotations

import argparse
from typing import Any


def add_subparser(subparsers: Any) -> None:
    """Add ``recist propagate``."""
    p = subparsers.add_parser(
        "propagate",
        help="find each known lesion at a new visit by registration (proposals)",
        description=(
            "Register the visit where each lesion was last measured to the visit "
            "DATE (whole body, then around the lesion), segment and measure the "
            "lesion where it maps to, and write the reading with one proposal per "
            "lesion. Proposals are not measurements: the engine ignores them until "
            "a reader accepts them in the workstation."
        ),
    )
    p.add_argument("reading", help="reading file (baseline with calliper endpoints)")
    p.add_argument(
        "--images", required=True, help="folder or zip, one series per visit"
    )
    p.add_argument(
        "--timepoint", required=True, help="the visit to propose for (YYYY-MM-DD)"
    )
    p.add_argument(
        "--out", required=True, help="reading file to write, with the proposals"
    )
    p.add_argument(
        "--deformable",
        action="store_true",
        help="add a local B-spline step after the local translation (slower)",
    )
    p.add_argument("--json", action="store_true", help="print the proposals as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Propose, save, and print one line per lesion."""
    import json

    from recist._atomic import check_output_file
    from recist.errors import InvalidInputError
    from recist.formats.case import _date
    from recist.formats.reading import load_reading, save_reading
    from recist.tracking import propose, with_proposals

    try:
        day = _date(args.timepoint)
    except ValueError as exc:
        raise InvalidInputError(f"--timepoint: {exc}") from None
    check_output_file(args.out)
    reading = load_reading(args.reading)
    result = propose(reading, args.images, day, deformable=args.deformable)
    save_reading(with_proposals(reading, result.proposals), args.out)
    if args.json:
        doc = {
            "timepoint": day.isoformat(),
            "registrations": result.registrations,
            "proposals": [
                {
                    "id": p.lesion_id,
                    "role": p.role,
                    "status": "PROPOSED" if p.found else "NOT_FOUND",
                    "diameter_mm": None
                    if p.measurement is None
                    else float(p.measurement.diameter_mm or 0),
                    "center_lps": None if p.center_lps is None else list(p.center_lps),
                    "source_date": p.source_date.isoformat(),
                    "residual_mm": p.residual_mm,
                    "similarity": p.similarity,
                    "flags": list(p.flags),
                    "reason": p.reason,
                }
                for p in result.proposals
            ],
            "skipped": [{"id": i, "reason": r} for i, r in result.skipped],
        }
        print(json.dumps(doc, indent=2, allow_nan=False))
        return 0
    print(f"wrote {args.out}: {len(result.proposals)} proposals for {day}")
    for d, reg in result.registrations.items():
        print(
            f"  registered {d} -> {day}: rotation {reg['rotation_deg']} deg, "
            f"translation {reg['translation_mm']} mm"
        )
    for p in result.proposals:
        value = (
            "not found" if p.measurement is None else f"{p.measurement.diameter_mm} mm"
        )
        flags = f"  [{', '.join(p.flags)}]" if p.flags else ""
        print(f"  {p.lesion_id:6} {p.role:10} {value:>10}  {p.reason}{flags}")
    for lesion_id, reason in result.skipped:
        print(f"  {lesion_id:6} skipped: {reason}")
    return 0
