"""Load and faults, bounded: concurrent readers, racing saves, a killed writer.

The full figures (20 readers for 60 s per backend) come from
``python -m benchmarks review``; here 20 readers save for a few seconds.
Each test runs on SQLite and on a private PostgreSQL cluster.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from benchmarks.bench_review import (
    PASSWORD,
    check_store,
    make_store,
    reading_for,
    run_load,
)
from recist.store import ReviewStore, StaleWriteError

HERE = Path(__file__).parent


def test_twenty_readers_lose_nothing(store_target):
    with make_store(store_target, 20) as store:
        logs = run_load(store, 20, 3.0, stale_every=3)
        result = check_store(store, logs)
    saves = sum(len(g.acked) for g in logs)
    assert saves >= 20, [g.errors for g in logs]
    assert result["errors"] == 0, [e for g in logs for e in g.errors][:5]
    assert result["lost_edits"] == 0
    assert result["corrupted_reads"] == 0
    assert result["stale_accepted"] == 0
    assert result["stale_refused"] == sum(len(g.stale_tried) for g in logs)


def test_racing_saves_of_one_read_one_wins(store_target):
    with make_store(store_target, 2) as store:
        actor = store.authenticate("r00", PASSWORD)
        version = store.load_read(actor, "L00").version
        start = threading.Barrier(2)
        outcome: list[str] = []

        def save(n):
            start.wait()
            try:
                store.save_read(
                    actor, "L00", reading_for("r00", n), expected_version=version
                )
                outcome.append(f"saved r00#{n}")
            except StaleWriteError:
                outcome.append("refused")

        threads = [threading.Thread(target=save, args=(n,)) for n in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcome)[0] == "refused"
        assert len(outcome) == 2
        winner = sorted(outcome)[1].removeprefix("saved ")
        view = store.load_read(actor, "L00")
        assert (view.version, view.reading.description) == (version + 1, winner)


def test_kill_9_mid_transaction_loses_nothing_committed(store_target):
    make_store(store_target, 2).close()
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_killed_writer.py"), store_target],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=HERE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])},
    )
    acked: list[tuple[int, int]] = []
    in_flight = None
    try:
        for line in proc.stdout:
            word, *rest = line.split()
            if word == "ACK":
                acked.append((int(rest[0]), int(rest[1])))
            elif word == "INTX" and len(acked) >= 3:
                in_flight = int(rest[0])
                os.kill(proc.pid, signal.SIGKILL)  # inside the open transaction
                break
    finally:
        proc.kill()
        _, err = proc.communicate(timeout=60)
    assert in_flight is not None, err
    with ReviewStore.open(store_target) as store:
        actor = store.authenticate("r00", PASSWORD)
        view = store.load_read(actor, "L00")
        last_n, last_version = acked[-1]
        # every acknowledged save is there, the interrupted one is not, no half read
        assert view.version == last_version
        assert view.reading.description == f"r00#{last_n}"
        assert in_flight == last_n + 1
        from recist.store import Actor

        saves = [
            e["after"]["reading"]["description"]
            for e in store.audit_trail(Actor.os_admin(), "L00")
            if e["action"] == "save"
        ]
        assert saves == [f"r00#{n}" for n, _ in acked]
        assert store.verify_audit().ok
        # the store is writable again (the killed writer's lock is gone)
        new = store.save_read(
            actor, "L00", reading_for("r00", 99), expected_version=view.version
        )
        assert new == view.version + 1
