"""ReadingSession edits, undo/redo and autosave, bare (no Qt, no napari)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from recist.errors import InvalidInputError
from recist.formats.reading import load_reading
from recist.model import Measurement
from viewer._session import ReadingSession


def _targets(s: ReadingSession) -> list[str]:
    return [t.lesion_id for t in s.reading.baseline.targets]


def test_undo_redo_walks_the_edit_history(tmp_path):
    s = ReadingSession.new(
        dt.date(2026, 1, 5), subject_id="P1", path=tmp_path / "r.json"
    )
    seen: list[object] = []
    s.changed.connect(seen.append)
    assert not s.can_undo
    assert not s.can_redo
    s.add_target("LIVER", Measurement.of_mm("30.0"))
    s.add_target("LUNG", Measurement.of_mm("15.0"))
    s.add_non_target("BONE")
    assert _targets(s) == ["T01", "T02"]
    assert [n.lesion_id for n in s.reading.baseline.non_targets] == ["NT01"]

    s.undo()  # the non-target goes
    assert s.reading.baseline.non_targets == ()
    s.undo()  # then T02
    assert _targets(s) == ["T01"]
    assert s.can_redo
    # the autosave follows undo: a crash now reopens what the reader sees
    assert [t.lesion_id for t in load_reading(s.autosave_path).baseline.targets] == [
        "T01"
    ]
    s.redo()
    assert _targets(s) == ["T01", "T02"]
    assert s.reading.baseline.targets[1].diameter_mm == Decimal("15.0")

    # a new edit after undo drops the redo branch
    s.undo()
    s.add_target("KIDNEY", Measurement.of_mm("12.0"))
    assert not s.can_redo
    assert _targets(s) == ["T01", "T02"]
    assert s.reading.baseline.targets[1].site == "KIDNEY"
    s.redo()  # no-op
    assert s.reading.baseline.targets[1].site == "KIDNEY"

    # undo to the start, then one more undo is a no-op
    for _ in range(10):
        s.undo()
    assert _targets(s) == []
    assert not s.can_undo
    assert len(seen) == 3 + 2 + 1 + 1 + 1 + 2  # every applied change emitted once


def test_undo_restores_a_followup_value():
    s = ReadingSession.new(dt.date(2026, 1, 5), subject_id="P1")
    s.add_target("LIVER", Measurement.of_mm("30.0"))
    d = dt.date(2026, 2, 16)
    s.add_followup(d)
    s.set_target_value(d, "T01", Measurement.of_mm("24.0"))
    s.set_target_value(d, "T01", Measurement.of_mm("25.5"))
    assert s.followup(d).targets["T01"].value_mm == Decimal("25.5")
    s.undo()
    assert s.followup(d).targets["T01"].value_mm == Decimal("24.0")
    s.undo()
    assert "T01" not in s.followup(d).targets
    s.redo()
    s.redo()
    assert s.followup(d).targets["T01"].value_mm == Decimal("25.5")


def test_one_step_groups_edits_into_one_undo():
    s = ReadingSession.new(dt.date(2026, 1, 5), subject_id="P1")
    s.add_target("LIVER", Measurement.of_mm("30.0"))
    d = dt.date(2026, 2, 16)
    with s.one_step():
        s.add_followup(d)
        s.set_target_value(d, "T01", Measurement.of_mm("24.0"))
    assert [a.what for a in s.reading.audit][-2:] == [
        "2026-02-16: add time point",
        "2026-02-16: T01 = 24.0",
    ]  # each edit keeps its audit entry
    s.undo()
    assert s.followup(d) is None
    assert len(s.reading.baseline.targets) == 1
    s.redo()
    assert s.followup(d).targets["T01"].value_mm == Decimal("24.0")


def test_rename_and_resite_reach_every_visit():
    s = ReadingSession.new(dt.date(2026, 1, 5), subject_id="P1")
    s.add_target("LIVER", Measurement.of_mm("30.0"))
    s.add_target("LIVER", Measurement.of_mm("20.0"))
    d1, d2 = dt.date(2026, 2, 16), dt.date(2026, 3, 30)
    s.add_followup(d1)
    s.set_target_value(d1, "T01", Measurement.of_mm("24.0"))
    s.set_target_value(d1, "T02", Measurement.coalesced("T01"))
    s.add_new_lesion(d1, "LUNG", diameter_mm=Decimal("12.0"), measurable=True)
    s.add_followup(d2)
    s.add_new_lesion(d2, "LUNG", diameter_mm=Decimal(0), lesion_id="NEW01")

    s.rename_lesion("T01", "T07")
    fu = s.followup(d1)
    assert [t.lesion_id for t in s.reading.baseline.targets] == ["T07", "T02"]
    assert set(fu.targets) == {"T07", "T02"}
    assert fu.targets["T02"].coalesced_into == "T07"  # the reference follows
    s.rename_lesion("NEW01", "NEW05")
    assert [n.lesion_id for t in s.reading.followups for n in t.new_lesions] == [
        "NEW05",
        "NEW05",
    ]
    s.set_site("NEW05", " pleura ")
    assert {n.site for t in s.reading.followups for n in t.new_lesions} == {"PLEURA"}
    for bad, why in (("T02", "already"), ("", "empty")):
        with pytest.raises(InvalidInputError, match=why):
            s.rename_lesion("T07", bad)
    with pytest.raises(InvalidInputError, match="no lesion"):
        s.remove_lesion("T99")
    s.undo()
    s.undo()
    s.undo()
    assert [t.lesion_id for t in s.reading.baseline.targets] == ["T01", "T02"]


def test_an_unread_autosave_is_offered_and_never_overwritten(tmp_path):
    from viewer._recovery import pending_autosave

    path = tmp_path / "r.json"
    s = ReadingSession.new(dt.date(2026, 1, 5), subject_id="P1", path=path)
    s.add_target("LIVER", Measurement.of_mm("30.0"))
    s.save()
    assert pending_autosave(path) is None  # saved: autosave == reading
    assert not s.unsaved
    s.add_target("LUNG", Measurement.of_mm("15.0"))  # then the process dies
    assert s.unsaved
    pending = pending_autosave(path)
    assert pending is not None
    assert len(pending.reading.baseline.targets) == 2
    assert str(s.autosave_path) in pending.describe()

    s2 = ReadingSession.open(path)  # opened without recovering
    s2.add_non_target("BONE")  # its first autosave keeps the old one aside
    aside = sorted(tmp_path.glob("r.json.autosave-*.json"))
    assert len(aside) == 1
    assert len(load_reading(aside[0]).baseline.targets) == 2
    assert [t.lesion_id for t in load_reading(s2.autosave_path).baseline.targets] == [
        "T01"
    ]

    s3 = ReadingSession.open(path)
    s3.recover(pending)  # one undoable step, unsaved until saved
    assert len(s3.reading.baseline.targets) == 2
    assert s3.unsaved
    s3.undo()
    assert not s3.unsaved
