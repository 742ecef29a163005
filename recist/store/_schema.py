"""The tables of a review store (SQLAlchemy 2 declarative models).

One trial per store.  A *read* is one reader's reading of one subject, kept as
the reading-file JSON (:mod:`recist.formats.reading`), with how many of its
time points are signed; ``version`` is SQLAlchemy's version counter, so an
``UPDATE`` based on a stale copy matches no row and is refused.  Audit events
are append-only (database triggers refuse ``UPDATE`` and ``DELETE``) and
hash-chained; ``audit_head`` holds the count and the last hash, so that losing
the newest events is detected too.

Migrations (Alembic, ``recist/store/migrations``) create these tables; the
models here must match them (a test compares the two).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Adjudication",
    "Assignment",
    "AuditEvent",
    "AuditHead",
    "Base",
    "Read",
    "Reader",
    "Signature",
    "SubjectRow",
    "TimePointRow",
    "Trial",
]


class Base(DeclarativeBase):
    """Declarative base of the review store."""


class Trial(Base):
    """The trial: criteria, assessment options and charter settings (JSON)."""

    __tablename__ = "trial"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    criteria: Mapped[str] = mapped_column(String(20))
    options_json: Mapped[str] = mapped_column(Text)
    charter_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))


class Reader(Base):
    """A person who logs in: role ``reader``, ``adjudicator`` or ``admin``."""

    __tablename__ = "reader"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[str] = mapped_column(String(32))


class SubjectRow(Base):
    """A subject: USUBJID and demographic (DM) fields as JSON."""

    __tablename__ = "subject"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    usubjid: Mapped[str] = mapped_column(String(100), unique=True)
    dm_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))


class TimePointRow(Base):
    """A scheduled time point of a subject (ordinal 0 is the baseline)."""

    __tablename__ = "timepoint"
    __table_args__ = (UniqueConstraint("subject_id", "ordinal"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    ordinal: Mapped[int] = mapped_column(Integer)
    date: Mapped[str] = mapped_column(String(10))
    image_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    study_uid: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Assignment(Base):
    """Who reads a subject: slot ``R1``, ``R2`` or ``ADJ`` (the adjudicator)."""

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("subject_id", "slot"),
        UniqueConstraint("subject_id", "reader_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id"))
    slot: Mapped[str] = mapped_column(String(3))


class Read(Base):
    """One reader's reading of one subject (reading-file JSON), versioned."""

    __tablename__ = "read"
    __table_args__ = (
        UniqueConstraint("subject_id", "slot"),
        UniqueConstraint("subject_id", "reader_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id"))
    slot: Mapped[int] = mapped_column(Integer)
    reading_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    signed_count: Mapped[int] = mapped_column(Integer, default=0)
    responses_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    bor: Mapped[str | None] = mapped_column(String(20), nullable=True)
    first_pd: Mapped[str | None] = mapped_column(String(10), nullable=True)
    engine_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Signature(Base):
    """A Part 11 e-signature of one time point of a read."""

    __tablename__ = "signature"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    read_id: Mapped[int] = mapped_column(ForeignKey("read.id"))
    ordinal: Mapped[int] = mapped_column(Integer)
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id"))
    signed_at: Mapped[str] = mapped_column(String(32))
    meaning: Mapped[str] = mapped_column(String(100))
    content_sha256: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Adjudication(Base):
    """The adjudicator's choice of read 1 or 2 for a subject, with the reason."""

    __tablename__ = "adjudication"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    adjudicator_id: Mapped[int] = mapped_column(ForeignKey("reader.id"))
    accepted_slot: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    triggers_json: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[str] = mapped_column(String(32))
    voided_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    voided_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class AuditEvent(Base):
    """One audit event: who, when (UTC), what (before/after), why; hash-chained."""

    __tablename__ = "audit_event"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_key: Mapped[str] = mapped_column(String(200))
    usubjid: Mapped[str | None] = mapped_column(String(100), nullable=True)
    before_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    after_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's head (one row): number of events and the newest hash."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
