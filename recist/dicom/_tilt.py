"""Put sheared (gantry-tilted) and unevenly spaced stacks on a regular grid.

Gantry tilt (dcm2niix's approach)
    Each slice ``k`` lies in the plane of ImageOrientationPatient (row cosine
    ``r``, column cosine ``c``, normal ``n = r x c``) but its position ``p_k`` is
    displaced in-plane from the normal through the first slice:
    ``p_k = p_0 + s_k n + a_k c + b_k r``.  The output grid uses the IOP frame as
    direction and ``p_0`` as origin, so output voxel ``(i, j, k)`` is input voxel
    ``(i - b_k / dx, j - a_k / dy)`` of slice ``k``: a pure in-plane translation
    per slice (linear interpolation, outside filled with the volume's minimum).
    Distances measured in the corrected volume are true millimetres.

Uneven spacing
    Slices at positions ``s_k`` along the normal are resampled to the regular
    grid ``s_0 + m * step`` where ``step`` is the smallest step (as dcm2niix's
    "equalize"), linearly between the two bracketing slices; an original slice
    that falls on the grid is copied unchanged.  Across a step larger than
    :data:`MAX_INTERP_FACTOR` times the median step (missing anatomy, e.g. a
    200 mm hole) nothing is invented: those grid slices hold the fill value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["MAX_INTERP_FACTOR", "regrid_along_normal", "unshear"]

#: Interpolate across steps up to this many median steps (two missing slices).
MAX_INTERP_FACTOR = 3.0


def unshear(
    array: npt.NDArray[Any],
    offsets_mm: npt.NDArray[np.float64],
    *,
    spacing_xy: tuple[float, float],
    fill: float,
) -> npt.NDArray[Any]:
    """Move each slice's content by its in-plane displacement from slice 0.

    Parameters
    ----------
    array : ndarray, shape (z, y, x)
        Slices in order along the normal.
    offsets_mm : ndarray, shape (z, 2)
        In-plane displacement ``(b_k, a_k)`` of each slice's position from the
        normal through slice 0: along the row cosine (x) and column cosine (y), mm.
    spacing_xy : (float, float)
        Column and row spacing in mm.
    fill : float
        Value for voxels shifted in from outside the slice.

    Returns
    -------
    ndarray, same shape and dtype (integers rounded to nearest)

    Examples
    --------
    >>> a = np.zeros((2, 1, 4), np.float32); a[:, 0, 1] = 100
    >>> shifts = np.array([[0.0, 0.0], [1.0, 0.0]])
    >>> out = unshear(a, shifts, spacing_xy=(1.0, 1.0), fill=0)
    >>> out[1, 0].tolist()  # slice 1 sits 1 mm further along x, so does its content
    [0.0, 0.0, 100.0, 0.0]
    """
    from scipy import ndimage

    out = np.empty_like(array)
    work = np.empty(array.shape[1:], np.float32)
    for k in range(array.shape[0]):
        dx = -offsets_mm[k, 0] / spacing_xy[0]
        dy = -offsets_mm[k, 1] / spacing_xy[1]
        if abs(dx) < 1e-6 and abs(dy) < 1e-6:
            out[k] = array[k]
            continue
        ndimage.shift(
            array[k].astype(np.float32, copy=False),
            (-dy, -dx),
            output=work,
            order=1,
            mode="constant",
            cval=fill,
            prefilter=False,
        )
        _store(work, out[k])
    return out


def _store(values: npt.NDArray[np.float32], out: npt.NDArray[Any]) -> None:
    if np.issubdtype(out.dtype, np.integer):
        np.rint(values, out=values)
    out[...] = values


def regrid_along_normal(
    array: npt.NDArray[Any],
    positions_mm: Sequence[float],
    *,
    step_mm: float,
    n_out: int,
    fill: float,
) -> tuple[npt.NDArray[Any], list[int | None]]:
    """Resample slices at uneven positions onto ``positions[0] + m * step_mm``.

    Parameters
    ----------
    array : ndarray, shape (z, y, x)
        Slices in increasing position order.
    positions_mm : sequence of float
        Each slice's position along the normal, increasing.
    step_mm : float
        The regular step. *Permitted values:* > 0.
    n_out : int
        Number of output slices.
    fill : float
        Value of grid slices inside a gap too large to interpolate across.

    Returns
    -------
    (ndarray, list)
        The regular stack (same dtype; integers rounded to nearest) and, for
        each output slice, the index of the input slice it copies, or None when
        it is interpolated or filled.

    Examples
    --------
    >>> a = np.array([0.0, 10.0, 40.0], np.float32).reshape(3, 1, 1)
    >>> pos = [0.0, 1.0, 4.0]
    >>> out, src = regrid_along_normal(a, pos, step_mm=1.0, n_out=5, fill=-1)
    >>> out.ravel().tolist(), src
    ([0.0, 10.0, 20.0, 30.0, 40.0], [0, 1, None, None, 2])
    """
    pos = np.asarray(positions_mm, dtype=np.float64)
    steps = np.diff(pos)
    median = float(np.median(steps)) if steps.size else step_mm
    out = np.empty((n_out, *array.shape[1:]), array.dtype)
    work = np.empty(array.shape[1:], np.float32)
    source: list[int | None] = []
    tol = 1e-3 * step_mm
    for m in range(n_out):
        t = pos[0] + m * step_mm
        j = int(np.searchsorted(pos, t - tol))
        if j < len(pos) and abs(pos[j] - t) <= tol:
            out[m] = array[j]
            source.append(j)
            continue
        source.append(None)
        lo = max(j - 1, 0)
        hi = min(j, len(pos) - 1)
        if hi == lo or pos[hi] - pos[lo] > MAX_INTERP_FACTOR * median:
            out[m] = fill
            continue
        w = (t - pos[lo]) / (pos[hi] - pos[lo])
        np.multiply(array[lo], 1.0 - w, out=work, casting="unsafe")
        work += w * array[hi].astype(np.float32, copy=False)
        _store(work, out[m])
    return out, source
