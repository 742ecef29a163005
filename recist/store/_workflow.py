"""The review store's operations, each audited in its own transaction.

Readers, subjects, assignment, reads, sign-off, adjudication and status: each
change is recorded as an audit event in the same transaction.

Every operation takes the acting :class:`Actor` (an authenticated reader, or the
administrator at the command line) and enforces roles and blinding itself, so
the command line and the dashboard cannot differ:

- a reader sees and changes only their own reads;
- an adjudicator sees both reads of the subjects assigned to them for
  adjudication, once both are complete;
- an administrator sees everything and changes no read.

Reads are sequential and locked: a follow-up can be read only when the time
point before it is signed; a signed time point cannot change until its reader
re-opens it with a reason (which voids a decided adjudication of the subject).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from recist.errors import RecistError
from recist.formats.reading import dumps_exact, reading_from_dict, reading_to_dict
from recist.model import Options, Reading
from recist.store._audit import AuditCheck, append_event, canonical_json, utc_now
from recist.store._audit import verify_chain as _verify_chain
from recist.store._db import create_store_engine, current_revision, migrate
from recist.store._errors import (
    AccessDeniedError,
    AuthenticationError,
    LockedError,
    StaleWriteError,
    StoreError,
    StoreInputError,
)
from recist.store._passwords import hash_password, verify_password
from recist.store._schema import (
    Adjudication,
    Assignment,
    AuditEvent,
    Read,
    Reader,
    Signature,
    SubjectRow,
    TimePointRow,
    Trial,
)
from recist.store._triggers import (
    Charter,
    ReadOutcome,
    adjudication_triggers,
    outcome_of,
)
from recist.terms import Criteria

__all__ = [
    "ROLES",
    "SIGNATURE_MEANING",
    "Actor",
    "ReadView",
    "ReviewStore",
    "SubjectStatus",
    "TimePointSpec",
    "WorkItem",
]

#: The meaning of every e-signature (21 CFR 11.50(a)(3)).
SIGNATURE_MEANING = "reviewed and approved"
#: Roles of a person in the store.
ROLES = ("reader", "adjudicator", "admin")
#: The head revision of the migrations.
HEAD_REVISION = "0001"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a reader's name and role (``reader``, ``adjudicator``, ``admin``)."""

    name: str
    role: str

    @classmethod
    def os_admin(cls) -> Actor:
        """Return the administrator at the command line: the operating-system user.

        Whoever can write the store's file (or holds its PostgreSQL login) can
        administer it; the audit trail names that account.
        """
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return cls(name=f"os:{user}", role="admin")


@dataclass(frozen=True, slots=True, kw_only=True)
class TimePointSpec:
    """A time point of a subject to add: date and images (path or study UID)."""

    date: dt.date
    image_path: str | None = None
    study_uid: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkItem:
    """One line of a reader's worklist."""

    usubjid: str
    slot: str  # R1, R2 or ADJ
    signed: int
    n_timepoints: int
    next_date: str | None  # the time point to read or sign next; None: done
    state: str  # "to read", "to sign", "complete", "waiting", "to adjudicate", ...
    version: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadView:
    """A read as its reader (or the adjudicator) sees it."""

    usubjid: str
    reader: str
    slot: int
    reading: Reading | None
    version: int
    signed: int
    dates: tuple[str, ...]
    images: tuple[str | None, ...]
    responses: dict[str, Any] | None
    engine_error: str | None

    @property
    def complete(self) -> bool:
        """All the subject's time points are signed."""
        return self.signed == len(self.dates)


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectStatus:
    """Progress and adjudication state of one subject (no read contents)."""

    usubjid: str
    n_timepoints: int
    readers: tuple[str | None, str | None]
    signed: tuple[int, int]
    bor: tuple[str | None, str | None]
    first_pd: tuple[str | None, str | None]
    adjudicator: str | None
    state: str  # "unassigned", "reading", "agree", "waiting adjudication", ...
    triggers: tuple[str, ...] = ()
    accepted_slot: int | None = None
    adjudication_reason: str | None = None
    sums: tuple[tuple[Decimal | None, ...], tuple[Decimal | None, ...]] = ((), ())
    target_organs: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())


@dataclass(slots=True)
class _Outcome:
    bor: str | None = None
    first_pd: str | None = None
    organs: list[str] = field(default_factory=list)
    sums: list[str | None] = field(default_factory=list)


def _content_hash(doc: dict[str, Any], upto: int) -> str:
    """SHA-256 of a reading's time points 0..upto (what a signature covers)."""
    points = [doc["baseline"], *doc["followups"]][: upto + 1]
    body = {"criteria": doc["criteria"], "options": doc["options"], "points": points}
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


def _load_json(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


class ReviewStore:
    """A blinded independent central review store (SQLite file or PostgreSQL).

    Use :meth:`create` for a new store and :meth:`open` for an existing one.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        readonly = engine.execution_options(recist_readonly=True)
        self._ro_sessions = sessionmaker(readonly, expire_on_commit=False)
        # SQLite has one writer at a time: threads of this process queue here
        # rather than in SQLite's busy handler, whose sleeps grow to 100 ms
        self._write_lock: Any = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
        )
        self._trial: dict[str, Any] | None = None

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def create(
        cls,
        target: str | Path,
        *,
        name: str = "TRIAL",
        criteria: Criteria | str = Criteria.RECIST_1_1,
        options: Options | None = None,
        charter: Charter | None = None,
        actor: Actor | None = None,
    ) -> ReviewStore:
        """Create the tables (Alembic) and the trial in an empty database."""
        engine = create_store_engine(target)
        if current_revision(engine) is not None:
            engine.dispose()
            raise StoreInputError(f"{target}: already a review store")
        migrate(engine)
        store = cls(engine)
        crit = Criteria(criteria)
        opts = options or Options()
        chart = charter or Charter()
        opts_doc = {
            "confirmation": opts.confirmation,
            "confirmation_min_days": opts.confirmation_min_days,
            "sd_min_days": opts.sd_min_days,
        }
        who = actor or Actor.os_admin()
        with store._session() as s:
            s.add(
                Trial(
                    id=1,
                    name=name,
                    criteria=crit.value,
                    options_json=canonical_json(opts_doc),
                    charter_json=canonical_json(chart.to_dict()),
                    created_at=utc_now(),
                )
            )
            after = {"name": name, "criteria": crit.value, "options": opts_doc}
            after["charter"] = chart.to_dict()
            append_event(
                s,
                actor=who.name,
                action="init",
                entity="trial",
                entity_key=name,
                after=after,
            )
        return store

    @classmethod
    def open(cls, target: str | Path) -> ReviewStore:
        """Open an existing store (migrating an older schema to the head)."""
        if "://" not in str(target) and not Path(target).is_file():
            raise StoreInputError(f"{target}: no such store (run 'recist review init')")
        engine = create_store_engine(target)
        revision = current_revision(engine)
        if revision is None:
            engine.dispose()
            raise StoreInputError(f"{target}: not a review store")
        if revision != HEAD_REVISION:
            migrate(engine)
        return cls(engine)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _session(self, *, write: bool = True) -> Iterator[Session]:
        if not write:
            with self._ro_sessions() as session, session.begin():
                yield session
            return
        with self._write_lock, self._sessions() as session, session.begin():
            yield session

    # ------------------------------------------------------------- trial

    def trial(self) -> dict[str, Any]:
        """Return the trial's name, criteria, options and charter (never change)."""
        if self._trial is None:
            self._trial = self._load_trial()
        return self._trial

    def _load_trial(self) -> dict[str, Any]:
        with self._session(write=False) as s:
            t = s.get(Trial, 1)
            if t is None:
                raise StoreError("the store has no trial (not initialised)")
            return {
                "name": t.name,
                "criteria": t.criteria,
                "options": json.loads(t.options_json),
                "charter": json.loads(t.charter_json),
            }

    def charter(self) -> Charter:
        """Return the trial's adjudication charter."""
        return Charter.from_dict(self.trial()["charter"])

    # ------------------------------------------------------------- people

    def add_reader(self, actor: Actor, name: str, *, role: str, password: str) -> None:
        """Add a person (``reader``, ``adjudicator`` or ``admin``); admin only."""
        _require(actor, "admin")
        name = name.strip()
        if not name or len(name) > 100:
            raise StoreInputError("a reader name has 1 to 100 characters")
        if role not in ROLES:
            raise StoreInputError(f"role must be one of {', '.join(ROLES)}")
        digest = hash_password(password)
        try:
            with self._session() as s:
                s.add(
                    Reader(
                        name=name, role=role, password_hash=digest, created_at=utc_now()
                    )
                )
                s.flush()
                append_event(
                    s,
                    actor=actor.name,
                    action="add-reader",
                    entity="reader",
                    entity_key=name,
                    after={"name": name, "role": role},
                )
        except IntegrityError as exc:
            raise StoreInputError(f"reader {name!r} exists already") from exc

    def authenticate(self, name: str, password: str) -> Actor:
        """Check a reader's password; return the :class:`Actor`."""
        with self._session(write=False) as s:
            r = s.execute(
                select(Reader).where(Reader.name == name)
            ).scalar_one_or_none()
        if r is None or not verify_password(password, r.password_hash):
            raise AuthenticationError("unknown reader or wrong password")
        return Actor(name=r.name, role=r.role)

    def readers(self) -> list[tuple[str, str]]:
        """Return every person's ``(name, role)``."""
        with self._session(write=False) as s:
            rows = s.execute(select(Reader.name, Reader.role).order_by(Reader.name))
            return [(n, r) for n, r in rows]

    # ----------------------------------------------------------- subjects

    def add_subject(
        self,
        actor: Actor,
        usubjid: str,
        timepoints: Sequence[TimePointSpec],
        *,
        dm: dict[str, Any] | None = None,
    ) -> int:
        """Add a subject, or add new later time points to one; return how many added.

        Time points are ordered by date; the earliest is the baseline.  An
        existing subject only gains time points after its last one.
        """
        _require(actor, "admin")
        usubjid = usubjid.strip()
        if not usubjid:
            raise StoreInputError("a subject needs a USUBJID")
        points = sorted(timepoints, key=lambda p: p.date)
        dates = [p.date for p in points]
        if len(set(dates)) != len(dates):
            raise StoreInputError(f"{usubjid}: two time points on one date")
        with self._session() as s:
            subj = _subject(s, usubjid, missing_ok=True)
            if subj is None:
                subj = SubjectRow(
                    usubjid=usubjid,
                    dm_json=canonical_json(dm or {}),
                    created_at=utc_now(),
                )
                s.add(subj)
                s.flush()
                known: list[TimePointRow] = []
            else:
                known = _timepoints(s, subj.id)
            last = known[-1].date if known else ""
            have = {t.date for t in known}
            new = [p for p in points if p.date.isoformat() not in have]
            if any(p.date.isoformat() <= last for p in new):
                msg = f"{usubjid}: new time points must come after {last}"
                raise StoreInputError(msg)
            for k, p in enumerate(new, start=len(known)):
                s.add(
                    TimePointRow(
                        subject_id=subj.id,
                        ordinal=k,
                        date=p.date.isoformat(),
                        image_path=p.image_path,
                        study_uid=p.study_uid,
                    )
                )
            if new:
                after = {
                    "dm": dm or {},
                    "timepoints": [
                        {
                            "date": p.date.isoformat(),
                            "image_path": p.image_path,
                            "study_uid": p.study_uid,
                        }
                        for p in new
                    ],
                }
                append_event(
                    s,
                    actor=actor.name,
                    action="add-subject",
                    entity="subject",
                    entity_key=usubjid,
                    usubjid=usubjid,
                    after=after,
                )
            return len(new)

    def timepoints(self, usubjid: str) -> list[TimePointSpec]:
        """Return a subject's time points: date and images (path or study UID)."""
        with self._session(write=False) as s:
            subj = _subject(s, usubjid)
            return [
                TimePointSpec(
                    date=dt.date.fromisoformat(t.date),
                    image_path=t.image_path,
                    study_uid=t.study_uid,
                )
                for t in _timepoints(s, subj.id)
            ]

    def subjects(self) -> list[str]:
        """Return every USUBJID, in the order added."""
        with self._session(write=False) as s:
            return list(s.scalars(select(SubjectRow.usubjid).order_by(SubjectRow.id)))

    # --------------------------------------------------------- assignment

    def assign(
        self,
        actor: Actor,
        *,
        readers: Sequence[str] | None = None,
        adjudicators: Sequence[str] | None = None,
    ) -> list[tuple[str, str, str, str]]:
        """Assign two readers and an adjudicator to every unassigned subject.

        Balanced: each subject goes to the two readers with the fewest reads so
        far (ties: fewer first-reader slots, then name), the one with fewer
        ``R1`` slots becomes reader 1; adjudicators take turns likewise.
        Returns ``(usubjid, reader 1, reader 2, adjudicator)`` per new subject.
        """
        _require(actor, "admin")
        made: list[tuple[str, str, str, str]] = []
        with self._session() as s:
            people = {r.name: r for r in s.scalars(select(Reader))}
            pool = (
                sorted(readers)
                if readers
                else sorted(n for n, r in people.items() if r.role == "reader")
            )
            adj_pool = (
                sorted(adjudicators)
                if adjudicators
                else sorted(n for n, r in people.items() if r.role == "adjudicator")
            )
            for n in pool:
                if n not in people or people[n].role != "reader":
                    raise StoreInputError(f"{n!r} is not a reader")
            for n in adj_pool:
                if n not in people or people[n].role != "adjudicator":
                    raise StoreInputError(f"{n!r} is not an adjudicator")
            if len(pool) < 2 or not adj_pool:
                msg = "assigning needs at least two readers and one adjudicator"
                raise StoreInputError(msg)
            by_id = {r.id: r.name for r in people.values()}
            load = dict.fromkeys(pool, 0)
            first = dict.fromkeys(pool, 0)
            adj_load = dict.fromkeys(adj_pool, 0)
            assigned: set[int] = set()
            for a in s.scalars(select(Assignment)):
                who = by_id[a.reader_id]
                assigned.add(a.subject_id)
                if a.slot == "ADJ":
                    adj_load[who] = adj_load.get(who, 0) + 1
                else:
                    load[who] = load.get(who, 0) + 1
                    first[who] = first.get(who, 0) + (a.slot == "R1")
            subjects = s.scalars(select(SubjectRow).order_by(SubjectRow.id)).all()
            for subj in subjects:
                if subj.id in assigned:
                    continue
                pair = sorted(pool, key=lambda n: (load[n], first[n], n))[:2]
                pair.sort(key=lambda n: (first[n], n))
                adj = min(adj_pool, key=lambda n: (adj_load[n], n))
                now = utc_now()
                for slot, who in (("R1", pair[0]), ("R2", pair[1]), ("ADJ", adj)):
                    rid = people[who].id
                    s.add(Assignment(subject_id=subj.id, reader_id=rid, slot=slot))
                    if slot != "ADJ":
                        s.add(
                            Read(
                                subject_id=subj.id,
                                reader_id=rid,
                                slot=int(slot[1]),
                                reading_json=None,
                                signed_count=0,
                                updated_at=now,
                            )
                        )
                load[pair[0]] += 1
                load[pair[1]] += 1
                first[pair[0]] += 1
                adj_load[adj] += 1
                made.append((subj.usubjid, pair[0], pair[1], adj))
                append_event(
                    s,
                    actor=actor.name,
                    action="assign",
                    entity="subject",
                    entity_key=subj.usubjid,
                    usubjid=subj.usubjid,
                    after={"R1": pair[0], "R2": pair[1], "ADJ": adj},
                )
        return made

    # -------------------------------------------------------------- reads

    def worklist(self, actor: Actor, reader: str | None = None) -> list[WorkItem]:
        """List a reader's (or adjudicator's) subjects with what to do next.

        A reader may list only their own worklist; an admin anyone's.
        """
        name = reader or actor.name
        if name != actor.name and actor.role != "admin":
            raise AccessDeniedError("a reader sees only their own worklist")
        items: list[WorkItem] = []
        with self._session(write=False) as s:
            person = _reader(s, name)
            rows = s.execute(
                select(Assignment, SubjectRow)
                .join(SubjectRow, SubjectRow.id == Assignment.subject_id)
                .where(Assignment.reader_id == person.id)
                .order_by(SubjectRow.id)
            ).all()
            for a, subj in rows:
                tps = _timepoints(s, subj.id)
                if a.slot == "ADJ":
                    st = self._status(s, subj)
                    state = {
                        "waiting adjudication": "to adjudicate",
                        "adjudicated": "adjudicated",
                        "agree": "not needed",
                    }.get(st.state, "waiting for reads")
                    items.append(
                        WorkItem(
                            usubjid=subj.usubjid,
                            slot="ADJ",
                            signed=0,
                            n_timepoints=len(tps),
                            next_date=None,
                            state=state,
                            version=None,
                        )
                    )
                    continue
                read = _read_of(s, subj.id, person.id)
                n = len(tps)
                doc = (
                    None if read.reading_json is None else _load_json(read.reading_json)
                )
                have = 0 if doc is None else 1 + len(doc["followups"])
                if read.signed_count >= n:
                    state, nxt = "complete", None
                elif have > read.signed_count:
                    state, nxt = "to sign", tps[read.signed_count].date
                else:
                    state, nxt = "to read", tps[read.signed_count].date
                items.append(
                    WorkItem(
                        usubjid=subj.usubjid,
                        slot=a.slot,
                        signed=read.signed_count,
                        n_timepoints=n,
                        next_date=nxt,
                        state=state,
                        version=read.version,
                    )
                )
        return items

    def load_read(
        self, actor: Actor, usubjid: str, *, slot: int | None = None
    ) -> ReadView:
        """Load a read: the actor's own (readers), or read ``slot`` (1 or 2).

        Raises
        ------
        AccessDeniedError
            A reader asking for another's read; an adjudicator before both
            reads are complete or for a subject not assigned to them.
        """
        with self._session(write=False) as s:
            subj = _subject(s, usubjid)
            read = self._visible_read(s, actor, subj, slot)
            return _view(s, subj, read)

    def _visible_read(
        self, s: Session, actor: Actor, subj: SubjectRow, slot: int | None
    ) -> Read:
        person = (
            _reader(s, actor.name) if actor.role != "admin" or slot is None else None
        )
        if actor.role == "reader":
            assert person is not None
            read = s.execute(
                select(Read).where(
                    Read.subject_id == subj.id, Read.reader_id == person.id
                )
            ).scalar_one_or_none()
            if read is None or (slot is not None and read.slot != slot):
                raise AccessDeniedError(
                    f"{subj.usubjid}: you can open only your own read"
                )
            return read
        if slot not in (1, 2):
            raise StoreInputError("give the read's slot (1 or 2)")
        read = s.execute(
            select(Read).where(Read.subject_id == subj.id, Read.slot == slot)
        ).scalar_one_or_none()
        if read is None:
            raise StoreInputError(f"{subj.usubjid}: not assigned")
        if actor.role == "adjudicator":
            assert person is not None
            adj = s.execute(
                select(Assignment).where(
                    Assignment.subject_id == subj.id, Assignment.slot == "ADJ"
                )
            ).scalar_one_or_none()
            if adj is None or adj.reader_id != person.id:
                raise AccessDeniedError(
                    f"{subj.usubjid}: not assigned to you for adjudication"
                )
            if self._status(s, subj).state not in (
                "waiting adjudication",
                "adjudicated",
            ):
                raise AccessDeniedError(
                    f"{subj.usubjid}: the reads are not ready for adjudication"
                )
        return read

    def save_read(
        self,
        actor: Actor,
        usubjid: str,
        reading: Reading,
        *,
        expected_version: int,
    ) -> int:
        """Save the actor's read of a subject; return its new version.

        The trial's criteria and options replace the reading's; ``subject_id``
        and ``reader`` are set; the reading's own audit list is dropped (the
        store's audit trail replaces it).

        Raises
        ------
        StaleWriteError
            The read changed since ``expected_version`` was loaded.
        LockedError
            A signed time point differs, or a follow-up is present whose
            previous time point is not signed.
        StoreInputError
            Dates differ from the subject's time points.
        """
        if actor.role != "reader":
            raise AccessDeniedError("only readers save reads")
        trial = self.trial()
        reading = replace(
            reading,
            subject_id=usubjid,
            reader=actor.name,
            criteria=Criteria(trial["criteria"]),
            options=Options(**trial["options"]),
            audit=(),
        )
        doc = _load_json(dumps_exact(reading_to_dict(reading), indent=0))
        try:
            with self._session() as s:
                subj = _subject(s, usubjid)
                read = self._visible_read(s, actor, subj, None)
                if read.version != expected_version:
                    raise StaleWriteError(
                        f"{usubjid}: your copy is version {expected_version}, the "
                        f"store holds version {read.version}; reload and redo"
                    )
                tps = _timepoints(s, subj.id)
                _check_dates(usubjid, reading, tps)
                points = [doc["baseline"], *doc["followups"]]
                old = (
                    None if read.reading_json is None else _load_json(read.reading_json)
                )
                # re-opened time points keep their content and may be corrected
                # before they are signed again, in order
                read_before = 0 if old is None else 1 + len(old["followups"])
                if len(points) > max(read.signed_count + 1, read_before):
                    k = read.signed_count
                    raise LockedError(
                        f"{usubjid}: sign {tps[k].date} before reading "
                        f"{tps[k + 1].date} (reads are sequential)"
                    )
                if old is not None:
                    old_points = [old["baseline"], *old["followups"]]
                    for k in range(read.signed_count):
                        if canonical_json(old_points[k]) != canonical_json(points[k]):
                            raise LockedError(
                                f"{usubjid}: {tps[k].date} is signed; re-open it "
                                "with a reason to change it"
                            )
                elif read.signed_count:
                    raise LockedError(f"{usubjid}: signed read without content")
                before = _read_state(read)
                _set_reading(read, reading, doc)
                read.updated_at = utc_now()
                after = _read_state(read)
                s.flush()
                append_event(
                    s,
                    actor=actor.name,
                    action="save",
                    entity="read",
                    entity_key=f"{usubjid}/R{read.slot}",
                    usubjid=usubjid,
                    before=before,
                    after=after,
                )
                return read.version
        except StaleDataError as exc:  # a concurrent commit won the race
            msg = f"{usubjid}: the read was changed by another save; reload and redo"
            raise StaleWriteError(msg) from exc

    def sign(
        self, actor: Actor, usubjid: str, date: dt.date | str, *, password: str
    ) -> dict[str, Any]:
        """E-sign a time point of the actor's read ("reviewed and approved").

        The password is checked again (21 CFR 11.200(a)(1)): signing is a new
        act, not a consequence of being logged in.  Only the next unsigned time
        point can be signed, and only when the engine accepts the read.
        """
        day = _date(date)
        self._check_password(actor, password)
        with self._session() as s:
            subj = _subject(s, usubjid)
            read = self._visible_read(s, actor, subj, None)
            tps = _timepoints(s, subj.id)
            k = read.signed_count
            if k >= len(tps):
                raise LockedError(f"{usubjid}: every time point is signed")
            if tps[k].date != day.isoformat():
                raise LockedError(
                    f"{usubjid}: the next time point to sign is {tps[k].date}"
                )
            doc = None if read.reading_json is None else _load_json(read.reading_json)
            if doc is None or len(doc["followups"]) + 1 <= k:
                raise LockedError(f"{usubjid}: {day} has not been read yet")
            if read.engine_error:
                raise LockedError(
                    f"{usubjid}: the engine rejects this read: {read.engine_error}"
                )
            person = _reader(s, actor.name)
            signature = Signature(
                read_id=read.id,
                ordinal=k,
                reader_id=person.id,
                signed_at=utc_now(),
                meaning=SIGNATURE_MEANING,
                content_sha256=_content_hash(doc, k),
            )
            s.add(signature)
            before = _read_state(read)
            read.signed_count = k + 1
            read.updated_at = signature.signed_at
            s.flush()
            manifest = {
                "signer": actor.name,
                "signed_at": signature.signed_at,
                "meaning": SIGNATURE_MEANING,
                "timepoint": day.isoformat(),
                "content_sha256": signature.content_sha256,
            }
            append_event(
                s,
                actor=actor.name,
                action="sign",
                entity="read",
                entity_key=f"{usubjid}/R{read.slot}",
                usubjid=usubjid,
                before=before,
                after={**_read_state(read), "signature": manifest},
            )
            return manifest

    def reopen(
        self, actor: Actor, usubjid: str, date: dt.date | str, *, reason: str
    ) -> None:
        """Re-open a signed time point (and every later one) of the actor's read.

        The signatures of those time points are revoked, a decided adjudication
        of the subject is voided, and the reason is recorded.
        """
        day = _date(date)
        if not reason or not reason.strip():
            raise StoreInputError("re-opening a signed time point needs a reason")
        with self._session() as s:
            subj = _subject(s, usubjid)
            read = self._visible_read(s, actor, subj, None)
            tps = _timepoints(s, subj.id)
            ordinals = [t.ordinal for t in tps if t.date == day.isoformat()]
            if not ordinals or ordinals[0] >= read.signed_count:
                raise StoreInputError(f"{usubjid}: {day} is not signed")
            k = ordinals[0]
            now = utc_now()
            for sig in s.scalars(
                select(Signature).where(
                    Signature.read_id == read.id,
                    Signature.ordinal >= k,
                    Signature.revoked_at.is_(None),
                )
            ):
                sig.revoked_at = now
                sig.revoked_reason = reason
            before = _read_state(read)
            read.signed_count = k
            read.updated_at = now
            voided = None
            adj = _adjudication(s, subj.id)
            if adj is not None:
                adj.voided_at = now
                adj.voided_reason = f"read {read.slot} re-opened: {reason}"
                voided = adj.accepted_slot
            s.flush()
            append_event(
                s,
                actor=actor.name,
                action="reopen",
                entity="read",
                entity_key=f"{usubjid}/R{read.slot}",
                usubjid=usubjid,
                before=before,
                after={**_read_state(read), "adjudication_voided": voided},
                reason=reason,
            )

    def _check_password(self, actor: Actor, password: str) -> None:
        with self._session(write=False) as s:
            person = _reader(s, actor.name)
            ok = verify_password(password, person.password_hash)
        if not ok:
            raise AuthenticationError("wrong password: not signed")

    # -------------------------------------------------------- adjudication

    def compare(self, actor: Actor, usubjid: str) -> dict[str, Any]:
        """Show both reads of a subject side by side, with where they differ.

        For the subject's adjudicator (or an admin), once both reads are complete.
        """
        if actor.role not in ("adjudicator", "admin"):
            raise AccessDeniedError("only the adjudicator compares reads")
        with self._session(write=False) as s:
            subj = _subject(s, usubjid)
            views = [
                _view(s, subj, self._visible_read(s, actor, subj, k)) for k in (1, 2)
            ]
            st = self._status(s, subj)
        rows = []
        r1, r2 = (v.responses or {} for v in views)
        tp1, tp2 = r1.get("timepoints", []), r2.get("timepoints", [])
        for k, date in enumerate(views[0].dates):
            a = tp1[k] if k < len(tp1) else {}
            b = tp2[k] if k < len(tp2) else {}
            rows.append(
                {
                    "date": date,
                    "read1": a.get("overall"),
                    "read2": b.get("overall"),
                    "sum1": a.get("sum_mm"),
                    "sum2": b.get("sum_mm"),
                    "differs": a.get("overall") != b.get("overall")
                    or a.get("sum_mm") != b.get("sum_mm"),
                }
            )
        return {
            "usubjid": usubjid,
            "reads": views,
            "timepoints": rows,
            "triggers": list(st.triggers),
            "state": st.state,
            "accepted_slot": st.accepted_slot,
        }

    def adjudicate(
        self, actor: Actor, usubjid: str, *, accept: int, reason: str
    ) -> None:
        """Accept read 1 or 2 of a subject waiting for adjudication, with a reason."""
        if actor.role != "adjudicator":
            raise AccessDeniedError("only the subject's adjudicator adjudicates")
        if accept not in (1, 2):
            raise StoreInputError("accept read 1 or 2")
        if not reason or not reason.strip():
            raise StoreInputError("adjudication needs a reason")
        with self._session() as s:
            subj = _subject(s, usubjid)
            self._visible_read(s, actor, subj, accept)  # role and assignment
            st = self._status(s, subj)
            if st.state != "waiting adjudication":
                raise StoreInputError(f"{usubjid}: {st.state}, not waiting")
            person = _reader(s, actor.name)
            s.add(
                Adjudication(
                    subject_id=subj.id,
                    adjudicator_id=person.id,
                    accepted_slot=accept,
                    reason=reason,
                    triggers_json=canonical_json(list(st.triggers)),
                    decided_at=utc_now(),
                )
            )
            s.flush()
            append_event(
                s,
                actor=actor.name,
                action="adjudicate",
                entity="adjudication",
                entity_key=usubjid,
                usubjid=usubjid,
                after={
                    "accepted": accept,
                    "triggers": list(st.triggers),
                    "bor": list(st.bor),
                },
                reason=reason,
            )

    # -------------------------------------------------------------- status

    def status(self) -> list[SubjectStatus]:
        """Return every subject's progress and adjudication state (no read contents)."""
        with self._session(write=False) as s:
            subjects = s.scalars(select(SubjectRow).order_by(SubjectRow.id)).all()
            return [self._status(s, subj) for subj in subjects]

    def _status(self, s: Session, subj: SubjectRow) -> SubjectStatus:
        tps = _timepoints(s, subj.id)
        n = len(tps)
        names = {r.id: r.name for r in s.scalars(select(Reader))}
        slots = {
            a.slot: names[a.reader_id]
            for a in s.scalars(
                select(Assignment).where(Assignment.subject_id == subj.id)
            )
        }
        reads = {
            r.slot: r for r in s.scalars(select(Read).where(Read.subject_id == subj.id))
        }
        outs = [_outcome(reads.get(k)) for k in (1, 2)]
        signed = tuple(reads[k].signed_count if k in reads else 0 for k in (1, 2))
        common: dict[str, Any] = {
            "usubjid": subj.usubjid,
            "n_timepoints": n,
            "readers": (slots.get("R1"), slots.get("R2")),
            "signed": signed,
            "bor": (outs[0].bor, outs[1].bor),
            "first_pd": (outs[0].first_pd, outs[1].first_pd),
            "adjudicator": slots.get("ADJ"),
            "sums": tuple(tuple(_dec(x) for x in o.sums) for o in outs),
            "target_organs": tuple(tuple(o.organs) for o in outs),
        }
        if not reads:
            return SubjectStatus(**common, state="unassigned")
        if n == 0 or min(signed) < n:
            return SubjectStatus(**common, state="reading")
        one, two = (
            ReadOutcome(
                bor=o.bor or "NE",
                first_pd=None
                if o.first_pd is None
                else dt.date.fromisoformat(o.first_pd),
                target_organs=tuple(o.organs),
            )
            for o in outs
        )
        charter = Charter.from_dict(json.loads(s.get(Trial, 1).charter_json))  # type: ignore[union-attr]
        triggers = tuple(adjudication_triggers(one, two, charter))
        if not triggers:
            return SubjectStatus(**common, state="agree", accepted_slot=1)
        adj = _adjudication(s, subj.id)
        if adj is None:
            return SubjectStatus(
                **common, state="waiting adjudication", triggers=triggers
            )
        return SubjectStatus(
            **common,
            state="adjudicated",
            triggers=triggers,
            accepted_slot=adj.accepted_slot,
            adjudication_reason=adj.reason,
        )

    def accepted_reads(self) -> list[tuple[str, int, Reading, Reading]]:
        """Return ``(usubjid, accepted slot, read 1, read 2)`` of every decided subject.

        Decided: both reads complete and either agreeing (read 1 is the read of
        record) or adjudicated.  Admin use (exports): no blinding.
        """
        out = []
        with self._session(write=False) as s:
            for subj in s.scalars(select(SubjectRow).order_by(SubjectRow.id)).all():
                st = self._status(s, subj)
                if st.accepted_slot is None:
                    continue
                reads = {
                    r.slot: r
                    for r in s.scalars(select(Read).where(Read.subject_id == subj.id))
                }
                r1, r2 = (_reading_of(reads[k]) for k in (1, 2))
                assert r1 is not None
                assert r2 is not None
                out.append((subj.usubjid, st.accepted_slot, r1, r2))
        return out

    def all_reads(self) -> list[tuple[str, int, str, Reading | None, int]]:
        """Return ``(usubjid, slot, reader, reading, signed)`` of every read."""
        with self._session(write=False) as s:
            names = {r.id: r.name for r in s.scalars(select(Reader))}
            rows = s.execute(
                select(Read, SubjectRow.usubjid)
                .join(SubjectRow, SubjectRow.id == Read.subject_id)
                .order_by(SubjectRow.id, Read.slot)
            ).all()
            return [
                (u, r.slot, names[r.reader_id], _reading_of(r), r.signed_count)
                for r, u in rows
            ]

    # --------------------------------------------------------------- audit

    def audit_trail(
        self, actor: Actor, usubjid: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the audit events (of one subject), oldest first; admin only."""
        _require(actor, "admin")
        with self._session(write=False) as s:
            q = select(AuditEvent).order_by(AuditEvent.seq)
            if usubjid is not None:
                q = q.where(AuditEvent.usubjid == usubjid)
            return [
                {
                    "seq": e.seq,
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "entity": e.entity,
                    "entity_key": e.entity_key,
                    "usubjid": e.usubjid,
                    "before": None
                    if e.before_json is None
                    else json.loads(e.before_json),
                    "after": None if e.after_json is None else json.loads(e.after_json),
                    "reason": e.reason,
                    "hash": e.hash,
                }
                for e in s.scalars(q)
            ]

    def verify_audit(self) -> AuditCheck:
        """Recompute the audit chain with plain SQL (see :func:`verify_chain`)."""
        return _verify_chain(self.engine)


# ------------------------------------------------------------------ helpers


def _require(actor: Actor, role: str) -> None:
    if actor.role != role:
        raise AccessDeniedError(f"only an {role} may do this (you are {actor.role})")


def _date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise StoreInputError(f"not a date (YYYY-MM-DD): {value!r}") from exc


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _subject(s: Session, usubjid: str, *, missing_ok: bool = False) -> Any:
    subj = s.execute(
        select(SubjectRow).where(SubjectRow.usubjid == usubjid)
    ).scalar_one_or_none()
    if subj is None and not missing_ok:
        raise StoreInputError(f"no subject {usubjid!r} in the store")
    return subj


def _reader(s: Session, name: str) -> Reader:
    r = s.execute(select(Reader).where(Reader.name == name)).scalar_one_or_none()
    if r is None:
        raise StoreInputError(f"no reader {name!r} in the store")
    return r


def _timepoints(s: Session, subject_id: int) -> list[TimePointRow]:
    return list(
        s.scalars(
            select(TimePointRow)
            .where(TimePointRow.subject_id == subject_id)
            .order_by(TimePointRow.ordinal)
        )
    )


def _read_of(s: Session, subject_id: int, reader_id: int) -> Read:
    return s.execute(
        select(Read).where(Read.subject_id == subject_id, Read.reader_id == reader_id)
    ).scalar_one()


def _adjudication(s: Session, subject_id: int) -> Adjudication | None:
    return s.execute(
        select(Adjudication).where(
            Adjudication.subject_id == subject_id, Adjudication.voided_at.is_(None)
        )
    ).scalar_one_or_none()


def _reading_of(read: Read) -> Reading | None:
    if read.reading_json is None:
        return None
    return reading_from_dict(_load_json(read.reading_json))


def _view(s: Session, subj: SubjectRow, read: Read) -> ReadView:
    tps = _timepoints(s, subj.id)
    name = s.get(Reader, read.reader_id)
    return ReadView(
        usubjid=subj.usubjid,
        reader=name.name if name else "?",
        slot=read.slot,
        reading=_reading_of(read),
        version=read.version,
        signed=read.signed_count,
        dates=tuple(t.date for t in tps),
        images=tuple(t.image_path or t.study_uid for t in tps),
        responses=None
        if read.responses_json is None
        else json.loads(read.responses_json),
        engine_error=read.engine_error,
    )


def _check_dates(usubjid: str, reading: Reading, tps: Sequence[TimePointRow]) -> None:
    got = [reading.baseline.date, *(tp.date for tp in reading.followups)]
    want = [t.date for t in tps]
    if len(got) > len(want) or [d.isoformat() for d in got] != want[: len(got)]:
        msg = (
            f"{usubjid}: the reading's dates ({', '.join(map(str, got))}) are not "
            f"the subject's time points ({', '.join(want)})"
        )
        raise StoreInputError(msg)


def _set_reading(read: Read, reading: Reading, doc: dict[str, Any]) -> None:
    """Store the reading and the engine's responses (recomputed on every save)."""
    from recist.assessment import assess
    from recist.formats.reading import dumps_exact

    read.reading_json = dumps_exact(doc, indent=0)
    try:
        a = assess(reading)
    except RecistError as exc:
        read.engine_error = str(exc)
        read.responses_json = None
        read.bor = None
        read.first_pd = None
        return
    out = outcome_of(a)
    read.engine_error = None
    read.bor = out.bor
    read.first_pd = None if out.first_pd is None else out.first_pd.isoformat()
    responses = {
        "bor": out.bor,
        "bor_reason": a.best_overall_response.reason,
        "first_pd": read.first_pd,
        "target_organs": list(out.target_organs),
        "baseline_sum_mm": None
        if a.baseline_sum_mm is None
        else str(a.baseline_sum_mm),
        "timepoints": [
            {
                "date": reading.baseline.date.isoformat(),
                "overall": None,
                "reason": "baseline",
                "sum_mm": None if a.baseline_sum_mm is None else str(a.baseline_sum_mm),
            },
            *(
                {
                    "date": tp.date.isoformat(),
                    "overall": tp.overall.value.value,
                    "reason": tp.overall.reason,
                    "sum_mm": None if tp.sum_mm is None else str(tp.sum_mm),
                }
                for tp in a.timepoints
            ),
        ],
    }
    read.responses_json = canonical_json(responses)


def _read_state(read: Read) -> dict[str, Any]:
    """Return what an audit event records of a read: content, signatures, responses."""
    return {
        "version": read.version,
        "signed": read.signed_count,
        "reading": None if read.reading_json is None else _load_json(read.reading_json),
        "responses": None
        if read.responses_json is None
        else json.loads(read.responses_json),
        "engine_error": read.engine_error,
    }


def _outcome(read: Read | None) -> _Outcome:
    if read is None or read.responses_json is None:
        return _Outcome()
    doc = json.loads(read.responses_json)
    sums = [tp["sum_mm"] for tp in doc["timepoints"]]
    return _Outcome(
        bor=read.bor, first_pd=read.first_pd, organs=doc["target_organs"], sums=sums
    )
