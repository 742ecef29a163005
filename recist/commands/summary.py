"""``recist summary``: efficacy summary of many subjects (BOR, ORR, DCR, plots).

``recist summary INPUT --out DIR``: INPUT is a folder of reading / case files or
a folder of SDTM files named by domain (``tu``, ``tr``, ``rs``); ``--tu/--tr/
--rs FILE`` name SDTM files.  Writes ``summary.json``, ``summary.html`` and the
waterfall, spider, swimmer and Kaplan-Meier plots (PNG and SVG).  ``--adrs`` /
``--adtr`` compare BOR and best % change with ADaM files and print agreement.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_subparser", "run"]


def add_subparser(subparsers: Any) -> None:
    """Add the ``summary`` subcommand to the ``recist`` parser."""
    p = subparsers.add_parser(
        "summary",
        help="efficacy summary: BOR table, ORR/DCR with exact CIs, plots",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "input",
        nargs="?",
        type=Path,
        metavar="INPUT",
        help="folder of readings/cases, or of SDTM domain files",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    p.add_argument(
        "--confirmation",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="primary BOR needs confirmation (default yes)",
    )
    p.add_argument(
        "--sd-min-days",
        type=int,
        default=None,
        metavar="N",
        help="least days from baseline for SD to count (default 42)",
    )
    for dom in ("tu", "tr", "rs", "dm"):
        p.add_argument(
            f"--{dom}", type=Path, metavar="FILE", help=f"the SDTM {dom.upper()} file"
        )
    p.add_argument(
        "--evaluator",
        metavar="TEXT",
        help="SDTM: use readings whose evaluator contains TEXT",
    )
    p.add_argument("--adrs", type=Path, metavar="FILE", help="ADaM ADRS to compare BOR")
    p.add_argument(
        "--adtr", type=Path, metavar="FILE", help="ADaM ADTR to compare best %% change"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``recist summary``; return the exit status."""
    from recist.report.summary import (
        compare_with_adam,
        load_subjects,
        summarize,
        write_summary,
    )

    if args.sd_min_days is not None and args.sd_min_days < 0:
        print("recist summary: --sd-min-days must be >= 0", file=sys.stderr)
        return 2
    if args.input is None and not (args.tu or args.tr):
        print("recist summary: give INPUT or --tu/--tr", file=sys.stderr)
        return 2
    try:
        subjects, notes = load_subjects(
            args.input,
            tu=args.tu,
            tr=args.tr,
            rs=args.rs,
            confirmation=args.confirmation,
            sd_min_days=args.sd_min_days,
            evaluator=args.evaluator,
        )
    except FileNotFoundError as exc:
        print(f"recist summary: no such input: {exc}", file=sys.stderr)
        return 2
    if args.dm is not None:
        notes.append(
            f"DM {args.dm.name} given; not used (PFS starts at the baseline scan)"
        )
    if not subjects:
        print("recist summary: no subjects found", file=sys.stderr)
        for note in notes:
            print(f"  {note}", file=sys.stderr)
        return 2
    summary = summarize(subjects, confirmation=args.confirmation, notes=notes)
    comparison = None
    if args.adrs or args.adtr:
        comparison = compare_with_adam(summary, adrs=args.adrs, adtr=args.adtr)
    from recist._atomic import replacing_dir

    with replacing_dir(args.out) as tmp:  # the whole set, swapped in (locked)
        written = write_summary(summary, tmp, comparison=comparison)
    flavour = "confirmed" if args.confirmation else "unconfirmed"
    lines = [
        f"{summary.n} subjects; BOR ({flavour}): "
        + ", ".join(f"{k} {v}" for k, v in summary.bor_counts[flavour].items()),
        f"ORR {summary.orr[flavour].text()}",
        f"DCR {summary.dcr[flavour].text()}",
    ]
    if comparison is not None:
        lines += comparison.lines()
    lines += notes
    lines.append(f"wrote {len(written)} files to {args.out}")
    print("\n".join(lines))
    return 0
