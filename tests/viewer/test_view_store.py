"""``recist view --store``: a reader's read checked out of a review store and back."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

pytest.importorskip("sqlalchemy", reason="the review extra is not installed")

from recist.formats.reading import load_reading, save_reading
from recist.store import (
    AccessDeniedError,
    Actor,
    ReviewStore,
    StaleWriteError,
)
from recist.store._subjects import subjects_from_folder
from viewer._store_read import checkin, checkout

S = "RECIST-SAMPLE-0"
PW = {"ann": "ann-secret-1", "bob": "bob-secret-2", "cat": "cat-secret-3"}


@pytest.fixture
def trial(sample_study_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("RECIST_HOME", str(tmp_path / "home"))
    db = str(tmp_path / "trial.db")
    admin = Actor.os_admin()
    with ReviewStore.create(db) as store:
        for name, role in (
            ("ann", "reader"),
            ("bob", "reader"),
            ("cat", "adjudicator"),
        ):
            store.add_reader(admin, name, role=role, password=PW[name])
        for patient, points in subjects_from_folder(sample_study_dir).items():
            store.add_subject(admin, patient, points)
        store.assign(admin)
        truth = load_reading(sample_study_dir / "truth.case.json")
        ann = store.authenticate("ann", PW["ann"])
        base = dataclasses.replace(truth, followups=())
        store.save_read(ann, S, base, expected_version=1)
        store.sign(ann, S, truth.baseline.date, password=PW["ann"])
    return db, truth


def test_checkout_edit_checkin(trial, sample_study_dir):
    db, truth = trial
    read, lines = checkout(db, "ann", S, PW["ann"])
    assert read.images == sample_study_dir  # the common folder of the time points
    assert any(line.startswith(S) for line in lines)
    assert load_reading(read.path).followups == ()
    assert checkin(read) is None  # unchanged: nothing saved
    week6 = dataclasses.replace(truth, followups=truth.followups[:1])
    save_reading(week6, read.path)  # what the workstation does on save
    version = checkin(read)
    with ReviewStore.open(db) as store:
        view = store.load_read(store.authenticate("ann", PW["ann"]), S)
    assert view.version == version == read.version + 1
    assert [tp.date for tp in view.reading.followups] == [truth.followups[0].date]


def test_stale_checkin_is_refused_and_file_kept(trial):
    db, truth = trial
    first, _ = checkout(db, "ann", S, PW["ann"])
    second, _ = checkout(db, "ann", S, PW["ann"])  # e.g. two workstations
    week6 = dataclasses.replace(truth, followups=truth.followups[:1])
    save_reading(week6, first.path)
    checkin(first)
    with pytest.raises(StaleWriteError):
        checkin(second)  # based on the version before the first check-in
    assert second.path.exists()


def test_blinding_other_readers_read(trial):
    db, _ = trial
    read, _ = checkout(db, "bob", S, PW["bob"])  # bob's own (empty) read
    assert read.text is None
    with ReviewStore.open(db) as store:
        bob = store.authenticate("bob", PW["bob"])
        with pytest.raises(AccessDeniedError):
            store.load_read(bob, S, slot=1)


@pytest.mark.slow
def test_view_store_screenshot(trial, tmp_path):
    db, _ = trial
    out = tmp_path / "shot.png"
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["RECIST_HOME"] = str(tmp_path / "home")
    cmd = [
        sys.executable,
        "-m",
        "recist.cli",
        "view",
        "--store",
        db,
        "--reader",
        "ann",
        "--subject",
        S,
        "--screenshot",
        str(out),
    ]
    done = subprocess.run(
        cmd,
        env=env,
        input=PW["ann"] + "\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "worklist of ann" in done.stdout
    assert out.stat().st_size > 10000
