"""Open a review store: a SQLite file or a PostgreSQL URL, migrated to head.

SQLite runs in WAL mode with ``synchronous=FULL`` and every transaction starts
with ``BEGIN IMMEDIATE`` (writers queue on the database lock instead of failing
when a read lock must become a write lock); PostgreSQL runs at READ COMMITTED
and the audit chain's head row is locked (``SELECT ... FOR UPDATE``) by every
writing transaction, which orders the events of concurrent writers.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

from recist.errors import InvalidInputError

__all__ = ["create_store_engine", "migrate", "store_url"]

#: How long a SQLite writer waits for the lock before giving up (seconds).
SQLITE_BUSY_TIMEOUT_S = 60


def store_url(target: str | Path) -> str:
    """Turn a path or URL into a SQLAlchemy URL.

    Examples
    --------
    >>> store_url("postgresql+psycopg://u@localhost:5432/trial")
    'postgresql+psycopg://u@localhost:5432/trial'
    >>> store_url("/tmp/trial.db")
    'sqlite:////tmp/trial.db'
    """
    text = str(target)
    if "://" in text:
        url = make_url(text)
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            msg = f"{url.get_backend_name()}: a store is a SQLite file or PostgreSQL"
            raise InvalidInputError(msg)
        return text
    return f"sqlite:///{Path(text).resolve()}"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    if connection.get_execution_options().get("recist_readonly"):
        connection.exec_driver_sql("BEGIN")  # a snapshot; takes no write lock
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_store_engine(target: str | Path, **kwargs: Any) -> Engine:
    """Create the engine of a store (a path means a SQLite file).

    Parameters
    ----------
    target : str or Path
        A file path, ``sqlite:///...`` or ``postgresql+psycopg://...``.
    **kwargs
        Passed to :func:`sqlalchemy.create_engine`.
    """
    url = store_url(target)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_S})
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 30)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("isolation_level", "READ COMMITTED")
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 30)
    return create_engine(url, **kwargs)


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    where = importlib.resources.files("recist.store") / "migrations"
    cfg.set_main_option("script_location", str(where))
    cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the store's schema to ``revision`` (Alembic)."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """Return the store's Alembic revision, or None for an empty database."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return MigrationContext.configure(connection).get_current_revision()
