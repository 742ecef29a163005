"""Widgets driven as a reader would: criteria switch, violations, row jump, tools."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from recist.formats.reading import load_case, save_reading
from viewer._coords import lps_to_world
from viewer._session import ReadingMismatchError
from viewer._widgets import dock_widgets
from viewer._workstation import Workstation

BASE = "2026-01-05"


def _entry(truth: dict[str, Any], lid: str, date: str = BASE) -> dict[str, Any]:
    return next(
        e for e in truth["lesions"] if e["lesion_id"] == lid and e["date"] == date
    )


def _draw_truth(ws: Workstation, e: dict[str, Any]) -> None:
    ws.draw_lines(
        [
            lps_to_world(np.asarray(e["long_axis_lps"], float)),
            lps_to_world(np.asarray(e["short_axis_lps"], float)),
        ]
    )


@pytest.fixture
def ws_widgets(make_napari_viewer, study, tmp_path):
    viewer = make_napari_viewer()
    ws = Workstation.open(viewer, study.root, reading=tmp_path / "r.json")
    return ws, dock_widgets(viewer, ws)


def test_criteria_switch_updates_response_panel(make_napari_viewer, study, tmp_path):
    # the generator's own reading (truth.case.json) of these images
    r = load_case(Path(study.root) / "truth.case.json")
    from viewer._studies import find_studies

    studies = find_studies(study.root)
    r = dataclasses.replace(
        r,
        subject_id=studies[0].patient_id,
        baseline=dataclasses.replace(r.baseline, study_uids=(studies[0].study_uid,)),
    )
    save_reading(r, tmp_path / "truth.json")
    viewer = make_napari_viewer()
    ws = Workstation.open(viewer, study.root, reading=tmp_path / "truth.json")
    panel = dock_widgets(viewer, ws)["response"]
    overall = [row[7] for row in panel.rows()[1:]]
    assert overall == ["SD", "PR", "PR"]  # truth.case.json "expected"
    assert panel.best_response == "PR"

    panel.criteria.setCurrentText("iRECIST")  # as a reader picks it
    assert ws.session.reading.criteria.value == "iRECIST"
    # iRECIST names the same non-PD responses with an "i" (Seymour 2017, Table 2)
    assert [row[7] for row in panel.rows()[1:]] == ["iSD", "iPR", "iPR"]
    assert panel.best_response == "iPR"
    ws.session.undo()  # back to RECIST 1.1, and the combo follows
    assert panel.criteria.currentText() == "RECIST 1.1"
    assert [row[7] for row in panel.rows()[1:]] == ["SD", "PR", "PR"]


def test_lesion_table_shows_organ_rule_and_row_jumps_to_slice(ws_widgets, truth):
    ws, widgets = ws_widgets
    table = widgets["lesions"]
    for lid in ("T01", "T02"):
        _draw_truth(ws, _entry(truth, lid))
        ws.record_target("LIVER")
    assert table.violations.text() == ""
    # a third liver target: RECIST 1.1 allows two per organ (section 4.2)
    _draw_truth(ws, _entry(truth, "T03"))
    assert ws.record_target("LIVER") == "T03"
    text = table.violations.text()
    assert "TOO_MANY_TARGETS_IN_ORGAN" in text
    assert "T03" in text
    assert "RECIST 1.1" in text  # the rule is named
    row = table.ids().index("T03")
    assert table.table.item(row, 0).foreground().color().name() == "#ff6060"
    ws.session.undo()  # gone as soon as the edit is undone
    assert table.violations.text() == ""

    # selecting a row jumps to the lesion's slice: world z = LPS z in mm
    for lid in ("T02", "T01"):
        table.select(lid)
        e = _entry(truth, lid)
        assert ws.viewer.dims.point[0] == pytest.approx(e["slice_z_mm"], abs=1e-6)
        centre = np.asarray(ws.viewer.scene.camera.center)[-2:]
        np.testing.assert_allclose(centre, np.asarray(e["center_lps"])[1::-1], atol=0.5)


def test_click_to_segment_places_axes_and_records(ws_widgets, truth):
    ws, widgets = ws_widgets
    tools = widgets["tools"]
    e = _entry(truth, "T01")
    tools.segment.setChecked(True)  # arm: the next left click segments
    assert tools._click_cb in ws.viewer.mouse_drag_callbacks
    click = SimpleNamespace(button=1, position=tuple(lps_to_world(e["center_lps"])))
    tools._click_cb(ws.viewer, click)
    assert not tools.segment.isChecked()  # one click, then disarmed
    assert tools.message.text() == ""
    assert ws.cur.outline.data.any()
    lines = ws.draft_lines()
    assert len(lines) == 2  # long and short axes placed
    assert "long" in tools.readout.text()
    assert tools.readout.text().count("mm") == 2
    lid = ws.record_target("LIVER")
    got = float(ws.session.lesion(lid).diameter_mm)
    pixel = max(ws.cur.volume.spacing[:2])
    assert abs(got - e["long_axis_mm"]) <= pixel + 0.05 * e["long_axis_mm"]
    z = ws.session.lesion(lid).baseline.endpoints_lps[0][2]
    assert abs(z - e["slice_z_mm"]) <= ws.cur.volume.spacing[2] + 1e-6


def test_carry_forward_marks_sit_at_baseline_lesion(ws_widgets, truth):
    ws, _ = ws_widgets
    recorded = {}  # recorded id -> truth lesion (a liver and a lung lesion)
    for lid in ("T01", "T03"):
        e = _entry(truth, lid)
        _draw_truth(ws, e)
        recorded[ws.record_target(e["site"], nodal=e["nodal"])] = e
    ws.show_timepoint("2026-02-16")
    labels = list(ws.cur.carry.features["label"])
    assert labels == ["T01", "T02"]
    world = ws.cur.to_world(np.asarray(ws.cur.carry.data))
    dz = ws.cur.volume.spacing[2]
    for lid, w in zip(labels, world, strict=True):
        x, y, z = np.asarray(recorded[lid]["center_lps"], float)
        assert w[2] == pytest.approx(x, abs=1e-4)  # same position (float32 layer)
        assert w[1] == pytest.approx(y, abs=1e-4)
        assert abs(w[0] - z) <= dz / 2 + 1e-4  # on this visit's nearest slice
    # once measured at this visit, the lesion's caliper replaces its marker
    _draw_truth(ws, _entry(truth, "T01", "2026-02-16"))
    ws.record_value("T01")
    assert list(ws.cur.carry.features["label"]) == ["T02"]


def test_side_by_side_checkbox_follows_workstation(ws_widgets):
    ws, widgets = ws_widgets
    box = widgets["timepoints"].side
    ws.show_timepoint("2026-03-30")
    ws.set_side_by_side(True)  # as `recist view` does
    assert box.isChecked()
    box.setChecked(False)  # and the reader can turn it off
    assert not ws.side_by_side
    assert not ws.viewer.canvas.grid.enabled
    napari_docks = ws.viewer.window._qt_viewer
    assert not napari_docks.dockLayerList.isVisible()
    assert not napari_docks.dockLayerControls.isVisible()


def test_reading_of_another_patient_is_refused(make_napari_viewer, study, tmp_path):
    r = dataclasses.replace(
        load_case(Path(study.root) / "truth.case.json"), subject_id="SOMEONE-ELSE"
    )
    save_reading(r, tmp_path / "other.json")
    viewer = make_napari_viewer()
    with pytest.raises(ReadingMismatchError) as err:
        Workstation.open(viewer, study.root, reading=tmp_path / "other.json")
    msg = str(err.value)
    assert "SOMEONE-ELSE" in msg
    assert "open the reading with that patient's images" in msg


@pytest.mark.parametrize("nodal", [False, True], ids=["liver", "node"])
def test_bidirectional_short_axis_is_perpendicular(ws_widgets, nodal):
    from measurements import caliper_mm

    ws, widgets = ws_widgets
    widgets["tools"].bidir.setChecked(True)  # the reader's button
    assert ws.bidirectional
    assert ws.cur.draft.mode == "add_line"
    z = -45.0
    long_lps = np.array([[-100.0, -28.0, z], [-70.0, -12.0, z]])  # 34.0 mm, oblique
    drawn_lps = np.array([[-88.0, -30.0, z], [-80.0, -9.0, z]])  # not at 90 degrees
    u = long_lps[1] - long_lps[0]
    assert abs(np.dot(u, drawn_lps[1] - drawn_lps[0])) > 50  # far from perpendicular
    ws.draw_lines([lps_to_world(long_lps), lps_to_world(drawn_lps)])
    # the mouse is released after drawing: the workstation's drag callback runs
    event = SimpleNamespace(type="mouse_press")
    drag = ws._after_drag(ws.viewer, event)
    next(drag)
    event.type = "mouse_move"
    next(drag)
    event.type = "mouse_release"
    with pytest.raises(StopIteration):
        next(drag)
    assert "⟂" in widgets["tools"].readout.text()
    lid = ws.record_target("LYMPH NODE" if nodal else "LIVER", nodal=nodal)
    m = ws.session.lesion(lid).baseline
    a, b, c, d = (np.asarray(p, float) for p in m.endpoints_lps)
    np.testing.assert_allclose([a, b], long_lps, atol=1e-4)  # long axis untouched
    cos = np.dot(b - a, d - c) / (np.linalg.norm(b - a) * np.linalg.norm(d - c))
    assert abs(cos) < 1e-4  # perpendicular in patient mm
    assert c[2] == d[2] == pytest.approx(z, abs=1e-4)  # on the long axis' slice
    # it keeps the drawn line's midpoint and its extent across the long axis
    np.testing.assert_allclose((c + d) / 2, drawn_lps.mean(axis=0), atol=1e-4)
    n = np.array([-u[1], u[0], 0.0]) / np.linalg.norm(u)
    across = abs(np.dot(drawn_lps[1] - drawn_lps[0], n))
    assert np.linalg.norm(d - c) == pytest.approx(across, abs=1e-3)
    # lengths are measurements.caliper_mm on the volume grid, recorded to 0.1 mm
    vol = ws.cur.volume
    sx, sy, sz = vol.spacing
    idx = vol.geometry.lps_to_zyx(np.stack([c, d]))
    short_mm = caliper_mm(idx[0], idx[1], spacing=(sz, sy, sx))
    assert short_mm == pytest.approx(np.linalg.norm(d - c), abs=1e-3)
    expected = short_mm if nodal else float(np.linalg.norm(b - a))
    assert float(m.value_mm) == pytest.approx(round(expected, 1), abs=1e-9)
