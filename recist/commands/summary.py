"""``recist summary``: efficacy summary of many subjects (BOR, ORR, DCR, plots).

``recist summary INPUT --out DIR``: INPUT is a folder of reading / case files or
a folder of SDTM files named by domain (``tu``, ``tr``, ``rs``); ``--tu/--tr/
--rs FILE`` name SDTM files.  Writes ``summary.json``, ``summary.html`` and the
waterfall, spider, swimmer and Kaplan-Meier plots (PNG and SVG).  ``--adrs`` /
``--adtr`` compare BOR and best % change with ADaM files and print agreement.

Subject-level data: ``--dm``/``--adsl`` (CSV or XPT) give arms, first dose,
deaths and analysis-set flags; ``--population EFFFL`` sets the denominator;
``--by ARM`` (repeatable) adds a column per group beside the overall one.
PFS/DoR follow the SAP options (``--origin``, ``--schedule``,
``--new-therapy``, ``--max-missed``), stated in summary.html/json.

Example: recist summary readings/ --dm dm.csv --population EFFFL --by ARM
--null-orr 0.10 --out summary/
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
        help="use readings whose reader/evaluator contains TEXT",
    )
    _add_efficacy_arguments(p)
    p.add_argument("--adrs", type=Path, metavar="FILE", help="ADaM ADRS to compare BOR")
    p.add_argument(
        "--adtr", type=Path, metavar="FILE", help="ADaM ADTR to compare best %% change"
    )
    p.set_defaults(func=run)


def _add_efficacy_arguments(p: argparse.ArgumentParser) -> None:
    from recist.report.tte import ORIGINS

    p.add_argument("--adsl", type=Path, metavar="FILE", help="the ADaM ADSL file")
    p.add_argument(
        "--population",
        metavar="FLAG",
        help="analysis set: subjects with FLAG = Y in DM/ADSL (EFFFL, SAFFL, "
        "ITTFL, FASFL...); default every DM/ADSL subject",
    )
    p.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="VAR",
        help="group by a DM/ADSL variable (ARM, ACTARM, COHORT...); repeatable",
    )
    p.add_argument(
        "--criteria",
        choices=("RECIST 1.1", "iRECIST"),
        help="use the readings made by these criteria",
    )
    p.add_argument(
        "--origin",
        choices=tuple(ORIGINS),
        default="first-dose",
        help="PFS start (default first-dose; the baseline scan when unknown)",
    )
    p.add_argument(
        "--sd-reference",
        choices=tuple(ORIGINS),
        default="first-dose",
        help="day the SD minimum duration counts from (default first-dose)",
    )
    p.add_argument(
        "--schedule",
        type=Path,
        metavar="FILE",
        help="visit schedule (VISITNUM, VISIT, VISITDY, WINDOW) for the "
        "missed-assessment censoring rule",
    )
    p.add_argument(
        "--max-missed",
        type=int,
        default=2,
        metavar="N",
        help="censor an event after N or more missed assessments (default 2)",
    )
    p.add_argument(
        "--new-therapy",
        metavar="VAR",
        help="DM/ADSL date variable of new anticancer therapy (censoring)",
    )
    p.add_argument(
        "--death-event",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="death is a PFS/DoR event (default yes)",
    )
    p.add_argument(
        "--null-orr",
        type=float,
        metavar="P",
        help="one-sided exact test of ORR against the historical rate P",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``recist summary``; return the exit status."""
    from recist.errors import RecistError

    try:
        return _run(args)
    except RecistError as exc:
        print(f"recist summary: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from recist.formats.schedule import read_schedule
    from recist.formats.subjects import read_subject_data
    from recist.report.summary import (
        compare_with_adam,
        load_subjects,
        select_population,
        summarize,
        write_summary,
    )
    from recist.report.tte import TteRules

    if args.null_orr is not None and not 0 < args.null_orr < 1:
        print("recist summary: --null-orr must be between 0 and 1", file=sys.stderr)
        return 2
    if args.max_missed < 1:
        print("recist summary: --max-missed must be >= 1", file=sys.stderr)
        return 2
    if args.sd_min_days is not None and args.sd_min_days < 0:
        print("recist summary: --sd-min-days must be >= 0", file=sys.stderr)
        return 2
    if args.input is None and not (args.tu or args.tr):
        print("recist summary: give INPUT or --tu/--tr", file=sys.stderr)
        return 2
    subject_data = None
    if args.dm is not None or args.adsl is not None:
        subject_data = read_subject_data(dm=args.dm, adsl=args.adsl)
    schedule = None if args.schedule is None else read_schedule(args.schedule)
    try:
        subjects, notes = load_subjects(
            args.input,
            tu=args.tu,
            tr=args.tr,
            rs=args.rs,
            confirmation=args.confirmation,
            sd_min_days=args.sd_min_days,
            evaluator=args.evaluator,
            criteria=args.criteria,
            subject_data=subject_data,
            sd_reference=args.sd_reference,
        )
    except FileNotFoundError as exc:
        print(f"recist summary: no such input: {exc}", file=sys.stderr)
        return 2
    if not subjects and not subject_data:
        print("recist summary: no subjects found", file=sys.stderr)
        for note in notes:
            print(f"  {note}", file=sys.stderr)
        return 2
    subjects, excluded, population = select_population(
        subjects, subject_data, args.population
    )
    if not subjects:
        print("recist summary: the analysis set is empty", file=sys.stderr)
        return 2
    undated = [s.subject_id for s in subjects if s.data and s.data.died_undated]
    if undated:
        notes.append(
            f"DTHFL = Y without a full death date (not an event, not imputed): "
            f"{', '.join(undated)}"
        )
    rules = TteRules(
        origin=args.origin,
        death_is_event=args.death_event,
        max_missed=args.max_missed,
        schedule=schedule,
        new_therapy_var=args.new_therapy.upper() if args.new_therapy else None,
    )
    summary = summarize(
        subjects,
        confirmation=args.confirmation,
        notes=notes,
        by=[b.upper() for b in args.by],
        rules=rules,
        null_orr=args.null_orr,
        population=population,
        sd_reference=args.sd_reference.replace("-", " "),
        excluded=excluded,
    )
    comparison = None
    if args.adrs or args.adtr:
        comparison = compare_with_adam(summary, adrs=args.adrs, adtr=args.adtr)
    from recist._atomic import replacing_dir

    with replacing_dir(args.out) as tmp:  # the whole set, swapped in (locked)
        written = write_summary(summary, tmp, comparison=comparison)
    flavour = "confirmed" if args.confirmation else "unconfirmed"
    lines: list[str] = []
    for g in [*summary.groups, summary.overall]:
        if g is None:
            continue
        i = "i" if summary.irecist else ""
        lines += [
            f"{g.label}: {g.n} subjects; {i}BOR ({flavour}): "
            + ", ".join(f"{k} {v}" for k, v in g.bor_counts[flavour].items()),
            f"  {i}ORR {g.orr[flavour].text()}",
            f"  {i}DCR {g.dcr[flavour].text()}",
            f"  PFS median {g.pfs.median_text()}; events {g.pfs.events}/{g.pfs.n}",
        ]
        p = g.null_p.get(flavour)
        if p is not None:
            lines.append(f"  exact test ORR > {summary.null_orr:g}: p = {p:.4f}")
        if summary.irecist:
            lines.append(f"  pseudo-progression: {g.pseudo_progression}")
    for sid, why in summary.excluded:
        lines.append(f"excluded {sid}: {why}")
    for s in summary.subjects:
        if s.error is not None:
            lines.append(f"not evaluable {s.subject_id}: {s.error}")
    if comparison is not None:
        lines += comparison.lines()
    lines += notes
    lines.append(f"wrote {len(written)} files to {args.out}")
    print("\n".join(lines))
    return 0
