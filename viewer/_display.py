"""CT display: window presets, window/level by drag, the cursor status text, views.

Functions here are pure (window arithmetic and text); :func:`install_window_drag`
and :func:`set_view` only wire them to a napari viewer.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from measurements import Volume
from viewer._coords import VIEWS, hu_at, world_to_lps

__all__ = [
    "PRESETS",
    "drag_window",
    "install_window_drag",
    "level_width",
    "limits",
    "set_view",
    "status_text",
]

#: Window presets, name -> (level/centre, width) in HU.
PRESETS: dict[str, tuple[float, float]] = {
    "soft tissue": (40.0, 400.0),
    "lung": (-600.0, 1500.0),
    "liver": (60.0, 160.0),
    "bone": (400.0, 1800.0),
    "mediastinum": (50.0, 350.0),
    "brain": (40.0, 80.0),
}


def limits(level: float, width: float) -> tuple[float, float]:
    """Display range (low, high) HU of a window.

    Examples
    --------
    >>> limits(*PRESETS["lung"])
    (-1350.0, 150.0)
    """
    return (level - width / 2.0, level + width / 2.0)


def level_width(low: float, high: float) -> tuple[float, float]:
    """Window (level, width) of a display range.

    Examples
    --------
    >>> level_width(-160.0, 240.0)
    (40.0, 400.0)
    """
    return ((low + high) / 2.0, high - low)


def drag_window(
    level: float, width: float, dx: float, dy: float, *, hu_per_pixel: float = 2.0
) -> tuple[float, float]:
    """Return the new window after a drag of (dx, dy) screen pixels.

    Right = wider window, down = higher level (as on most PACS); width stays >= 1.

    Examples
    --------
    >>> drag_window(40, 400, 10, -5)
    (30.0, 420.0)
    """
    return (
        float(level + dy * hu_per_pixel),
        float(max(1.0, width + dx * hu_per_pixel)),
    )


def status_text(volume: Volume, world: npt.ArrayLike, label: str = "") -> str:
    """Cursor line: HU under the cursor and its LPS position in mm.

    Examples
    --------
    >>> from measurements import ImageGeometry
    >>> g = ImageGeometry(origin=(0, 0, 0), spacing=(1, 1, 1),
    ...                   direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), size=(2, 2, 1))
    >>> v = Volume(array=np.full((1, 2, 2), 35, dtype=np.int16), geometry=g)
    >>> status_text(v, (0, 1, 1))
    'HU 35  |  L 1.0  P 1.0  S 0.0 mm'
    """
    hu = hu_at(volume, world)
    x, y, z = world_to_lps(world)[:3]
    pos = (
        f"{'L' if x >= 0 else 'R'} {abs(x):.1f}  "
        f"{'P' if y >= 0 else 'A'} {abs(y):.1f}  "
        f"{'S' if z >= 0 else 'I'} {abs(z):.1f} mm"
    )
    value = "HU --" if hu is None else f"HU {hu:.0f}"
    head = f"{label}  |  " if label else ""
    return f"{head}{value}  |  {pos}"


def install_window_drag(
    viewer: Any, images: Callable[[], Sequence[Any]], button: int = 2
) -> Callable[..., Any]:
    """Window/level by dragging with the right mouse button (``button``) on the canvas.

    The drag changes the window only: the camera does not zoom and the active
    layer does not see the drag.  ``images()`` returns the image layers to
    change together (linked window).  Returns the callback (remove it from
    ``viewer.mouse_drag_callbacks`` to undo).
    """

    def on_drag(viewer: Any, event: Any) -> Generator[None, None, None]:
        if event.button != button:
            return
        layers = list(images())
        if not layers:
            return
        # window/level only: the camera must not zoom (handled) and the active
        # layer (a caliper in line mode) must not draw: it sits out the drag
        event.handled = True
        selection = viewer.layers.selection
        active = selection.active
        selection.active = None
        lo, hi = layers[0].contrast_limits
        level0, width0 = level_width(lo, hi)
        start = np.asarray(event.pos, dtype=float)
        try:
            yield
            while event.type == "mouse_move":
                event.handled = True
                dx, dy = np.asarray(event.pos, dtype=float) - start
                level, width = drag_window(level0, width0, float(dx), float(dy))
                for layer in layers:
                    layer.contrast_limits = limits(level, width)
                yield
            event.handled = True
        finally:
            if active is not None and active in viewer.layers:
                selection.active = active

    viewer.mouse_drag_callbacks.append(on_drag)
    return on_drag


def set_view(viewer: Any, name: str) -> None:
    """Show the axial, coronal or sagittal plane (world = LPS mm, superior up)."""
    order, orientation = VIEWS[name]
    viewer.dims.ndisplay = 2
    viewer.dims.order = order
    viewer.scene.camera.orientation2d = orientation
    viewer.reset_view()
