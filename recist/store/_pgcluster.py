"""A private, throw-away PostgreSQL cluster for tests and benchmarks.

Uses Debian's server binaries (``/usr/lib/postgresql/*/bin``): ``initdb`` into a
temporary folder, ``pg_ctl start`` on a free loopback port with the socket in
that folder, ``pg_ctl stop`` and removal afterwards.  Never touches a system
cluster.  PostgreSQL refuses to run as root, so as root the folder is given to
the ``postgres`` account (Debian's package creates it) and the binaries run
through ``runuser``.  Installs nothing.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PgCluster", "find_pg_bin"]


def find_pg_bin() -> Path | None:
    """Return the newest ``/usr/lib/postgresql/<v>/bin`` holding ``initdb``, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """Start a private cluster; ``url(db)`` gives a SQLAlchemy URL for a new database.

    ``durable=False`` (tests) turns ``fsync`` off and stops without a checkpoint.

    Examples
    --------
    >>> with PgCluster() as pg:  # doctest: +SKIP
    ...     url = pg.create_database("t1")
    """

    def __init__(self, bin_dir: Path | None = None, *, durable: bool = True) -> None:
        found = bin_dir or find_pg_bin()
        if found is None:
            msg = "PostgreSQL server binaries not found (apt-get install postgresql)"
            raise FileNotFoundError(msg)
        self.bin = found
        self.dir = Path(tempfile.mkdtemp(prefix="recist-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.user = "recist"
        self.durable = durable
        self._as: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run(
            [*self._as, *args],
            check=True,
            capture_output=True,
            text=True,
            cwd=self.dir,
        )

    def start(self) -> PgCluster:
        """Run ``initdb`` and ``pg_ctl start`` (waits until it accepts connections)."""
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.user,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=100 -c shared_buffers=32MB"
        )
        if not self.durable:  # tests: no fsync, the cluster is thrown away
            options += " -c fsync=off -c full_page_writes=off"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        return self

    def stop(self) -> None:
        """Stop the cluster and delete its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "fast" if self.durable else "immediate",
                    "-w",
                    "stop",
                )
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """Return the SQLAlchemy URL of ``database`` (psycopg 3)."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create a database; return its URL."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
