"""Screenshots that look at pixels (shown viewers: a hidden canvas renders black)."""

from __future__ import annotations

import numpy as np
import pytest

from viewer._coords import lps_to_world
from viewer._workstation import Workstation

pytestmark = pytest.mark.gui

LUNG_LPS = (110.0, 10.0, 10.0)  # right of T03 in the left lung (phantom design)


def canvas_px(viewer, shot: np.ndarray, world) -> tuple[int, int]:
    """World (z, y, x) -> (row, col) of a canvas screenshot (axial, no grid).

    Independent of viewer._coords: the camera maps world to screen as
    (world - centre) * zoom + half the canvas, scaled to the screenshot size.
    """
    cam = viewer.scene.camera
    cy, cx = cam.center[-2:]
    size = np.asarray(
        viewer.window._qt_viewer.canvas.size[::-1], dtype=float
    )  # (w,h)->(h,w)
    scale = np.asarray(shot.shape[:2], dtype=float) / size[::-1][::-1]
    row = ((world[1] - cy) * cam.zoom + size[0] / 2) * scale[0]
    col = ((world[2] - cx) * cam.zoom + size[1] / 2) * scale[1]
    return round(row), round(col)


@pytest.fixture
def shown(make_napari_viewer, study):
    viewer = make_napari_viewer(show=True)
    ws = Workstation.open(viewer, study.root)
    viewer.window._qt_window.resize(1000, 800)
    return viewer, ws


def test_lung_window_shows_parenchyma_dark_grey(shown):
    viewer, ws = shown
    world = lps_to_world(LUNG_LPS)
    ws.goto_lps(LUNG_LPS)
    from viewer._coords import hu_at

    hu = hu_at(ws.cur.volume, world)
    assert hu is not None
    assert -950 < hu < -700
    viewer.scene.camera.zoom = 2.0
    ws.set_preset("soft tissue")
    shot = viewer.screenshot(canvas_only=True, flash=False)
    r, c = canvas_px(viewer, shot, world)
    soft = shot[r - 3 : r + 4, c - 3 : c + 4, :3].mean()
    ws.set_preset("lung")
    shot = viewer.screenshot(canvas_only=True, flash=False)
    patch = shot[r - 3 : r + 4, c - 3 : c + 4, :3].astype(float)
    assert soft < 10  # soft tissue window: lung is black
    assert 40 < patch.mean() < 140  # lung window: dark grey, not saturated
    assert patch.max() < 250
    assert patch.min() > 5


def test_caliper_appears_where_drawn(shown):
    viewer, ws = shown
    a = lps_to_world((-100.0, -20.0, -45.0))
    b = lps_to_world((-70.0, -20.0, -45.0))
    ws.goto_lps((-85.0, -20.0, -45.0))
    viewer.scene.camera.zoom = 3.0
    ws.draw_lines([np.stack([a, b])])
    assert ws.draft_lines()[0].length_mm == pytest.approx(30.0, abs=1e-6)
    shot = viewer.screenshot(canvas_only=True, flash=False).astype(int)
    green = (shot[..., 1] > 180) & (shot[..., 0] < 100) & (shot[..., 2] < 160)
    for w in (a, b, (a + b) / 2):
        r, c = canvas_px(viewer, shot, w)
        assert green[r - 6 : r + 7, c - 6 : c + 7].any(), f"no caliper pixel near {w}"
    r0, c0 = canvas_px(viewer, shot, lps_to_world((-85.0, 40.0, -45.0)))
    assert not green[r0 - 6 : r0 + 7, c0 - 6 : c0 + 7].any()  # not elsewhere


def test_side_by_side_follows_slice_in_mm(shown):
    viewer, ws = shown
    ws.show_timepoint("2026-03-30")
    ws.set_side_by_side(True)
    assert viewer.canvas.grid.enabled
    assert ws.base.image.visible
    assert ws.cur.image.visible
    base_z = ws.base.volume.geometry
    cur_z = ws.cur.volume.geometry
    assert base_z.origin[2] != cur_z.origin[2]  # different slice positions
    for z in (-45.0, 10.0, 25.0):
        ws.goto_lps((0.0, 0.0, z))
        zb, zc = ws.slice_z_mm(ws.base), ws.slice_z_mm(ws.cur)
        assert abs(zb - z) <= 1.25 + 1e-6
        assert abs(zc - z) <= 1.25 + 1e-6
    # both panes render something
    shot = viewer.screenshot(canvas_only=True, flash=False)
    _h, w = shot.shape[:2]
    assert shot[:, : w // 2, :3].mean() > 10
    assert shot[:, w // 2 :, :3].mean() > 10
