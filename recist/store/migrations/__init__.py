"""Alembic migrations of the review store (run by ``ReviewStore.create/open``)."""
