"""Command-line start-up: ``recist --help``, ``recist assess`` of 1 and 1,000 cases.

Each command runs as its own process, as a user runs it (the console script's
two lines: ``from recist.cli import main; sys.exit(main())``), best of
``REPEAT``.  The same-run baseline is a bare ``python -c pass`` on the same
interpreter, so the ratios compare across machines.  Targets (issue 12):
``--help`` and one case <= 0.3 s and <= 3x the baseline; 1,000 case files in
<= 1 s.  Run ``python -m benchmarks cli``.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEAT = 7
ROOT = Path(__file__).resolve().parents[1]
SCRIPT = "import sys; from recist.cli import main; sys.exit(main())"


_SITES = ("LIVER", "LUNG", "ADRENAL GLAND", "KIDNEY", "SPLEEN")


def write_cases(folder: Path, n: int, *, seed: int = 12) -> list[Path]:
    """Write ``n`` valid case files (1-5 targets, 1-6 follow-ups), seeded."""
    rnd = random.Random(seed)
    paths = []
    for k in range(n):
        ids = [f"T{i + 1:02d}" for i in range(rnd.randint(1, 5))]
        base = {i: rnd.randint(150, 600) / 10 for i in ids}
        follow = []
        for v in range(rnd.randint(1, 6)):
            follow.append(
                {
                    "date": f"2026-{v + 3:02d}-0{rnd.randint(1, 9)}",
                    "targets": {
                        i: round(d * rnd.uniform(0.4, 1.4), 1) for i, d in base.items()
                    },
                    "new_lesions": [],
                }
            )
        case = {
            "id": f"bench-{k:04d}",
            "criteria": "RECIST 1.1",
            "baseline": {
                "date": "2026-01-05",
                "targets": [
                    {"id": i, "site": site, "nodal": False, "diameter_mm": d}
                    for (i, d), site in zip(base.items(), _SITES, strict=False)
                ],
            },
            "followups": follow,
        }
        path = folder / f"bench-{k:04d}.case.json"
        path.write_text(json.dumps(case), encoding="utf-8")
        paths.append(path)
    return paths


def best_of(argv: list[str], *, repeat: int = REPEAT) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, check=False)
        best = min(best, time.perf_counter() - t0)
        if done.returncode != 0:  # every benchmark input is valid
            raise RuntimeError(
                f"{argv}: exit {done.returncode}: {done.stderr[-400:]!r}"
            )
    return best


def main() -> None:
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cases"
        folder.mkdir()
        cases = write_cases(folder, 1000)
        base = best_of([py, "-c", "pass"])
        cli = [py, "-c", SCRIPT]
        rows = [
            ("recist --help", [*cli, "--help"], 0.3, 3.0),
            ("recist assess CASE (1 case)", [*cli, "assess", str(cases[0])], 0.3, 3.0),
            (
                "recist assess --json DIR (1,000 cases)",
                [*cli, "assess", "--json", str(folder)],
                1.0,
                None,
            ),
            (
                "recist assess DIR (1,000 cases, tables)",
                [*cli, "assess", str(folder)],
                1.0,
                None,
            ),
        ]
        print(f"  {'python -c pass (baseline)':<42} {base * 1e3:8.1f} ms")
        for label, argv, limit_s, limit_ratio in rows:
            t = best_of(argv, repeat=REPEAT if "1,000" not in label else 3)
            ok = t <= limit_s and (limit_ratio is None or t <= limit_ratio * base)
            target = f"<= {limit_s:g} s" + (
                f", <= {limit_ratio:g}x" if limit_ratio else ""
            )
            print(
                f"  {label:<42} {t * 1e3:8.1f} ms  {t / base:5.1f}x baseline  "
                f"target {target}: {'met' if ok else 'NOT met'}"
            )


if __name__ == "__main__":
    main()
