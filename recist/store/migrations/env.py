"""Alembic environment: migrate the connection that :mod:`recist.store` passes in."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through recist.store.open_store
    msg = "run migrations through recist.store.open_store()"
    raise RuntimeError(msg)
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
