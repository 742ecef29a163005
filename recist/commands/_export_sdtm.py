"""``recist export sdtm``: its options, its inputs and its run (the command layer).

:func:`export_inputs` and :func:`report_rejected` are shared with ``recist
export adam`` (:mod:`recist.commands._export_adam`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recist.errors import InvalidInputError, RuleViolation

if TYPE_CHECKING:
    from recist.export.sdtm import VisitLike
    from recist.formats.schedule import VisitSchedule
    from recist.model import Assessment, Reading

__all__ = [
    "ExportInputs",
    "add_arguments",
    "export_command",
    "export_inputs",
    "report_rejected",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``recist export sdtm``."""
    parser.add_argument("paths", nargs="+", metavar="READING... OUTDIR")
    parser.add_argument("--sdtm", metavar="DIR", help="also read TU/TR/RS from DIR")
    parser.add_argument("--studyid", default="RECIST", help="STUDYID (default RECIST)")
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=("csv", "xpt", "both"),
        default="csv",
        help="csv (default), xpt (SAS V5 transport) or both, in OUTDIR",
    )
    parser.add_argument(
        "--method", default="CT SCAN", help="TUMETHOD/TRMETHOD (default CT SCAN)"
    )
    parser.add_argument(
        "--dm", metavar="FILE", help="SDTM DM (CSV/XPT): --DY from RFSTDTC"
    )
    parser.add_argument(
        "--adsl", metavar="FILE", help="ADaM ADSL (CSV/XPT): subject variables"
    )
    parser.add_argument(
        "--schedule",
        metavar="FILE",
        help="visit schedule CSV (VISITNUM, VISIT, VISITDY, WINDOW) for VISITNUM/VISIT",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="write nothing when any reading is rejected (default: write the rest, "
        "list the rejected, exit 1)",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportInputs:
    """What ``recist export sdtm|adam`` works on, after loading and assessing."""

    readings: list[Reading]
    visits: list[Sequence[VisitLike] | None]
    assessments: list[Assessment]
    outdir: str
    subject_data: Mapping[str, Any]
    reference_dates: dict[str, dt.date]
    schedule: VisitSchedule | None
    rejected: list[str]


def _assess_all(
    readings: list[Reading],
    visits: list[Sequence[VisitLike] | None],
    strict: bool,
    first_dose: Mapping[str, dt.date],
) -> tuple[
    list[Reading], list[Sequence[VisitLike] | None], list[Assessment], list[str]
]:
    from recist.assessment import assess

    kept: list[Reading] = []
    kept_visits: list[Sequence[VisitLike] | None] = []
    assessments: list[Assessment] = []
    rejected: list[str] = []
    for reading, given in zip(readings, visits, strict=True):
        ref = first_dose.get(reading.subject_id or "")
        try:
            assessments.append(assess(reading, reference_date=ref))
        except RuleViolation as exc:
            if strict:
                raise
            lesion = f" lesion {exc.lesion}" if exc.lesion else ""
            rejected.append(
                f"{reading.subject_id} {reading.reader or 'INVESTIGATOR'}: "
                f"{exc.code} ({exc.rule}){lesion}: {exc}"
            )
            continue
        kept.append(reading)
        kept_visits.append(given)
    return kept, kept_visits, assessments, rejected


def export_inputs(args: argparse.Namespace) -> ExportInputs:
    """Load, assess and describe the inputs of ``recist export sdtm|adam``.

    Skipped inputs and the timing sources are reported on stderr; no READING
    and no ``--sdtm`` is an :class:`~recist.errors.InvalidInputError`. A
    reading the engine rejects is left out and listed (``--strict``: raised).
    With DM/ADSL, --DY/ADY count from ``RFSTDTC`` and the SD minimum duration
    of the best response from the first dose.
    """
    from recist.export.sdtm import load_inputs
    from recist.formats.schedule import read_schedule
    from recist.formats.subjects import read_subject_data

    *inputs, outdir = args.paths
    if not inputs and args.sdtm is None:
        raise InvalidInputError("give READING files (or --sdtm DIR) and an OUTDIR")
    dm, adsl = getattr(args, "dm", None), getattr(args, "adsl", None)
    data = read_subject_data(dm=dm, adsl=adsl) if dm or adsl else {}
    schedule_path = getattr(args, "schedule", None)
    schedule = None if schedule_path is None else read_schedule(schedule_path)
    readings, visits, skipped = load_inputs(inputs, args.sdtm)
    for line in skipped:
        sys.stderr.write(f"skipped: {line}\n")
    doses = {u: d.first_dose for u, d in data.items() if d.first_dose is not None}
    readings, visits, assessments, rejected = _assess_all(
        readings, visits, getattr(args, "strict", False), doses
    )
    refs: dict[str, dt.date] = {}
    for r in readings:
        d = data.get(r.subject_id or "")
        own = r.subject.get("RFSTDTC", "")
        from recist.formats.subjects import parse_date

        ref = d.reference_start if d is not None else parse_date(own)
        if ref is not None:
            refs[r.subject_id or ""] = ref
    missing = sorted({r.subject_id or "" for r in readings} - set(refs))
    if missing:
        sys.stderr.write(
            f"note: no RFSTDTC for {len(missing)} subject(s) (e.g. {missing[0]}): "
            "their --DY count from the baseline scan\n"
        )
    if schedule is None:
        sys.stderr.write(
            "note: no --schedule: VISIT/VISITNUM are derived from the weeks since "
            "baseline\n"
        )
    return ExportInputs(
        readings=readings,
        visits=visits,
        assessments=assessments,
        outdir=outdir,
        subject_data=data,
        reference_dates=refs,
        schedule=schedule,
        rejected=rejected,
    )


def report_rejected(rejected: Sequence[str]) -> int:
    """List rejected readings on stderr; return the exit status (1 if any)."""
    for line in rejected:
        sys.stderr.write(f"rejected: {line}\n")
    if rejected:
        sys.stderr.write(
            f"{len(rejected)} reading(s) rejected and left out; the rest was written\n"
        )
    return 1 if rejected else 0


def export_command(args: argparse.Namespace) -> int:
    """Run ``recist export sdtm READING... OUTDIR``.

    Returns 0 when everything was written, 1 when rejected readings were left
    out (listed on stderr), 2 on bad input.
    """
    from recist.export.sdtm import to_sdtm, write_sdtm

    x = export_inputs(args)
    export = to_sdtm(
        x.readings,
        studyid=args.studyid,
        visits=x.visits,
        method=args.method,
        reference_dates=x.reference_dates,
        assessments=x.assessments,
        schedule=x.schedule,
    )
    outdir, rejected = x.outdir, x.rejected
    del x  # the readings and assessments are not needed to write: free them
    for path in write_sdtm(export, outdir, fmt=args.fmt):
        sys.stdout.write(f"{path}\n")
    return report_rejected(rejected)
