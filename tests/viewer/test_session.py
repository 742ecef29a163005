"""ReadingSession edits, undo/redo and autosave, bare (no Qt, no napari)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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
