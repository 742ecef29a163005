"""Errors of the review store; each is a :class:`~recist.errors.RecistError`."""

from __future__ import annotations

from recist.errors import RecistError

__all__ = [
    "AccessDeniedError",
    "AuthenticationError",
    "LockedError",
    "StaleWriteError",
    "StoreError",
    "StoreInputError",
]


class StoreError(RecistError):
    """Base class of the review store's errors."""


class StoreInputError(StoreError, ValueError):
    """An impossible request: unknown subject or reader, bad date, missing reason."""


class AuthenticationError(StoreError, PermissionError):
    """Unknown reader or wrong password."""


class AccessDeniedError(StoreError, PermissionError):
    """The authenticated reader may not see or do this (role, blinding)."""


class LockedError(StoreError, PermissionError):
    """A signed time point, or one whose previous time point is not signed."""


class StaleWriteError(StoreError, RuntimeError):
    """The read was changed since it was loaded; the write is refused."""
