"""Lesion table: ids, type, site, nodal flag, value per time point, rule violations."""

from __future__ import annotations

from typing import Any

from qtpy.QtGui import QColor
from qtpy.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

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


class LesionTable(QWidget):
    """The reading's lesions; a click jumps to where the lesion was measured."""

    def __init__(self, ws: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.table = QTableWidget(0, 4)
        hide_rows_header(self.table)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._on_pick)
        self.violations = QLabel()
        self.violations.setWordWrap(True)
        self.violations.setStyleSheet("color: #ff6060")
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
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
        for i, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
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

    def _on_pick(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if rows:
            self.ws.goto_lesion(_text(self.table.item(rows.pop(), 0)))


def _text(item: QTableWidgetItem | None) -> str:
    return "" if item is None else item.text()
