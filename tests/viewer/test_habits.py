"""A reading room's habits, driven by real Qt mouse and key events on a shown viewer.

Expected values come from the sample study's generator (truth.lesions.json: each
lesion's measured slice and centre per visit) and hand-derived arithmetic in the
comments; what is checked is mostly what the canvas shows (pixels).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qtpy.QtCore import QEvent, QPoint, QPointF, Qt
from qtpy.QtGui import QMouseEvent, QWheelEvent
from qtpy.QtTest import QTest
from qtpy.QtWidgets import QApplication

from viewer._coords import lps_to_world
from viewer._display import PRESETS, limits
from viewer._widgets import dock_widgets
from viewer._workstation import Workstation

pytestmark = pytest.mark.gui

FOLLOWUPS = ("2026-02-16", "2026-03-30", "2026-05-11")
TARGETS = ("T01", "T02", "T03", "T04")


@pytest.fixture(scope="module")
def sample_reading(study, truth, tmp_path_factory) -> Path:
    """The sample study read at the truth positions (no window: a ViewerModel)."""
    from napari.components import ViewerModel

    from tests.viewer.test_workflow import read_sample

    path = tmp_path_factory.mktemp("reading") / "reading.json"
    ws = Workstation.open(ViewerModel(), study.root, reading=path)
    read_sample(ws, truth)
    ws.session.save()
    return path


@pytest.fixture(scope="module")
def demo_reading(study, tmp_path_factory) -> Path:
    """The demo reading: one seed per lesion and visit, segmented (autoread)."""
    from recist.autoread import load_seeds, read_from_seeds
    from recist.formats.reading import save_reading

    root = Path(study.root)
    reading = read_from_seeds(root, load_seeds(root / "seeds.json"), reader="demo")
    path = tmp_path_factory.mktemp("demo") / "reading.json"
    save_reading(reading, path)
    return path


def _open(make_napari_viewer, study, reading_file: Path, tmp_path: Path):
    reading = tmp_path / "reading.json"
    shutil.copy(reading_file, reading)  # without its autosave
    viewer = make_napari_viewer(show=True)
    ws = Workstation.open(viewer, study.root, reading=reading)
    widgets = dock_widgets(viewer, ws)
    viewer.window._qt_window.resize(1400, 800)
    _settle()
    return viewer, ws, widgets


@pytest.fixture
def shown(make_napari_viewer, study, sample_reading, tmp_path):
    """The workstation with its docks on a shown viewer, the sample reading open."""
    return _open(make_napari_viewer, study, sample_reading, tmp_path)


@pytest.fixture
def demo(make_napari_viewer, study, demo_reading, tmp_path):
    """The same with the demo's (autoread) reading open."""
    return _open(make_napari_viewer, study, demo_reading, tmp_path)


def _settle(n: int = 5) -> None:
    for _ in range(n):
        QApplication.processEvents()


def _canvas(viewer) -> Any:
    return viewer.window._qt_viewer.canvas.native


def _shot(viewer) -> np.ndarray:
    _settle()
    return viewer.screenshot(canvas_only=True, flash=False)[..., :3].astype(int)


def _click_row(table, row: int) -> None:
    item = table.item(row, 0)
    rect = table.visualItemRect(item)
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    _settle()


def _yellow(shot: np.ndarray) -> np.ndarray:
    """Caliper yellow (#ffd400) pixels of recorded target measurements."""
    r, g, b = shot[..., 0], shot[..., 1], shot[..., 2]
    return (r > 180) & (g > 150) & (b < 90) & (r - b > 120)


def _red(shot: np.ndarray) -> np.ndarray:
    """New-lesion red (#ff4040) pixels."""
    r, g, b = shot[..., 0], shot[..., 1], shot[..., 2]
    return (r > 140) & (r - g > 80) & (r - b > 80)


def _green(shot: np.ndarray) -> np.ndarray:
    """Draft caliper green (#00ff66) pixels, anti-aliased text included."""
    r, g, b = shot[..., 0], shot[..., 1], shot[..., 2]
    return (g > 120) & (g - r > 80) & (g - b > 40)


def _pane_centres(shot: np.ndarray, n_panes: int) -> list[tuple[int, int]]:
    """(row, col) of each grid cell's centre: the camera centre maps there."""
    h, w = shot.shape[:2]
    return [(h // 2, int(w * (2 * i + 1) / (2 * n_panes))) for i in range(n_panes)]


def _to_canvas(viewer, world) -> QPoint:
    """World (z, y, x) -> canvas widget position (single pane, axial view).

    Independent of viewer._coords: the camera maps world to screen as
    (world - centre) * zoom + half the canvas.
    """
    cam = viewer.scene.camera
    cy, cx = cam.center[-2:]
    native = _canvas(viewer)
    col = (world[2] - cx) * cam.zoom + native.width() / 2
    row = (world[1] - cy) * cam.zoom + native.height() / 2
    return QPoint(round(col), round(row))


def _mouse(widget, kind, pos: QPoint, button, buttons) -> None:
    ev = QMouseEvent(
        kind,
        QPointF(pos),
        QPointF(widget.mapToGlobal(pos)),
        button,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, ev)
    _settle(2)


def _drag(widget, start: QPoint, end: QPoint, button) -> None:
    """Press, move in steps, release: as a hand does."""
    no = Qt.MouseButton.NoButton
    _mouse(widget, QEvent.Type.MouseButtonPress, start, button, button)
    for t in np.linspace(0.2, 1.0, 5):
        p = QPoint(
            round(start.x() + t * (end.x() - start.x())),
            round(start.y() + t * (end.y() - start.y())),
        )
        _mouse(widget, QEvent.Type.MouseMove, p, no, button)
    _mouse(widget, QEvent.Type.MouseButtonRelease, end, button, no)


def _wheel(widget, notches: int) -> None:
    """Turn the wheel: > 0 away from the reader (angle delta +120 per notch)."""
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    for _ in range(abs(notches)):
        ev = QWheelEvent(
            pos,
            QPointF(widget.mapToGlobal(pos.toPoint())),
            QPoint(0, 0),
            QPoint(0, 120 if notches > 0 else -120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(widget, ev)
        _settle(2)


def _key(widget, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    widget.setFocus()
    QTest.keyClick(widget, key, modifier)
    _settle()


def _button(panel, text: str) -> Any:
    from qtpy.QtWidgets import QPushButton

    return next(b for b in panel.findChildren(QPushButton) if b.text() == text)


def _by(truth) -> dict[tuple[str, str], dict[str, Any]]:
    return {(e["lesion_id"], e["date"]): e for e in truth["lesions"]}


# -- each pane lands on its own measured slice ---------------------------------------


def _measured_z(ws, lid: str, date: str) -> float:
    """LPS z of the slice a lesion was measured on (the reading file's endpoints)."""
    r = ws.session.reading
    if date == r.baseline.date.isoformat():
        m = ws.session.lesion(lid).baseline
    else:
        m = next(t for t in r.followups if t.date.isoformat() == date).targets[lid]
    return float(m.endpoints_lps[0][2])


def test_every_lesion_jump_shows_the_caliper_in_both_panes(demo, truth):
    # the demo reading measures each visit on the slice its segmentation found
    # longest; and at FU1 the reader measured T01 two slices (5 mm) higher than
    # its centre: the baseline's T01 slice is then 5.6 mm away in patient z
    viewer, ws, widgets = demo
    e = _by(truth)[("T01", FOLLOWUPS[0])]
    ws.show_timepoint(FOLLOWUPS[0])
    up = np.array([0.0, 0.0, 5.0])
    ws.draw_lines(
        [
            lps_to_world(np.asarray(e["long_axis_lps"], float) + up),
            lps_to_world(np.asarray(e["short_axis_lps"], float) + up),
        ]
    )
    ws.record_value("T01")
    ws.show_timepoint(0)
    times, lesions = widgets["timepoints"].table, widgets["lesions"]
    misses = []
    for fu in FOLLOWUPS:
        _click_row(times, 1 + FOLLOWUPS.index(fu))  # the reader picks the visit
        assert ws.current_date.isoformat() == fu
        widgets["timepoints"].side.setChecked(False)
        QTest.mouseClick(widgets["timepoints"].side, Qt.MouseButton.LeftButton)
        assert ws.side_by_side
        for lid in TARGETS:
            _click_row(lesions.table, lesions.ids().index(lid))  # jump
            ws.zoom_to_fov(80.0)
            # each pane is on the slice its visit measured (truth z per visit)
            assert ws.slice_z_mm(ws.cur) == pytest.approx(
                _measured_z(ws, lid, fu), abs=1e-3
            )
            base_z = ws.slice_z_mm(ws.base)
            if base_z != pytest.approx(_measured_z(ws, lid, "2026-01-05"), abs=1e-3):
                misses.append(f"{lid} at {fu}: baseline pane on z {base_z}")
            shot = _shot(viewer)
            yellow = _yellow(shot)
            for side, (r, c) in zip(
                ("baseline", fu), _pane_centres(shot, 2), strict=True
            ):
                # the caliper's long axis runs through the lesion centre, which
                # the jump puts in the middle of each pane
                if not yellow[r - 8 : r + 9, c - 8 : c + 9].any():
                    misses.append(f"{lid} at {fu}: no caliper in the {side} pane")
    assert not misses, misses


# -- mouse ---------------------------------------------------------------------------


def test_right_drag_changes_window_only(shown):
    viewer, ws, widgets = shown
    canvas = _canvas(viewer)
    zoom, centre = viewer.scene.camera.zoom, tuple(viewer.scene.camera.center)
    before = _shot(viewer)
    start = QPoint(canvas.width() // 2, canvas.height() // 2)
    _drag(canvas, start, start + QPoint(60, 30), Qt.MouseButton.RightButton)
    after = _shot(viewer)  # drawn: napari's camera follows vispy's on a draw
    # soft tissue (40, 400) + drag (60, 30) px at 2 HU/px: width 520, level 100
    assert ws.cur.image.contrast_limits == pytest.approx(limits(100.0, 520.0))
    assert viewer.scene.camera.zoom == pytest.approx(zoom)  # no zoom
    assert tuple(viewer.scene.camera.center) == pytest.approx(centre)
    assert widgets["timepoints"].preset.currentText() == "custom"
    # a higher level darkens the body (the same pixels: no zoom, no pan)
    body = before.sum(axis=2) > 60
    assert after[body].mean() < before[body].mean() - 10
    widgets["tools"].start_caliper()  # line mode armed: a right drag draws nothing
    _drag(canvas, start, start + QPoint(-60, -30), Qt.MouseButton.RightButton)
    assert ws.cur.image.contrast_limits == pytest.approx(limits(40.0, 400.0))
    assert len(ws.cur.draft.data) == 0


def test_wheel_and_keys_step_slices_and_the_pane_says_which(shown):
    viewer, ws, _ = shown
    canvas = _canvas(viewer)
    ws.goto_lps((-85.0, -20.0, -45.0))  # T01's baseline slice: z = -45.0
    dz = ws.cur.volume.spacing[2]  # 2.5 mm slices
    n = ws.cur.volume.array.shape[0]
    z0 = ws.slice_z_mm(ws.cur)
    k0 = round((z0 - ws.cur.volume.geometry.origin[2]) / dz)  # 0-based index

    def shown_slice() -> tuple[float, str]:
        return ws.slice_z_mm(ws.cur), ws.cur.image.name.splitlines()[-1]

    assert shown_slice()[1].startswith(f"Im {k0 + 1}/{n}  I 45.0 mm")
    _wheel(canvas, -1)  # towards the reader: next image, one slice inferior
    assert shown_slice()[0] == pytest.approx(z0 - dz)
    assert shown_slice()[1] == f"Im {k0}/{n}  I 47.5 mm"
    _wheel(canvas, 2)  # away: two images back, superior
    assert shown_slice()[0] == pytest.approx(z0 + dz)
    _key(canvas, Qt.Key.Key_Down)
    assert shown_slice()[0] == pytest.approx(z0)
    _key(canvas, Qt.Key.Key_PageDown)  # ten images
    assert shown_slice()[0] == pytest.approx(z0 - 10 * dz)
    _key(canvas, Qt.Key.Key_PageUp)
    _key(canvas, Qt.Key.Key_Up)
    assert shown_slice()[0] == pytest.approx(z0 + dz)
    zoom = viewer.scene.camera.zoom
    assert zoom > 0  # the wheel did not zoom
    pixels = _shot(viewer)
    _key(canvas, Qt.Key.Key_Down)  # the picture changes with the slice
    assert np.abs(_shot(viewer) - pixels).mean() > 0.5


def test_keys_select_window_presets_and_the_combo_follows(shown):
    viewer, ws, widgets = shown
    canvas = _canvas(viewer)
    combo = widgets["timepoints"].preset
    lung = lps_to_world((110.0, 10.0, 10.0))  # left lung (phantom design)
    ws.goto_lps((110.0, 10.0, 10.0))
    viewer.scene.camera.zoom = 2.0
    r, c = _to_canvas(viewer, lung).y(), _to_canvas(viewer, lung).x()
    dark = _shot(viewer)[r - 3 : r + 4, c - 3 : c + 4].mean()
    names = list(PRESETS)
    _key(canvas, Qt.Key.Key_2)  # the second preset: lung
    assert names[1] == "lung"
    assert ws.cur.image.contrast_limits == pytest.approx(limits(*PRESETS["lung"]))
    assert combo.currentText() == "2  lung"
    grey = _shot(viewer)[r - 3 : r + 4, c - 3 : c + 4].mean()
    assert dark < 10  # soft tissue window: lung is black
    assert 40 < grey < 140  # lung window: dark grey
    _key(canvas, Qt.Key.Key_4)
    assert combo.currentText() == "4  bone"


def test_ctrl_z_and_ctrl_y_undo_and_redo_the_reading(shown):
    viewer, ws, _ = shown
    canvas = _canvas(viewer)
    n = len(ws.session.reading.audit)
    ws.show_timepoint("2026-05-11")
    ws.mark_target("T02", "absent")
    assert ws.session.reading.followups[-1].targets["T02"].value_mm == 0
    _key(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert ws.session.reading.followups[-1].targets["T02"].value_mm > 0
    _key(canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert ws.session.reading.followups[-1].targets["T02"].value_mm == 0
    assert viewer.dims.ndisplay == 2  # Ctrl+Y is redo, not napari's 3-D toggle
    assert len(ws.session.reading.audit) > n


# -- what each pane shows ------------------------------------------------------------


def test_orientation_letters_on_each_pane(shown):
    viewer, ws, widgets = shown
    _click_row(widgets["timepoints"].table, 3)
    ws.set_side_by_side(True)
    assert ws.letters.texts() == {"top": "A", "bottom": "P", "left": "R", "right": "L"}
    shot = _shot(viewer)
    h, w = shot.shape[:2]
    r, g, b = shot[..., 0], shot[..., 1], shot[..., 2]
    letter = (r > 200) & (g > 180) & (b > 100) & (b < 170)  # #ffe08a
    # a letter at the middle of each pane's left and right edges
    band = letter[h // 2 - 25 : h // 2 + 25]
    for lo, hi in ((0, 40), (w // 2 - 50, w // 2 + 10), (w // 2, w // 2 + 40)):
        assert band[:, lo:hi].any(), f"no orientation letter in columns {lo}-{hi}"
    QTest.mouseClick(
        _button(widgets["timepoints"], "Coronal"), Qt.MouseButton.LeftButton
    )
    _settle()
    assert ws.letters.texts() == {"top": "S", "bottom": "I", "left": "R", "right": "L"}


def test_reference_pane_can_be_the_nadir_or_the_previous_visit(shown, truth):
    viewer, ws, widgets = shown
    # FU2 T01 not evaluable: FU2 has no complete sum.  Sums (truth, whole mm):
    # BL 85, FU1 69, FU2 --, so at FU3 the nadir is FU1 (69 < 85), while the
    # previous visit is FU2
    ws.show_timepoint("2026-03-30")
    ws.mark_target("T01", "not_evaluable")
    _click_row(widgets["timepoints"].table, 3)  # FU3, 2026-05-11
    QTest.mouseClick(widgets["timepoints"].side, Qt.MouseButton.LeftButton)
    assert ws.side_by_side
    combo = widgets["timepoints"].reference
    assert combo.currentText() == "baseline"
    assert ws.base.image.name.startswith("BASELINE  2026-01-05")
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Down)  # -> nadir
    _settle()
    assert ws.reference == "nadir"
    assert ws.base.image.name.startswith("NADIR: FOLLOW-UP 1  2026-02-16")
    by = _by(truth)
    _click_row(widgets["lesions"].table, widgets["lesions"].ids().index("T02"))
    assert ws.slice_z_mm(ws.base) == pytest.approx(
        by[("T02", "2026-02-16")]["slice_z_mm"], abs=1e-3
    )
    shot = _shot(viewer)
    (r0, c0), _ = _pane_centres(shot, 2)
    yellow = _yellow(shot)
    assert yellow[r0 - 8 : r0 + 9, c0 - 8 : c0 + 9].any()  # FU1's T02 caliper
    QTest.keyClick(combo, Qt.Key.Key_Down)  # -> previous
    _settle()
    assert ws.base.image.name.startswith("PREVIOUS: FOLLOW-UP 2  2026-03-30")


def test_mouse_drawn_caliper_has_its_length_and_new_lesions_their_colour(shown, truth):
    viewer, ws, widgets = shown
    _click_row(widgets["timepoints"].table, 3)  # FU3, single pane
    assert not ws.side_by_side
    a_lps, b_lps = (60.0, -40.0, 40.0), (90.0, -40.0, 40.0)  # 30.0 mm along x
    ws.goto_lps((75.0, -40.0, 40.0))
    viewer.scene.camera.zoom = 4.0
    _settle()
    widgets["tools"].start_caliper()
    canvas = _canvas(viewer)
    a, b = (
        _to_canvas(viewer, lps_to_world(a_lps)),
        _to_canvas(viewer, lps_to_world(b_lps)),
    )
    _drag(canvas, a, b, Qt.MouseButton.LeftButton)
    lines = ws.draft_lines()
    assert len(lines) == 1
    # 30 mm drawn at 4 px/mm: within a pixel (0.25 mm) of each end
    assert lines[0].length_mm == pytest.approx(30.0, abs=0.6)
    caption = str(ws.cur.draft.features["label"][0])
    assert caption == f"{lines[0].length_mm:.1f} mm"  # not "None"
    shot = _shot(viewer)
    green = _green(shot)
    # the caption is drawn above the line, left of its middle
    assert green[a.y() - 40 : a.y() - 3, a.x() : b.x()].any()
    widgets["tools"].site.setCurrentText("LUNG")  # the site is chosen, never defaulted
    QTest.mouseClick(_button(widgets["tools"], "New lesion"), Qt.MouseButton.LeftButton)
    _settle()
    news = ws.session.reading.followups[-1].new_lesions
    assert [n.lesion_id for n in news] == ["NEW01"]
    shot = _shot(viewer)
    # the docks may have changed the canvas size: place the line again
    a = _to_canvas(viewer, lps_to_world(a_lps))
    b = _to_canvas(viewer, lps_to_world(b_lps))
    mid = QPoint((a.x() + b.x()) // 2, a.y())
    box = (slice(mid.y() - 4, mid.y() + 5), slice(mid.x() - 30, mid.x() + 30))
    assert _red(shot)[box].any()  # the new lesion in its own colour
    assert not _yellow(shot)[box].any()  # not in the targets' yellow
