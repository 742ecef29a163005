"""A lesion in 3-D: per-slice axes, the RECIST slice, volume, 3-D diameter, centroid.

"Slice" means a plane of constant slice index ``k`` of the volume (``array[k]``),
i.e. the acquisition plane: axial for an axial CT. In-plane distances use the
volume's row and column spacing; the direction cosines are orthonormal, so only
the spacing matters for lengths, and :class:`~measurements.geometry.ImageGeometry`
places the endpoints in patient LPS coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from measurements._hull import farthest_pair
from measurements.diameters import (
    Bidirectional,
    _check_spacing,
    _frozen,
    bidirectional,
)
from measurements.errors import EmptyMaskError, MeasurementError
from measurements.geometry import Volume

__all__ = ["LesionMeasurement", "SliceMeasurement", "measure_lesion"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SliceMeasurement:
    """Long and short axis of a lesion on one slice, in pixels and in LPS.

    Parameters
    ----------
    index_z : int
        Slice index ``k`` (the first array axis).
    axes : Bidirectional
        Long and short axis, endpoints in ``(row, col)`` pixel coordinates.
    long_endpoints_lps, short_endpoints_lps : ndarray, shape (2, 3)
        The same endpoints as patient LPS points (mm). Read-only.
    """

    index_z: int
    axes: Bidirectional
    long_endpoints_lps: FloatArray
    short_endpoints_lps: FloatArray

    def __post_init__(self) -> None:
        for name in ("long_endpoints_lps", "short_endpoints_lps"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def long_axis_mm(self) -> float:
        """Long axis length (mm)."""
        return self.axes.long.length_mm

    @property
    def short_axis_mm(self) -> float:
        """Short axis length (mm)."""
        return self.axes.short.length_mm


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LesionMeasurement:
    """What :func:`measure_lesion` finds for one lesion mask.

    Parameters
    ----------
    slices : tuple of SliceMeasurement
        One per slice holding lesion voxels, in slice order.
    longest : SliceMeasurement
        The slice with the longest long axis: the RECIST 1.1 measurement of a
        non-nodal lesion (the first such slice on ties).
    node : SliceMeasurement
        The slice with the longest short axis: the RECIST 1.1 measurement of a
        lymph node (its short axis on its own best slice; first on ties).
    volume_mm3 : float
        Number of voxels times the voxel volume.
    diameter_3d_mm : float
        Longest distance between two points of the lesion surface (the 0.5
        iso-surface of the zero-padded mask, marching cubes), exact for that
        surface (Qhull hull + exhaustive search over its vertices).
    diameter_3d_endpoints_lps : ndarray, shape (2, 3)
        Its endpoints in LPS (mm).
    centroid_lps : ndarray, shape (3,)
        Mean of the voxel centres, in LPS (mm).
    """

    slices: tuple[SliceMeasurement, ...]
    longest: SliceMeasurement
    node: SliceMeasurement
    volume_mm3: float
    diameter_3d_mm: float
    diameter_3d_endpoints_lps: FloatArray
    centroid_lps: FloatArray

    def __post_init__(self) -> None:
        for name in ("diameter_3d_endpoints_lps", "centroid_lps"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def long_axis_mm(self) -> float:
        """Longest axial diameter (mm): the RECIST measurement if non-nodal."""
        return self.longest.long_axis_mm

    @property
    def short_axis_mm(self) -> float:
        """Largest short axis (mm): the RECIST measurement if nodal."""
        return self.node.short_axis_mm


def measure_lesion(mask3d: npt.ArrayLike, volume: Volume) -> LesionMeasurement:
    """Measure a lesion given as a 3-D mask on a volume's grid.

    1. On every slice (``mask3d[k]``) with lesion voxels: long and short axis by
       :func:`~measurements.diameters.bidirectional` (outline = 0.5 iso-contour,
       exact long axis, short axis within a pixel; all components count).
    2. ``longest``: the slice with the longest long axis (non-nodal lesions);
       ``node``: the slice with the longest short axis (lymph nodes).
    3. Volume: voxel count times ``prod(spacing)``.
    4. Longest 3-D diameter over the 0.5 iso-surface (marching cubes on the
       zero-padded mask, vertices in mm): exact for that surface.
    5. Centroid: mean voxel centre, mapped to LPS by the volume's geometry; all
       endpoints are given in LPS too.

    Parameters
    ----------
    mask3d : array_like of bool, shape (z, y, x)
        Lesion voxels, shaped like ``volume.array``. *Permitted values:* at least
        one True voxel.
    volume : Volume
        The image the mask was drawn on (only its geometry is used).

    Returns
    -------
    LesionMeasurement

    Raises
    ------
    EmptyMaskError
        The mask has no True voxel.
    MeasurementError
        The mask's shape differs from ``volume.array.shape``.

    Examples
    --------
    A 5 x 5 x 5 voxel cube of 1 x 1 x 2 mm voxels: 125 voxels x 2 mm3; on each
    slice a 5 x 5 square whose outline cuts its corners, long axis between
    (4, -0.5) and (0, 4.5): sqrt(4**2 + 5**2) = 6.403 mm.

    >>> from measurements import ImageGeometry, Volume
    >>> g = ImageGeometry(origin=(0, 0, 0), spacing=(1, 1, 2),
    ...                   direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), size=(9, 9, 9))
    >>> m = np.zeros((9, 9, 9), bool); m[2:7, 2:7, 2:7] = True
    >>> r = measure_lesion(m, Volume(array=np.zeros((9, 9, 9)), geometry=g))
    >>> r.volume_mm3, round(r.long_axis_mm, 3), r.centroid_lps.tolist()
    (250.0, 6.403, [4.0, 4.0, 8.0])
    """
    m = np.asarray(mask3d).astype(bool, copy=False)
    if m.shape != volume.array.shape:
        msg = f"mask shape {m.shape} differs from the volume's {volume.array.shape}"
        raise MeasurementError(msg)
    idx = np.argwhere(m)
    if len(idx) == 0:
        msg = "mask is empty: no lesion voxel to measure"
        raise EmptyMaskError(msg)
    geometry = volume.geometry
    sx, sy, sz = geometry.spacing
    spacing_zyx = _check_spacing((sz, sy, sx), 3)
    lo, hi = idx.min(axis=0), idx.max(axis=0) + 1
    crop = m[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]

    slices = []
    for k in range(crop.shape[0]):
        if not crop[k].any():
            continue
        bd = bidirectional(crop[k], (sy, sx))
        z = int(lo[0] + k)
        slices.append(
            SliceMeasurement(
                index_z=z,
                axes=_shift(bd, lo[1:]),
                long_endpoints_lps=_rc_to_lps(volume, z, bd.long.endpoints + lo[1:]),
                short_endpoints_lps=_rc_to_lps(volume, z, bd.short.endpoints + lo[1:]),
            )
        )
    longest = max(slices, key=lambda s: s.long_axis_mm)  # first maximum on ties
    node = max(slices, key=lambda s: s.short_axis_mm)

    surface = _surface_points_zyx(crop) + lo
    p, q, d = farthest_pair(surface * spacing_zyx)
    ends_zyx = np.stack([p, q]) / spacing_zyx
    return LesionMeasurement(
        slices=tuple(slices),
        longest=longest,
        node=node,
        volume_mm3=float(len(idx) * sx * sy * sz),
        diameter_3d_mm=d,
        diameter_3d_endpoints_lps=geometry.zyx_to_lps(ends_zyx),
        centroid_lps=geometry.zyx_to_lps(idx.mean(axis=0)),
    )


def _shift(bd: Bidirectional, offset: npt.NDArray[np.intp]) -> Bidirectional:
    from measurements.diameters import LongAxis, ShortAxis

    return Bidirectional(
        long=LongAxis(
            endpoints=bd.long.endpoints + offset, length_mm=bd.long.length_mm
        ),
        short=ShortAxis(
            endpoints=bd.short.endpoints + offset, length_mm=bd.short.length_mm
        ),
    )


def _rc_to_lps(volume: Volume, z: int, rc: FloatArray) -> FloatArray:
    zyx = np.column_stack([np.full(len(rc), float(z)), rc])
    return volume.geometry.zyx_to_lps(zyx)


def _surface_points_zyx(crop: npt.NDArray[np.bool_]) -> FloatArray:
    """Vertices of the 0.5 iso-surface of the zero-padded mask, (z, y, x) voxels."""
    from skimage.measure import marching_cubes

    padded = np.pad(crop, 1).astype(np.float32)
    verts = marching_cubes(padded, 0.5, method="lewiner")[0]  # type: ignore[no-untyped-call]
    return np.asarray(verts, dtype=np.float64) - 1.0
