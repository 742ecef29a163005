"""Which pane the mouse is over, and the read-only reference pane.

Side by side, napari shows the reference visit (baseline) and the visit being
read in two grid cells that share one camera and one world (patient mm).  napari
sends every canvas event to the *active* layer, wherever the mouse is, so a line
drawn over the reference pane would land in the current visit's caliper layer
at the same patient position and be recorded as the current visit's value, on
the current visit's image.  A measurement belongs to the pane it was drawn on:
the reference pane is read-only while another visit is read, and a drawing
gesture there is refused with a message (it pans the view instead).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from viewer._workstation import Pane, Workstation

__all__ = ["REFUSED_ON_REFERENCE", "install_reference_guard", "pane_at"]

#: Shown when a drawing gesture starts over the reference pane.
REFUSED_ON_REFERENCE = (
    "The {role} pane is the reference and is read-only: measure on the "
    "{current} pane (right)."
)

#: Layer modes that only look (pan and zoom); anything else edits the layer.
_LOOK_MODES = frozenset({"pan_zoom", "transform"})


def pane_at(ws: Workstation, viewbox: Any) -> Pane:
    """Return the pane shown in a grid cell (napari's ``event.viewbox``).

    Outside side by side (no grid) only the current visit is shown.
    """
    viewer = ws.viewer
    grid = viewer.canvas.grid
    if not grid.enabled or viewbox is None:
        return ws.cur
    cell = tuple(int(v) for v in viewbox)
    layers = viewer.layers
    for pane in (ws.base, ws.cur):
        shown = pane.image in layers and pane.image.visible
        if shown and grid.position(layers.index(pane.image), layers) == cell:
            return pane
    return ws.cur


def install_reference_guard(ws: Workstation) -> Any:
    """Refuse edits that start over the reference pane (left button, edit modes).

    The gesture goes to the reference pane's image (napari pans) and
    ``ws.message`` says why; the layer that was active is active again when
    the mouse is released.  Returns the callback (in
    ``ws.viewer.mouse_drag_callbacks``).
    """

    def guard(viewer: Any, event: Any) -> Generator[None, None, None]:
        if event.button != 1 or ws.is_baseline:
            return
        pane = pane_at(ws, getattr(event, "viewbox", None))
        if pane is ws.cur:
            return
        active = viewer.layers.selection.active
        if active is None or active not in ws.cur.layers:
            return
        if getattr(active, "mode", "pan_zoom") in _LOOK_MODES:
            return
        viewer.layers.selection.active = pane.image  # the drag pans instead
        ws.message.emit(
            REFUSED_ON_REFERENCE.format(
                role=pane.tag.upper(), current=ws.cur_role().upper()
            )
        )
        yield
        while event.type == "mouse_move":
            yield
        viewer.layers.selection.active = active

    ws.viewer.mouse_drag_callbacks.insert(0, guard)
    return guard
