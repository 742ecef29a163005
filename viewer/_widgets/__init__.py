"""Dock widgets of the recist napari plugin."""

from __future__ import annotations

from typing import Any

__all__ = ["dock_widgets"]


def dock_widgets(viewer: Any, ws: Any) -> dict[str, Any]:
    """Dock every workstation widget on a viewer; returns them by name."""
    from viewer._widgets.lesion_table import LesionTable
    from viewer._widgets.response_panel import ResponsePanel
    from viewer._widgets.timepoints import TimepointBrowser
    from viewer._widgets.tools import ToolsPanel

    widgets: dict[str, Any] = {
        "timepoints": TimepointBrowser(ws),
        "tools": ToolsPanel(ws),
        "lesions": LesionTable(ws),
        "response": ResponsePanel(ws.session),
    }
    win = viewer.window
    win.add_dock_widget(widgets["timepoints"], name="Time points", area="left")
    win.add_dock_widget(widgets["tools"], name="Tools", area="left")
    win.add_dock_widget(widgets["lesions"], name="Lesions", area="right")
    win.add_dock_widget(widgets["response"], name="Response", area="right")
    return widgets


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
