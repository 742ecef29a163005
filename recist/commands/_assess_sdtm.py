"""``recist assess --sdtm DIR`` / ``--tu F --tr F [--rs F]``: run and text report.

The derivation and comparison are :mod:`recist.formats.sdtm`'s; this module
reads the arguments and prints (the command layer).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from recist import _json as strict_json
from recist.errors import InvalidInputError
from recist.formats._sdtm_compare import RESPONSE_TESTS
from recist.formats.sdtm import (
    CAUSES,
    Agreement,
    DerivedReading,
    Evaluator,
    SdtmData,
    VisitComparison,
    compare_with_rs,
    comparisons_to_json,
    derive_reading,
    read_sdtm,
    readings_from_sdtm,
    summarize,
)

__all__ = ["assess_sdtm_command"]


def _fmt(value: Any) -> str:
    return "-" if value is None else str(value)


def _write_text(
    out: TextIO,
    data: SdtmData,
    derived: Sequence[DerivedReading],
    comparisons: Sequence[VisitComparison],
) -> None:
    for domain, path in data.sources.items():
        out.write(f"{domain}: {path}\n")
    by_reading: dict[tuple[str, Evaluator, str], list[VisitComparison]] = {}
    for item in comparisons:
        key = (item.usubjid, item.evaluator, item.criteria)
        by_reading.setdefault(key, []).append(item)
    has_rs = data.rs is not None
    for result in derived:
        reading = result.reading
        key = (reading.usubjid, reading.evaluator, reading.criteria)
        out.write(f"\n{reading.usubjid}  {reading.evaluator.label}  {reading.criteria}")
        base = next((v for v in reading.visits if v.baseline), None)
        if base is not None:
            total = result.output.get("baseline_sum_mm")
            out.write(f"  baseline {base.visit} {base.date} sum {_fmt(total)} mm")
        out.write("\n")
        if result.error is not None:
            out.write(f"  NOT DERIVED: {result.error}\n")
        header = f"  {'VISIT':<18}{'date':<12}{'sum':>7}{'%base':>8}{'%nadir':>8}"
        header += "  TRG   NTRG           NEW  OVERALL"
        if has_rs:
            header += "        RECORDED"
        out.write(header + "\n")
        items = by_reading.pop(key, [])
        for item in items:
            _write_visit(out, item, has_rs)
        for note in reading.notes:
            out.write(f"  note: {note}\n")
        bor = result.output.get("best_overall_response")
        if bor is not None:
            out.write(f"  best overall response (derived): {bor}\n")
    for (usubjid, evaluator, criteria), items in by_reading.items():
        out.write(f"\n{usubjid}  {evaluator.label}  {criteria}  (RS only, no TR)\n")
        for item in items:
            _write_visit(out, item, has_rs)
    if has_rs:
        _write_summary(out, summarize(comparisons))


def _write_visit(out: TextIO, item: VisitComparison, has_rs: bool) -> None:
    d = item.derived
    facts = item.facts
    line = f"  {item.visit[:17]:<18}{item.date:<12}"
    line += f"{_fmt(facts.get('sum_mm')):>7}{_fmt(facts.get('pct_from_baseline')):>8}"
    line += f"{_fmt(facts.get('pct_from_nadir')):>8}"
    line += f"  {_fmt(d.get('TRGRESP')):<6}{_fmt(d.get('NTRGRESP')):<15}"
    line += f"{_fmt(d.get('NEWLPROG')):<5}{_fmt(d.get('OVRLRESP')):<13}"
    if has_rs:
        recorded = " ".join(f"{k}={v}" for k, v in item.recorded.items())
        mark = {True: "agree", False: "DIFFERS", None: ""}[item.agree]
        line += f"{recorded}  {mark}" if recorded else "(no RS record)"
    out.write(line.rstrip() + "\n")
    if item.agree is False:
        out.write(f"    -> {item.explanation()}\n")


def _pct_text(part: int, whole: int) -> str:
    return f"{part}/{whole}" + (f" ({100 * part / whole:.1f}%)" if whole else "")


def _write_summary(out: TextIO, agreement: Agreement) -> None:
    out.write("\nAgreement with RS\n")
    out.write(f"  visits: {_pct_text(agreement.visits_agree, agreement.visits)}\n")
    accepted = _pct_text(agreement.accepted_agree, agreement.accepted)
    out.write(f"  accepted records (RSACPTFL=Y): {accepted}\n")
    for test in RESPONSE_TESTS:
        if test in agreement.by_test:
            n, k = agreement.by_test[test]
            out.write(f"  {test}: {_pct_text(k, n)}\n")
    subjects = _pct_text(agreement.subjects_agree, agreement.subjects)
    out.write(f"  subjects with every visit agreeing: {subjects}\n")
    for cause, count in agreement.causes.items():
        out.write(f"  disagreements {cause}: {count} ({CAUSES[cause]})\n")


def _options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name in ("confirmation", "confirmation_min_days", "sd_min_days"):
        value = getattr(args, name, None)
        if value is not None:
            options[name] = value
    return options


def assess_sdtm_command(args: argparse.Namespace) -> int:
    """Run ``recist assess --sdtm DIR`` / ``--tu --tr [--rs]``.

    Reads ``args.sdtm``, ``args.tu``, ``args.tr``, ``args.rs``, ``args.subject``,
    ``args.json`` and the engine options ``args.confirmation``,
    ``args.confirmation_min_days``, ``args.sd_min_days``, ``args.criteria``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed ``recist assess`` arguments.

    Returns
    -------
    int
        0 when derived (also with disagreements: it is a report); 2 for input
        that cannot be read or a ``--subject`` with no records.
    """
    try:
        data = read_sdtm(
            getattr(args, "sdtm", None),
            tu=getattr(args, "tu", None),
            tr=getattr(args, "tr", None),
            rs=getattr(args, "rs", None),
        )
    except InvalidInputError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    subject = getattr(args, "subject", None)
    readings = readings_from_sdtm(
        data,
        subject=subject,
        criteria=getattr(args, "criteria", None),
        options=_options(args),
    )
    if subject is not None and not readings:
        sys.stderr.write(f"error: no TR records for USUBJID {subject}\n")
        return 2
    derived = [derive_reading(r) for r in readings]
    comparisons = compare_with_rs(derived, data.rs, subject=subject)
    if getattr(args, "json", False):
        sys.stdout.write(strict_json.dumps(comparisons_to_json(comparisons), indent=2))
        sys.stdout.write("\n")
    else:
        _write_text(sys.stdout, data, derived, comparisons)
    return 0
