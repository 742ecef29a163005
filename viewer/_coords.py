"""The one place that maps napari world axes <-> patient LPS mm <-> voxel index.

Conventions
-----------
- napari *world* coordinates are patient millimetres in the order
  ``(z, y, x)`` of LPS (superior-inferior, anterior-posterior, right-left), so
  every layer of every visit lives in one space and a slice position is a
  position in mm, not an index.
- A layer's *data* coordinates are array indices ``(z, y, x)`` of
  :attr:`measurements.Volume.array`; :func:`layer_affine` maps them to world.
- An axial view shows rows = posterior downwards and columns = patient left to
  the right of the screen (radiological convention) with no flip needed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from measurements import ImageGeometry, Volume

__all__ = [
    "VIEWS",
    "hu_at",
    "index_to_world",
    "layer_affine",
    "lps_to_world",
    "nearest_slice",
    "snap_to_slice",
    "world_to_index",
    "world_to_lps",
]

FloatArray = npt.NDArray[np.float64]

#: napari ``dims.order`` and 2-D camera orientation ``(vertical, horizontal)``
#: of each standard view.  World axes are (z, y, x) of LPS: coronal and sagittal
#: put superior (increasing z) up.
VIEWS: dict[str, tuple[tuple[int, int, int], tuple[str, str]]] = {
    "axial": ((0, 1, 2), ("down", "right")),
    "coronal": ((1, 0, 2), ("up", "right")),
    "sagittal": ((2, 0, 1), ("up", "right")),
}

_REV = np.eye(3)[::-1]  # (x, y, z) <-> (z, y, x)


def layer_affine(geometry: ImageGeometry) -> FloatArray:
    """Return the 4x4 affine from array index ``(z, y, x)`` to napari world.

    Examples
    --------
    >>> g = ImageGeometry(origin=(-10, -20, 5), spacing=(0.5, 0.5, 2.5),
    ...                   direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), size=(4, 4, 3))
    >>> layer_affine(g)[:3].tolist()
    [[2.5, 0.0, 0.0, 5.0], [0.0, 0.5, 0.0, -20.0], [0.0, 0.0, 0.5, -10.0]]
    """
    a = geometry.affine_lps
    out = np.eye(4)
    out[:3, :3] = _REV @ a[:3, :3] @ _REV
    out[:3, 3] = _REV @ a[:3, 3]
    return out


def world_to_lps(world: npt.ArrayLike) -> FloatArray:
    """Map napari world points ``(..., 3)`` (z, y, x) to LPS ``(x, y, z)`` mm."""
    return np.asarray(world, dtype=np.float64)[..., ::-1].copy()


def lps_to_world(lps: npt.ArrayLike) -> FloatArray:
    """Map LPS points ``(x, y, z)`` mm to napari world ``(z, y, x)``."""
    return np.asarray(lps, dtype=np.float64)[..., ::-1].copy()


def world_to_index(geometry: ImageGeometry, world: npt.ArrayLike) -> FloatArray:
    """Map world points to continuous array indices ``(z, y, x)`` (not rounded)."""
    return geometry.lps_to_zyx(world_to_lps(world))


def index_to_world(geometry: ImageGeometry, index_zyx: npt.ArrayLike) -> FloatArray:
    """Map array indices ``(z, y, x)`` to world points."""
    return lps_to_world(geometry.zyx_to_lps(index_zyx))


def nearest_slice(geometry: ImageGeometry, world: npt.ArrayLike) -> int | None:
    """Index of the slice nearest to a world point, or None when outside the stack.

    Examples
    --------
    >>> g = ImageGeometry(origin=(0, 0, 5), spacing=(1, 1, 2.5),
    ...                   direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), size=(4, 4, 3))
    >>> nearest_slice(g, (9.9, 0, 0)), nearest_slice(g, (12.0, 0, 0))
    (2, None)
    """
    k = int(np.rint(world_to_index(geometry, world)[0]))
    return k if 0 <= k < geometry.size[2] else None


def hu_at(volume: Volume, world: npt.ArrayLike) -> float | None:
    """Voxel value (HU for CT) nearest to a world point, or None outside.

    Examples
    --------
    >>> g = ImageGeometry(origin=(0, 0, 0), spacing=(1, 1, 1),
    ...                   direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), size=(3, 2, 1))
    >>> v = Volume(array=np.arange(6, dtype=np.int16).reshape(1, 2, 3), geometry=g)
    >>> hu_at(v, (0, 1, 2)), hu_at(v, (0, 5, 0))
    (5.0, None)
    """
    idx = np.rint(world_to_index(volume.geometry, world)).astype(int)
    shape = volume.array.shape
    if np.any(idx < 0) or np.any(idx >= np.asarray(shape)):
        return None
    return float(volume.array[tuple(idx)])


def snap_to_slice(geometry: ImageGeometry, world: npt.ArrayLike) -> FloatArray:
    """Move world points along the slice axis onto the nearest slice centre.

    Markers carried forward from another visit sit between this visit's slices;
    snapped, they show on the slice nearest to where the lesion was.

    Examples
    --------
    >>> g = ImageGeometry(origin=(0, 0, 0.6), spacing=(1, 1, 2.5),
    ...                   direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), size=(4, 4, 8))
    >>> snap_to_slice(g, [[10.0, 1.0, 2.0]]).tolist()
    [[10.6, 1.0, 2.0]]
    """
    idx = world_to_index(geometry, np.asarray(world, dtype=np.float64).reshape(-1, 3))
    idx[:, 0] = np.clip(np.rint(idx[:, 0]), 0, geometry.size[2] - 1)
    return index_to_world(geometry, idx)
