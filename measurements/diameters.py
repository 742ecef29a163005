"""Lesion diameters on one slice, in millimetres: long axis, short axis, caliper.

The outline
-----------
A lesion's *outline* on a slice is the 0.5-level iso-contour of its zero-padded
binary mask, as marching squares draws it::

    skimage.measure.find_contours(np.pad(mask, 1), 0.5) - 1   # (row, col)

Its vertices lie half-way between a lesion pixel and a background pixel, i.e. on
the boundary a reader would put the caliper tips on, not on pixel centres (which
always read short). A pixel's diagonal neighbour across background corners is cut
by a 45-degree edge through the two edge mid-points. Every contour of the mask
counts: all components (a lesion drawn in several pieces), and the outlines of
holes. Pixel coordinates are scaled by the pixel spacing *before* any distance
is taken, so anisotropic pixels are measured correctly.

Long axis
---------
The largest distance between two points of the outline. The outline is a set of
polygons, so this is the largest distance between two of its vertices: computed
exactly as the farthest pair of the vertices' convex hull (monotone chain +
rotating calipers, O(n log n) for n outline vertices).

Short axis
----------
The longest segment perpendicular to the long axis that lies within the lesion
(inside the outline by the even-odd rule: holes are outside). Along the long
axis, the length of each inside chord is piecewise linear between the positions
of the outline's vertices, so its maximum is attained at (one side of) a vertex
position; every vertex position is tried from both sides, and every mid-point
between consecutive ones. The result is exact for the outline (to ~1e-9 of the
long axis); with respect to the true lesion boundary the outline itself is within
half a pixel, so both axes are accurate to within one pixel.

Single pixel
------------
The outline of one pixel is the diamond through its four edge mid-points, so the
long axis is one pixel (``max(row_mm, col_mm)``) and the short axis the other
diagonal (``min(row_mm, col_mm)``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from measurements._hull import farthest_pair
from measurements.errors import EmptyMaskError, MeasurementError

__all__ = [
    "Bidirectional",
    "LongAxis",
    "ShortAxis",
    "bidirectional",
    "caliper_mm",
    "long_axis",
    "long_axis_of_polygon",
    "outline",
    "short_axis",
]

FloatArray = npt.NDArray[np.float64]


def _frozen(a: npt.ArrayLike) -> FloatArray:
    arr = np.array(a, dtype=np.float64)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LongAxis:
    """The longest diameter of an outline.

    Parameters
    ----------
    endpoints : ndarray, shape (2, 2)
        Caliper tips: continuous ``(row, col)`` pixel coordinates for masks, or
        the input's coordinates (mm) for :func:`long_axis_of_polygon` (then
        shape (2, d)). Read-only.
    length_mm : float
        Distance between the tips in mm. *Permitted values:* finite, >= 0.
    """

    endpoints: FloatArray
    length_mm: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "endpoints", _frozen(self.endpoints))
        _check_length(self.length_mm)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ShortAxis:
    """The longest in-lesion segment perpendicular to the long axis.

    Parameters
    ----------
    endpoints : ndarray, shape (2, 2)
        Tips in continuous ``(row, col)`` pixel coordinates. Read-only.
    length_mm : float
        Distance between the tips in mm. *Permitted values:* finite, >= 0.
    """

    endpoints: FloatArray
    length_mm: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "endpoints", _frozen(self.endpoints))
        _check_length(self.length_mm)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Bidirectional:
    """Long and short axis of one lesion on one slice (WHO/RECIST bidirectional)."""

    long: LongAxis
    short: ShortAxis

    @property
    def product_mm2(self) -> float:
        """Product of the two diameters (WHO / Cheson), in mm2."""
        return self.long.length_mm * self.short.length_mm


def _check_length(value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        msg = f"length_mm must be finite and >= 0, got {value!r}"
        raise MeasurementError(msg)


def _check_spacing(spacing: Sequence[float] | npt.ArrayLike, ndim: int) -> FloatArray:
    sp = np.asarray(spacing, dtype=np.float64).reshape(-1)
    if sp.shape != (ndim,):
        msg = f"spacing must have {ndim} values (one per array axis), got {sp.tolist()}"
        raise MeasurementError(msg)
    if not np.all(np.isfinite(sp)) or np.any(sp <= 0):
        msg = f"spacing must be finite and > 0 mm, got {sp.tolist()}"
        raise MeasurementError(msg)
    return sp


def caliper_mm(
    p0: npt.ArrayLike, p1: npt.ArrayLike, spacing: Sequence[float] | npt.ArrayLike
) -> float:
    """Length in mm of the line between two points given in voxel coordinates.

    Parameters
    ----------
    p0, p1 : array_like, shape (d,)
        Continuous voxel coordinates in array axis order: ``(row, col)`` on a
        slice, or ``(z, y, x)`` in a volume (whose direction cosines are
        orthonormal, so only the spacing matters).
    spacing : sequence of d float
        Voxel spacing along the same axes, in mm. *Permitted values:* finite, > 0.

    Returns
    -------
    float
        ``sqrt(sum(((p1 - p0) * spacing) ** 2))``.

    Examples
    --------
    >>> caliper_mm((10, 10), (13, 14), spacing=(1.0, 1.0))
    5.0
    >>> caliper_mm((0, 0), (4, 0), spacing=(0.5, 0.8))  # 4 rows of 0.5 mm
    2.0
    """
    a = np.asarray(p0, dtype=np.float64).reshape(-1)
    b = np.asarray(p1, dtype=np.float64).reshape(-1)
    if a.shape != b.shape:
        msg = f"points must have the same length, got {a.shape} and {b.shape}"
        raise MeasurementError(msg)
    sp = _check_spacing(spacing, a.size)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        msg = "points must be finite"
        raise MeasurementError(msg)
    return float(np.linalg.norm((b - a) * sp))


def _check_mask(mask: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    m = np.asarray(mask)
    if m.ndim != 2:
        msg = f"mask must be 2-D (row, col), got shape {m.shape}"
        raise MeasurementError(msg)
    m = m.astype(bool, copy=False)
    if not m.any():
        msg = "mask is empty: no lesion pixel to measure"
        raise EmptyMaskError(msg)
    return m


def outline(mask: npt.ArrayLike) -> list[FloatArray]:
    """Return the lesion outline: every 0.5-level contour of the zero-padded mask.

    Parameters
    ----------
    mask : array_like of bool, shape (rows, cols)
        Lesion pixels; may touch the border (the padding closes every contour).

    Returns
    -------
    list of ndarray, shape (n_k, 2)
        Closed polygons (first vertex repeated last) in continuous ``(row, col)``
        pixel coordinates of ``mask``.

    Examples
    --------
    >>> sorted(set(map(tuple, outline([[1]])[0].tolist())))  # one pixel: a diamond
    [(-0.5, 0.0), (0.0, -0.5), (0.0, 0.5), (0.5, 0.0)]
    """
    from skimage.measure import find_contours

    m = _check_mask(mask)
    rows = np.flatnonzero(m.any(axis=1))
    cols = np.flatnonzero(m.any(axis=0))
    r0, c0 = int(rows[0]), int(cols[0])
    crop = m[r0 : int(rows[-1]) + 1, c0 : int(cols[-1]) + 1]
    padded = np.pad(crop, 1).astype(np.float64)
    offset = np.array([r0 - 1, c0 - 1], dtype=np.float64)
    return [c + offset for c in find_contours(padded, 0.5)]  # type: ignore[no-untyped-call]


def long_axis(
    mask: npt.ArrayLike, spacing: Sequence[float] | npt.ArrayLike
) -> LongAxis:
    """Longest diameter of a lesion on one slice, exact for its outline.

    Definition: the largest distance between two points of the lesion's outline,
    where the outline is the 0.5-level iso-contour of the zero-padded mask
    (marching squares, ``skimage.measure.find_contours(np.pad(mask, 1), 0.5)``
    minus the pad offset), scaled by the spacing before distances are taken. All
    contours of the mask count (several components are measured as one lesion).
    Computed as the farthest pair of the outline's convex hull (monotone chain +
    rotating calipers): exact, O(n log n). See the module notes.

    Parameters
    ----------
    mask : array_like of bool, shape (rows, cols)
        Lesion pixels. *Permitted values:* at least one True pixel.
    spacing : sequence of 2 float
        Pixel spacing ``(row mm, col mm)``. *Permitted values:* finite, > 0.

    Returns
    -------
    LongAxis
        ``endpoints`` in continuous ``(row, col)`` pixel coordinates; ``length_mm``.

    Raises
    ------
    EmptyMaskError
        The mask has no True pixel.
    MeasurementError
        Spacing is not 2 finite positive numbers, or the mask is not 2-D.

    Examples
    --------
    A 3 x 4 rectangle of 1 mm pixels: its outline runs through the outer edge
    mid-points of the border pixels (rows -0.5 and 2.5, cols -0.5 and 3.5) and
    cuts the corners, so the longest chord joins opposite cut corners, (2, -0.5)
    to (0, 3.5): sqrt(2**2 + 4**2) = 4.472 mm (the 3 x 4 mm box diagonal is 5 mm).

    >>> ax = long_axis(np.ones((3, 4), bool), spacing=(1.0, 1.0))
    >>> round(ax.length_mm, 3)
    4.472
    >>> long_axis([[1]], spacing=(0.7, 0.5)).length_mm  # single pixel: one row
    0.7
    """
    sp = _check_spacing(spacing, 2)
    pts = np.concatenate(outline(mask))
    p, q, d = farthest_pair(pts * sp)
    return LongAxis(endpoints=np.stack([p, q]) / sp, length_mm=d)


def long_axis_of_polygon(points_mm: npt.ArrayLike) -> LongAxis:
    """Longest diameter of a polygon outline given in millimetres.

    The same definition as :func:`long_axis`, for an outline drawn in a viewer or
    read from an SR/XML: the largest distance between two points of the polygon,
    which is attained at two of its vertices (the farthest pair of their convex
    hull; exact, O(n log n)). Closing the polygon is optional.

    Parameters
    ----------
    points_mm : array_like, shape (n, 2) or (n, 3)
        Vertices in a Euclidean frame in mm (e.g. in-plane mm, or LPS).
        *Permitted values:* finite, n >= 1.

    Returns
    -------
    LongAxis
        ``endpoints`` in the input's coordinates (shape (2, d)); ``length_mm``.

    Examples
    --------
    >>> ax = long_axis_of_polygon([[0, 0], [30, 0], [30, 40], [0, 40]])
    >>> ax.length_mm, ax.endpoints.tolist()
    (50.0, [[0.0, 0.0], [30.0, 40.0]])
    """
    pts = np.asarray(points_mm, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] not in (2, 3) or len(pts) == 0:
        msg = f"points_mm must have shape (n, 2) or (n, 3), n >= 1, got {pts.shape}"
        raise MeasurementError(msg)
    if not np.all(np.isfinite(pts)):
        msg = "points_mm must be finite"
        raise MeasurementError(msg)
    p, q, d = farthest_pair(pts)
    return LongAxis(endpoints=np.stack([p, q]), length_mm=d)


_BIG = 1e300  # stands in for "no crossing" (finite, so differences stay warning-free)


def _longest_perpendicular_chord(
    polys_mm: list[FloatArray], p: FloatArray, q: FloatArray
) -> tuple[FloatArray, FloatArray, float]:
    """Longest chord perpendicular to ``q - p`` inside the polygons (even-odd)."""
    length = float(np.linalg.norm(q - p))
    u = (q - p) / length
    v = np.array([-u[1], u[0]])
    a = np.concatenate([poly[:-1] for poly in polys_mm])  # edge starts
    b = np.concatenate([poly[1:] for poly in polys_mm])  # edge ends
    ta, tb = (a - p) @ u, (b - p) @ u
    wa, wb = (a - p) @ v, (b - p) @ v
    ts = np.unique(np.concatenate([ta, tb]))
    eps = 1e-9 * max(length, 1.0)
    mids = (ts[:-1] + ts[1:]) / 2
    cand = np.concatenate([ts - eps, ts + eps, mids])
    best = (-1.0, 0.0, 0.0, 0.0)  # length, t, w0, w1
    dt = tb - ta
    safe_dt = np.where(dt == 0, 1.0, dt)
    block = max(1, 2_000_000 // max(len(a), 1))
    for start in range(0, len(cand), block):
        t = cand[start : start + block, None]
        crosses = (ta[None, :] <= t) != (tb[None, :] <= t)
        w = np.where(crosses, wa + (t - ta) * (wb - wa) / safe_dt, _BIG)
        w.sort(axis=1)
        lengths = w[:, 1::2] - w[:, 0::2]
        lengths[w[:, 0::2] >= _BIG] = -1.0
        k = np.unravel_index(int(np.argmax(lengths)), lengths.shape)
        if lengths[k] > best[0]:
            row, pair = int(k[0]), int(k[1])
            best = (
                float(lengths[k]),
                float(t[row, 0]),
                float(w[row, 2 * pair]),
                float(w[row, 2 * pair + 1]),
            )
    _, t0, w0, w1 = best
    base = p + t0 * u
    return base + w0 * v, base + w1 * v, w1 - w0


def short_axis(
    mask: npt.ArrayLike,
    spacing: Sequence[float] | npt.ArrayLike,
    long_axis: LongAxis | None = None,
) -> ShortAxis:
    """Longest segment perpendicular to the long axis that lies within the lesion.

    Method: in mm, every line perpendicular to the long axis is cut by the
    outline (see the module notes) into inside chords (even-odd rule, so holes
    are outside); the chord length is piecewise linear along the axis, so trying
    each outline vertex's position (both sides) and the mid-points between them
    finds the longest exactly for the outline. The outline is within half a pixel
    of the lesion boundary, so the result is accurate to within one pixel. The
    chord need not cross the long axis itself.

    Parameters
    ----------
    mask : array_like of bool, shape (rows, cols)
        Lesion pixels. *Permitted values:* at least one True pixel.
    spacing : sequence of 2 float
        Pixel spacing ``(row mm, col mm)``. *Permitted values:* finite, > 0.
    long_axis : LongAxis, optional
        The long axis (pixel coordinates) to be perpendicular to; by default
        :func:`long_axis` of the mask.

    Returns
    -------
    ShortAxis
        ``endpoints`` in continuous ``(row, col)`` pixel coordinates; ``length_mm``.

    Examples
    --------
    A 3 x 9 rectangle (1 mm pixels): the long axis joins the cut corners
    (2, -0.5) and (0, 8.5), direction (-2, 9) / sqrt(85); a perpendicular chord
    crosses the 3 mm band between rows -0.5 and 2.5 at an angle, so it is
    3 * sqrt(85) / 9 = 3.073 mm long.

    >>> round(short_axis(np.ones((3, 9), bool), (1.0, 1.0)).length_mm, 3)
    3.073
    """
    sp = _check_spacing(spacing, 2)
    polys = outline(mask)
    ax = long_axis if long_axis is not None else _long_axis(mask, sp)
    p, q = (np.asarray(e, dtype=np.float64) * sp for e in ax.endpoints)
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(q))) or np.allclose(p, q):
        msg = "the long axis must have two distinct finite endpoints"
        raise MeasurementError(msg)
    a, b, d = _longest_perpendicular_chord([poly * sp for poly in polys], p, q)
    return ShortAxis(endpoints=np.stack([a, b]) / sp, length_mm=max(d, 0.0))


_long_axis = long_axis


def bidirectional(
    mask: npt.ArrayLike, spacing: Sequence[float] | npt.ArrayLike
) -> Bidirectional:
    """Long axis and perpendicular short axis of a lesion on one slice.

    See :func:`long_axis` and :func:`short_axis` for the definitions and
    accuracy (exact for the outline; within one pixel of the lesion).

    Parameters
    ----------
    mask : array_like of bool, shape (rows, cols)
        Lesion pixels. *Permitted values:* at least one True pixel.
    spacing : sequence of 2 float
        Pixel spacing ``(row mm, col mm)``. *Permitted values:* finite, > 0.

    Returns
    -------
    Bidirectional
        ``.long`` and ``.short`` with endpoints in ``(row, col)`` pixel coordinates.

    Examples
    --------
    >>> yy, xx = np.mgrid[:41, :41]
    >>> disc = (yy - 20) ** 2 + (xx - 20) ** 2 <= 15**2
    >>> bd = bidirectional(disc, (0.5, 0.5))
    >>> round(bd.long.length_mm, 2), round(bd.short.length_mm, 2)  # 31 px x 0.5 mm
    (15.5, 15.5)
    """
    la = long_axis(mask, spacing)
    return Bidirectional(long=la, short=short_axis(mask, spacing, la))
