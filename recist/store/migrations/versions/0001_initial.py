"""The initial review store: trial, readers, subjects, reads, signatures, audit.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
_PG_TRIGGERS = [
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]


def upgrade() -> None:
    """Create every table and the append-only triggers of ``audit_event``."""
    op.create_table(
        "trial",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("criteria", sa.String(20), nullable=False),
        sa.Column("options_json", sa.Text, nullable=False),
        sa.Column("charter_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "reader",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "subject",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("usubjid", sa.String(100), nullable=False, unique=True),
        sa.Column("dm_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "timepoint",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "subject_id", sa.Integer, sa.ForeignKey("subject.id"), nullable=False
        ),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("image_path", sa.Text, nullable=True),
        sa.Column("study_uid", sa.String(64), nullable=True),
        sa.UniqueConstraint("subject_id", "ordinal"),
    )
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "subject_id", sa.Integer, sa.ForeignKey("subject.id"), nullable=False
        ),
        sa.Column("reader_id", sa.Integer, sa.ForeignKey("reader.id"), nullable=False),
        sa.Column("slot", sa.String(3), nullable=False),
        sa.UniqueConstraint("subject_id", "slot"),
        sa.UniqueConstraint("subject_id", "reader_id"),
    )
    op.create_table(
        "read",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "subject_id", sa.Integer, sa.ForeignKey("subject.id"), nullable=False
        ),
        sa.Column("reader_id", sa.Integer, sa.ForeignKey("reader.id"), nullable=False),
        sa.Column("slot", sa.Integer, nullable=False),
        sa.Column("reading_json", sa.Text, nullable=True),
        sa.Column("signed_count", sa.Integer, nullable=False),
        sa.Column("responses_json", sa.Text, nullable=True),
        sa.Column("bor", sa.String(20), nullable=True),
        sa.Column("first_pd", sa.String(10), nullable=True),
        sa.Column("engine_error", sa.Text, nullable=True),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("subject_id", "slot"),
        sa.UniqueConstraint("subject_id", "reader_id"),
    )
    op.create_table(
        "signature",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("read_id", sa.Integer, sa.ForeignKey("read.id"), nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("reader_id", sa.Integer, sa.ForeignKey("reader.id"), nullable=False),
        sa.Column("signed_at", sa.String(32), nullable=False),
        sa.Column("meaning", sa.String(100), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("revoked_at", sa.String(32), nullable=True),
        sa.Column("revoked_reason", sa.Text, nullable=True),
    )
    op.create_table(
        "adjudication",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "subject_id", sa.Integer, sa.ForeignKey("subject.id"), nullable=False
        ),
        sa.Column(
            "adjudicator_id", sa.Integer, sa.ForeignKey("reader.id"), nullable=False
        ),
        sa.Column("accepted_slot", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("triggers_json", sa.Text, nullable=False),
        sa.Column("decided_at", sa.String(32), nullable=False),
        sa.Column("voided_at", sa.String(32), nullable=True),
        sa.Column("voided_reason", sa.Text, nullable=True),
    )
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_key", sa.String(200), nullable=False),
        sa.Column("usubjid", sa.String(100), nullable=True),
        sa.Column("before_json", sa.Text, nullable=True),
        sa.Column("after_json", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_event_usubjid", "audit_event", ["usubjid"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    op.execute(
        sa.text("INSERT INTO audit_head (id, count, last_hash) VALUES (1, 0, '')")
    )
    dialect = op.get_bind().dialect.name
    triggers = _PG_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(sa.text(statement))


def downgrade() -> None:
    """Drop everything (a trial's records are lost: only for tests)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("DROP FUNCTION IF EXISTS audit_event_append_only CASCADE"))
    for table in (
        "audit_head",
        "audit_event",
        "adjudication",
        "signature",
        "read",
        "assignment",
        "timepoint",
        "subject",
        "reader",
        "trial",
    ):
        op.drop_table(table)
