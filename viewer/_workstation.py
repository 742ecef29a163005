"""The reading workstation: a napari viewer, the patient's studies and a session.

:class:`Workstation` wires models together and keeps no numbers of its own:
lengths come from :mod:`viewer._measure` (i.e. :mod:`measurements`), responses
from the session (i.e. :func:`recist.assess`), positions from
:mod:`viewer._coords`.  Each visit on screen is a :class:`Pane` of five layers
(image, outline, recorded marks, draft lines, carried-forward locations); side
by side shows the baseline pane and the current pane in napari's grid, which
shares one camera and one slice position in world (= patient) mm.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Generator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from psygnal import Signal

from measurements import Volume
from recist.dicom import SeriesInfo, read_volume
from recist.errors import InvalidInputError
from recist.matching import check_images
from recist.model import Measurement, Reading, mm
from recist.terms import NonTargetState
from viewer import _measure, _navigation
from viewer._coords import (
    index_to_world,
    layer_affine,
    lps_to_world,
    snap_to_slice,
    world_to_index,
)
from viewer._display import (
    PRESETS,
    install_window_drag,
    level_width,
    limits,
    set_view,
    status_text,
)
from viewer._overlays import OrientationLetters, PaneTitle
from viewer._panes import install_reference_guard, pane_at
from viewer._recovery import PendingAutosave, pending_autosave, set_aside
from viewer._render import keep_mesh_shaders, show_if_filled
from viewer._session import ReadingSession
from viewer._studies import Study, find_studies

__all__ = ["Pane", "Workstation", "default_reading_path"]

_EMPTY = np.zeros((1, 1, 1), dtype=np.int16)
_NO_MASK = np.zeros((1, 1, 1), dtype=np.uint8)
_MM = ("mm", "mm", "mm")  # world = patient mm (scale bar)
_COLOURS = {"T": "#ffd400", "N": "#00d0ff", "NE": "#ff4040"}  # target, non-target, new
_CARRY = "#ff8c00"  # where a lesion was at an earlier visit
#: Caliper line width in voxels of the pane's grid (napari Shapes widths are in
#: data units): about 3 screen pixels at the focus zoom on 0.7 mm pixels.
_LINE_WIDTH = 1.0
#: Field of view (mm) around a lesion when the workstation jumps to it.
FOCUS_FOV_MM = 120.0


def _default_recover(viewer: Any) -> Callable[[PendingAutosave], bool | None]:
    """Ask on the viewer's window (Qt), or leave the autosave alone (no window)."""
    qwin = getattr(getattr(viewer, "window", None), "_qt_window", None)
    if qwin is None:
        return lambda _pending: None
    from viewer._widgets.dialogs import ask_recover

    return lambda pending: ask_recover(qwin, pending)


def _check_site(site: str) -> None:
    """Refuse a lesion without a site (no silent default)."""
    if not site or not site.strip():
        raise InvalidInputError("choose the lesion's site first")


def default_reading_path(patient_id: str) -> Path:
    """Where a patient's reading lives unless one is given (``$RECIST_HOME``)."""
    home = os.environ.get("RECIST_HOME") or Path.home() / ".local/share/recist"
    safe = (
        "".join(c if c.isalnum() or c in "-_." else "_" for c in patient_id)
        or "patient"
    )
    return Path(home) / "readings" / f"{safe}.reading.json"


class Pane:
    """The five layers that show one visit (all in world = patient mm)."""

    def __init__(self, viewer: Any, tag: str) -> None:
        self.tag = tag
        self.volume: Volume | None = None
        self.study: Study | None = None
        self.image = viewer.add_image(
            _EMPTY,
            name=f"{tag}: image",
            colormap="gray",
            interpolation2d="linear",
            units=_MM,
        )
        self.outline = viewer.add_labels(
            _NO_MASK, name=f"{tag}: outline", opacity=0.6, visible=False, units=_MM
        )
        self.outline.contour = 1
        #: Array index (z, y, x) of the outline's first voxel (it is cropped).
        self.outline_origin = np.zeros(3)
        #: World = patient mm + ``shift``: the reference pane is moved so that
        #: the lesion jumped to sits where the current visit's does.
        self.shift = np.zeros(3)
        self._affine = np.eye(4)
        feats = {
            "label": np.array([], dtype=object),
            "colour": np.empty((0,), dtype=object),
        }
        text = {
            "string": "{label}",
            "color": {"feature": "colour"},
            "size": 13,
            "anchor": "upper_left",
            "translation": (0.0, -3.0, 0.0),  # voxels: just above the line's box
        }
        self.marks = viewer.add_shapes(
            name=f"{tag}: measurements",
            units=_MM,
            ndim=3,
            edge_color=_COLOURS["T"],
            edge_width=_LINE_WIDTH,
            features=feats,
            feature_defaults={"label": "", "colour": _COLOURS["T"]},
            text=text,
        )
        self.draft = viewer.add_shapes(
            name=f"{tag}: caliper",
            units=_MM,
            ndim=3,
            edge_color="#00ff66",
            edge_width=_LINE_WIDTH,
            features=feats,
            feature_defaults={"label": "", "colour": "#00ff66"},
            text={**text, "color": "#00ff66"},
        )
        self.carry = viewer.add_points(
            np.empty((0, 3)),
            ndim=3,
            name=f"{tag}: previous locations",
            units=_MM,
            symbol="ring",
            size=14,
            face_color="transparent",
            border_color="#ff8c00",
            features=feats,
            text={
                "string": "{label}",
                "color": {"feature": "colour"},
                "size": 11,
                "anchor": "lower_left",
            },
        )
        self.layers = (self.image, self.outline, self.marks, self.draft, self.carry)
        # the pane's title (visit and date) drawn in its corner of the canvas
        title = self.image.name_overlay
        title.visible = True
        title.font_size = 12
        title.color = "white"
        self.text = PaneTitle(self.image)
        self.visible = True
        for layer in (self.marks, self.carry):
            layer.events.data.connect(self._refill)

    def title(self, role: str, note: str = "") -> str:
        """Return the pane's on-canvas title, e.g. ``BASELINE  2026-01-05``."""
        if self.study is None or self.volume is None:
            return role
        date = self.study.date.isoformat() if self.study.date else "no date"
        return "  ".join(x for x in (role, date, note) if x)

    def show(self, study: Study, volume: Volume) -> None:
        """Put a visit's volume in the pane (placed in mm by its geometry)."""
        same = self.volume is volume
        self.study, self.volume = study, volume
        self._affine = layer_affine(volume.geometry)
        self.shift = np.zeros(3)
        self._place()
        if not same:
            self.image.data = volume.array
        self.text.set_title(self.title(self.tag.upper()))
        self.image.metadata = {"recist_volume": volume}
        self.set_outline(None)
        for layer in self.layers:
            layer.units = ("mm", "mm", "mm")  # world = patient mm (scale bar)
        self.draft.data = []

    def _place(self) -> None:
        # annotations live on the image's grid (data = array index), so napari
        # shows them on exactly the slice they were made on
        aff = self._affine.copy()
        aff[:3, 3] += self.shift
        for layer in (self.image, self.marks, self.draft, self.carry):
            layer.affine = aff
        crop = np.eye(4)
        crop[:3, 3] = self.outline_origin
        self.outline.affine = aff @ crop

    def set_shift(self, shift: npt.ArrayLike) -> None:
        """Move the whole pane by ``shift`` world mm (zero: world = patient mm)."""
        self.shift = np.asarray(shift, dtype=float).reshape(3)
        self._place()

    def patient_world(self, world: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Map a napari world point over this pane to patient world mm."""
        return np.asarray(world, dtype=float)[..., -3:] - self.shift

    def set_outline(self, mask: npt.NDArray[np.bool_] | None) -> None:
        """Show a lesion mask as an outline, cropped to its bounding box."""
        if mask is None or not mask.any():
            self.outline_origin = np.zeros(3)
            self.outline.data = _NO_MASK
        else:
            nz = np.nonzero(mask)
            lo = [int(a.min()) for a in nz]
            hi = [int(a.max()) + 1 for a in nz]
            crop = mask[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
            self.outline_origin = np.asarray(lo, dtype=float)
            self.outline.data = np.ascontiguousarray(crop, dtype=np.uint8)
        self._place()
        self._refill()

    def _refill(self, *_: Any) -> None:
        show_if_filled(self.marks, self.visible)
        show_if_filled(self.carry, self.visible)
        self.outline.visible = self.visible and self.outline.data.size > 1

    def to_data(self, world: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """World points -> this pane's annotation data (array index)."""
        if self.volume is None:
            raise InvalidInputError("no image in this pane")
        return world_to_index(self.volume.geometry, world)

    def to_world(self, data: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Map this pane's annotation data (array index) to world points."""
        if self.volume is None:
            raise InvalidInputError("no image in this pane")
        return index_to_world(self.volume.geometry, data)

    def set_visible(self, visible: bool) -> None:
        """Show or hide the whole pane (annotation layers only when not empty)."""
        self.visible = bool(visible)
        self.image.visible = self.visible
        self.draft.visible = self.visible  # the drawing surface: napari edits shown
        self._refill()


class Workstation:
    """A reading session on a napari viewer.

    Parameters
    ----------
    viewer : napari.Viewer or napari.components.ViewerModel
    studies : sequence of Study
        The patient's studies, earliest first (the first is the baseline unless
        the reading names another).
    session : ReadingSession, optional
        Started empty on the baseline date when not given.
    """

    #: Emitted with the new current study index when the time point changes.
    timepoint_changed = Signal(int)
    #: Emitted with the new side-by-side state when it is turned on or off.
    layout_changed = Signal(bool)
    #: Emitted with the window preset applied ("" for a window of the reader's own).
    window_changed = Signal(str)
    #: Emitted with the reference kind ("baseline", "nadir", "previous").
    reference_changed = Signal(str)
    #: Emitted with a message for the reader (e.g. a refused gesture).
    message = Signal(str)

    def __init__(
        self,
        viewer: Any,
        studies: Sequence[Study],
        session: ReadingSession | None = None,
        *,
        reading_path: Path | str | None = None,
    ) -> None:
        if not studies:
            raise InvalidInputError("no image study to read")
        self.viewer = viewer
        self.studies = tuple(studies)
        self.patient_id = self.studies[0].patient_id
        self._volumes: dict[str, Volume] = {}
        self.selected: dict[str, SeriesInfo] = {
            s.study_uid: s.default for s in self.studies
        }
        if session is None:
            first = self.studies[0]
            session = ReadingSession.new(
                first.date or dt.date.today(),
                subject_id=self.patient_id,
                study_uids=(first.study_uid,),
                path=reading_path,
            )
        else:
            check_images(
                session.reading,
                patient_id=self.patient_id,
                study_uids=[s.study_uid for s in self.studies],
            )
        self.session = session
        #: Set by :func:`viewer._widgets.dock_widgets` (asks before closing).
        self.close_guard: Any = None
        self.baseline_index = self._baseline_index(session.reading)
        self.current_index = self.baseline_index
        self.side_by_side = False
        #: Bidirectional tool: the second draft line is kept perpendicular.
        self.bidirectional = False
        #: The visit beside the one being read: one of ``_navigation.REFERENCES``.
        self.reference = "baseline"
        self.reference_index = self.baseline_index
        keep_mesh_shaders()  # see viewer._render: a slice step relinked shaders
        self.base = Pane(viewer, "baseline")
        self.cur = Pane(viewer, "current")
        self.window = PRESETS["soft tissue"]
        self._drag = install_window_drag(viewer, self._visible_images)
        self._guard = install_reference_guard(self)
        self.cur.image.events.contrast_limits.connect(self._on_contrast)
        self.letters = OrientationLetters(viewer)
        viewer.dims.events.point.connect(self._update_pane_text)
        viewer.dims.events.order.connect(self._update_pane_text)
        viewer.scene.camera.events.orientation2d.connect(self._update_pane_text)
        viewer.mouse_move_callbacks.append(self._on_move)
        viewer.mouse_drag_callbacks.append(self._after_drag)
        self.overlay = viewer.canvas.overlays["text"]
        self.overlay.visible = True
        self.overlay.color = "white"
        self.overlay.font_size = 10
        self.overlay.position = "bottom_left"
        viewer.canvas.overlays["scale_bar"].visible = True  # units: the layers' mm
        session.changed.connect(self._redraw)
        self.show_timepoint(self.baseline_index)
        set_view(viewer, "axial")
        self._update_pane_text()
        for pane in (self.cur, self.base):
            pane.draft.events.data.connect(self._on_draft_data)
        self.habits = None
        if getattr(viewer, "window", None) is not None:
            from viewer._habits import ReadingHabits

            self.habits = ReadingHabits(self)

    # -- construction helpers -----------------------------------------------------
    @classmethod
    def open(
        cls,
        viewer: Any,
        path: Path | str,
        *,
        reading: Path | str | None = None,
        timepoint: str | None = None,
        recover: Callable[[PendingAutosave], bool | None] | None = None,
    ) -> Workstation:
        """Open a patient's studies (and a reading file, if given or existing).

        When the reading's autosave holds edits the file lacks
        (:func:`viewer._recovery.pending_autosave`), ``recover`` is asked:
        True takes them back (unsaved until saved), False keeps the file and
        sets the autosave aside, None leaves it (it is set aside before the
        first edit overwrites it).  Default: a question on the viewer's window
        when it has one, else None.
        """
        studies = find_studies(path)
        if not studies:
            raise InvalidInputError(f"no DICOM image series under {path}")
        uids = [s.study_uid for s in studies]
        rpath = (
            Path(reading) if reading else default_reading_path(studies[0].patient_id)
        )
        session = None
        if rpath.exists():
            session = ReadingSession.open(
                rpath, patient_id=studies[0].patient_id, study_uids=uids
            )
        else:
            rpath.parent.mkdir(parents=True, exist_ok=True)
        pending = pending_autosave(rpath)
        if pending is not None:
            answer = (recover or _default_recover(viewer))(pending)
            if answer:
                check_images(
                    pending.reading, patient_id=studies[0].patient_id, study_uids=uids
                )
                if session is None:
                    first = studies[0]
                    session = ReadingSession.new(
                        first.date or dt.date.today(),
                        subject_id=first.patient_id,
                        study_uids=(first.study_uid,),
                        path=rpath,
                    )
                session.recover(pending)
            elif answer is not None:
                set_aside(pending.path)
        ws = cls(viewer, studies, session, reading_path=rpath)
        if timepoint:
            ws.show_timepoint(timepoint)
        return ws

    def _baseline_index(self, reading: Reading) -> int:
        uids = set(reading.baseline.study_uids)
        for i, s in enumerate(self.studies):
            if s.study_uid in uids or (not uids and s.date == reading.baseline.date):
                return i
        return 0

    def volume(self, index: int) -> Volume:
        """Return the volume of a study's selected series (read once)."""
        series = self.selected[self.studies[index].study_uid]
        if series.key not in self._volumes:
            self._volumes[series.key] = read_volume(series)
        return self._volumes[series.key]

    def select_series(self, index: int, key: str) -> None:
        """Read another series of a study (the reader's pick)."""
        study = self.studies[index]
        self.selected[study.study_uid] = next(s for s in study.series if s.key == key)
        if index == self.reference_index:
            self.base.show(study, self.volume(index))
        if index == self.current_index:
            self.cur.show(study, self.volume(index))
        self._redraw()

    # -- navigation ---------------------------------------------------------------
    @property
    def current(self) -> Study:
        """The study being read."""
        return self.studies[self.current_index]

    @property
    def is_baseline(self) -> bool:
        """Whether the baseline is being read."""
        return self.current_index == self.baseline_index

    @property
    def current_date(self) -> dt.date:
        """Date of the time point being read."""
        if self.is_baseline:
            return self.session.reading.baseline.date
        d = self.current.date
        if d is None:
            raise InvalidInputError("this study has no date: it cannot be a time point")
        return d

    def show_timepoint(self, which: int | str | dt.date) -> None:
        """Read a study: by index, ISO date or date."""
        index = self._index(which)
        keep = self.viewer.dims.point if self.viewer.layers else None
        self.current_index = index
        self.cur.show(self.studies[index], self.volume(index))
        if self.base.volume is None:  # not shown yet: on the same grid as cur
            self.base._affine = self.cur._affine
        self._set_base_shift(np.zeros(3))
        self._apply_window()
        self._layout()
        self._redraw()
        if keep is not None and index != self.baseline_index:
            self.viewer.dims.point = keep
        self.timepoint_changed.emit(index)

    def _index(self, which: int | str | dt.date) -> int:
        if isinstance(which, int):
            return which
        d = dt.date.fromisoformat(which) if isinstance(which, str) else which
        for i, s in enumerate(self.studies):
            if s.date == d:
                return i
        dates = ", ".join(str(s.date) for s in self.studies)
        raise InvalidInputError(f"no study on {d}; studies: {dates}")

    @property
    def reference_date(self) -> dt.date:
        """Date of the reference visit (the reading's baseline date for baseline)."""
        if self.reference_index == self.baseline_index:
            return self.session.reading.baseline.date
        d = self.studies[self.reference_index].date
        return d if d is not None else self.session.reading.baseline.date

    def set_reference(self, kind: str) -> None:
        """Show the baseline, the nadir visit or the previous visit as reference."""
        if kind not in _navigation.REFERENCES:
            choices = ", ".join(_navigation.REFERENCES)
            raise InvalidInputError(f"reference must be one of {choices}, not {kind!r}")
        self.reference = kind
        self._layout()
        self._redraw()
        self.reference_changed.emit(kind)

    def _show_reference(self) -> None:
        """Put the reference visit of the current one in the reference pane.

        The pane's images are set only when it shows (side by side at a
        follow-up): a single-pane reading holds no second image layer.
        """
        index = _navigation.reference_index(
            self.reference,
            [s.date for s in self.studies],
            current=self.current_index,
            baseline=self.baseline_index,
            reading=self.session.reading,
        )
        self.reference_index = index
        if not self.side_by_side or self.is_baseline:
            return
        volume = self.volume(index)
        if self.base.volume is not volume:
            self.base.show(self.studies[index], volume)
            self._set_base_shift(np.zeros(3))
            self.base.image.contrast_limits = limits(*self.window)
            self._draw_marks(self.base, self.reference_date)
            self._update_pane_text()

    def step_slice(self, n: int) -> None:
        """Go ``n`` images on (see ``_navigation.NEXT_IMAGE``) in the current pane."""
        vol = self.cur.volume
        if vol is None:
            return
        axis = int(self.viewer.dims.order[0])
        point = list(self.viewer.dims.point)
        point[axis] = _navigation.step_slice(vol.geometry, point[-3:], axis, n)
        self.viewer.dims.point = point

    def _update_pane_text(self, *_: Any) -> None:
        if self.viewer.dims.ndim < 3:
            return
        order = self.viewer.dims.order
        axis = int(order[0])
        world = np.asarray(self.viewer.dims.point, dtype=float)[-3:]
        self.letters.update(order, self.viewer.scene.camera.orientation2d)
        for pane in (self.base, self.cur):
            pane.text.set_slice(pane.volume, pane.patient_world(world), axis)

    def set_side_by_side(self, on: bool) -> None:
        """Baseline (left) and the current visit (right), linked in mm."""
        changed = bool(on) != self.side_by_side
        self.side_by_side = bool(on)
        self._layout()
        if changed:
            self.layout_changed.emit(self.side_by_side)

    def _layout(self) -> None:
        self._show_reference()
        both = self.side_by_side and not self.is_baseline
        self.base.set_visible(both)
        self.cur.set_visible(True)
        ref = self.reference_index
        if ref == self.baseline_index:
            role = "BASELINE"
        else:
            role = f"{self.reference.upper()}: FOLLOW-UP {ref}"
        self.base.text.set_title(self.base.title(role, "(reference)"))
        self.base.image.name_overlay.color = "#9ad0ff"
        self.cur.text.set_title(self.cur.title(self.cur_role()))
        self.overlay.text = f"reading {self.current.label}"
        grid = self.viewer.canvas.grid
        grid.stride = len(self.cur.layers)
        grid.spacing = 6  # px: a dark gutter between the panes
        grid.enabled = both
        self.viewer.layers.selection.active = self.cur.draft

    def cur_role(self) -> str:
        """Role of the visit being read: ``BASELINE`` or ``FOLLOW-UP n``."""
        return "BASELINE" if self.is_baseline else f"FOLLOW-UP {self.current_index}"

    def _status_at(self, world: npt.ArrayLike, pane: Pane | None = None) -> None:
        """Status line of the pane under the cursor: its HU, position and date."""
        pane = self.cur if pane is None else pane
        vol = pane.volume
        if vol is None:
            return
        if pane is self.cur:
            date = self.current_date.isoformat()
            label = date + (" (baseline)" if self.is_baseline else "")
        else:
            date = self.reference_date.isoformat()
            label = f"{date} ({self.reference}, reference)"
        # the reference pane may be moved onto the lesion: back to patient mm
        self.overlay.text = status_text(vol, pane.patient_world(world), label)

    def set_view(self, name: str) -> None:
        """Axial, coronal or sagittal."""
        set_view(self.viewer, name)

    def set_preset(self, name: str) -> None:
        """Apply a window preset to every image (linked window)."""
        self.window = PRESETS[name]
        self._apply_window()

    @property
    def preset(self) -> str:
        """The preset whose window is applied ("" for the reader's own window)."""
        return next((k for k, v in PRESETS.items() if v == self.window), "")

    def _apply_window(self) -> None:
        for layer in (self.base.image, self.cur.image):
            layer.contrast_limits = limits(*self.window)
        self.window_changed.emit(self.preset)

    def _on_contrast(self, *_: Any) -> None:
        """Follow a window set on the image itself (right-drag, layer controls)."""
        lo, hi = self.cur.image.contrast_limits
        window = level_width(float(lo), float(hi))
        if window != self.window:
            self.window = window
            self.window_changed.emit(self.preset)

    def _visible_images(self) -> list[Any]:
        return [p.image for p in (self.base, self.cur) if p.image.visible]

    def goto_lps(self, lps: npt.ArrayLike) -> None:
        """Centre the view on a patient point and move to its slice."""
        w = lps_to_world(lps)
        step = list(self.viewer.dims.point)
        step[0] = float(w[0])
        self.viewer.dims.point = step
        self.viewer.scene.camera.center = tuple(float(v) for v in w)
        self._status_at(w)

    def goto_lesion(self, lesion_id: str) -> bool:
        """Jump to where a lesion was last measured (current visit, else earlier).

        Each pane lands on its own measurement: the reference pane is moved
        (:meth:`Pane.set_shift`) so that the lesion as measured at the reference
        visit sits where it was measured at the current one (on its own slice,
        in the middle); without a reference measurement the panes stay linked
        in patient mm.
        """
        pts = self.lesion_points(lesion_id, upto=self.current_date)
        if not pts:
            return False
        self.goto_pair(np.mean(np.asarray(pts[:2], dtype=float), axis=0), lesion_id)
        return True

    def goto_pair(self, here_lps: npt.ArrayLike, lesion_id: str) -> None:
        """Centre the current pane on a point, the reference pane on the lesion.

        The reference pane shows the lesion as measured at the reference visit
        (linked in patient mm when it has no measurement there).
        """
        here = np.asarray(here_lps, dtype=float)
        self.goto_lps(here)
        ref = ()
        if not self.is_baseline:
            ref = self.lesion_points(lesion_id, upto=self.reference_date)
        shift = np.zeros(3)
        if ref:
            there = np.mean(np.asarray(ref[:2], dtype=float), axis=0)
            shift = lps_to_world(here) - lps_to_world(there)
        self._set_base_shift(shift)
        self._update_pane_text()

    def _set_base_shift(self, shift: npt.ArrayLike) -> None:
        """Move the reference pane, its slices on the current pane's slice grid.

        napari snaps the slice position to one grid for all layers (its slider);
        with the reference slices put on the current visit's grid (a move of
        less than half a slice along the slice axis, so each reference slice
        shown is the nearest one), that grid holds every current slice exactly.
        """
        s = np.asarray(shift, dtype=float).reshape(3).copy()
        cur, ref = self.cur.volume, self.base.volume
        if cur is not None and ref is not None:
            s[0] += _navigation.grid_offset(cur.geometry, ref.geometry, s[0])
        self.base.set_shift(s)

    def zoom_to_fov(self, fov_mm: float = FOCUS_FOV_MM) -> float:
        """Zoom so one pane shows ``fov_mm`` millimetres across its shorter side.

        napari's camera zoom is screen pixels per world unit (mm here); in side
        by side each pane has half the canvas width.  Returns the zoom set.
        """
        h, w = (float(v) for v in self.viewer.canvas.size)
        grid = self.viewer.canvas.grid
        if grid.enabled:
            rows, cols = grid.actual_shape(self.viewer.layers)
            h, w = h / max(rows, 1), w / max(cols, 1)
        zoom = max(min(h, w), 1.0) / float(fov_mm)
        self.viewer.scene.camera.zoom = zoom
        return zoom

    def focus_lesion(self, lesion_id: str, *, fov_mm: float = FOCUS_FOV_MM) -> bool:
        """Jump to a lesion's measured slice and zoom to ``fov_mm`` around it."""
        if not self.goto_lesion(lesion_id):
            return False
        self.zoom_to_fov(fov_mm)
        return True

    def lesion_points(
        self, lesion_id: str, *, upto: dt.date | None = None, before: bool = False
    ) -> tuple[tuple[float, float, float], ...]:
        """Endpoints (LPS) of the latest measurement of a lesion on/before a date."""
        r = self.session.reading
        found: tuple[tuple[float, float, float], ...] = ()
        lesion = self.session.lesion(lesion_id)
        if lesion is not None and lesion.baseline is not None:
            found = lesion.baseline.endpoints_lps
        if lesion is not None and lesion.location_lps is not None:
            found = (lesion.location_lps,)  # a non-target, where it was marked
        for tp in r.followups:
            if upto is not None and (tp.date > upto or (before and tp.date == upto)):
                break
            m = tp.targets.get(lesion_id)
            if m is not None and m.endpoints_lps:
                found = m.endpoints_lps
            for n in tp.new_lesions:
                if n.lesion_id == lesion_id and n.endpoints_lps:
                    found = n.endpoints_lps
        return found

    # -- drawing ------------------------------------------------------------------
    def draw_lines(self, world_lines: Sequence[npt.ArrayLike]) -> None:
        """Put caliper lines (world (z, y, x) ends) in the current pane's draft."""
        self.cur.draft.data = []
        for ends in world_lines:
            w = np.asarray(ends, dtype=float).reshape(2, 3)
            self.cur.draft.add_lines(self.cur.to_data(w))
        self._label_draft()

    def draft_lines(self) -> list[_measure.Line]:
        """Measure the current pane's draft lines in mm (in the order drawn).

        :func:`viewer._measure.long_and_short` names them long and short axis.
        """
        vol = self._vol()
        lines = [
            np.asarray(d, dtype=float)[:2]
            for d, t in zip(self.cur.draft.data, self.cur.draft.shape_type, strict=True)
            if t in ("line", "path")
        ]
        return [_measure.line(vol, self.cur.to_world(ends)) for ends in lines]

    def set_bidirectional(self, on: bool) -> None:
        """Keep the short axis perpendicular to the long axis (and apply it now)."""
        self.bidirectional = bool(on)
        if on:
            self.constrain_short_axis()

    def constrain_short_axis(self) -> bool:
        """Turn the shorter draft line perpendicular to the longer one (in mm).

        See :func:`viewer._measure.perpendicular_short_axis`.  Returns whether
        there was a pair of lines to constrain.
        """
        layer = self.cur.draft
        idx = [i for i, t in enumerate(layer.shape_type) if t in ("line", "path")]
        if len(idx) < 2 or self.cur.volume is None:
            return False
        data = [np.asarray(d, dtype=float) for d in layer.data]
        world = [self.cur.to_world(data[i][:2]) for i in idx[:2]]
        # the longer line is the long axis, whatever the order drawn
        span = [float(np.linalg.norm(w[1] - w[0])) for w in world]
        i_long, i_short = (1, 0) if span[1] > span[0] else (0, 1)
        short_w = _measure.perpendicular_short_axis(world[i_long], world[i_short])
        data[idx[i_short]] = self.cur.to_data(short_w)
        types = list(layer.shape_type)
        layer.data = []
        for d, t in zip(data, types, strict=True):
            layer.add(d, shape_type=t)
        self._label_draft()
        return True

    def _after_drag(self, _viewer: Any, event: Any) -> Generator[None, None, None]:
        """After a drag (a line drawn), apply the bidirectional constraint."""
        yield
        while event.type == "mouse_move":
            yield
        if self.bidirectional:
            self.constrain_short_axis()

    def _on_draft_data(self, *_: Any) -> None:
        """Caption lines drawn with the mouse as the tool draws them."""
        self._label_draft()

    def _label_draft(self) -> None:
        try:
            lines = self.draft_lines()
        except InvalidInputError:
            return
        labels = [f"{ln.length_mm:.1f} mm" for ln in lines]
        n = len(self.cur.draft.data)
        labels += [""] * (n - len(labels))
        if list(self.cur.draft.features["label"]) != labels[:n]:
            self.cur.draft.features = {
                "label": np.array(labels[:n], dtype=object),
                "colour": np.array(["#00ff66"] * n, dtype=object),
            }

    def auto_segment(self, seed_world: npt.ArrayLike, *, nodal: bool = False) -> None:
        """Click-to-segment: outline the lesion, place its long and short axes."""
        vol = self._vol()
        res = _measure.auto_axes(vol, seed_world, nodal=nodal)
        self.cur.set_outline(res.mask)
        self.draw_lines(
            [
                lps_to_world(res.long.endpoints_lps),
                lps_to_world(res.short.endpoints_lps),
            ]
        )
        self.goto_lps(np.mean(np.asarray(res.long.endpoints_lps), axis=0))

    def _vol(self) -> Volume:
        if self.cur.volume is None:
            raise InvalidInputError("no image")
        return self.cur.volume

    def _draft_measurement(self, nodal: bool) -> Measurement:
        if self.bidirectional:
            self.constrain_short_axis()
        long, short = _measure.long_and_short(self.draft_lines())
        if nodal and short is None:  # one line on a node is its short axis
            return _measure.target_measurement(long, None, nodal=False)
        return _measure.target_measurement(long, short, nodal=nodal)

    # -- recording ----------------------------------------------------------------
    def _ensure_followup(self) -> dt.date:
        d = self.current_date
        if not self.is_baseline and self.session.followup(d) is None:
            self.session.add_followup(d, study_uids=(self.current.study_uid,))
        return d

    def record_target(self, site: str, *, nodal: bool = False) -> str:
        """Baseline: add a target lesion measured by the draft lines."""
        self._need_baseline()
        _check_site(site)
        m = self._draft_measurement(nodal)
        thick = self._vol().metadata.get("slice_thickness")
        lid = self.session.add_target(
            site,
            m,
            nodal=nodal,
            slice_thickness_mm=None if thick is None else mm(thick),
        )
        self.cur.draft.data = []
        return lid

    def record_non_target(self, site: str, *, nodal: bool = False) -> str:
        """Baseline: add a non-target lesion, marked where the draft line points.

        The centre of the drawn line(s) (a point or an arrow across the lesion)
        is its location, so it can be jumped to and is shown at later visits;
        without a line it has none (the reader can place it later).
        """
        self._need_baseline()
        _check_site(site)
        lid = self.session.add_non_target(
            site, nodal=nodal, location_lps=self._draft_point()
        )
        self.cur.draft.data = []
        return lid

    def place_non_target(self, lesion_id: str) -> None:
        """Mark (again) where a non-target is: the centre of the draft line(s)."""
        point = self._draft_point()
        if point is None:
            raise InvalidInputError("draw a line across the non-target to place it")
        self.session.set_location(lesion_id, point)
        self.cur.draft.data = []

    def _draft_point(self) -> tuple[float, float, float] | None:
        lines = self.draft_lines()
        if not lines:
            return None
        ends = np.asarray([p for ln in lines for p in ln.endpoints_lps], dtype=float)
        x, y, z = (float(v) for v in ends.mean(axis=0))
        return (x, y, z)

    def _need_baseline(self) -> None:
        if not self.is_baseline:
            raise InvalidInputError(
                "targets and non-targets are chosen at baseline: "
                "open the baseline study"
            )

    def _need_followup(self) -> dt.date:
        if self.is_baseline:
            raise InvalidInputError("open a follow-up study to record its values")
        return self._ensure_followup()

    def record_value(self, lesion_id: str) -> None:
        """Record a target's (or earlier new lesion's) value from the draft lines."""
        lesion = self.session.lesion(lesion_id)
        if lesion is None:
            self._new_lesion_again(lesion_id, measure=True)
            self.cur.draft.data = []
            return
        if self.is_baseline:
            self.session.update_lesion(
                lesion_id, baseline=self._draft_measurement(lesion.nodal)
            )
        else:
            m = self._draft_measurement(lesion.nodal)
            with self.session.one_step():
                d = self._need_followup()
                self.session.set_target_value(d, lesion_id, m)
        self.cur.draft.data = []

    def _new_lesion_again(
        self, lesion_id: str, *, measure: bool = False, **value: Any
    ) -> None:
        """Follow an earlier visit's new lesion: measure it again, or mark it."""
        if self.is_baseline:
            raise InvalidInputError(f"no baseline lesion {lesion_id}")
        d = self.current_date
        prev = self.session.new_lesion(lesion_id, upto=d)
        if prev is None:
            msg = f"no lesion {lesion_id} at baseline or listed as new by {d}"
            raise InvalidInputError(msg)
        if measure:
            m = self._draft_measurement(prev.nodal)
            value = {
                "diameter_mm": m.diameter_mm,
                "image": m.image,
                "endpoints_lps": m.endpoints_lps,
                "measurable": True,
            }
        with self.session.one_step():
            self._ensure_followup()
            self.session.add_new_lesion(
                d,
                prev.site,
                equivocal=prev.equivocal,
                nodal=prev.nodal,
                lesion_id=lesion_id,
                **value,
            )

    def mark_target(self, lesion_id: str, kind: str) -> None:
        """Follow-up: mark a target too small (5 mm), absent (0 mm) or not evaluable.

        ``kind`` is ``"too_small"``, ``"absent"`` or ``"not_evaluable"``.  An
        earlier visit's new lesion can be marked ``"absent"`` (resolved, 0 mm)
        or ``"too_small"`` (present, not measurable).
        """
        if self.session.lesion(lesion_id) is None and not self.is_baseline:
            new_values: dict[str, dict[str, Any]] = {
                "absent": {"diameter_mm": mm(0), "measurable": True},
                "too_small": {"diameter_mm": None, "measurable": False},
            }
            if kind not in new_values:
                msg = (
                    f"{lesion_id} is a new lesion: present (measured or not) or absent"
                )
                raise InvalidInputError(msg)
            self._new_lesion_again(lesion_id, **new_values[kind])
            return
        values = {
            "too_small": Measurement.too_small,
            "absent": lambda: Measurement.of_mm(0),
            "not_evaluable": Measurement.not_evaluated,
        }
        with self.session.one_step():
            d = self._need_followup()
            self.session.set_target_value(d, lesion_id, values[kind]())

    def set_non_target(self, lesion_id: str, state: NonTargetState | str) -> None:
        """Follow-up: a non-target's state."""
        with self.session.one_step():
            d = self._need_followup()
            self.session.set_non_target_state(d, lesion_id, NonTargetState(state))

    def record_new_lesion(
        self, site: str, *, equivocal: bool = False, nodal: bool = False
    ) -> str:
        """Follow-up: a new lesion, measured by the draft lines when there are some."""
        if self.is_baseline:
            raise InvalidInputError("open a follow-up study to record its values")
        _check_site(site)
        d = self.current_date
        lines = self.draft_lines()
        kw: dict[str, Any] = {}
        if lines:
            m = self._draft_measurement(nodal)
            kw = {
                "diameter_mm": m.diameter_mm,
                "image": m.image,
                "endpoints_lps": m.endpoints_lps,
                "measurable": True,
            }
        with self.session.one_step():
            self._ensure_followup()
            lid = self.session.add_new_lesion(
                d, site, equivocal=equivocal, nodal=nodal, **kw
            )
        self.cur.draft.data = []
        return lid

    # -- redraw -------------------------------------------------------------------
    def _redraw(self, *_: Any) -> None:
        if self.base.volume is not None:
            self._draw_marks(self.base, self.reference_date)
        self._draw_marks(self.cur, self.current_date if self.cur.study else None)
        self._draw_carry()

    def _draw_marks(self, pane: Pane, date: dt.date | None) -> None:
        r = self.session.reading
        lines: list[npt.NDArray[np.float64]] = []
        labels: list[str] = []
        colours: list[str] = []

        def add(
            lid: str, points: tuple[tuple[float, float, float], ...], value: Any, c: str
        ) -> None:
            for j, seg in enumerate(_measure.world_lines(points)):
                lines.append(seg)
                labels.append(f"{lid} {value} mm" if j == 0 else "")
                colours.append(c)

        if date == r.baseline.date:
            for t in r.baseline.targets:
                if t.baseline is not None:
                    add(
                        t.lesion_id,
                        t.baseline.endpoints_lps,
                        t.diameter_mm,
                        _COLOURS["T"],
                    )
        else:
            tp = self.session.followup(date) if date else None
            if tp is not None:
                for lid, m in tp.targets.items():
                    add(lid, m.endpoints_lps, m.value_mm, _COLOURS["T"])
                for n in tp.new_lesions:
                    add(n.lesion_id, n.endpoints_lps, n.diameter_mm, _COLOURS["NE"])
        pane.marks.data = []
        if lines:
            pane.marks.add_lines([pane.to_data(w) for w in lines], edge_color=colours)
        pane.marks.features = {
            "label": np.array(labels, dtype=object),
            "colour": np.array(colours, dtype=object),
        }

    def _draw_carry(self) -> None:
        pane = self.cur
        r = self.session.reading
        # non-targets where the reader marked them, at every visit
        ids = [n.lesion_id for n in r.baseline.non_targets if n.location_lps]
        if not self.is_baseline:  # a target's caliper shows at baseline
            ids += [t.lesion_id for t in r.baseline.targets]
        ids += [
            n.lesion_id
            for tp in r.followups
            if tp.date < self.current_date
            for n in tp.new_lesions
        ]
        pts, labels, colours = [], [], []
        new_ids = {n.lesion_id for tp in r.followups for n in tp.new_lesions}
        tp = None if self.is_baseline else self.session.followup(self.current_date)
        done = (
            set()
            if tp is None
            else {*tp.targets, *(n.lesion_id for n in tp.new_lesions)}
        )
        for lid in dict.fromkeys(ids):
            if lid in done:  # measured at this visit: its caliper shows where it is
                continue
            p = self.lesion_points(lid, upto=self.current_date, before=True)
            if p:
                pts.append(
                    lps_to_world(np.mean(np.asarray(p[:2], dtype=float), axis=0))
                )
                labels.append(lid)
                colours.append(_COLOURS["NE"] if lid in new_ids else _CARRY)
        world = np.asarray(pts, dtype=float).reshape(-1, 3)
        if pane.volume is not None and len(world):
            world = snap_to_slice(pane.volume.geometry, world)
            pane.carry.data = pane.to_data(world)
            pane.carry.border_color = colours
        else:
            pane.carry.data = np.empty((0, 3))
        pane.carry.features = {
            "label": np.array(labels, dtype=object),
            "colour": np.array(colours, dtype=object),
        }

    def _on_move(self, viewer: Any, event: Any) -> None:
        pane = pane_at(self, getattr(event, "viewbox", None))
        world = np.asarray(viewer.cursor.position, dtype=float)[-3:]
        self._status_at(world, pane)

    def status(self, world: npt.ArrayLike) -> str:
        """Return the status line for a world point on the current visit."""
        return status_text(self._vol(), world, self.current_date.isoformat())

    def slice_z_mm(self, pane: Pane) -> float | None:
        """LPS z (mm) of the slice a pane shows at the current slice position."""
        if pane.volume is None:
            return None
        g = pane.volume.geometry
        world = pane.patient_world(self.viewer.dims.point[-3:])
        k = int(np.rint(world_to_index(g, world)[0]))
        if not 0 <= k < g.size[2]:
            return None
        return float(g.zyx_to_lps([k, 0, 0])[2])
