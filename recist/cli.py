"""The ``recist`` command line: one script, one subcommand per module.

Subcommands live in :mod:`recist.commands` (one module each, listed with their
one-line help in :data:`COMMANDS`) and, for other distributions such as the
viewer, in the ``recist.subcommands`` entry-point group, as pydicom's CLI does.
A subcommand's module is imported only when that subcommand runs (or its help
is asked for), so ``recist --help`` and ``recist assess`` start fast.  Invalid
input exits with status 2 and a one-line message; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from recist.commands._lazy import LazySubParsers, add_lazy_subparsers

__all__ = ["COMMANDS", "build_parser", "main"]

#: Built-in subcommands: name -> (module in recist.commands, one-line help).
#: The help must equal the one the module's ``add_subparser`` gives (tested).
COMMANDS: dict[str, tuple[str, str]] = {
    "assess": (
        "assess",
        "derive RECIST 1.1 / iRECIST responses from case, reading or SDTM files",
    ),
    "autoread": (
        "autoread",
        "segment and measure lesions from one seed point each, write a reading",
    ),
    "convert": ("convert", "write a DICOM series to NIfTI (.nii/.nii.gz), NRRD or MHA"),
    "export": ("export", "write readings as SR, SEG, SDTM or ADaM"),
    "fetch": (
        "fetch",
        "list or download studies from a DICOMweb server (PACS, Orthanc)",
    ),
    "import": ("imports", "read DICOM SRs (into readings) and SEGs (measured masks)"),
    "info": (
        "info",
        "list the DICOM series (and non-image objects, skipped files) in a path",
    ),
    "propagate": (
        "propagate",
        "find each known lesion at a new visit by registration (proposals)",
    ),
    "push": (
        "push",
        "send DICOM files (SR, SEG, images) to a DICOMweb server (STOW-RS)",
    ),
    "report": (
        "report",
        "central review report of one reading (PDF, HTML) with key images",
    ),
    "summary": (
        "summary",
        "efficacy summary: BOR table, ORR/DCR with exact CIs, plots",
    ),
    "review": (
        "review",
        "blinded independent central review: double reads, adjudication",
    ),
}


def _module_adder(module: str) -> Callable[[Any], None]:
    def build(subparsers: Any) -> None:
        importlib.import_module(f"recist.commands.{module}").add_subparser(subparsers)

    return build


def _unlisted_modules() -> list[str]:
    """Command modules not in :data:`COMMANDS` (added later; built eagerly)."""
    import recist.commands

    listed = {m for m, _ in COMMANDS.values()}
    return sorted(
        info.name
        for info in pkgutil.iter_modules(recist.commands.__path__)
        if not info.name.startswith("_") and info.name not in listed
    )


def _entry_point_lines() -> Iterator[tuple[str, str]]:
    """Yield ``(name, "module:attr")`` of the ``recist.subcommands`` group.

    A direct scan of the ``entry_points.txt`` files on ``sys.path``:
    :func:`importlib.metadata.entry_points` parses every distribution's metadata
    (60 ms with a few hundred installed), for a group only recist uses.
    """
    import configparser

    seen: set[str] = set()
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            path = Path(folder or ".", name, "entry_points.txt")
            try:
                text = path.read_text(encoding="utf-8")
            except OSError:
                continue
            if "recist.subcommands" not in text:
                continue
            parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
            parser.optionxform = str  # type: ignore[assignment,method-assign]
            try:
                parser.read_string(text)
            except configparser.Error:
                continue
            if parser.has_section("recist.subcommands"):
                for key, value in parser.items("recist.subcommands"):
                    if key not in seen:  # the first on sys.path wins, as import
                        seen.add(key)
                        yield key, value.strip()


def _entry_point_adders() -> list[Callable[[Any], None]]:
    adders: list[Callable[[Any], None]] = []
    for name, value in _entry_point_lines():
        module, _, attr = value.partition(":")
        try:
            target: Any = importlib.import_module(module.strip())
            for part in attr.strip().split(".") if attr.strip() else ():
                target = getattr(target, part)
        except (ImportError, AttributeError) as exc:  # e.g. no viewer extra
            logging.getLogger(__name__).debug(
                "subcommand %s unavailable: %s", name, exc
            )
            continue
        adders.append(target)
    return adders


def _chosen(argv: list[str]) -> str | None:
    """Return the subcommand named in ``argv`` (the first positional), if any."""
    for arg in argv:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg
    return None


def _parser(chosen: str | None, *, build_all: bool = False) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="recist",
        description="RECIST 1.1 / iRECIST tumour response assessment.",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging"
    )
    subparsers: LazySubParsers = add_lazy_subparsers(
        parser, dest="command", metavar="COMMAND"
    )
    for name, (module, help_text) in COMMANDS.items():
        subparsers.add_lazy(name, help_text, _module_adder(module))
    for module in _unlisted_modules():
        _module_adder(module)(subparsers)
    if chosen is None or chosen not in COMMANDS or build_all:
        for add in _entry_point_adders():  # other distributions' subcommands
            add(subparsers)
    if build_all:
        subparsers.build_all()
    return parser


def build_parser() -> argparse.ArgumentParser:
    """Build the ``recist`` argument parser with every subcommand's arguments."""
    return _parser(None, build_all=True)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 failure, 2 bad input)."""
    args_in = sys.argv[1:] if argv is None else list(argv)
    # pydantic scans every installed distribution for plugins when the first
    # model is built (~60 ms); the command line uses none (a user's setting wins)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    parser = _parser(_chosen(args_in))
    args = parser.parse_args(args_in)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    from recist._text import printable
    from recist.errors import RecistError, RuleViolation

    try:
        return int(func(args))
    except RuleViolation as exc:
        lesion = exc.lesion if exc.lesion is not None else "-"
        print(
            f"error: {exc.code} (lesion {lesion}, {exc.rule}): {exc}", file=sys.stderr
        )
        return 2
    except RecistError as exc:
        print(f"error: {printable(exc)}", file=sys.stderr)  # paths, tags: escaped
        return 2
    except FileNotFoundError as exc:
        print(f"error: no such file: {printable(exc.filename)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `recist assess --json ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python exits
        return 1
    except OSError as exc:  # permission denied, disk full, a folder where a file was
        print(f"error: {printable(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
