"""Run the benchmarks: ``python -m benchmarks [name ...]``.

Every ``benchmarks/bench_<name>.py`` module is a benchmark; naming ``<name>`` on
the command line runs only those.  A module that defines ``main()`` runs it (it
prints its own table of times and ratios to a same-run baseline); otherwise each
``time_*`` function is timed, best of 3, after the module's optional ``setup()``.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

import benchmarks


def _modules() -> list[str]:
    path = [str(Path(benchmarks.__file__).parent)]
    return sorted(
        m.name for m in pkgutil.iter_modules(path) if m.name.startswith("bench_")
    )


def _run_time_functions(module: object) -> None:
    setup = getattr(module, "setup", None)
    if callable(setup):
        setup()
    for name in sorted(n for n in dir(module) if n.startswith("time_")):
        func = getattr(module, name)
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            func()
            best = min(best, time.perf_counter() - t0)
        print(f"  {name:<40} {best * 1e3:10.2f} ms (best of 3)")


def main(argv: list[str]) -> int:
    available = _modules()
    wanted = [f"bench_{a.removeprefix('bench_')}" for a in argv] or available
    unknown = sorted(set(wanted) - set(available))
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(available)}"
        )
        return 2
    for name in wanted:
        print(f"== {name}")
        module = importlib.import_module(f"benchmarks.{name}")
        if callable(getattr(module, "main", None)):
            module.main()
        else:
            _run_time_functions(module)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
