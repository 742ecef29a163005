"""Efficacy benchmark: ``recist summary`` and ``export sdtm|adam`` on a big trial.

6,000 subjects x 10 visits (and 60 subjects) are written as reading files with
a DM (two arms, first dose, 10 % deaths); each command then runs as its own
process (``python -m recist.cli``-style, imports included), timed with its
peak memory (``ru_maxrss`` from ``os.wait4``).  The same-run baseline is a
plain ``json.loads`` of every reading file, so ratios compare across machines.

Targets (issue #13): 6,000 subjects: summary with plots <= 20 s, each export
<= 10 s, peak memory <= 1 GiB; 60 subjects: < 2 s each.

Run ``python -m benchmarks summary`` (``RECIST_BENCH_N=600`` for a quick run).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_engine import make_readings
from recist.formats.reading import dumps_exact, reading_to_dict
from recist.terms import Criteria

_CLI = "import sys; from recist.cli import main; sys.exit(main(sys.argv[1:]))"


def _write_trial(folder: Path, n: int) -> tuple[list[Path], Path]:
    readings = make_readings(n, 10, criteria=Criteria.RECIST_1_1, seed=13)
    rnd = random.Random(13)
    rd = folder / "readings"
    rd.mkdir()
    files = []
    dm = folder / "dm.csv"
    with dm.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["USUBJID", "ARM", "RFSTDTC", "RFXSTDTC", "DTHDTC", "DTHFL",
                    "EFFFL"])  # fmt: skip
        for r in readings:
            sid = r.subject_id or ""
            path = rd / f"{sid}.json"
            path.write_text(dumps_exact(reading_to_dict(r)), encoding="utf-8")
            files.append(path)
            dose = r.baseline.date + dt.timedelta(days=3)
            death = ""
            if rnd.random() < 0.1:
                death = (dose + dt.timedelta(days=rnd.randint(30, 500))).isoformat()
            w.writerow([sid, rnd.choice(["SINGLE", "DUAL"]), dose.isoformat(),
                        dose.isoformat(), death, "Y" if death else "",
                        "Y" if rnd.random() < 0.97 else "N"])  # fmt: skip
    return files, dm


def _run(args: list[str]) -> tuple[float, float, float, int]:
    """Run the recist CLI in a child: (wall s, CPU s, peak MiB, exit status).

    CPU is user + system time of the child and its workers: on a shared
    machine it is the steadier figure.
    """
    env = {**os.environ, "MPLBACKEND": "Agg"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLI, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    cpu = max(cpu, usage.ru_utime + usage.ru_stime)
    return seconds, cpu, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def _baseline(files: list[Path]) -> float:
    t0 = time.perf_counter()
    for f in files:
        json.loads(f.read_text(encoding="utf-8"))
    return time.perf_counter() - t0


def main() -> None:
    sizes = [int(os.environ.get("RECIST_BENCH_N", "6000")), 60]
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            files, dm = _write_trial(folder, n)
            base = _baseline(files)
            limit = 20.0 if n > 60 else 2.0
            ex_limit = 10.0 if n > 60 else 2.0
            runs = {
                "summary (with plots)": (
                    ["summary", str(folder / "readings"), "--dm", str(dm),
                     "--population", "EFFFL", "--by", "ARM",
                     "--out", str(folder / "summary")],
                    limit,
                ),
                "export sdtm": (
                    ["export", "sdtm", *map(str, files), str(folder / "sdtm"),
                     "--dm", str(dm)],
                    ex_limit,
                ),
                "export adam": (
                    ["export", "adam", *map(str, files), str(folder / "adam"),
                     "--dm", str(dm)],
                    ex_limit,
                ),
            }  # fmt: skip
            print(
                f"  {n} subjects x 10 visits; baseline json.loads of the readings "
                f"{base:.2f} s"
            )
            for name, (args, target) in runs.items():
                seconds, cpu, mib, status = _run(args)
                ok = "ok" if seconds <= target and mib <= 1024 else "OVER"
                print(
                    f"  {name:<22} {seconds:7.2f} s wall ({seconds / base:6.1f}x "
                    f"baseline), {cpu:6.2f} s CPU, peak {mib:6.1f} MiB, exit "
                    f"{status}; target <= {target:g} s, 1024 MiB: {ok}"
                )
        print(f"  load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
