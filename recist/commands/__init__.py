"""Subcommands of the ``recist`` command line, one module each.

Each module defines ``add_subparser(subparsers) -> None`` which adds its parser
and sets ``func`` (``Callable[[argparse.Namespace], int]``) as a default.
:mod:`recist.cli` finds the modules here by name, so a new subcommand is a new
module and nothing else changes.
"""
