"""Run CPU-bound work over many readings in worker processes.

Reading many files and assessing them is pure Python; on a multi-core machine
:func:`map_in_workers` spreads it over forked workers.  Value objects hold
:class:`types.MappingProxyType` fields, which pickle cannot send back by
itself; :func:`allow_mapping_proxy_pickling` registers a reducer for them (as
a plain ``dict`` wrapped again on arrival).
"""

from __future__ import annotations

import copyreg
import multiprocessing as mp
import os
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

__all__ = ["allow_mapping_proxy_pickling", "map_in_workers", "split"]

T = TypeVar("T")
R = TypeVar("R")


def _proxy(values: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(values)


def _reduce_proxy(m: Mapping[str, Any]) -> tuple[Any, tuple[dict[str, Any]]]:
    return _proxy, (dict(m),)


def allow_mapping_proxy_pickling() -> None:
    """Let pickle send :class:`~types.MappingProxyType` (as a copied dict)."""
    copyreg.pickle(MappingProxyType, _reduce_proxy)  # type: ignore[arg-type]


def split(items: Sequence[T], parts: int) -> list[Sequence[T]]:
    """Split ``items`` into at most ``parts`` consecutive slices.

    Examples
    --------
    >>> split([1, 2, 3, 4, 5], 2)
    [[1, 2, 3], [4, 5]]
    """
    size = max(1, -(-len(items) // max(parts, 1)))
    return [items[i : i + size] for i in range(0, len(items), size)]


def map_in_workers(func: Callable[[T], R], jobs: Sequence[T]) -> list[R]:
    """Map ``func`` over ``jobs`` in forked workers, results in order.

    Runs in this process when there is one job or one CPU, or fork is not
    available (``func`` must be a module-level function).
    """
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers < 2 or "fork" not in mp.get_all_start_methods():
        return [func(j) for j in jobs]
    allow_mapping_proxy_pickling()
    with mp.get_context("fork").Pool(workers) as pool:
        return pool.map(func, jobs)
