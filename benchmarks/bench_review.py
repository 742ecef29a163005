"""Review store under load: 20 readers saving at once, on SQLite and PostgreSQL.

``python -m benchmarks review [--seconds S] [--readers N]``: each backend gets
a fresh store (PostgreSQL: a private cluster, as in the tests) with N readers
(default 20), each with a subject of its own; the readers save their reads
concurrently for S seconds (default 60) -- each save changes the baseline
diameter and names itself in the reading's description -- and about one save
in ten is repeated with the version it was based on, as a second browser tab
would, which the store must refuse.  Then every read is checked:

- lost edits: the audit trail's saves of a read are exactly the saves its
  reader was told succeeded, in order, and the stored read is the last one;
- corrupted reads: every stored read parses as a reading and its stored
  responses equal the engine's on it; the audit chain verifies;
- stale writes: every repeated save was refused.

Prints saves/s per backend and the ratio to one reader saving alone on the
same backend in the same run (the baseline).  The tests run a short version
(:func:`run_load` with a few seconds).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from recist.model import Baseline, Lesion, Measurement, Reading

BASELINE = dt.date(2026, 1, 5)
PASSWORD = "load-test-pw"


def reading_for(name: str, n: int) -> Reading:
    """The ``n``-th save of reader ``name``: one target, a diameter that changes."""
    target = Lesion(
        lesion_id="T01",
        role="TARGET",
        site="LIVER",
        baseline=Measurement.of_mm(Decimal(20 + n % 50) + Decimal("0.5")),
    )
    return Reading(
        baseline=Baseline(date=BASELINE, targets=(target,)), description=f"{name}#{n}"
    )


def make_store(target: str, n_readers: int) -> Any:
    """A store with readers r00.. and one subject each, assigned to it."""
    from recist.store import Actor, ReviewStore, TimePointSpec

    store = ReviewStore.create(target, name="LOAD")
    admin = Actor.os_admin()
    names = [f"r{k:02d}" for k in range(n_readers)]
    for name in names:
        store.add_reader(admin, name, role="reader", password=PASSWORD)
    store.add_reader(admin, "adj", role="adjudicator", password=PASSWORD)
    # each subject gets a chosen pair (reader k as reader 1 of subject k)
    for k, name in enumerate(names):
        store.add_subject(admin, f"L{k:02d}", [TimePointSpec(date=BASELINE)])
        store.assign(admin, readers=[name, names[(k + 1) % n_readers]])
    return store


@dataclass
class ReaderLog:
    """What one simulated reader was told: acknowledged saves, refusals."""

    name: str
    usubjid: str = ""
    acked: list[tuple[int, str]] = field(default_factory=list)  # (version, desc)
    stale_tried: list[str] = field(default_factory=list)
    stale_refused: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _reader_loop(
    store: Any,
    log: ReaderLog,
    actor: Any,
    start: threading.Barrier,
    seconds: float,
    stale_every: int,
) -> None:
    from recist.store import StaleWriteError

    version = store.load_read(actor, log.usubjid).version
    start.wait()
    stop = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < stop:
        n += 1
        desc = f"{log.name}#{n}"
        t0 = time.perf_counter()
        try:
            new = store.save_read(
                actor, log.usubjid, reading_for(log.name, n), expected_version=version
            )
        except Exception as exc:
            log.errors.append(f"{desc}: {type(exc).__name__}: {exc}")
            version = store.load_read(actor, log.usubjid).version
            continue
        log.latencies.append(time.perf_counter() - t0)
        log.acked.append((new, desc))
        if n % stale_every == 0:  # a second tab saving on the old version
            n += 1
            stale = f"{log.name}#{n}"
            log.stale_tried.append(stale)
            try:
                store.save_read(
                    actor,
                    log.usubjid,
                    reading_for(log.name, n),
                    expected_version=version,
                )
                log.errors.append(f"{stale}: a stale write was accepted")
            except StaleWriteError:
                log.stale_refused += 1
        version = new


def _my_subject(store: Any, name: str) -> str:
    from recist.store import Actor

    (item,) = [w for w in store.worklist(Actor.os_admin(), name) if w.slot == "R1"]
    return item.usubjid


def run_load(
    store: Any, n_readers: int, seconds: float, *, stale_every: int = 10
) -> list[ReaderLog]:
    """Run ``n_readers`` threads saving for ``seconds``; return their logs."""
    logs = [ReaderLog(name=f"r{k:02d}") for k in range(n_readers)]
    actors = []
    for log in logs:  # log in first (scrypt), as a reader does once per session
        log.usubjid = _my_subject(store, log.name)
        actors.append(store.authenticate(log.name, PASSWORD))
    start = threading.Barrier(n_readers)
    threads = [
        threading.Thread(
            target=_reader_loop,
            args=(store, log, actor, start, seconds, stale_every),
        )
        for log, actor in zip(logs, actors, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return logs


def check_store(store: Any, logs: list[ReaderLog]) -> dict[str, int]:
    """Count lost edits, corrupted reads and accepted stale writes (all must be 0)."""
    from recist.assessment import assess
    from recist.store import Actor

    admin = Actor.os_admin()
    lost = corrupted = stale_accepted = 0
    reads = {(u, r): (reading, version) for u, _s, r, reading, version in _reads(store)}
    for log in logs:
        trail = [
            e
            for e in store.audit_trail(admin, log.usubjid)
            if e["action"] == "save" and e["actor"] == log.name
        ]
        saved = [e["after"]["reading"]["description"] for e in trail]
        acked = [d for _, d in log.acked]
        lost += sum(1 for d in acked if d not in saved)
        stale_accepted += sum(1 for d in log.stale_tried if d in saved)
        stale_accepted += len(saved) - len(acked)  # saved but never acknowledged
        reading, _ = reads[(log.usubjid, log.name)]
        if acked and (reading is None or reading.description != acked[-1]):
            lost += 1
        if not acked:
            continue
        try:
            view = store.load_read(store.authenticate(log.name, PASSWORD), log.usubjid)
            doc = view.responses or {}
            a = assess(view.reading)
            if doc.get("baseline_sum_mm") != str(a.baseline_sum_mm):
                corrupted += 1
            if acked and view.version != log.acked[-1][0]:
                corrupted += 1
        except Exception:
            corrupted += 1
    chain = store.verify_audit()
    return {
        "lost_edits": lost,
        "corrupted_reads": corrupted + (0 if chain.ok else 1),
        "stale_accepted": stale_accepted,
        "stale_refused": sum(log.stale_refused for log in logs),
        "errors": sum(len(log.errors) for log in logs),
    }


def _reads(store: Any) -> list[tuple[str, int, str, Any, int]]:
    out = []
    for usubjid, slot, reader, reading, _signed in store.all_reads():
        out.append((usubjid, slot, reader, reading, 0))
    return out


def _one_backend(label: str, target_factory: Any, readers: int, seconds: float) -> dict:
    from recist.store import ReviewStore

    base_target = target_factory("base")
    with make_store(base_target, 2) as store:
        base_logs = run_load(store, 1, min(seconds, 10.0))
    base_rate = sum(len(g.acked) for g in base_logs) / min(seconds, 10.0)
    target = target_factory("load")
    make_store(target, readers).close()
    with ReviewStore.open(target) as store:
        logs = run_load(store, readers, seconds)
        elapsed = seconds  # each reader saves for this long after a common start
        result = check_store(store, logs)
    saves = sum(len(g.acked) for g in logs)
    lat = sorted(x for g in logs for x in g.latencies)
    result |= {
        "backend": label,
        "readers": readers,
        "seconds": round(elapsed, 1),
        "saves": saves,
        "saves_per_s": saves / elapsed,
        "baseline_saves_per_s": base_rate,
        "p50_ms": 1e3 * statistics.median(lat) if lat else 0.0,
        "p95_ms": 1e3 * lat[int(0.95 * (len(lat) - 1))] if lat else 0.0,
    }
    for g in logs:
        for e in g.errors[:3]:
            print(f"    {g.name} error: {e}")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks review")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql", "both"), default="both"
    )
    args = parser.parse_args(sys.argv[2:] if argv is None else argv)
    from recist.store._pgcluster import PgCluster, find_pg_bin

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend in ("sqlite", "both"):
            results.append(
                _one_backend(
                    "SQLite",
                    lambda n: str(Path(tmp) / f"{n}.db"),
                    args.readers,
                    args.seconds,
                )
            )
        if args.backend in ("postgresql", "both"):
            if find_pg_bin() is None:
                print("  PostgreSQL binaries absent: apt-get install postgresql")
            else:
                with PgCluster() as pg:
                    results.append(
                        _one_backend(
                            "PostgreSQL", pg.create_database, args.readers, args.seconds
                        )
                    )
    print(
        f"  {'backend':<11} {'readers':>7} {'s':>5} {'saves':>7} {'saves/s':>8} "
        f"{'1-reader':>8} {'ratio':>6} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'lost':>5} {'corrupt':>7} {'stale ok':>8} {'stale in':>8} {'errors':>6}"
    )
    for r in results:
        ratio = r["saves_per_s"] / r["baseline_saves_per_s"]
        print(
            f"  {r['backend']:<11} {r['readers']:>7} {r['seconds']:>5} {r['saves']:>7} "
            f"{r['saves_per_s']:>8.1f} {r['baseline_saves_per_s']:>8.1f} "
            f"{ratio:>6.2f} {r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} "
            f"{r['lost_edits']:>5} {r['corrupted_reads']:>7} "
            f"{r['stale_refused']:>8} {r['stale_accepted']:>8} {r['errors']:>6}"
        )
    print(
        "  (ratio: 20 readers' saves/s over one reader's, same backend, same run;"
        " 'stale ok' refused as they must be, 'stale in' accepted: must be 0)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
