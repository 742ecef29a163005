"""Time point browser: studies by date, baseline marked, series pick, view controls."""

from __future__ import annotations

from typing import Any

from qtpy.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from viewer._display import PRESETS
from viewer._navigation import REFERENCES
from viewer._widgets._qt import compact, fit_rows, hide_rows_header

__all__ = ["TimepointBrowser"]


class TimepointBrowser(QWidget):
    """Pick the visit to read and its series; baseline side by side; window; plane."""

    def __init__(self, ws: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.table = QTableWidget(len(ws.studies), 3)
        self.table.setHorizontalHeaderLabels(["Date", "Role", "Series"])
        hide_rows_header(self.table)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for i, s in enumerate(ws.studies):
            self.table.setItem(
                i, 0, QTableWidgetItem(s.date.isoformat() if s.date else "?")
            )
            role = "BASELINE" if i == ws.baseline_index else f"follow-up {i}"
            self.table.setItem(i, 1, QTableWidgetItem(role))
            combo = QComboBox()
            compact(combo, 14)
            for series in s.series:
                combo.addItem(
                    f"{series.modality} {series.description} ({series.n_images})",
                    series.key,
                )
            combo.currentIndexChanged.connect(
                lambda _j, i=i, c=combo: ws.select_series(i, c.currentData())
            )
            self.table.setCellWidget(i, 2, combo)
        fit_rows(self.table, max_rows=8)
        self.table.itemSelectionChanged.connect(self._on_pick)
        self.side = QCheckBox("Reference side by side (linked in mm)")
        self.side.setChecked(ws.side_by_side)
        self.side.toggled.connect(ws.set_side_by_side)
        ws.layout_changed.connect(self._sync_side)
        self.reference = QComboBox()
        self.reference.addItems(list(REFERENCES))
        self.reference.setCurrentText(ws.reference)
        self.reference.setToolTip(
            "Visit beside the one being read: the baseline, the nadir visit "
            "(smallest target sum so far, per the engine) or the previous visit"
        )
        self.reference.currentTextChanged.connect(ws.set_reference)
        ws.reference_changed.connect(self._sync_reference)
        self.preset = QComboBox()
        self.preset.addItems([f"{i}  {name}" for i, name in enumerate(PRESETS, 1)])
        self.preset.currentIndexChanged.connect(self._on_preset)
        ws.window_changed.connect(self._sync_preset)
        views = QHBoxLayout()
        for name in ("axial", "coronal", "sagittal"):
            b = QPushButton(name.capitalize())
            b.clicked.connect(lambda _c=False, n=name: ws.set_view(n))
            views.addWidget(b)
        win = QHBoxLayout()
        win.addWidget(QLabel("Window"))
        win.addWidget(self.preset, 1)
        win.addWidget(QLabel("Reference"))
        win.addWidget(self.reference, 1)
        hint = QLabel(
            "Right-drag: window (→ wider) / level (↓ higher) · wheel, ↑↓, PgUp/PgDn:"
            " slices · Ctrl+wheel: zoom · 1-6: presets · Ctrl+Z / Ctrl+Y: undo/redo"
        )
        hint.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(self.side)
        lay.addLayout(win)
        lay.addLayout(views)
        lay.addWidget(hint)
        ws.timepoint_changed.connect(self._sync)
        self._sync(ws.current_index)
        self._sync_preset(ws.preset)

    def _on_preset(self, row: int) -> None:
        names = list(PRESETS)
        if 0 <= row < len(names) and names[row] != self.ws.preset:
            self.ws.set_preset(names[row])

    def _sync_preset(self, name: str) -> None:
        """Show the applied preset; "custom" for a window of the reader's own."""
        self.preset.blockSignals(True)
        names = list(PRESETS)
        if name in names:
            if self.preset.count() > len(names):
                self.preset.removeItem(len(names))
            self.preset.setCurrentIndex(names.index(name))
        else:
            if self.preset.count() == len(names):
                self.preset.addItem("custom")
            self.preset.setCurrentIndex(len(names))
        self.preset.blockSignals(False)

    def _sync_reference(self, kind: str) -> None:
        self.reference.blockSignals(True)
        self.reference.setCurrentText(kind)
        self.reference.blockSignals(False)

    def _on_pick(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if rows:
            row = rows.pop()
            if row != self.ws.current_index:
                self.ws.show_timepoint(row)

    def _sync_side(self, on: bool) -> None:
        """Follow the workstation's side-by-side state (e.g. set by the CLI)."""
        self.side.blockSignals(True)
        self.side.setChecked(on)
        self.side.blockSignals(False)

    def _sync(self, index: int) -> None:
        self.table.blockSignals(True)
        self.table.selectRow(index)
        self.table.blockSignals(False)
