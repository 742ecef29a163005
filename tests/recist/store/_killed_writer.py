"""A writer to be killed: saves one read in a loop, slowly inside each transaction.

``python _killed_writer.py STORE`` prints ``ACK n version`` after each commit
and ``INTX n`` from inside the transaction (the read's row already updated,
the audit event not yet written), then sleeps there, so a ``kill -9`` after
``INTX`` lands mid-transaction.
"""

from __future__ import annotations

import sys
import time

import recist.store._workflow as wf
from benchmarks.bench_review import PASSWORD, reading_for
from recist.store import ReviewStore

_append = wf.append_event
_current = [0]


def slow_append(session, **kw):
    print(f"INTX {_current[0]}", flush=True)
    time.sleep(0.5)
    return _append(session, **kw)


def main() -> None:
    """Save until killed."""
    wf.append_event = slow_append

    with ReviewStore.open(sys.argv[1]) as store:
        actor = store.authenticate("r00", PASSWORD)
        version = store.load_read(actor, "L00").version
        n = 0
        while True:
            n += 1
            _current[0] = n
            version = store.save_read(
                actor, "L00", reading_for("r00", n), expected_version=version
            )
            print(f"ACK {n} {version}", flush=True)


if __name__ == "__main__":
    main()
