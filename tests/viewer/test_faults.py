"""The five faults of issue #11, driven by real mouse and key events.

Each test draws with QTest on the shown canvas and presses the reader's buttons
with qtbot; positions on screen come from napari's camera (tests/viewer/_mouse),
lengths expected from the pixels drawn: at zoom ``Z`` pixels per mm a line of
``n`` pixels is ``n / Z`` mm.  Lines are 3-4-5 triangles so ``n`` is an integer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qtpy.QtCore import Qt, QTimer
from qtpy.QtWidgets import QApplication, QMessageBox, QPushButton

from recist.formats.reading import load_case, load_reading, save_reading
from tests.viewer._mouse import cell_of, draw_line, move, px
from viewer._coords import lps_to_world
from viewer._studies import find_studies
from viewer._widgets import dock_widgets
from viewer._workstation import Workstation

pytestmark = pytest.mark.gui

BASE, FU1, FU2, FU3 = "2026-01-05", "2026-02-16", "2026-03-30", "2026-05-11"
ZOOM = 2.5  # screen pixels per mm: 75 px = 30.0 mm, 55 px = 22.0 mm


def _entry(truth: dict[str, Any], lid: str, date: str = BASE) -> dict[str, Any]:
    return next(
        e for e in truth["lesions"] if e["lesion_id"] == lid and e["date"] == date
    )


def _button(widget, text: str) -> QPushButton:
    return next(b for b in widget.findChildren(QPushButton) if b.text() == text)


def _click(qtbot, widget, text: str) -> None:
    qtbot.mouseClick(_button(widget, text), Qt.MouseButton.LeftButton)


def _pick(qtbot, combo, text: str) -> None:
    """Choose a combo item with the keyboard, as a reader types its name."""
    combo.setFocus()
    qtbot.keyClicks(combo, text)
    qtbot.wait(10)


def _look_at(qtbot, ws: Workstation, lps) -> None:
    ws.goto_lps(lps)
    ws.viewer.camera.zoom = ZOOM
    qtbot.wait(50)


def _truth_reading(study, tmp_path: Path, *, upto: int, criteria: str | None = None):
    """The generator's own reading (truth.case.json) up to follow-up ``upto``."""
    r = load_case(Path(study.root) / "truth.case.json")
    studies = find_studies(study.root)
    r = dataclasses.replace(
        r,
        subject_id=studies[0].patient_id,
        baseline=dataclasses.replace(r.baseline, study_uids=(studies[0].study_uid,)),
        followups=r.followups[:upto],
    )
    if criteria is not None:
        from recist.terms import Criteria

        r = dataclasses.replace(r, criteria=Criteria(criteria))
    path = tmp_path / "reading.json"
    save_reading(r, path)
    return path


@pytest.fixture
def shown(make_napari_viewer, study, tmp_path):
    viewer = make_napari_viewer(show=True)
    ws = Workstation.open(viewer, study.root, reading=tmp_path / "r.json")
    widgets = dock_widgets(viewer, ws)
    viewer.window._qt_window.resize(1400, 900)
    return viewer, ws, widgets


# -- 1. a line drawn on the reference pane --------------------------------------
def test_line_on_reference_pane_is_refused(shown, truth, qtbot):
    viewer, ws, widgets = shown
    tools = widgets["tools"]
    e = _entry(truth, "T01")
    ws.draw_lines([lps_to_world(np.asarray(e["long_axis_lps"], float))])
    ws.record_target("LIVER")
    ws.show_timepoint(FU1)
    ws.set_side_by_side(True)
    fu = _entry(truth, "T01", FU1)
    _look_at(qtbot, ws, fu["center_lps"])
    _click(qtbot, tools, "Caliper line")
    centre = lps_to_world(fu["center_lps"])

    # over the baseline (reference, left) pane: refused, nothing drawn
    left = cell_of(viewer, ws.base.image)
    assert left == (0, 0)
    p = px(viewer, centre, left)
    p.setX(p.x() - 30)
    draw_line(qtbot, viewer, p, 60, 45)
    assert len(ws.cur.draft.data) == 0
    assert len(ws.base.draft.data) == 0
    assert "reference" in tools.message.text()
    assert viewer.layers.selection.active is ws.cur.draft  # ready to draw again
    _pick(qtbot, tools.lesion, "T01")
    _click(qtbot, tools, "Record value")
    assert "draw a caliper line" in tools.message.text()
    assert ws.session.followup(dt.date(2026, 2, 16)) is None  # nothing recorded

    # the same gesture on the follow-up (right) pane measures the follow-up
    right = cell_of(viewer, ws.cur.image)
    p = px(viewer, centre, right)
    p.setX(p.x() - 30)
    draw_line(qtbot, viewer, p, 60, 45)
    assert len(ws.cur.draft.data) == 1
    _click(qtbot, tools, "Record value")
    m = ws.session.followup(dt.date(2026, 2, 16)).targets["T01"]
    assert m.value_mm == Decimal("30.0")  # 75 px / 2.5 px per mm
    assert m.image.sop_uid == fu["slice_sop_uid"]  # the follow-up's slice


# -- 2. the first line is not always the long axis ---------------------------------
@pytest.mark.parametrize(
    ("lid", "site", "expected"),
    [
        # short axis 55 px = 22 mm drawn first, long axis 75 px = 30 mm second
        pytest.param("T01", "LIVER", "30.0", id="liver-long-axis"),
        # node: short 45 px = 18 mm first, long 65 px = 26 mm second; value = short
        pytest.param("T04", "LYMPH NODE", "18.0", id="node-short-axis"),
    ],
)
def test_short_axis_drawn_first(shown, truth, qtbot, lid, site, expected):
    viewer, ws, widgets = shown
    tools = widgets["tools"]
    e = _entry(truth, lid)
    _look_at(qtbot, ws, e["center_lps"])
    _click(qtbot, tools, "Caliper line")
    c = px(viewer, lps_to_world(e["center_lps"]))
    if lid == "T01":
        short, long = (-33, 44), (60, 45)  # 55 px and 75 px, perpendicular
    else:
        short, long = (27, 36), (52, -39)  # 45 px and 65 px, perpendicular
    for dx, dy in (short, long):
        c0 = type(c)(c.x() - dx // 2, c.y() - dy // 2)
        draw_line(qtbot, viewer, c0, dx, dy)
    assert len(ws.cur.draft.data) == 2
    _pick(qtbot, tools.site, site)
    assert tools.nodal.isChecked() is (site == "LYMPH NODE")
    _click(qtbot, tools, "BL target")
    assert tools.message.text() == ""
    lesion = ws.session.lesion("T01")
    assert lesion.baseline.value_mm == Decimal(expected)
    # the long axis is stored first: redraw and exports know which is which
    a, b = (np.asarray(p, float) for p in lesion.baseline.endpoints_lps[:2])
    long_mm = np.hypot(*long) / ZOOM
    assert float(np.linalg.norm(b - a)) == pytest.approx(long_mm, abs=0.05)


# -- 5. HU and position over the reference pane --------------------------------------
def test_status_line_describes_the_pane_under_the_cursor(shown, truth, qtbot):
    viewer, ws, _ = shown
    ws.show_timepoint(FU3)
    ws.set_side_by_side(True)
    e = _entry(truth, "T04")
    _look_at(qtbot, ws, e["center_lps"])
    # 9 mm from the centre along the long axis: inside the node at baseline
    # (26 mm long), outside it at FU3 (12 mm long; truth.lesions.json)
    a, b = np.asarray(e["long_axis_lps"], float)
    spot = np.asarray(e["center_lps"], float) + 9.0 * (b - a) / np.linalg.norm(b - a)
    left = cell_of(viewer, ws.base.image)
    move(qtbot, viewer, px(viewer, lps_to_world(spot), left))
    world = np.asarray(viewer.cursor.position, float)[-3:]
    assert viewer.cursor.viewbox == left
    np.testing.assert_allclose(world[1:], lps_to_world(spot)[1:], atol=1 / ZOOM)

    def hu(volume) -> float:  # nearest voxel, by the volume's own geometry
        idx = np.rint(volume.geometry.lps_to_zyx(world[::-1])).astype(int)
        return float(volume.array[tuple(idx)])

    base_hu, cur_hu = hu(ws.base.volume), hu(ws.cur.volume)
    assert abs(base_hu - cur_hu) > 30  # the two visits differ here
    text = ws.overlay.text
    assert text.startswith(BASE)
    assert FU3 not in text
    assert f"HU {base_hu:.0f}" in text
    # and over the follow-up pane, the follow-up's
    move(qtbot, viewer, px(viewer, lps_to_world(spot), cell_of(viewer, ws.cur.image)))
    assert ws.overlay.text.startswith(FU3)
    assert f"HU {cur_hu:.0f}" in ws.overlay.text


# -- 3. a new lesion can be followed ---------------------------------------------
def _fill_targets(ws: Workstation, truth, date: str) -> None:
    """A visit's target values from truth (set directly: not under test here)."""
    from recist.model import Measurement

    d = dt.date.fromisoformat(date)
    s = ws.session
    s.add_followup(d)
    for lid in ("T01", "T02", "T03", "T04"):
        s.set_target_value(
            d, lid, Measurement.of_mm(_entry(truth, lid, date)["diameter_mm"])
        )
    s.set_non_target_state(d, "NT01", "PRESENT")


def test_new_lesion_is_followed_at_later_visits(
    make_napari_viewer, study, truth, tmp_path, qtbot
):
    rpath = _truth_reading(study, tmp_path, upto=1, criteria="iRECIST")
    viewer = make_napari_viewer(show=True)
    ws = Workstation.open(viewer, study.root, reading=rpath)
    widgets = dock_widgets(viewer, ws)
    viewer.window._qt_window.resize(1400, 900)
    tools, panel = widgets["tools"], widgets["response"]
    # a new liver lesion at FU1, 30 mm lateral to T01 (plain liver in the phantom)
    spot = np.asarray(_entry(truth, "T01", FU1)["center_lps"]) + np.array(
        [0.0, 30.0, 0.0]
    )
    ws.show_timepoint(FU1)
    _look_at(qtbot, ws, spot)
    _click(qtbot, tools, "Caliper line")
    c = px(viewer, lps_to_world(spot))
    draw_line(qtbot, viewer, type(c)(c.x() - 20, c.y() - 15), 40, 30)  # 50 px = 20 mm
    _pick(qtbot, tools.site, "LIVER")
    _click(qtbot, tools, "New lesion")
    assert [
        n.lesion_id for n in ws.session.followup(dt.date(2026, 2, 16)).new_lesions
    ] == ["NEW01"]
    assert panel.rows()[1][7] == "iUPD"  # a new lesion opens an iUPD episode

    # FU2: the same lesion, unchanged, picked from the lesion list and re-measured
    _fill_targets(ws, truth, FU2)
    ws.show_timepoint(FU2)
    _look_at(qtbot, ws, spot)
    _click(qtbot, tools, "Caliper line")
    draw_line(qtbot, viewer, type(c)(c.x() - 20, c.y() - 15), 40, 30)
    _pick(qtbot, tools.lesion, "NEW01")
    assert tools.lesion.currentText() == "NEW01"
    _click(qtbot, tools, "Record value")
    assert tools.message.text() == ""
    fu2 = ws.session.followup(dt.date(2026, 3, 30))
    assert [(n.lesion_id, n.diameter_mm) for n in fu2.new_lesions] == [
        ("NEW01", Decimal("20.0"))
    ]
    # iRECIST (irecist.md 4.2, I-08): a new lesion still present and not grown
    # keeps iUPD; only a new lesion id never seen before would confirm (iCPD)
    assert panel.rows()[2][7] == "iUPD"

    # FU3: it has resolved
    _fill_targets(ws, truth, FU3)
    ws.show_timepoint(FU3)
    _pick(qtbot, tools.lesion, "NEW01")
    _click(qtbot, tools, "Absent (0)")
    fu3 = ws.session.followup(dt.date(2026, 5, 11))
    assert [(n.lesion_id, n.diameter_mm) for n in fu3.new_lesions] == [
        ("NEW01", Decimal(0))
    ]
    # resolved: the episode resets; targets 47 mm vs 85 mm at baseline = -44.7 %
    assert panel.rows()[3][7] == "iPR"
    assert "NEW01" in widgets["lesions"].ids()


# -- habits: one undo step per user action ----------------------------------------
def test_first_value_at_a_followup_is_one_undo_step(shown, truth, qtbot):
    _, ws, widgets = shown
    tools = widgets["tools"]
    e = _entry(truth, "T01")
    ws.draw_lines([lps_to_world(np.asarray(e["long_axis_lps"], float))])
    ws.record_target("LIVER")
    ws.show_timepoint(FU1)
    fu = _entry(truth, "T01", FU1)
    ws.draw_lines([lps_to_world(np.asarray(fu["long_axis_lps"], float))])
    _pick(qtbot, tools.lesion, "T01")
    _click(qtbot, tools, "Record value")  # adds the time point and its value
    assert ws.session.followup(dt.date(2026, 2, 16)).targets["T01"].value_mm == 24
    _click(qtbot, tools, "Undo")  # one action, one undo
    assert ws.session.followup(dt.date(2026, 2, 16)) is None
    assert [t.lesion_id for t in ws.session.reading.baseline.targets] == ["T01"]
    _click(qtbot, tools, "Redo")
    assert ws.session.followup(dt.date(2026, 2, 16)).targets["T01"].value_mm == 24


# -- 4. unsaved work: autosave read back, close asks ------------------------------
def _answer_later(qtbot, seen: list, button: str) -> None:
    """Answer the next message box with ``button`` (its text); note what it said."""

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            seen.append(None)
            return
        seen.append(box.text() + " " + box.informativeText())
        target = next(b for b in box.buttons() if b.text() == button)
        qtbot.mouseClick(target, Qt.MouseButton.LeftButton)

    QTimer.singleShot(300, answer)


def _measure_t01_at_fu1(qtbot, viewer, ws, tools, truth) -> Decimal:
    """Draw T01's FU1 value with the mouse and record it; return the value."""
    fu = _entry(truth, "T01", FU1)
    ws.show_timepoint(FU1)
    _look_at(qtbot, ws, fu["center_lps"])
    _click(qtbot, tools, "Caliper line")
    c = px(viewer, lps_to_world(fu["center_lps"]))
    draw_line(qtbot, viewer, type(c)(c.x() - 24, c.y() - 18), 48, 36)  # 60 px = 24 mm
    _pick(qtbot, tools.lesion, "T01")
    _click(qtbot, tools, "Record value")
    value = ws.session.followup(dt.date(2026, 2, 16)).targets["T01"].value_mm
    assert value == Decimal("24.0")
    return value


def test_autosave_is_offered_back_after_a_crash(
    make_napari_viewer, study, truth, tmp_path, qtbot
):
    rpath = _truth_reading(study, tmp_path, upto=0)  # saved: the baseline only
    viewer = make_napari_viewer(show=True)
    ws = Workstation.open(viewer, study.root, reading=rpath)
    tools = dock_widgets(viewer, ws)["tools"]
    viewer.window._qt_window.resize(1400, 900)
    _measure_t01_at_fu1(qtbot, viewer, ws, tools, truth)
    saved = rpath.read_bytes()
    # the workstation dies here: no save, nothing else written

    seen: list = []
    _answer_later(qtbot, seen, "Recover edits")
    ws2 = Workstation.open(make_napari_viewer(show=True), study.root, reading=rpath)
    assert seen
    assert seen[0] is not None, "no recovery offered"
    assert "unsaved edits" in seen[0]
    assert ws2.session.followup(dt.date(2026, 2, 16)).targets["T01"].value_mm == 24
    assert ws2.session.unsaved  # recovered, not yet saved
    assert rpath.read_bytes() == saved

    # the reader may keep the saved reading: the autosave is kept, not overwritten
    seen.clear()
    _answer_later(qtbot, seen, "Keep saved reading")
    ws3 = Workstation.open(make_napari_viewer(show=True), study.root, reading=rpath)
    assert seen
    assert seen[0] is not None
    assert ws3.session.followup(dt.date(2026, 2, 16)) is None
    aside = sorted(tmp_path.glob("reading.json.autosave-*.json"))
    assert len(aside) == 1
    kept = load_reading(aside[0])
    assert kept.followups[0].targets["T01"].value_mm == 24
    ws3.session.set_criteria("iRECIST")  # the next edit writes a fresh autosave
    assert load_reading(aside[0]) == kept


def test_closing_with_unsaved_edits_asks(shown, truth, qtbot, tmp_path):
    viewer, ws, widgets = shown
    e = _entry(truth, "T01")
    ws.draw_lines([lps_to_world(np.asarray(e["long_axis_lps"], float))])
    ws.record_target("LIVER")
    ws.session.save()
    _measure_t01_at_fu1(qtbot, viewer, ws, widgets["tools"], truth)
    qwin = viewer.window._qt_window
    rpath = tmp_path / "r.json"

    seen: list = []
    _answer_later(qtbot, seen, "Cancel")
    qwin.close()  # a real close event on the main window
    qtbot.wait(50)
    assert seen
    assert seen[0] is not None, "closed without asking"
    assert "unsaved edits" in seen[0]
    assert qwin.isVisible()  # cancelled: still open, nothing written
    assert load_reading(rpath).followups == ()

    _answer_later(qtbot, seen, "Save")
    # napari deletes its window on close; keep it for the fixture's teardown
    qwin.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    qwin.close()
    qtbot.wait(50)
    assert not qwin.isVisible()
    saved = load_reading(rpath)
    assert saved.followups[0].targets["T01"].value_mm == Decimal("24.0")
    assert not ws.session.unsaved
    qwin.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)  # teardown deletes


# -- habits: lesions are named, placed and removed by the reader -----------------------
def _cell_click(qtbot, table, row: int, col: int, *, double: bool = False) -> None:
    rect = table.visualItemRect(table.item(row, col))
    left, at = Qt.MouseButton.LeftButton, rect.center()
    qtbot.mouseClick(table.viewport(), left, pos=at)
    if double:  # Qt sees press, release, then the double-click
        qtbot.mouseDClick(table.viewport(), left, pos=at)
    qtbot.wait(20)


def _type_in_editor(qtbot, table, text: str) -> None:
    """Type into the cell editor the table opened, then Enter."""
    from qtpy.QtWidgets import QLineEdit

    editors = [w for w in table.findChildren(QLineEdit) if w.isVisible()]
    assert len(editors) == 1, "no cell editor open"
    editor = editors[0]
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # the edit is applied once the editor has closed (a queued call)
    qtbot.waitUntil(
        lambda: not any(w.isVisible() for w in table.findChildren(QLineEdit)),
        timeout=2000,
    )
    qtbot.wait(20)


def test_site_is_chosen_not_defaulted(shown, truth, qtbot):
    _, ws, widgets = shown
    tools = widgets["tools"]
    assert tools.site.currentText() == ""
    e = _entry(truth, "T01")
    ws.draw_lines([lps_to_world(np.asarray(e["long_axis_lps"], float))])
    _click(qtbot, tools, "BL target")
    assert ws.session.reading.baseline.targets == ()
    assert "site" in tools.message.text()
    _pick(qtbot, tools.site, "LIVER")
    _click(qtbot, tools, "BL target")
    assert [t.site for t in ws.session.reading.baseline.targets] == ["LIVER"]
    assert tools.site.currentText() == ""  # the next lesion gets its own choice


def test_lesions_renamed_resited_deleted_from_the_table(shown, truth, qtbot):
    _, ws, widgets = shown
    table, tools = widgets["lesions"], widgets["tools"]
    for lid in ("T01", "T02"):
        e = _entry(truth, lid)
        ws.draw_lines([lps_to_world(np.asarray(e["long_axis_lps"], float))])
        ws.record_target("LIVER")
    t = table.table

    _cell_click(qtbot, t, 0, 0)  # select T01, F2 edits its id
    qtbot.keyClick(t, Qt.Key.Key_F2)
    _type_in_editor(qtbot, t, "T09")
    qtbot.waitUntil(lambda: table.ids()[0] == "T09", timeout=3000)
    assert [x.lesion_id for x in ws.session.reading.baseline.targets] == ["T09", "T02"]
    assert ws.session.reading.audit[-1].what == "rename T01 to T09"

    _cell_click(qtbot, t, 0, 2, double=True)  # double-click its site
    _type_in_editor(qtbot, t, "lung")
    qtbot.waitUntil(lambda: ws.session.lesion("T09").site == "LUNG", timeout=3000)
    assert ws.session.lesion("T09").site == "LUNG"
    assert ws.session.reading.audit[-1].what == "T09: site LIVER -> LUNG"

    _cell_click(qtbot, t, 1, 0)  # T02, Delete key
    qtbot.keyClick(t, Qt.Key.Key_Delete)
    assert ws.session.lesion("T02") is None
    assert ws.session.reading.audit[-1].what == "delete T02"
    assert table.ids() == ["T09"]

    _cell_click(qtbot, t, 0, 0)  # a used id is refused, the table keeps T09
    qtbot.keyClick(t, Qt.Key.Key_F2)
    _type_in_editor(qtbot, t, "")
    qtbot.waitUntil(lambda: "empty" in table.message.text(), timeout=3000)
    assert table.ids() == ["T09"]
    assert "empty" in table.message.text()

    for _ in range(3):  # each edit is one undo step
        _click(qtbot, tools, "Undo")
    targets = ws.session.reading.baseline.targets
    assert [(x.lesion_id, x.site) for x in targets] == [
        ("T01", "LIVER"),
        ("T02", "LIVER"),
    ]


def test_non_target_is_placed_jumped_to_and_carried(shown, truth, qtbot, tmp_path):
    viewer, ws, widgets = shown
    tools, table = widgets["tools"], widgets["lesions"]
    e = _entry(truth, "NT01")
    _look_at(qtbot, ws, e["center_lps"])
    _click(qtbot, tools, "Caliper line")
    c = px(viewer, lps_to_world(e["center_lps"]))
    draw_line(qtbot, viewer, type(c)(c.x() - 20, c.y() - 15), 40, 30)  # across it
    _pick(qtbot, tools.site, "BONE")
    _click(qtbot, tools, "BL non-target")
    nt = ws.session.lesion("NT01")
    # the line's centre, within a pixel (1 / 2.5 mm) of where it was drawn
    np.testing.assert_allclose(nt.location_lps, e["center_lps"], atol=1.5 / ZOOM)
    ws.session.save()
    assert load_reading(tmp_path / "r.json").baseline.non_targets[0] == nt

    ws.show_timepoint(FU1)  # carried forward: a marker on this visit's slice
    assert list(ws.cur.carry.features["label"]) == ["NT01"]
    mark = ws.cur.to_world(np.asarray(ws.cur.carry.data))[0]
    np.testing.assert_allclose(mark[1:], lps_to_world(nt.location_lps)[1:], atol=1e-3)
    viewer.camera.center = (0.0, 0.0, 0.0)
    _cell_click(qtbot, table.table, table.ids().index("NT01"), 0)  # jump to it
    assert viewer.dims.point[0] == pytest.approx(nt.location_lps[2], abs=1e-6)
    centre = np.asarray(viewer.camera.center)[-2:]
    np.testing.assert_allclose(centre, np.asarray(nt.location_lps)[1::-1], atol=1e-3)
