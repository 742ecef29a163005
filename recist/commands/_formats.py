"""Shared plumbing of ``recist export FORMAT`` and ``recist import FORMAT``.

Each format lives in its own module that defines ``add_arguments(parser)`` and a
command function (``export_command`` or ``import_command``); this module builds
the ``FORMAT`` sub-parsers and calls the right function.  A format's module
(and its heavy dependencies) is imported only when that format is chosen
(:mod:`recist.commands._lazy`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Mapping
from typing import Any

from recist.commands._lazy import add_lazy_subparsers


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
    chosen = add_lazy_subparsers(parser, dest="format", metavar="FORMAT", required=True)

    def run(args: argparse.Namespace) -> int:
        module = importlib.import_module(formats[args.format][0])
        return int(getattr(module, function)(args))

    def unavailable(args: argparse.Namespace) -> int:
        msg = f"error: 'recist {command} {args.format}' is not available here"
        print(msg, file=sys.stderr)
        return 2

    def builder(name: str, module_name: str, fmt_help: str) -> Any:
        def build(action: Any) -> None:  # only when FORMAT is chosen
            sub = action.add_parser(name, help=fmt_help, description=fmt_help)
            try:
                module = importlib.import_module(module_name)
            except ImportError:  # an extra is missing
                sub.set_defaults(func=unavailable)
                return
            module.add_arguments(sub)
            sub.set_defaults(func=run)

        return build

    for name, (module_name, fmt_help) in formats.items():
        chosen.add_lazy(name, fmt_help, builder(name, module_name, fmt_help))
