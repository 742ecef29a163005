"""Dock widgets of the recist napari plugin."""

from __future__ import annotations

from typing import Any

__all__ = ["arrange_docks", "dock_widgets", "hide_layer_docks"]


def dock_widgets(viewer: Any, ws: Any) -> dict[str, Any]:
    """Dock every workstation widget on a viewer; returns them by name."""
    from viewer._widgets.lesion_table import LesionTable
    from viewer._widgets.proposals import ProposalPanel
    from viewer._widgets.response_panel import ResponsePanel
    from viewer._widgets.timepoints import TimepointBrowser
    from viewer._widgets.tools import ToolsPanel

    widgets: dict[str, Any] = {
        "timepoints": TimepointBrowser(ws),
        "tools": ToolsPanel(ws),
        "lesions": LesionTable(ws),
        "response": ResponsePanel(ws.session),
        "proposals": ProposalPanel(ws),
    }
    win = viewer.window
    win.add_dock_widget(widgets["timepoints"], name="Time points", area="left")
    win.add_dock_widget(widgets["tools"], name="Tools", area="left")
    win.add_dock_widget(widgets["lesions"], name="Lesions", area="right")
    win.add_dock_widget(widgets["response"], name="Response", area="right")
    win.add_dock_widget(widgets["proposals"], name="Proposals", area="right")
    hide_layer_docks(viewer)
    arrange_docks(viewer, widgets)
    from viewer._widgets.dialogs import install_close_guard

    ws.close_guard = install_close_guard(viewer, ws.session)  # unsaved: ask
    return widgets


def hide_layer_docks(viewer: Any) -> None:
    """Hide napari's layer controls and layer list (Window menu reopens them).

    A reader works with the workstation's panels; the generic layer docks take
    a third of the screen and expose the annotation layers' internals.
    """
    qt_viewer = viewer.window._qt_viewer
    for dock in (qt_viewer.dockLayerControls, qt_viewer.dockLayerList):
        dock.setVisible(False)


#: Widths (px) of the left (time points, tools) and right (lesions, response)
#: dock columns; the right one grows (to ``RIGHT_DOCK_MAX_PX``) until the lesion
#: table's per-visit columns fit without scrolling.
LEFT_DOCK_PX = 340
RIGHT_DOCK_PX = 560
RIGHT_DOCK_MAX_PX = 760


def _dock_of(widget: Any) -> Any:
    from qtpy.QtWidgets import QDockWidget

    w = widget
    while w is not None and not isinstance(w, QDockWidget):
        w = w.parentWidget()
    return w


def arrange_docks(viewer: Any, widgets: dict[str, Any]) -> None:
    """Size the dock columns; the tables' docks get the height their rows need.

    Call again after the window is resized (Qt keeps proportions, not sizes).
    """
    from qtpy.QtCore import Qt

    qwin = viewer.window._qt_window
    docks = {k: _dock_of(w) for k, w in widgets.items()}
    if any(d is None for d in docks.values()):
        return
    table = widgets["lesions"].table
    head = table.horizontalHeader()
    need = 40 + sum(
        max(table.sizeHintForColumn(c), head.sectionSizeHint(c))
        for c in range(table.columnCount())
    )
    right = min(max(RIGHT_DOCK_PX, need), RIGHT_DOCK_MAX_PX)
    qwin.resizeDocks(
        [docks["timepoints"], docks["lesions"]],
        [LEFT_DOCK_PX, right],
        Qt.Orientation.Horizontal,
    )
    height = max(qwin.height(), 600)
    for top, bottom in (("timepoints", "tools"), ("lesions", "response")):
        need = int(widgets[top].sizeHint().height()) + 40
        qwin.resizeDocks(
            [docks[top], docks[bottom]],
            [need, max(height - need, 300)],
            Qt.Orientation.Vertical,
        )


def make_workstation_widget(napari_viewer: Any) -> Any:
    """npe2 widget: a panel that opens a patient's studies and docks the rest."""
    from qtpy.QtWidgets import QFileDialog, QLabel, QPushButton, QVBoxLayout, QWidget

    from viewer._workstation import Workstation

    panel = QWidget()
    lay = QVBoxLayout(panel)
    info = QLabel("Open a folder or zip with one patient's studies.")
    info.setWordWrap(True)
    button = QPushButton("Open studies…")
    lay.addWidget(info)
    lay.addWidget(button)

    def open_folder() -> None:
        path = QFileDialog.getExistingDirectory(panel, "Patient studies")
        if not path:
            return
        ws = Workstation.open(napari_viewer, path)
        dock_widgets(napari_viewer, ws)
        info.setText(f"Patient {ws.patient_id}: {len(ws.studies)} studies")
        panel.setProperty("workstation", ws)

    button.clicked.connect(open_folder)
    return panel


__all__ += ["make_workstation_widget"]
