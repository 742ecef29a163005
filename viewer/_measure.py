"""Measurements made on screen, turned into engine values (no Qt).

Every length comes from :mod:`measurements` (``caliper_mm``, ``segment_lesion``,
``measure_lesion``) on the volume's own geometry; this module only maps napari
world points to indices (through :mod:`viewer._coords`) and packs the results
with the image they were made on (:class:`recist.ImageRef`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from measurements import Volume, caliper_mm, measure_lesion, segment_lesion
from recist.errors import InvalidInputError
from recist.model import ImageRef, Measurement, PointLPS
from viewer._coords import lps_to_world, world_to_index, world_to_lps

__all__ = [
    "AutoAxes",
    "Line",
    "auto_axes",
    "image_ref",
    "line",
    "long_and_short",
    "perpendicular_short_axis",
    "target_measurement",
    "world_lines",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class Line:
    """A calliper line on one slice.

    Parameters
    ----------
    length_mm : float
        From :func:`measurements.caliper_mm` with the volume's spacing.
    endpoints_lps : tuple of 2 (x, y, z)
        The ends in patient mm.
    image : ImageRef
        The slice the line lies on.
    """

    length_mm: float
    endpoints_lps: tuple[PointLPS, PointLPS]
    image: ImageRef


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoAxes:
    """Long and short axes found by click-to-segment (one slice of the lesion).

    ``mask`` is the 3-D lesion mask on the volume grid; ``long``/``short`` are
    the axes on the RECIST slice (longest long axis, or longest short axis for
    a node).
    """

    mask: npt.NDArray[np.bool_]
    long: Line
    short: Line


def _point(p: npt.ArrayLike) -> PointLPS:
    a = np.asarray(p, dtype=np.float64).reshape(3)
    return (float(a[0]), float(a[1]), float(a[2]))


def image_ref(volume: Volume, slice_index: int) -> ImageRef:
    """Return the DICOM slice (study, series, SOP instance) behind an array slice.

    Raises
    ------
    InvalidInputError
        The slice is outside the volume or was interpolated (no DICOM image).
    """
    md = volume.metadata
    n = volume.array.shape[0]
    if not 0 <= slice_index < n:
        msg = f"slice {slice_index} is outside the volume (0..{n - 1})"
        raise InvalidInputError(msg)
    source = md.get("source_slice") or list(range(n))
    src = source[slice_index]
    if src is None:
        msg = f"slice {slice_index} was interpolated: measure on an acquired slice"
        raise InvalidInputError(msg)
    return ImageRef(
        study_uid=str(md["study_uid"]),
        series_uid=str(md["series_uid"]),
        sop_uid=str(md["sop_instance_uids"][src]),
    )


def line(volume: Volume, world_ends: npt.ArrayLike) -> Line:
    """Measure a calliper line drawn in napari world coordinates.

    Parameters
    ----------
    volume : Volume
    world_ends : array_like, shape (2, 3)
        The two ends, world ``(z, y, x)`` mm (a napari Shapes line).

    Returns
    -------
    Line
        Length by :func:`measurements.caliper_mm` over array indices and the
        ``(z, y, x)`` spacing; the slice is the one nearest the line's middle.
    """
    ends = np.asarray(world_ends, dtype=np.float64).reshape(2, 3)
    idx = world_to_index(volume.geometry, ends)
    sx, sy, sz = volume.spacing
    length = caliper_mm(idx[0], idx[1], spacing=(sz, sy, sx))
    k = int(np.rint(idx[:, 0].mean()))
    lps = world_to_lps(ends)
    return Line(
        length_mm=length,
        endpoints_lps=(_point(lps[0]), _point(lps[1])),
        image=image_ref(volume, k),
    )


def auto_axes(
    volume: Volume,
    seed_world: npt.ArrayLike,
    *,
    nodal: bool = False,
    hint: str | None = None,
) -> AutoAxes:
    """Click-to-segment: segment the lesion under a click and place its axes.

    Uses :func:`measurements.segment_lesion` then
    :func:`measurements.measure_lesion`; the slice is ``longest`` (non-nodal) or
    ``node`` (nodal), as RECIST 1.1 measures them.

    Raises
    ------
    measurements.SegmentationError
        Nothing to segment under the click (the message says why).
    """
    seed = np.rint(world_to_index(volume.geometry, seed_world)).astype(int)
    mask = segment_lesion(volume, tuple(int(v) for v in seed), hint)
    m = measure_lesion(mask, volume)
    s = m.node if nodal else m.longest
    ref = image_ref(volume, s.index_z)
    long_lps = np.asarray(s.long_endpoints_lps)
    short_lps = np.asarray(s.short_endpoints_lps)
    return AutoAxes(
        mask=mask,
        long=Line(
            length_mm=s.long_axis_mm,
            endpoints_lps=(_point(long_lps[0]), _point(long_lps[1])),
            image=ref,
        ),
        short=Line(
            length_mm=s.short_axis_mm,
            endpoints_lps=(_point(short_lps[0]), _point(short_lps[1])),
            image=ref,
        ),
    )


def long_and_short(lines: Sequence[Line]) -> tuple[Line, Line | None]:
    """Name the drawn lines: the longer is the long axis, whatever the order.

    Parameters
    ----------
    lines : sequence of Line
        One or two caliper lines, as drawn.

    Returns
    -------
    (Line, Line or None)
        The long axis and the short axis (None when one line was drawn).  Of two
        lines of equal length the first drawn is the long axis.

    Raises
    ------
    InvalidInputError
        No line, or more than two.

    Examples
    --------
    >>> ref = ImageRef(study_uid="1", series_uid="2", sop_uid="3")
    >>> short = Line(length_mm=22.0, endpoints_lps=((0, 0, 0), (22, 0, 0)), image=ref)
    >>> long = Line(length_mm=30.0, endpoints_lps=((0, 0, 0), (0, 30, 0)), image=ref)
    >>> [x.length_mm for x in long_and_short([short, long])]
    [30.0, 22.0]
    """
    if not lines:
        raise InvalidInputError("draw a caliper line first")
    if len(lines) > 2:
        msg = f"{len(lines)} lines drawn: keep the long and the short axis (Clear)"
        raise InvalidInputError(msg)
    ordered = sorted(lines, key=lambda ln: -ln.length_mm)  # stable: ties keep order
    return ordered[0], (ordered[1] if len(ordered) > 1 else None)


def target_measurement(
    long: Line, short: Line | None = None, *, nodal: bool = False
) -> Measurement:
    """Return the engine value of a target: long axis, or short axis if nodal.

    ``endpoints_lps`` keeps the long axis then (when given) the short axis, so a
    reopened reading redraws both exactly.

    Raises
    ------
    InvalidInputError
        A node measured without a short axis.
    """
    if nodal and short is None:
        raise InvalidInputError("a lymph node is measured by its short axis")
    value = short.length_mm if (nodal and short is not None) else long.length_mm
    points = long.endpoints_lps + (short.endpoints_lps if short is not None else ())
    # recorded to 0.1 mm, the caliper precision of a reading CRF
    return Measurement.of_mm(f"{value:.1f}", image=long.image, endpoints_lps=points)


def perpendicular_short_axis(
    long_world: npt.ArrayLike, drawn_world: npt.ArrayLike
) -> FloatArray:
    """Constrain a drawn short axis perpendicular to the long axis (bidirectional).

    Both lines lie on one axial slice (world ``(z, y, x)`` mm, so right angles
    in world are right angles in the patient).  The short axis keeps the drawn
    line's midpoint (where the reader put it) and its extent across the long
    axis, and turns to the in-plane perpendicular; it is put on the long axis'
    slice.

    Parameters
    ----------
    long_world, drawn_world : array_like, shape (2, 3)
        Ends of the long axis and of the drawn second line, world mm.

    Returns
    -------
    ndarray, shape (2, 3)
        Ends of the short axis, world mm.

    Raises
    ------
    InvalidInputError
        The long axis has no length in the slice plane.

    Examples
    --------
    >>> long = [[0, 0, 0], [0, 0, 10]]         # along x
    >>> drawn = [[0, -3, 4], [0, 3, 6]]        # oblique, through (0, 0, 5)
    >>> perpendicular_short_axis(long, drawn).tolist()
    [[0.0, -3.0, 5.0], [0.0, 3.0, 5.0]]
    """
    a, b = np.asarray(long_world, dtype=np.float64).reshape(2, 3)
    c, d = np.asarray(drawn_world, dtype=np.float64).reshape(2, 3)
    u = (b - a)[1:]
    norm = float(np.hypot(*u))
    if norm == 0.0:
        raise InvalidInputError("draw the long axis first: it has no length")
    u /= norm
    n = np.array([-u[1], u[0]])  # in-plane perpendicular (y, x)
    half = abs(float(np.dot((d - c)[1:], n))) / 2.0
    if float(np.dot((d - c)[1:], n)) < 0:
        n = -n  # keep the drawn line's direction
    mid = (c + d)[1:] / 2.0
    z = (a[0] + b[0]) / 2.0
    ends = np.array([[z, *(mid - half * n)], [z, *(mid + half * n)]])
    return ends


def world_lines(measurement_points: tuple[PointLPS, ...]) -> list[FloatArray]:
    """Split stored endpoints into world-space lines (pairs) for a Shapes layer."""
    world = lps_to_world(
        np.asarray(measurement_points, dtype=np.float64).reshape(-1, 3)
    )
    return [world[i : i + 2].copy() for i in range(0, len(world) - 1, 2)]
