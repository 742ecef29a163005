"""Sub-parsers that import their command's module only when it is chosen.

Building every subcommand's parser used to import every command and format
module (highdicom, pandas, pydicom's SR code dictionary): about 1.5 s before
``recist --help`` printed a line.  :class:`LazySubParsers` lists each
subcommand from a light table (name and one-line help) and calls the builder
(which imports the module and adds its real parser) only when argparse reaches
that subcommand.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["LazySubParsers", "add_lazy_subparsers"]

Builder = Callable[[Any], None]
"""``build(subparsers_action)``: add the real sub-parser (``add_parser(name)``)."""


class LazySubParsers(argparse._SubParsersAction):  # type: ignore[type-arg]
    """``add_subparsers`` action whose sub-parsers are built on first use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._builders: dict[str, Builder] = {}

    def add_lazy(self, name: str, help_text: str, build: Builder) -> None:
        """List ``name`` with ``help_text``; ``build(self)`` adds it when chosen."""
        self.add_parser(name, help=help_text)
        self._builders[name] = build

    def build(self, name: str) -> None:
        """Replace the placeholder of ``name`` by its real parser (once)."""
        build = self._builders.pop(name, None)
        if build is None:
            return
        del self._name_parser_map[name]
        self._choices_actions = [a for a in self._choices_actions if a.dest != name]
        build(self)

    def build_all(self) -> None:
        """Build every sub-parser (for :func:`recist.cli.build_parser`)."""
        for name in list(self._builders):
            self.build(name)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        if isinstance(values, Sequence) and values and isinstance(values[0], str):
            self.build(values[0])
        super().__call__(parser, namespace, values, option_string)


def add_lazy_subparsers(
    parser: argparse.ArgumentParser, **kwargs: Any
) -> LazySubParsers:
    """``parser.add_subparsers(**kwargs)`` with :class:`LazySubParsers`."""
    action = parser.add_subparsers(action=LazySubParsers, **kwargs)
    assert isinstance(action, LazySubParsers)
    return action
