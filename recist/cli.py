"""The ``recist`` command line: one script, one subcommand per module.

Subcommands live in :mod:`recist.commands` (one module each, found by name) and,
for other distributions such as the viewer, in the ``recist.subcommands``
entry-point group, as pydicom's CLI does.  Invalid input exits with status 2 and
a one-line message; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import recist.commands
from recist._text import printable
from recist.errors import RecistError, RuleViolation

__all__ = ["build_parser", "main"]

log = logging.getLogger(__name__)


def _subcommand_adders() -> list[Callable[[Any], None]]:
    adders: list[Callable[[Any], None]] = []
    for info in sorted(
        pkgutil.iter_modules(recist.commands.__path__), key=lambda m: m.name
    ):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"recist.commands.{info.name}")
        adders.append(module.add_subparser)
    for ep in entry_points(group="recist.subcommands"):
        try:
            adders.append(ep.load())
        except ImportError as exc:  # e.g. the viewer extra is not installed
            log.debug("subcommand %s unavailable: %s", ep.name, exc)
    return adders


def build_parser() -> argparse.ArgumentParser:
    """Build the ``recist`` argument parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="recist",
        description="RECIST 1.1 / iRECIST tumour response assessment.",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _subcommand_adders():
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 failure, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
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
