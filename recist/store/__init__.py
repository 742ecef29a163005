"""Blinded independent central review (BICR): a reading store on SQLite or PostgreSQL.

Double reads with adjudication, locked sequential reads with Part 11
e-signatures, an append-only hash-chained audit trail and reader metrics
(issue 15).  Needs the ``review`` extra (SQLAlchemy, Alembic; psycopg for
PostgreSQL).

Public API
----------
- :class:`ReviewStore` (``create``/``open``), :class:`Actor`,
  :class:`TimePointSpec`, :class:`Charter`.
- Errors: :class:`StaleWriteError`, :class:`LockedError`,
  :class:`AccessDeniedError`, :class:`AuthenticationError`,
  :class:`StoreInputError`.
"""

from recist._optional import require

require("sqlalchemy", extra="review", feature="the review store")
require("alembic", extra="review", feature="the review store")

from recist.store._audit import AuditCheck  # noqa: E402
from recist.store._errors import (  # noqa: E402
    AccessDeniedError,
    AuthenticationError,
    LockedError,
    StaleWriteError,
    StoreError,
    StoreInputError,
)
from recist.store._triggers import Charter, ReadOutcome, adjudication_triggers  # noqa: E402
from recist.store._workflow import (  # noqa: E402
    SIGNATURE_MEANING,
    Actor,
    ReadView,
    ReviewStore,
    SubjectStatus,
    TimePointSpec,
    WorkItem,
)

__all__ = [
    "SIGNATURE_MEANING",
    "AccessDeniedError",
    "Actor",
    "AuditCheck",
    "AuthenticationError",
    "Charter",
    "LockedError",
    "ReadOutcome",
    "ReadView",
    "ReviewStore",
    "StaleWriteError",
    "StoreError",
    "StoreInputError",
    "SubjectStatus",
    "TimePointSpec",
    "WorkItem",
    "adjudication_triggers",
]
