"""Alembic environment: migrate the connection that :mod:`recist.store` passes in."""

from __future__ import annotations

from alembic import context


def _run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # pragma: no cover - only through ReviewStore
        msg = "run migrations through recist.store.ReviewStore.create/open"
        raise RuntimeError(msg)
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


# Alembic runs this file with its context set up; a plain import (e.g. pytest's
# doctest collection) finds no context and does nothing.
if hasattr(context, "config"):
    _run()
