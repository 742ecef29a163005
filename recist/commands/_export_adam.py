"""``recist export adam``: its options (as ``export sdtm``) and its run."""

from __future__ import annotations

import argparse
import sys

from recist.commands._export_sdtm import add_arguments as _sdtm_arguments
from recist.commands._export_sdtm import export_inputs, report_rejected

__all__ = ["add_arguments", "export_command"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``recist export adam`` (as ``export sdtm``)."""
    _sdtm_arguments(parser)


def export_command(args: argparse.Namespace) -> int:
    """Run ``recist export adam READING... OUTDIR``.

    Returns 0 when everything was written, 1 when rejected readings were left
    out (listed on stderr), 2 on bad input.
    """
    from recist.export.adam import to_adam, write_adam
    from recist.report.tte import TteRules

    x = export_inputs(args)
    export = to_adam(
        x.readings,
        studyid=args.studyid,
        visits=x.visits,
        reference_dates=x.reference_dates,
        subject_data=x.subject_data,
        assessments=x.assessments,
        schedule=x.schedule,
        rules=TteRules(schedule=x.schedule),
    )
    outdir, rejected = x.outdir, x.rejected
    del x  # the readings and assessments are not needed to write: free them
    for path in write_adam(export, outdir, fmt=args.fmt):
        sys.stdout.write(f"{path}\n")
    return report_rejected(rejected)
