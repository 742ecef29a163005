"""The store itself: migrations, audit chain, optimistic concurrency, passwords.

Each test runs on SQLite and on a private PostgreSQL cluster (``store_target``).
"""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from recist.store import (
    AuthenticationError,
    ReviewStore,
    StaleWriteError,
    StoreInputError,
)
from recist.store._schema import Base
from store._reads import DATES, PASSWORDS, reading, setup_trial, upto


@pytest.fixture
def store(store_target):
    with ReviewStore.create(store_target, name="T") as st:
        yield st


def test_migrations_create_the_models_tables(store):
    # the Alembic revision and the SQLAlchemy models must describe the same tables
    insp = inspect(store.engine)
    for table in Base.metadata.sorted_tables:
        got = {c["name"]: c["nullable"] for c in insp.get_columns(table.name)}
        want = {c.name: c.nullable for c in table.columns}
        # primary keys are NOT NULL in the database whatever the model says
        want = {k: (v and not table.columns[k].primary_key) for k, v in want.items()}
        assert got == want, table.name


def test_create_twice_is_refused(store_target, store):
    with pytest.raises(StoreInputError, match="already a review store"):
        ReviewStore.create(store_target)


def test_audit_chain_verifies_and_records_who_what(store):
    actors = setup_trial(store)
    ann = actors["ann"]
    v = store.load_read(ann, "S1").version
    store.save_read(ann, "S1", upto(reading([50]), 0), expected_version=v)
    check = store.verify_audit()
    # init, 3 readers, 1 subject, 1 assignment, 1 save
    assert check.ok, check.problems
    assert check.n_events == 7
    trail = store.audit_trail(store_admin(), "S1")
    assert [e["action"] for e in trail] == ["add-subject", "assign", "save"]
    save = trail[-1]
    assert save["actor"] == "ann"
    assert save["at"].endswith("Z")
    assert save["before"]["reading"] is None
    assert save["after"]["reading"]["baseline"]["targets"][0]["diameter_mm"] == 50


def store_admin():
    from recist.store import Actor

    return Actor.os_admin()


def _tamper(store, *statements):
    with store.engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql))


def _drop_triggers(store):
    if store.engine.dialect.name == "postgresql":
        return ["ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change"]
    return ["DROP TRIGGER audit_event_no_update", "DROP TRIGGER audit_event_no_delete"]


def test_audit_events_cannot_be_updated_or_deleted(store):
    setup_trial(store)
    for sql in (
        "UPDATE audit_event SET actor = 'mallory' WHERE seq = 2",
        "DELETE FROM audit_event WHERE seq = 2",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            _tamper(store, sql)
    assert store.verify_audit().ok


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("UPDATE audit_event SET actor = 'mallory' WHERE seq = 3", "event 3: content"),
        ("UPDATE audit_event SET after_json = '{}' WHERE seq = 2", "event 2: content"),
        ("DELETE FROM audit_event WHERE seq = 4", "event 4: missing"),
        (
            "DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)",
            "events deleted",
        ),
    ],
    ids=["altered-actor", "altered-after", "deleted-middle", "deleted-newest"],
)
def test_audit_verify_detects_tampering_with_plain_sql(store, sql, problem):
    setup_trial(store)
    assert store.verify_audit().ok
    _tamper(store, *_drop_triggers(store), sql)
    check = store.verify_audit()
    assert not check.ok
    assert any(problem in p for p in check.problems), check.problems


def test_stale_write_is_refused_and_loses_nothing(store):
    actors = setup_trial(store)
    ann = actors["ann"]
    loaded = store.load_read(ann, "S1").version
    store.save_read(ann, "S1", upto(reading([50]), 0), expected_version=loaded)
    with pytest.raises(StaleWriteError, match="reload"):
        store.save_read(ann, "S1", upto(reading([60]), 0), expected_version=loaded)
    now = store.load_read(ann, "S1")
    assert now.reading.baseline.targets[0].diameter_mm == 50
    assert now.version == loaded + 1


def test_passwords_are_hashed_and_checked(store):
    actors = setup_trial(store)
    with store.engine.connect() as conn:
        hashes = [h for (h,) in conn.execute(text("SELECT password_hash FROM reader"))]
    assert all(h.startswith("scrypt$") for h in hashes)
    assert not any(p in h for h in hashes for p in PASSWORDS.values())
    with pytest.raises(AuthenticationError):
        store.authenticate("ann", "bob-secret-2")
    ann = actors["ann"]
    v = store.load_read(ann, "S1").version
    store.save_read(ann, "S1", upto(reading([50]), 0), expected_version=v)
    with pytest.raises(AuthenticationError, match="not signed"):
        store.sign(ann, "S1", DATES[0], password="wrong-password")
    assert store.load_read(ann, "S1").signed == 0
