"""Real Qt mouse events on a shown napari canvas (QTest on the native widget).

Screen positions come from napari's camera model (centre, zoom, the grid cell's
place on the canvas), not from :mod:`viewer._coords`: a 2-D axial view puts the
camera centre in the middle of each pane, world y (posterior) downwards and
world x (patient left) to the right, ``zoom`` screen pixels per mm.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qtpy.QtCore import QPoint, Qt
from qtpy.QtTest import QTest

#: vispy drops mouse moves that come within 10 ms of the previous one.
_STEP_MS = 15


def native(viewer):
    """The canvas' Qt widget (receives the mouse events)."""
    return viewer.window._qt_viewer.canvas.native


def cell_rect(viewer, cell) -> tuple[float, float, float, float]:
    """(x0, y0, width, height) in canvas pixels of a grid cell (None: no grid)."""
    canvas = viewer.window._qt_viewer.canvas
    grid = viewer.canvas.grid
    if not grid.enabled or cell is None:
        w = native(viewer)
        return 0.0, 0.0, float(w.width()), float(w.height())
    cells = [pos for pos, _ in grid.iter_viewboxes(viewer.layers)]
    view = canvas.grid_views[cells.index(tuple(cell))]
    x0, y0 = (float(v) for v in view.transform.translate[:2])
    return x0, y0, float(view.rect.width), float(view.rect.height)


def cell_of(viewer, layer) -> tuple[int, int] | None:
    """The grid cell showing a layer (None: no grid)."""
    grid = viewer.canvas.grid
    if not grid.enabled:
        return None
    return grid.position(viewer.layers.index(layer), viewer.layers)


def px(viewer, world_zyx: Sequence[float], cell=None) -> QPoint:
    """Canvas pixel of a world point (axial view) in a grid cell."""
    x0, y0, w, h = cell_rect(viewer, cell)
    cam = viewer.camera
    cy, cx = (float(v) for v in cam.center[-2:])
    z = float(cam.zoom)
    col = x0 + w / 2 + (float(world_zyx[2]) - cx) * z
    row = y0 + h / 2 + (float(world_zyx[1]) - cy) * z
    return QPoint(round(col), round(row))


def move(qtbot, viewer, point: QPoint) -> None:
    """Move the mouse (no button) to a canvas pixel."""
    QTest.mouseMove(native(viewer), point)
    qtbot.wait(_STEP_MS)


def drag(qtbot, viewer, start: QPoint, end: QPoint, *, steps: int = 6) -> None:
    """Press the left button at ``start``, move in steps to ``end``, release."""
    w = native(viewer)
    none = Qt.KeyboardModifier.NoModifier
    left = Qt.MouseButton.LeftButton
    QTest.mouseMove(w, start)
    qtbot.wait(_STEP_MS)
    QTest.mousePress(w, left, none, start)
    qtbot.wait(_STEP_MS)
    a = np.array([start.x(), start.y()], dtype=float)
    b = np.array([end.x(), end.y()], dtype=float)
    for t in np.linspace(0, 1, steps + 1)[1:]:
        x, y = np.rint(a + t * (b - a)).astype(int)
        QTest.mouseMove(w, QPoint(int(x), int(y)))
        qtbot.wait(_STEP_MS)
    QTest.mouseRelease(w, left, none, end)
    qtbot.wait(_STEP_MS)


def draw_line(qtbot, viewer, start: QPoint, dx: int, dy: int) -> None:
    """Draw a caliper line from ``start`` by (dx, dy) pixels."""
    drag(qtbot, viewer, start, QPoint(start.x() + dx, start.y() + dy))
