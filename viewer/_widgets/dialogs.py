"""Questions about unsaved work: recover an autosave, save before closing.

The decisions live in :mod:`viewer._recovery` and
:class:`~viewer._session.ReadingSession`; these are the Qt questions only.
"""

from __future__ import annotations

import weakref
from typing import Any

from qtpy.QtCore import QEvent, QObject
from qtpy.QtWidgets import QMessageBox, QWidget

from recist.errors import RecistError
from viewer._recovery import PendingAutosave, set_aside
from viewer._session import ReadingSession

__all__ = ["CloseGuard", "ask_recover", "ask_unsaved", "install_close_guard"]

RECOVER = "Recover edits"
KEEP = "Keep saved reading"
SAVE = "Save"
DISCARD = "Close without saving"
CANCEL = "Cancel"


def _box(parent: QWidget | None, title: str, text: str, info: str) -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    box.setInformativeText(info)
    return box


def ask_recover(parent: QWidget | None, pending: PendingAutosave) -> bool:
    """Ask whether to take back an autosave's edits; True: recover them."""
    box = _box(
        parent,
        "Unsaved edits found",
        f"The reading has {pending.describe()}.",
        "Recover them (they stay unsaved until you save), or keep the saved "
        "reading (the autosave is then kept beside it under another name)?",
    )
    yes = box.addButton(RECOVER, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(KEEP, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes)
    box.exec()
    return box.clickedButton() is yes


def ask_unsaved(parent: QWidget | None, session: ReadingSession) -> bool:
    """Ask what to do with unsaved edits before closing; True: close.

    Save writes the reading (a failure is shown and the window stays);
    closing without saving keeps the autosave under another name.
    """
    where = session.path or "no file yet"
    box = _box(
        parent,
        "Unsaved edits",
        "The reading has unsaved edits.",
        f"Save them to {where} before closing?",
    )
    save = None
    if session.path is not None:
        save = box.addButton(SAVE, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(save)
    discard = box.addButton(DISCARD, QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(CANCEL, QMessageBox.ButtonRole.RejectRole)
    box.exec()
    clicked = box.clickedButton()
    if save is not None and clicked is save:
        try:
            session.save()
        except (RecistError, OSError) as exc:
            QMessageBox.critical(parent, "Not saved", str(exc))
            return False
        return True
    if clicked is discard:
        a = session.autosave_path
        if a is not None and a.is_file():
            set_aside(a)
        return True
    return False


class CloseGuard(QObject):
    """Event filter: closing the window with unsaved edits asks first.

    napari's ``viewer.close()`` (used by scripts and test fixtures) closes the
    canvas widget before the window; a close that starts there is not asked.
    """

    def __init__(self, viewer: Any, session: ReadingSession) -> None:
        qwin = viewer.window._qt_window
        super().__init__(qwin)
        self.session = session
        # weak: napari's leak checks count live QtViewer wrappers
        self._qwin = weakref.ref(qwin)
        self._qt_viewer = weakref.ref(viewer.window._qt_viewer)
        self._closing_viewer = False
        qwin.installEventFilter(self)
        viewer.window._qt_viewer.installEventFilter(self)

    def eventFilter(self, obj: Any, event: Any) -> bool:
        """Ask on the window's close event when the reading is unsaved."""
        if event.type() != QEvent.Type.Close:
            return False
        if obj is self._qt_viewer():
            self._closing_viewer = True  # viewer.close(): not the reader's gesture
            return False
        qwin = self._qwin()
        ask = obj is qwin and not self._closing_viewer and self.session.unsaved
        if ask and not ask_unsaved(qwin, self.session):
            event.ignore()
            return True
        return False


def install_close_guard(viewer: Any, session: ReadingSession) -> CloseGuard:
    """Ask before the viewer's window closes on unsaved edits."""
    return CloseGuard(viewer, session)
