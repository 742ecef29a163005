"""The double-read workflow: sequential locked reads, blinding, adjudication, export.

Each test runs on SQLite and on a private PostgreSQL cluster (``store_target``).
Reads use one liver target; responses in the comments are RECIST 1.1 by hand
(confirmation on: PR needs a second PR >= 28 days later; SD counts from day 42).
"""

from __future__ import annotations

import csv

import pytest

from recist.store import (
    AccessDeniedError,
    Actor,
    Charter,
    LockedError,
    ReviewStore,
    StoreInputError,
    TimePointSpec,
)
from store._reads import DATES, PASSWORDS, read_and_sign, reading, setup_trial, upto

PR = [50, 30, 30, 30]  # -40 % at day 42 and 84: confirmed PR
SD = [50, 45, 45, 45]  # -10 %: SD
PD_WEEK12 = [50, 50, 70, 70]  # +20 mm over nadir 50 at 2026-03-30: PD; BOR SD
PD_WEEK18 = [50, 50, 50, 70]  # PD at 2026-05-11; BOR SD


def _store(target, **charter):
    return ReviewStore.create(target, name="T", charter=Charter(**charter))


@pytest.fixture
def store(store_target):
    with _store(store_target) as st:
        yield st


def test_follow_up_cannot_be_read_before_baseline_is_signed(store):
    ann = setup_trial(store)["ann"]
    v = store.load_read(ann, "S1").version
    with pytest.raises(LockedError, match="has not been read"):
        store.sign(ann, "S1", DATES[0], password=PASSWORDS["ann"])
    with pytest.raises(LockedError, match="sign 2026-01-05 before reading 2026-02-16"):
        store.save_read(ann, "S1", upto(reading(PR), 1), expected_version=v)
    v = store.save_read(ann, "S1", upto(reading(PR), 0), expected_version=v)
    with pytest.raises(LockedError, match="next time point to sign is 2026-01-05"):
        store.sign(ann, "S1", DATES[1], password=PASSWORDS["ann"])  # wrong order
    store.sign(ann, "S1", DATES[0], password=PASSWORDS["ann"])
    v = store.load_read(ann, "S1").version
    store.save_read(ann, "S1", upto(reading(PR), 1), expected_version=v)


def test_signed_time_point_is_locked_until_reopened_with_a_reason(store):
    ann = setup_trial(store)["ann"]
    v = read_and_sign(store, ann, "S1", reading(PR), through=1)
    changed = upto(reading([60, 30]), 1)  # baseline 60 instead of 50
    with pytest.raises(LockedError, match="2026-01-05 is signed; re-open"):
        store.save_read(ann, "S1", changed, expected_version=v)
    with pytest.raises(StoreInputError, match="needs a reason"):
        store.reopen(ann, "S1", DATES[0], reason="  ")
    store.reopen(ann, "S1", DATES[0], reason="wrong slice measured at baseline")
    view = store.load_read(ann, "S1")
    assert view.signed == 0
    store.save_read(ann, "S1", changed, expected_version=view.version)
    trail = store.audit_trail(Actor.os_admin(), "S1")
    reopen, save = trail[-2], trail[-1]
    assert reopen["action"] == "reopen"
    assert reopen["reason"] == "wrong slice measured at baseline"
    assert (reopen["before"]["signed"], reopen["after"]["signed"]) == (2, 0)
    # the engine's responses were recomputed and both are recorded:
    # 30/50 = -40 % (PR) before, 30/60 = -50 % (PR) after; sums 50 -> 60 at baseline
    before = save["before"]["responses"]["timepoints"]
    after = save["after"]["responses"]["timepoints"]
    assert (before[0]["sum_mm"], after[0]["sum_mm"]) == ("50", "60")
    assert "-40.0%" in before[1]["reason"]
    assert "-50.0%" in after[1]["reason"]


def test_blinding_reader_sees_only_own_read(store):
    actors = setup_trial(store)
    ann, bob, cat = actors["ann"], actors["bob"], actors["cat"]
    read_and_sign(store, ann, "S1", reading(PR))
    assert store.load_read(bob, "S1").reading is None  # bob's own, empty read
    with pytest.raises(AccessDeniedError, match="only your own read"):
        store.load_read(bob, "S1", slot=1)
    with pytest.raises(AccessDeniedError):
        store.compare(bob, "S1")
    with pytest.raises(AccessDeniedError):
        store.audit_trail(bob, "S1")
    with pytest.raises(AccessDeniedError, match="not ready"):
        store.load_read(cat, "S1", slot=1)  # adjudicator: not before both are done
    with pytest.raises(AccessDeniedError, match="only their own worklist"):
        store.worklist(bob, "ann")
    with pytest.raises(AccessDeniedError, match="only readers save"):
        store.save_read(cat, "S1", reading(PR), expected_version=1)


def test_assignment_is_balanced(store_target):
    with ReviewStore.create(store_target) as store:
        admin = Actor.os_admin()
        for name in ("r1", "r2", "r3", "r4"):
            store.add_reader(admin, name, role="reader", password="password-x")
        for name in ("a1", "a2"):
            store.add_reader(admin, name, role="adjudicator", password="password-x")
        for k in range(6):
            store.add_subject(admin, f"S{k}", [TimePointSpec(date=DATES[0])])
        made = store.assign(admin)
        assert store.assign(admin) == []  # nobody twice
    reads = [r for _, a, b, _ in made for r in (a, b)]
    # 6 subjects x 2 reads over 4 readers: 3 each; 6 first reads: 1 or 2 each
    assert sorted(reads.count(r) for r in ("r1", "r2", "r3", "r4")) == [3, 3, 3, 3]
    firsts = [a for _, a, _, _ in made]
    assert all(firsts.count(r) in (1, 2) for r in ("r1", "r2", "r3", "r4"))
    assert all(a != b for _, a, b, _ in made)
    adjs = [j for *_, j in made]
    assert adjs.count("a1") == adjs.count("a2") == 3


def _double_read(store, one, two, subject="S1"):
    actors = setup_trial(store, subjects=(subject,))
    read_and_sign(store, actors["ann"], subject, reading(one))
    read_and_sign(store, actors["bob"], subject, reading(two))
    return actors


def test_bor_difference_waits_for_adjudication(store):
    actors = _double_read(store, PR, SD)
    (st,) = store.status()
    assert st.state == "waiting adjudication"
    assert st.triggers == ("BOR differs: PR vs SD",)
    assert st.accepted_slot is None
    cat = actors["cat"]
    cmp = store.compare(cat, "S1")  # both reads, side by side
    assert [r["differs"] for r in cmp["timepoints"]] == [False, True, True, True]
    with pytest.raises(AccessDeniedError):
        store.adjudicate(actors["ann"], "S1", accept=1, reason="mine")
    with pytest.raises(StoreInputError, match="needs a reason"):
        store.adjudicate(cat, "S1", accept=2, reason="")
    store.adjudicate(cat, "S1", accept=2, reason="read 1 measured a vessel")
    (st,) = store.status()
    assert (st.state, st.accepted_slot) == ("adjudicated", 2)
    assert st.adjudication_reason == "read 1 measured a vessel"
    ((usubjid, slot, _r1, r2),) = store.accepted_reads()
    assert (usubjid, slot, r2.reader) == ("S1", 2, "bob")
    with pytest.raises(StoreInputError, match="not waiting"):
        store.adjudicate(cat, "S1", accept=1, reason="again")


def test_agreeing_reads_accept_read_one(store):
    _double_read(store, PR, [50, 31, 29, 30])  # also a confirmed PR
    (st,) = store.status()
    assert (st.state, st.accepted_slot, st.triggers) == ("agree", 1, ())


@pytest.mark.parametrize(
    ("pd_days", "state"),
    [(0, "waiting adjudication"), (41, "waiting adjudication"), (42, "agree")],
)
def test_first_pd_dates_within_charter_days(store_target, pd_days, state):
    # PD on 2026-03-30 vs 2026-05-11: 42 days apart; BOR SD in both
    with _store(store_target, pd_days=pd_days) as store:
        _double_read(store, PD_WEEK12, PD_WEEK18)
        (st,) = store.status()
    assert st.bor == ("SD", "SD")
    assert st.state == state


@pytest.mark.parametrize("on", [False, True])
def test_target_selection_trigger_is_optional(store_target, on):
    with _store(store_target, target_selection=on) as store:
        actors = setup_trial(store)
        read_and_sign(store, actors["ann"], "S1", reading(PR, site="LIVER"))
        read_and_sign(store, actors["bob"], "S1", reading(PR, site="LUNG"))
        (st,) = store.status()
    assert st.state == ("waiting adjudication" if on else "agree")


def test_reopen_after_adjudication_voids_it(store):
    actors = _double_read(store, PR, SD)
    store.adjudicate(actors["cat"], "S1", accept=1, reason="read 2 missed shrinkage")
    store.reopen(actors["bob"], "S1", DATES[3], reason="late image QC query")
    (st,) = store.status()
    assert st.state == "reading"
    assert store.accepted_reads() == []


def test_export_sdtm_flags_the_accepted_read(store, tmp_path):
    from recist.report.summary import load_subjects
    from recist.store._export import export_review

    _double_read(store, PR, SD)  # adjudicated below: read 2
    store.adjudicate(
        store.authenticate("cat", PASSWORDS["cat"]), "S1", accept=2, reason="vessel"
    )
    result = export_review(store, tmp_path)
    assert result.n_decided == 1
    with open(tmp_path / "sdtm" / "rs.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ovr = [r for r in rows if r["RSTESTCD"] == "OVRLRESP"]
    assert {r["RSEVAL"] for r in ovr} == {"INDEPENDENT ASSESSOR"}
    by_eval = {}
    for r in ovr:
        by_eval.setdefault(r["RSEVALID"], []).append((r["RSORRES"], r["RSACPTFL"]))
    # read 1: 30/50 = -40 %: PR at every visit; read 2: 45/50 = -10 %: SD at every
    # visit; the adjudicator's records repeat read 2 and are the accepted ones
    assert by_eval["RADIOLOGIST 1"] == [("PR", ""), ("PR", ""), ("PR", "")]
    assert by_eval["RADIOLOGIST 2"] == [("SD", ""), ("SD", ""), ("SD", "")]
    assert by_eval["ADJUDICATOR"] == [("SD", "Y"), ("SD", "Y"), ("SD", "Y")]
    # exactly one accepted record per subject, visit and test
    keys = [(r["USUBJID"], r["VISIT"], r["RSTESTCD"]) for r in rows if r["RSACPTFL"]]
    assert len(keys) == len(set(keys))
    with open(tmp_path / "sdtm" / "tu.csv", newline="", encoding="utf-8") as fh:
        assert {r["TUEVALID"] for r in csv.DictReader(fh)} == {
            "RADIOLOGIST 1",
            "RADIOLOGIST 2",
        }
    subjects, _notes = load_subjects(tmp_path / "accepted")
    assert [s.subject_id for s in subjects] == ["S1"]
