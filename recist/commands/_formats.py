"""Shared plumbing of ``recist export FORMAT`` and ``recist import FORMAT``.

Each format lives in its own module that defines ``add_arguments(parser)`` and a
command function (``export_command`` or ``import_command``); this module builds
the ``FORMAT`` sub-parsers and calls the right function, so a format's heavy
dependencies load only when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Mapping
from typing import Any


def add_format_parsers(
    subparsers: Any,
    command: str,
    *,
    help_text: str,
    formats: Mapping[str, tuple[str, str]],
    function: str,
) -> None:
    """Add ``recist COMMAND FORMAT ...`` with one sub-parser per format.

    Parameters
    ----------
    subparsers
        The ``recist`` sub-parsers action.
    command : str
        ``"export"`` or ``"import"``.
    help_text : str
        The command's one-line help.
    formats : mapping of str to (module, help)
        Format name -> the module implementing it and its one-line help.
    function : str
        The command function each format module defines.
    """
    parser = subparsers.add_parser(command, help=help_text)
    chosen = parser.add_subparsers(dest="format", metavar="FORMAT", required=True)

    def run(args: argparse.Namespace) -> int:
        module = importlib.import_module(formats[args.format][0])
        return int(getattr(module, function)(args))

    def unavailable(args: argparse.Namespace) -> int:
        msg = f"error: 'recist {command} {args.format}' is not available here"
        print(msg, file=sys.stderr)
        return 2

    for name, (module_name, fmt_help) in formats.items():
        sub = chosen.add_parser(name, help=fmt_help, description=fmt_help)
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # an extra is missing
            sub.set_defaults(func=unavailable)
            continue
        module.add_arguments(sub)
        sub.set_defaults(func=run)
