"""Response panel: per time point sum, % change, responses with reasons, and BOR.

Every value shown is from :func:`recist.assess` (through the session); the panel
formats, it does not compute.  It follows the session's ``changed`` signal.
"""

from __future__ import annotations

from typing import Any

from qtpy.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from recist.model import Assessment
from recist.terms import Criteria
from viewer._session import ReadingSession
from viewer._widgets._qt import fit_rows, hide_rows_header

__all__ = ["ResponsePanel"]

COLUMNS = (
    "Date",
    "Sum mm",
    "% BL",
    "% nadir",
    "Target",
    "Non-target",
    "New",
    "Overall",
)


def _num(v: Any, pct: bool = False) -> str:
    if v is None:
        return "--"
    return f"{v:+.1f}" if pct else f"{v:.1f}"


class ResponsePanel(QWidget):
    """Live table of the engine's assessment of the session's reading."""

    def __init__(self, session: ReadingSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.criteria = QComboBox()
        self.criteria.addItems([c.value for c in Criteria])
        self.criteria.setCurrentText(session.reading.criteria.value)
        self.criteria.currentTextChanged.connect(self._on_criteria)
        top = QHBoxLayout()
        top.addWidget(QLabel("Criteria"))
        top.addWidget(self.criteria)
        self.bor = QLabel()
        self.bor.setStyleSheet("font-weight: bold")
        top.addWidget(self.bor, 1)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        hide_rows_header(self.table)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.reasons = QPlainTextEdit()
        self.reasons.setReadOnly(True)
        self.reasons.setMinimumHeight(160)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.table)
        lay.addWidget(self.reasons)
        session.changed.connect(self.refresh)
        self.refresh()

    def _on_criteria(self, text: str) -> None:
        self.session.set_criteria(Criteria(text))

    def rows(self) -> list[tuple[str, ...]]:
        """Return the table as text, one tuple per row (baseline first)."""
        return [
            tuple(_text(self.table.item(r, c)) for c in range(self.table.columnCount()))
            for r in range(self.table.rowCount())
        ]

    def refresh(self, *_: Any) -> None:
        """Re-read the assessment from the engine."""
        a = self.session.assessment()
        self.criteria.blockSignals(True)
        self.criteria.setCurrentText(self.session.reading.criteria.value)
        self.criteria.blockSignals(False)
        if a is None:
            self.table.setRowCount(0)
            v = self.session.violations()
            self.bor.setText("BOR: --")
            self.reasons.setPlainText(
                "\n".join(f"{x.rule}: {x}" for x in v) or "nothing to assess yet"
            )
            return
        self._fill(a)

    def _fill(self, a: Assessment) -> None:
        rows = [
            (
                a.reading.baseline.date.isoformat(),
                _num(a.baseline_sum_mm),
                "",
                "",
                "",
                "",
                "",
                "baseline",
            )
        ]
        text = []
        for tp in a.timepoints:
            rows.append(
                (
                    tp.date.isoformat(),
                    _num(tp.sum_mm),
                    _num(tp.pct_from_baseline, pct=True),
                    _num(tp.pct_from_nadir, pct=True),
                    tp.target.value.value,
                    tp.non_target.value.value,
                    tp.new_lesions.value.value,
                    tp.overall.value.value,
                )
            )
            text.append(f"{tp.date}  {tp.overall.reason}  [{tp.overall.rule}]")
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, val in enumerate(row):
                item = QTableWidgetItem(val)
                if r > 0 and c == 7:
                    item.setToolTip(a.timepoints[r - 1].overall.reason)
                self.table.setItem(r, c, item)
        fit_rows(self.table, max_rows=12)
        b = a.best_overall_response
        self.bor.setText(f"BOR: {b.value.value}")
        self.bor.setToolTip(f"{b.reason} ({b.rule})")
        text.append(f"BOR {b.value.value}: {b.reason}  [{b.rule}]")
        text += [f"warning: {w}" for w in a.warnings]
        self.reasons.setPlainText("\n\n".join(text))

    @property
    def best_response(self) -> str:
        """The BOR as shown."""
        return self.bor.text().removeprefix("BOR: ")


def _text(item: QTableWidgetItem | None) -> str:
    return "" if item is None else item.text()
