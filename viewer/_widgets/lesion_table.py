"""Lesion table: ids, type, site, nodal flag, value per time point, rule violations."""

from __future__ import annotations

from typing import Any

from qtpy.QtCore import QEvent, QObject, Qt, QTimer
from qtpy.QtGui import QColor
from qtpy.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from recist.errors import RecistError
from viewer._widgets._qt import fit_rows, hide_rows_header

__all__ = ["LesionTable"]


def _value(m: Any) -> str:
    if m is None:
        return ""
    v = m.value_mm
    kind = m.kind.value
    if kind == "MEASURED":
        return f"{v:.1f}"
    return {"TOO SMALL TO MEASURE": "too small (5)", "NOT EVALUATED": "NE"}.get(
        kind, f"{kind.lower()} ({v})"
    )


#: Columns the reader may edit in place: the id (rename) and the site (re-site).
ID_COLUMN, SITE_COLUMN = 0, 2


class LesionTable(QWidget):
    """The reading's lesions; a click jumps to where the lesion was measured.

    Double-click (or F2 on) a lesion's ID or Site to rename or re-site it; the
    Delete key or button deletes the selected lesion.  Each is one undoable
    edit of the session, with its audit entry.
    """

    def __init__(self, ws: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.table = QTableWidget(0, 4)
        hide_rows_header(self.table)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.table.itemSelectionChanged.connect(self._on_pick)
        self.table.itemChanged.connect(self._on_edit)
        self._row_ids: list[str] = []
        self.delete = QPushButton("Delete lesion")
        self.delete.setToolTip("Delete the selected lesion and its values (Undo)")
        self.delete.clicked.connect(self.delete_selected)
        self.table.installEventFilter(self)  # the Delete key deletes
        hint = QLabel("Double-click an ID or Site to rename or re-site.")
        hint.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #ff9090")
        self.violations = QLabel()
        self.violations.setWordWrap(True)
        self.violations.setStyleSheet("color: #ff6060")
        row = QHBoxLayout()
        row.addWidget(hint, 1)
        row.addWidget(self.delete)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addLayout(row)
        lay.addWidget(self.message)
        lay.addWidget(self.violations)
        ws.session.changed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_: Any) -> None:
        """Rebuild from the session's reading and the engine's rule check."""
        r = self.ws.session.reading
        dates = [tp.date for tp in r.followups]
        head = ["ID", "Type", "Site", "Node", f"BL\n{r.baseline.date}"]
        head += [f"FU{j}\n{d.isoformat()}" for j, d in enumerate(dates, 1)]
        rows: list[list[str]] = []
        for t in r.baseline.targets:
            row = [
                t.lesion_id,
                "target",
                t.site,
                "yes" if t.nodal else "",
                _value(t.baseline),
            ]
            row += [_value(tp.targets.get(t.lesion_id)) for tp in r.followups]
            rows.append(row)
        for n in r.baseline.non_targets:
            row = [
                n.lesion_id,
                "non-target",
                n.site,
                "yes" if n.nodal else "",
                "present",
            ]
            for tp in r.followups:
                st = tp.non_targets.get(n.lesion_id)
                row.append("" if st is None else st.value.lower())
            rows.append(row)
        seen: dict[str, list[str]] = {}
        for j, tp in enumerate(r.followups):
            for nl in tp.new_lesions:
                row = seen.setdefault(
                    nl.lesion_id,
                    [
                        nl.lesion_id,
                        "new" + (" (equivocal)" if nl.equivocal else ""),
                        nl.site,
                        "yes" if nl.nodal else "",
                        "",
                    ]
                    + [""] * len(dates),
                )
                row[5 + j] = (
                    "present" if nl.diameter_mm is None else f"{nl.diameter_mm:.1f}"
                )
        rows += list(seen.values())
        self.table.blockSignals(True)
        self.table.setColumnCount(len(head))
        self.table.setHorizontalHeaderLabels(head)
        self.table.setRowCount(len(rows))
        bad = {v.lesion for v in self.ws.session.violations() if v.lesion}
        self._row_ids = [row[0] for row in rows]
        for i, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c not in (ID_COLUMN, SITE_COLUMN):
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if row[0] in bad:
                    item.setForeground(QColor("#ff6060"))
                self.table.setItem(i, c, item)
        fit_rows(self.table, min_rows=4, max_rows=12)
        self.table.blockSignals(False)
        v = self.ws.session.violations()
        self.violations.setText(
            "\n".join(
                f"⚠ {x.rule} [{x.code}]{' ' + x.lesion if x.lesion else ''}: {x}"
                for x in v
            )
        )

    def ids(self) -> list[str]:
        """Lesion ids in table order."""
        return [_text(self.table.item(i, 0)) for i in range(self.table.rowCount())]

    def select(self, lesion_id: str) -> None:
        """Select a lesion's row (as a click would)."""
        self.table.selectRow(self.ids().index(lesion_id))

    def _on_edit(self, item: QTableWidgetItem) -> None:
        """Rename (ID column) or re-site (Site column) the edited row's lesion.

        Applied once the cell editor has closed: the edit rebuilds the table.
        """
        row, col, text = item.row(), item.column(), item.text()
        if 0 <= row < len(self._row_ids):
            lid = self._row_ids[row]
            QTimer.singleShot(0, lambda: self._apply_edit(lid, col, text))

    def _apply_edit(self, lid: str, col: int, text: str) -> None:
        session = self.ws.session
        try:
            if col == ID_COLUMN:
                session.rename_lesion(lid, text)
            elif col == SITE_COLUMN:
                session.set_site(lid, text)
        except RecistError as exc:
            self.message.setText(str(exc))
            self.refresh()  # back to what the reading holds
            return
        self.message.setText("")

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """Delete (or Backspace) on the table deletes the selected lesion."""
        if (
            obj is self.table
            and event.type() == QEvent.Type.KeyPress
            and self.table.state() != QAbstractItemView.State.EditingState
            and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)  # type: ignore[attr-defined]
        ):
            self.delete_selected()
            return True
        return super().eventFilter(obj, event)

    def delete_selected(self) -> None:
        """Delete the selected lesion (with its values at every visit)."""
        rows = {i.row() for i in self.table.selectedIndexes()}
        if not rows:
            self.message.setText("select the lesion to delete")
            return
        lid = self._row_ids[rows.pop()]
        try:
            self.ws.session.remove_lesion(lid)
        except RecistError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText(f"{lid} deleted (Undo brings it back)")

    def _on_pick(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if rows:
            self.ws.goto_lesion(_text(self.table.item(rows.pop(), 0)))


def _text(item: QTableWidgetItem | None) -> str:
    return "" if item is None else item.text()
