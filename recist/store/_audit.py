"""The audit trail: append-only, hash-chained events (21 CFR Part 11 §11.10(e)).

Each event records who (the authenticated reader, or the operating-system user
for administration from the command line), when (UTC, ISO 8601), what (the
entity, before and after as canonical JSON) and why (the reason, required to
change anything signed).  Its hash is SHA-256 over the previous event's hash and
the event's stored text, so altering, inserting or deleting an event breaks the
chain; ``audit_head`` keeps the number of events and the newest hash, so
deleting the newest events is detected too.  :func:`verify_chain` reads the
events with plain SQL, not through the models.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from recist.store._schema import AuditEvent, AuditHead

__all__ = ["AuditCheck", "append_event", "canonical_json", "event_hash", "utc_now"]


def utc_now() -> str:
    """Return the current UTC time, ISO 8601 with microseconds and ``Z``."""
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _default(o: object) -> str:
    if isinstance(o, Decimal | dt.date):
        return str(o)
    raise TypeError(f"cannot write {type(o).__name__} into an audit event")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces (Decimals as their exact text).

    Examples
    --------
    >>> canonical_json({"b": Decimal("1.50"), "a": [1, None]})
    '{"a":[1,null],"b":"1.50"}'
    """
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_default,
    )


_FIELDS = (
    "seq",
    "at",
    "actor",
    "action",
    "entity",
    "entity_key",
    "usubjid",
    "before_json",
    "after_json",
    "reason",
)


def event_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """SHA-256 (hex) of the previous hash and an event's stored fields."""
    body = canonical_json({k: row[k] for k in _FIELDS})
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def append_event(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_key: str,
    usubjid: str | None = None,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (the head row is locked).

    The event commits or rolls back with the change it records.
    """
    before_json = None if before is None else canonical_json(before)
    after_json = None if after is None else canonical_json(after)
    session.flush()  # the change first: the head stays locked for little time
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one()
    row: dict[str, Any] = {
        "seq": head.count + 1,
        "at": utc_now(),
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_key": entity_key,
        "usubjid": usubjid,
        "before_json": before_json,
        "after_json": after_json,
        "reason": reason,
    }
    digest = event_hash(head.last_hash, row)
    event = AuditEvent(**row, prev_hash=head.last_hash, hash=digest)
    session.add(event)
    head.count = row["seq"]
    head.last_hash = digest
    return event


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditCheck:
    """The result of :func:`verify_chain`: events checked and every problem."""

    n_events: int
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when the chain is intact."""
        return not self.problems


def verify_chain(engine: Engine) -> AuditCheck:
    """Recompute the chain from the stored events with plain SQL.

    Detects an altered event (its hash no longer matches), a deleted or
    inserted one (a gap in ``seq`` or a broken ``prev_hash`` link) and deleted
    newest events (the head's count and hash).
    """
    problems: list[str] = []
    cols = ", ".join((*_FIELDS, "prev_hash", "hash"))
    with engine.connect() as conn:
        rows = (
            conn.exec_driver_sql(f"SELECT {cols} FROM audit_event ORDER BY seq")
            .mappings()
            .all()
        )
        head = conn.exec_driver_sql(
            "SELECT count, last_hash FROM audit_head WHERE id = 1"
        ).one_or_none()
    last = ""
    expected_seq = 1
    for row in rows:
        seq = row["seq"]
        if seq != expected_seq:
            problems.append(f"event {expected_seq}: missing (next stored is {seq})")
        if row["prev_hash"] != last:
            problems.append(f"event {seq}: does not follow the previous event")
        if event_hash(row["prev_hash"], dict(row)) != row["hash"]:
            problems.append(f"event {seq}: content altered (hash mismatch)")
        last = row["hash"]
        expected_seq = seq + 1
    if head is None:
        problems.append("the chain head is missing")
    else:
        count, last_hash = head
        if count != len(rows) or last_hash != last:
            problems.append(
                f"the head records {count} events ending {last_hash[:12]}, "
                f"the table holds {len(rows)} ending {last[:12]}: events deleted"
            )
    return AuditCheck(n_events=len(rows), problems=tuple(problems))
