"""Proposals by registration (``recist propagate``): review them one key each.

The table lists the proposals waiting at the time point shown.  Picking one puts
both panes on the lesion (the reference pane on where it was last measured, the
current pane on the proposal) and the proposed calliper in the draft, where the
reader can drag its ends.  Then, with the canvas focused:

- **A** records it: as proposed ("proposed by registration, accepted by R"), or,
  when the reader moved the calliper (or measured a lesion that was not found),
  the reader's own measurement ("adjusted by R");
- **R** rejects it (nothing is measured; the rejection is audited).

Each is one undo step (Ctrl+Z).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from qtpy.QtCore import QEvent, QObject, Qt
from qtpy.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from viewer._coords import lps_to_world
from viewer._widgets._qt import fit_rows, hide_rows_header

__all__ = ["ProposalPanel", "accept_selected", "focus_proposal", "reject_selected"]

HINT = "A: record (as drawn)   R: reject   drag the calliper ends to adjust"
_SAME_MM = 0.05  # draft ends this close to the proposal's: not adjusted


def _centre(p: Any) -> Any:
    if p.center_lps is not None:
        return np.asarray(p.center_lps, dtype=float)
    if p.measurement is not None and p.measurement.endpoints_lps:
        return np.mean(np.asarray(p.measurement.endpoints_lps, dtype=float), axis=0)
    return None


def focus_proposal(ws: Any, p: Any) -> None:
    """Both panes on the lesion; the proposed calliper in the current draft."""
    here = _centre(p)
    if here is None:
        return
    ws.goto_pair(here, p.lesion_id)
    ws.zoom_to_fov()
    ends = () if p.measurement is None else p.measurement.endpoints_lps
    if len(ends) >= 2:
        ws.draw_lines([np.asarray([lps_to_world(e) for e in ends[:2]])])
    else:
        ws.cur.draft.data = []


def _nodal(ws: Any, lesion_id: str) -> bool:
    lesion = ws.session.lesion(lesion_id)
    if lesion is not None:
        return bool(lesion.nodal)
    for tp in ws.session.reading.followups:
        for n in tp.new_lesions:
            if n.lesion_id == lesion_id:
                return bool(n.nodal)
    return False


def _adjusted(ws: Any, p: Any) -> Any:
    """Return the reader's measurement if the draft differs from the proposal."""
    lines = ws.draft_lines()
    if not lines:
        return None
    proposed = () if p.measurement is None else p.measurement.endpoints_lps[:2]
    drawn = lines[0].endpoints_lps
    if len(lines) == 1 and len(proposed) == 2:
        a, b = np.asarray(drawn, dtype=float), np.asarray(proposed, dtype=float)
        if min(np.abs(a - b).max(), np.abs(a[::-1] - b).max()) <= _SAME_MM:
            return None
    return ws._draft_measurement(_nodal(ws, p.lesion_id))


def accept_selected(ws: Any, p: Any) -> None:
    """Record proposal ``p`` (or the reader's adjustment of it)."""
    ws.session.accept_proposal(ws.current_date, p.lesion_id, _adjusted(ws, p))
    ws.cur.draft.data = []


def reject_selected(ws: Any, p: Any) -> None:
    """Reject proposal ``p``."""
    ws.session.reject_proposal(ws.current_date, p.lesion_id)
    ws.cur.draft.data = []


class _Keys(QObject):
    """A and R on the canvas act on the picked proposal (before napari's keys)."""

    def __init__(self, panel: ProposalPanel, canvas: Any) -> None:
        super().__init__(panel)
        self.panel = panel
        self.canvas = canvas
        canvas.installEventFilter(self)

    def eventFilter(self, obj: Any, event: Any) -> bool:
        """Take A / R while a proposal is picked."""
        if obj is not self.canvas or event.type() != QEvent.Type.KeyPress:
            return False
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False
        p = self.panel.picked()
        if p is None:
            return False
        key = int(getattr(event.key(), "value", event.key()))
        actions = {
            int(getattr(Qt.Key.Key_A, "value", Qt.Key.Key_A)): accept_selected,
            int(getattr(Qt.Key.Key_R, "value", Qt.Key.Key_R)): reject_selected,
        }
        act = actions.get(key)
        if act is None:
            return False
        try:
            act(self.panel.ws, p)
        except Exception as exc:  # a refused value: said in the panel, not raised
            self.panel.message.setText(str(exc))
        return True


class ProposalPanel(QWidget):
    """Proposals at the time point shown: id, value, flags, reason."""

    def __init__(self, ws: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["ID", "Proposed", "Check", "How"])
        hide_rows_header(self.table)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._on_pick)
        self.message = QLabel(HINT)
        self.message.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(self.message)
        self._rows: list[Any] = []
        canvas = getattr(getattr(ws.viewer, "window", None), "_qt_viewer", None)
        self.keys = None if canvas is None else _Keys(self, canvas.canvas.native)
        ws.session.changed.connect(self.refresh)
        ws.timepoint_changed.connect(self.refresh)
        self.refresh()

    def picked(self) -> Any:
        """Return the proposal of the selected row (None when none is selected)."""
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self._rows):
            return None
        return self._rows[rows[0].row()]

    def refresh(self, *_: Any) -> None:
        """List the proposals of the time point shown."""
        try:
            day = self.ws.current_date
        except Exception:  # no study open yet
            day = None
        self._rows = [] if day is None else list(self.ws.session.proposals_at(day))
        self.table.blockSignals(True)
        self.table.setRowCount(len(self._rows))
        for i, p in enumerate(self._rows):
            value = (
                "not found" if p.measurement is None else f"{p.measurement.diameter_mm}"
            )
            cells = [p.lesion_id, value, ", ".join(p.flags) or "ok", p.reason]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j == 2 and p.flags:
                    item.setForeground(Qt.GlobalColor.yellow)
                self.table.setItem(i, j, item)
        self.table.blockSignals(False)
        fit_rows(self.table, max_rows=8)
        self.setVisible(bool(self._rows) or self.isVisible())

    def _on_pick(self) -> None:
        p = self.picked()
        if p is not None:
            focus_proposal(self.ws, p)
            self.message.setText(HINT)
            self.ws.viewer.window._qt_viewer.canvas.native.setFocus()
