"""``recist assess``: responses of case or reading files, with reasons.

``recist assess CASE.json [MORE.json | FOLDER ...]`` prints a table per file;
``--json`` prints the case format's output shape (one object, or a list of
objects with their ``id`` for several files or a folder).  ``--sdtm DIR`` /
``--tu`` / ``--tr`` re-derive responses from CDISC SDTM (see
:mod:`recist.formats.sdtm`).  Input that breaks a rule exits 2 naming the code,
the lesion and the rule; unreadable input exits 2 naming the location.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from recist import _json as strict_json
from recist.assessment import assess
from recist.errors import InvalidInputError, RecistError, RuleViolation
from recist.model import Assessment
from recist.rules._numeric import fmt_pct
from recist.terms import Criteria

__all__ = ["add_subparser", "expand_paths", "run"]


def add_subparser(subparsers: Any) -> None:
    """Add the ``assess`` subcommand to the ``recist`` parser."""
    p = subparsers.add_parser(
        "assess",
        help="derive RECIST 1.1 / iRECIST responses from case, reading or SDTM files",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="case or reading JSON files, or folders of *.json files",
    )
    p.add_argument("--json", action="store_true", help="print the case output shape")
    p.add_argument(
        "--confirmation",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="CR/PR need confirmation for the best response (default: the file's)",
    )
    p.add_argument(
        "--confirmation-min-days",
        type=_non_negative,
        default=None,
        metavar="DAYS",
        help="least days between a response and its confirmation (default 28)",
    )
    p.add_argument(
        "--sd-min-days",
        type=_non_negative,
        default=None,
        metavar="DAYS",
        help="least days from baseline for SD to count (default 42)",
    )
    p.add_argument(
        "--criteria",
        choices=[c.value for c in Criteria],
        default=None,
        help="override the file's criteria",
    )
    sdtm = p.add_argument_group("CDISC SDTM re-derivation")
    sdtm.add_argument("--sdtm", type=Path, metavar="DIR", help="folder with TU, TR, RS")
    sdtm.add_argument("--tu", type=Path, metavar="FILE", help="the TU domain file")
    sdtm.add_argument("--tr", type=Path, metavar="FILE", help="the TR domain file")
    sdtm.add_argument("--rs", type=Path, metavar="FILE", help="the RS domain file")
    sdtm.add_argument("--subject", metavar="ID", help="only this USUBJID")
    p.set_defaults(func=run)


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a whole number of days: {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"days must be >= 0, got {value}")
    return value


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; folders become their ``*.json`` files, sorted.

    Raises
    ------
    FileNotFoundError
        A path that does not exist.
    """
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.glob("*.json") if p.is_file()))
        elif path.exists():
            out.append(path)
        else:
            raise FileNotFoundError(2, "no such file", str(path))
    return out


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "confirmation": args.confirmation,
        "criteria": args.criteria,
        "confirmation_min_days": args.confirmation_min_days,
        "sd_min_days": args.sd_min_days,
    }


def run(args: argparse.Namespace) -> int:
    """Run ``recist assess``; return 0, or 2 when some input was invalid."""
    if args.sdtm is not None or args.tu is not None or args.tr is not None:
        from recist.commands._assess_sdtm import assess_sdtm_command

        return int(assess_sdtm_command(args))
    if not args.paths:
        print(
            "error: give case/reading files or a folder, or --sdtm DIR", file=sys.stderr
        )
        return 2
    # pydantic only loads here, not on `import recist`.
    from recist.formats.case import assessment_to_json, load_case

    try:
        files = expand_paths(args.paths)
    except FileNotFoundError as exc:
        print(f"error: no such file: {exc.filename}", file=sys.stderr)
        return 2
    if not files:
        print("error: no *.json files found", file=sys.stderr)
        return 2
    several = len(files) > 1 or any(p.is_dir() for p in args.paths)
    status = 0
    results: list[dict[str, Any]] = []
    for i, path in enumerate(files):
        out: dict[str, Any]
        try:
            reading = load_case(path)
        except (InvalidInputError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 2
            results.append(
                {"id": path.stem, "file": str(path), "error": _input_error(exc)}
            )
            continue
        case_id = reading.case_id or path.name.removesuffix(".json")
        try:
            result = assess(reading, **_overrides(args))
        except RuleViolation as exc:
            lesion = exc.lesion if exc.lesion is not None else "-"
            print(
                f"error: {path}: {exc.code} (lesion {lesion}, {exc.rule}): {exc}",
                file=sys.stderr,
            )
            status = 2
            out = {"id": case_id, "error": {"code": exc.code, "lesion": exc.lesion}}
            results.append(out)
            if not args.json:
                print(
                    f"{case_id}: invalid input: {exc.code} "
                    f"(lesion {lesion}, {exc.rule})"
                )
            continue
        except RecistError as exc:
            print(f"error: {path}: {exc}", file=sys.stderr)
            status = 2
            continue
        out = assessment_to_json(result)
        out["id"] = case_id
        results.append(out)
        if not args.json:
            if i:
                print()
            print(render_table(result, title=case_id))
    if args.json:
        doc: Any = results if several else (results[0] if results else None)
        print(strict_json.dumps(doc, indent=2))
    return status


def _input_error(exc: Exception) -> dict[str, Any]:
    location = getattr(exc, "location", None)
    return {
        "code": "INVALID_INPUT",
        "lesion": None,
        "location": location,
        "message": str(exc),
    }


def _cell(value: object) -> str:
    return "-" if value is None else str(value)


def render_table(a: Assessment, *, title: str) -> str:
    """Render an assessment as a plain-text table with one reason per row."""
    r = a.reading
    opts = r.options
    head = [
        f"{title}  ({a.criteria.value}"
        + (f", subject {r.subject_id}" if r.subject_id else "")
        + (f", reader {r.reader}" if r.reader else "")
        + ")",
        f"baseline {r.baseline.date}: sum {_cell(a.baseline_sum_mm)} mm, "
        f"{len(r.baseline.targets)} target(s), "
        f"{len(r.baseline.non_targets)} non-target(s)",
    ]
    cols = ["date", "sum mm", "vs base", "vs nadir", "target", "non-target", "new"]
    cols.append("overall")
    irecist = a.criteria is Criteria.IRECIST
    if irecist:
        cols.insert(7, "new sum")
    rows = []
    for p in a.timepoints:
        row = [
            str(p.date),
            _cell(p.sum_mm),
            fmt_pct(p.pct_from_baseline) if p.pct_from_baseline is not None else "-",
            fmt_pct(p.pct_from_nadir) if p.pct_from_nadir is not None else "-",
            p.target.value.value,
            p.non_target.value.value,
            p.new_lesions.value.value,
        ]
        if irecist:
            row.append(_cell(p.new_target_sum_mm))
        row.append(p.overall.value.value)
        rows.append(row)
    widths = [max([len(c), *(len(row[k]) for row in rows)]) for k, c in enumerate(cols)]
    lines = [*head, "  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    for p, row in zip(a.timepoints, rows, strict=True):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        lines.append(f"    {p.overall.reason}  [{p.overall.rule}]")
    conf = (
        f"confirmation >= {opts.confirmation_min_days} days"
        if a.confirmation
        else "no confirmation"
    )
    bor = a.best_overall_response
    lines.append(
        f"best overall response: {bor.value.value}  ({conf}, SD >= {opts.sd_min_days} "
        f"days)  [{bor.rule}]"
    )
    lines.append(f"    {bor.reason}")
    other = (
        a.best_overall_response_unconfirmed
        if a.confirmation
        else a.best_overall_response_confirmed
    )
    if other.value is not bor.value:
        label = "without" if a.confirmation else "with"
        lines.append(f"    ({label} confirmation it would be {other.value.value})")
    lines.extend(f"warning: {w}" for w in a.warnings)
    return "\n".join(lines)
