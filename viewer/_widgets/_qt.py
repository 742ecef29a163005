"""Small Qt helpers shared by the dock widgets."""

from __future__ import annotations

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QComboBox, QSizePolicy, QTableWidget

__all__ = ["compact", "fit_rows", "hide_rows_header"]


def compact(combo: QComboBox, chars: int = 8) -> None:
    """Let a combo box shrink below its longest item (the dock stays narrow)."""
    combo.setSizeAdjustPolicy(
        QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
    )
    combo.setMinimumContentsLength(chars)


def hide_rows_header(table: QTableWidget) -> None:
    """Hide a table's row numbers (the rows are named by their first column)."""
    header = table.verticalHeader()
    if header is not None:
        header.setVisible(False)


def fit_rows(table: QTableWidget, *, min_rows: int = 1, max_rows: int = 12) -> None:
    """Make a table as tall as its rows and its columns as wide as their contents.

    Up to ``max_rows`` rows show without a vertical scroll bar; the last column
    stretches to the dock's width.
    """
    table.resizeColumnsToContents()
    table.resizeRowsToContents()
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    head = table.horizontalHeader()
    head_h = 0
    if head is not None:
        head.setStretchLastSection(True)
        head_h = head.sizeHint().height()
    rows = table.verticalHeader()
    default = rows.defaultSectionSize() if rows is not None else 30
    heights = [table.rowHeight(i) for i in range(min(table.rowCount(), max_rows))]
    heights += [default] * max(0, min_rows - len(heights))
    table.setFixedHeight(head_h + sum(heights) + 2 * table.frameWidth() + 4)
    table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
