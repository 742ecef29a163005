"""A reading room's habits on the napari canvas: wheel, keys, undo/redo shortcuts.

- Mouse wheel: previous / next image of the pane being read (one slice of its own
  grid); Ctrl + wheel zooms.  napari's own wheel zoom and Ctrl + wheel slice
  scroll are replaced.
- Up / Down: previous / next image; Page Up / Page Down: ten images.
- 1-6: the window presets in :data:`viewer._display.PRESETS` order.
- Ctrl/Cmd + Z: undo the last edit of the reading; Ctrl + Y or Ctrl/Cmd + Shift + Z:
  redo (the session's undo stack; napari's Ctrl + Y 2-D/3-D toggle is replaced).

Right-drag window/level lives in :func:`viewer._display.install_window_drag`.
The keys act while the canvas has the keyboard focus (a table keeps its own
arrow keys); undo and redo act anywhere in the window.
"""

from __future__ import annotations

from typing import Any

from qtpy.QtCore import QEvent, QObject, Qt
from qtpy.QtGui import QKeySequence, QShortcut

from viewer._display import PRESETS
from viewer._navigation import PAGE_STEP

__all__ = ["ZOOM_PER_NOTCH", "ReadingHabits"]

#: Camera zoom factor per wheel notch with Ctrl held.
ZOOM_PER_NOTCH = 1.15


def _int(key: Any) -> int:
    return int(getattr(key, "value", key))


_STEPS = {
    _int(Qt.Key.Key_Up): -1,
    _int(Qt.Key.Key_Down): 1,
    _int(Qt.Key.Key_PageUp): -PAGE_STEP,
    _int(Qt.Key.Key_PageDown): PAGE_STEP,
}
_DIGITS = {
    _int(getattr(Qt.Key, f"Key_{i + 1}")): name for i, name in enumerate(PRESETS)
}


class ReadingHabits(QObject):
    """Install the habits on a workstation's viewer (kept alive by the viewer)."""

    def __init__(self, ws: Any) -> None:
        super().__init__()
        self.ws = ws
        viewer = ws.viewer
        wheel = viewer.mouse_wheel_callbacks
        wheel[:] = [cb for cb in wheel if getattr(cb, "__name__", "") != "dims_scroll"]
        wheel.append(self._on_wheel)
        qt_viewer = viewer.window._qt_viewer
        self.canvas = qt_viewer.canvas.native
        self.canvas.installEventFilter(self)
        qwin = viewer.window._qt_window
        self.shortcuts = []
        undo_keys = [QKeySequence(QKeySequence.StandardKey.Undo)]
        redo_keys = [QKeySequence("Ctrl+Y"), QKeySequence("Ctrl+Shift+Z")]
        for keys, slot in ((undo_keys, ws.session.undo), (redo_keys, ws.session.redo)):
            for seq in keys:
                sc = QShortcut(seq, qwin)
                sc.setContext(Qt.ShortcutContext.WindowShortcut)
                sc.activated.connect(slot)
                self.shortcuts.append(sc)
        self.setParent(qwin)

    def _on_wheel(self, viewer: Any, event: Any) -> None:
        dy = float(event.delta[1])
        if not dy:
            return
        mods = set(event.modifiers)
        if mods == {"Control"}:
            cam = viewer.scene.camera
            cam.zoom = cam.zoom * (ZOOM_PER_NOTCH if dy > 0 else 1 / ZOOM_PER_NOTCH)
            event.handled = True
        elif not mods:
            self.ws.step_slice(-1 if dy > 0 else 1)  # away from the reader: previous
            event.handled = True

    def _edit_key(self, event: Any) -> Any:
        """Return the session's undo or redo when ``event`` is one of their keys."""
        if event.matches(QKeySequence.StandardKey.Undo):
            return self.ws.session.undo
        ctrl = Qt.KeyboardModifier.ControlModifier
        shift = Qt.KeyboardModifier.ShiftModifier
        mods = event.modifiers() & (ctrl | shift)
        key = _int(event.key())
        if (mods == ctrl and key == _int(Qt.Key.Key_Y)) or (
            mods == (ctrl | shift) and key == _int(Qt.Key.Key_Z)
        ):
            return self.ws.session.redo
        return None

    def eventFilter(self, obj: Any, event: Any) -> bool:
        """Take the slice, preset and undo keys before napari's key map sees them."""
        if obj is not self.canvas:
            return False
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride and self._edit_key(event):
            event.accept()  # deliver it here as a key press, handled below
            return True
        if kind != QEvent.Type.KeyPress:
            return False
        edit = self._edit_key(event)
        if edit is not None:
            edit()
            return True
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if mods != Qt.KeyboardModifier.NoModifier:
            return False
        key = _int(event.key())
        if key in _STEPS:
            self.ws.step_slice(_STEPS[key])
            return True
        if key in _DIGITS:
            self.ws.set_preset(_DIGITS[key])
            return True
        return False
