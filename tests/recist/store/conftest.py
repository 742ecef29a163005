"""Store fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL is a private cluster (initdb into a temporary folder, pg_ctl on a
free port) started once per session from Debian's binaries, which
``scripts/_setup.sh`` installs; the fixture itself installs nothing.  Without
the binaries the PostgreSQL half skips with the reason, except under CI, where
it fails: CI must not pass by skipping.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="the review extra is not installed")
pytest.importorskip("alembic", reason="the review extra is not installed")

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    from recist.store._pgcluster import PgCluster, find_pg_bin

    if find_pg_bin() is None:
        msg = "PostgreSQL server binaries absent (scripts/_setup.sh installs them)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    cluster = PgCluster(durable=False).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file path or a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "trial.db")
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database(f"t{os.getpid()}_{next(_counter)}")


@pytest.fixture(autouse=True)
def _fast_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash test passwords with scrypt N = 2**10 instead of 2**14 (16x cheaper).

    Each hash records its parameters, so checking is unchanged; the default
    work factor is tested in ``recist/store/_passwords.py``'s doctest.
    """
    import recist.store._passwords as pw

    monkeypatch.setattr(pw, "_N", 2**10)
