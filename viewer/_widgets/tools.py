"""Measuring tools: caliper, bidirectional, click-to-segment, and recording values.

Lengths shown here are those of :mod:`viewer._measure` (from :mod:`measurements`
and the DICOM geometry), never pixels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from recist.errors import RecistError
from recist.terms import NonTargetState
from viewer._measure import long_and_short
from viewer._panes import REFUSED_ON_REFERENCE, pane_at
from viewer._session import SITES
from viewer._widgets._qt import compact

__all__ = ["ToolsPanel"]

_DRAW_HINT = "Draw the long and the short axis (any order)."


class ToolsPanel(QWidget):
    """Draw, segment and record: the reader's hands."""

    def __init__(self, ws: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self._click_cb: Any = None
        self.readout = QLabel(_DRAW_HINT)
        self.readout.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #ff9090")

        draw = QGroupBox("Measure")
        g = QGridLayout(draw)
        caliper = QPushButton("Caliper line")
        caliper.clicked.connect(self.start_caliper)
        self.bidir = QPushButton("Bidirectional")
        self.bidir.setCheckable(True)
        self.bidir.setToolTip(
            "Draw the long axis, then a second line: it is turned perpendicular"
        )
        self.bidir.toggled.connect(self.set_bidirectional)
        self.segment = QPushButton("Click-to-segment")
        self.segment.setCheckable(True)
        self.segment.toggled.connect(self.arm_segment)
        clear = QPushButton("Clear")
        clear.clicked.connect(lambda: setattr(ws.cur.draft, "data", []))
        g.addWidget(caliper, 0, 0)
        g.addWidget(self.bidir, 0, 1)
        g.addWidget(self.segment, 0, 2)
        g.addWidget(clear, 1, 2)
        g.addWidget(self.readout, 1, 0, 1, 2)

        rec = QGroupBox("Record")
        r = QGridLayout(rec)
        self.site = QComboBox()
        self.site.addItems(list(SITES))
        self.site.setPlaceholderText("choose…")  # no silent default site
        self.site.setCurrentIndex(-1)
        self.nodal = QCheckBox("lymph node (short axis)")
        self.site.currentTextChanged.connect(
            lambda s: self.nodal.setChecked(s == "LYMPH NODE")
        )
        add_t = QPushButton("BL target")
        add_t.clicked.connect(
            lambda: self._record(
                ws.record_target, self.site.currentText(), nodal=self.nodal.isChecked()
            )
        )
        add_nt = QPushButton("BL non-target")
        add_nt.clicked.connect(
            lambda: self._record(
                ws.record_non_target,
                self.site.currentText(),
                nodal=self.nodal.isChecked(),
            )
        )
        self.lesion = QComboBox()
        value = QPushButton("Record value")
        value.clicked.connect(
            lambda: self._do(ws.record_value, self.lesion.currentText())
        )
        small = QPushButton("Too small (5 mm)")
        small.clicked.connect(
            lambda: self._do(ws.mark_target, self.lesion.currentText(), "too_small")
        )
        absent = QPushButton("Absent (0)")
        absent.clicked.connect(
            lambda: self._do(ws.mark_target, self.lesion.currentText(), "absent")
        )
        ne = QPushButton("Not evaluable")
        ne.clicked.connect(
            lambda: self._do(ws.mark_target, self.lesion.currentText(), "not_evaluable")
        )
        self.nt_state = QComboBox()
        self.nt_state.addItems([s.value for s in NonTargetState])
        nt = QPushButton("Set NT state")
        nt.clicked.connect(
            lambda: self._do(
                ws.set_non_target,
                self.lesion.currentText(),
                self.nt_state.currentText(),
            )
        )
        self.equivocal = QCheckBox("equivocal")
        new = QPushButton("New lesion")
        new.clicked.connect(
            lambda: self._record(
                ws.record_new_lesion,
                self.site.currentText(),
                equivocal=self.equivocal.isChecked(),
                nodal=self.nodal.isChecked(),
            )
        )
        for combo in (self.site, self.lesion, self.nt_state):
            compact(combo)
        r.addWidget(QLabel("Site"), 0, 0)
        r.addWidget(self.site, 0, 1, 1, 2)
        r.addWidget(self.nodal, 1, 0, 1, 2)
        r.addWidget(self.equivocal, 1, 2)
        r.addWidget(add_t, 2, 0)
        r.addWidget(add_nt, 2, 1)
        r.addWidget(new, 2, 2)
        r.addWidget(QLabel("Lesion"), 3, 0)
        r.addWidget(self.lesion, 3, 1)
        r.addWidget(value, 3, 2)
        r.addWidget(small, 4, 0)
        r.addWidget(absent, 4, 1)
        r.addWidget(ne, 4, 2)
        r.addWidget(self.nt_state, 5, 0, 1, 2)
        r.addWidget(nt, 5, 2)
        place = QPushButton("Place NT")
        place.setToolTip("Mark where the non-target is: the centre of the drawn line")
        place.clicked.connect(
            lambda: self._do(ws.place_non_target, self.lesion.currentText())
        )
        r.addWidget(place, 6, 2)
        undo = QPushButton("Undo")
        undo.clicked.connect(ws.session.undo)
        redo = QPushButton("Redo")
        redo.clicked.connect(ws.session.redo)
        save = QPushButton("Save")
        save.clicked.connect(lambda: self._do(ws.session.save))
        row = QHBoxLayout()
        for b in (undo, redo, save):
            row.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addWidget(draw)
        lay.addWidget(rec)
        lay.addLayout(row)
        lay.addWidget(self.message)
        for pane in (ws.cur, ws.base):
            pane.draft.events.data.connect(self._on_draft)
        ws.message.connect(self._show_message)
        ws.session.changed.connect(self._lesions)
        self._lesions()

    def _do(self, fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            out = fn(*args, **kw)
        except RecistError as exc:
            self.message.setText(str(exc))
            return None
        self.message.setText("")
        return out

    def _record(self, fn: Any, *args: Any, **kw: Any) -> Any:
        """Record a lesion; then the site is chosen afresh for the next one."""
        out = self._do(fn, *args, **kw)
        if out is not None:
            self.site.setCurrentIndex(-1)
        return out

    def _show_message(self, text: str) -> None:
        self.message.setText(text)

    def _lesions(self, *_: Any) -> None:
        b = self.ws.session.reading.baseline
        ids = [x.lesion_id for x in (*b.targets, *b.non_targets)]
        ids += self.ws.session.new_lesion_ids()  # followed like targets
        keep = self.lesion.currentText()
        self.lesion.clear()
        self.lesion.addItems(ids)
        if keep in ids:
            self.lesion.setCurrentText(keep)

    def start_caliper(self) -> None:
        """Select the current visit's caliper layer in line mode."""
        layer = self.ws.cur.draft
        self.ws.viewer.layers.selection.active = layer
        layer.mode = "add_line"

    def set_bidirectional(self, on: bool) -> None:
        """Bidirectional: lines in caliper mode, the second kept perpendicular."""
        self._do(self.ws.set_bidirectional, on)
        if on:
            self.start_caliper()

    def arm_segment(self, on: bool) -> None:
        """While on, a left click segments the lesion under the cursor."""
        cbs = self.ws.viewer.mouse_drag_callbacks
        if self._click_cb is not None and self._click_cb in cbs:
            cbs.remove(self._click_cb)
            self._click_cb = None
        if not on:
            return

        def click(viewer: Any, event: Any) -> None:
            if event.button != 1:
                return
            pane = pane_at(self.ws, getattr(event, "viewbox", None))
            if pane is not self.ws.cur:  # the reference pane is read-only
                self.message.setText(
                    REFUSED_ON_REFERENCE.format(
                        role=pane.tag.upper(), current=self.ws.cur_role().upper()
                    )
                )
                return
            world = np.asarray(event.position, dtype=float)[-3:]
            self._do(self.ws.auto_segment, world, nodal=self.nodal.isChecked())
            self.segment.setChecked(False)

        self._click_cb = click
        cbs.append(click)

    def _on_draft(self, *_: Any) -> None:
        try:
            lines = self.ws.draft_lines()
        except (RecistError, ValueError):
            return
        if not lines:
            self.readout.setText(_DRAW_HINT)
            return
        if len(lines) > 2:
            self.readout.setText(f"{len(lines)} lines: keep two (Clear)")
            return
        long, short = long_and_short(lines)  # the longer is the long axis
        parts = [f"long {long.length_mm:.1f} mm"]
        if short is not None:
            mark = " ⟂" if self.ws.bidirectional else ""
            parts.append(f"short {short.length_mm:.1f} mm{mark}")
        self.readout.setText("  ·  ".join(parts))
