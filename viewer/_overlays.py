"""Text drawn in each pane: orientation letters at its edges, slice number and position.

The letters are napari canvas text overlays duplicated in every grid cell
(``gridded``): both panes show the same plane, so the same letters.  A pane's
own slice line (its image number and position in patient mm) is the second line
of its title, the name overlay of its image layer, which napari draws in that
layer's grid cell.  Their content comes from :mod:`viewer._navigation`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from measurements import Volume
from viewer._navigation import orientation_letters, slice_label

__all__ = ["EDGES", "OrientationLetters", "PaneTitle"]

#: Edge -> napari canvas position of its orientation letter.
EDGES = {
    "top": "top_center",
    "bottom": "bottom_center",
    "left": "middle_left",
    "right": "middle_right",
}
_COLOUR = "#ffe08a"


class OrientationLetters:
    """Patient direction letters (R/L/A/P/S/I) at the edges of every pane."""

    def __init__(self, viewer: Any) -> None:
        from napari.components.overlays import TextOverlay

        self.overlays: dict[str, Any] = {}
        for edge, position in EDGES.items():
            overlay = TextOverlay(
                text="",
                position=position,
                font_size=13,
                color=_COLOUR,
                gridded=True,
                visible=True,
            )
            viewer.canvas.overlays[f"recist_orientation_{edge}"] = overlay
            self.overlays[edge] = overlay

    def update(self, order: Any, orientation2d: Any) -> None:
        """Letters for the displayed plane."""
        for edge, letter in orientation_letters(order, orientation2d).items():
            if self.overlays[edge].text != letter:
                self.overlays[edge].text = letter

    def texts(self) -> dict[str, str]:
        """Each edge's letter."""
        return {edge: o.text for edge, o in self.overlays.items()}


class PaneTitle:
    """A pane's title (visit and date) over its slice line, in the pane's corner."""

    def __init__(self, image: Any) -> None:
        self.image = image
        self.title = ""
        self.slice = ""

    def set_title(self, title: str) -> None:
        """Set the first line: role and date of the visit."""
        self.title = title
        self._write()

    def set_slice(
        self, volume: Volume | None, patient_world: npt.ArrayLike, axis: int
    ) -> None:
        """Set the second line: the pane's own image number and position."""
        text = (
            ""
            if volume is None
            else slice_label(volume.geometry, np.asarray(patient_world, float), axis)
        )
        if text != self.slice:
            self.slice = text
            self._write()

    def _write(self) -> None:
        name = f"{self.title}\n{self.slice}" if self.slice else self.title
        if self.image.name != name:
            self.image.name = name
