"""Image geometry: the one place where voxel indices become patient millimetres.

Conventions follow SimpleITK (and DICOM's patient coordinate system, LPS):

- ``origin`` is the (x, y, z) position in mm of the centre of the first voxel;
- ``spacing`` is the (x, y, z) distance in mm between voxel centres along the
  three index axes (column, row, slice);
- ``direction`` is the 3x3 matrix, row-major, whose *columns* are the unit
  vectors of the index axes in LPS;
- ``size`` is the number of voxels along (x, y, z).

A continuous index ``ijk = (i, j, k)`` (column, row, slice) maps to the patient
point ``lps = origin + direction @ (spacing * ijk)``.  Arrays are stored
z-y-x (``array[k, j, i]``), as numpy and SimpleITK's ``GetArrayFromImage`` do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import SimpleITK as sitk

__all__ = ["ImageGeometry", "Volume"]

FloatArray = npt.NDArray[np.float64]


def _triple(name: str, value: Sequence[float]) -> tuple[float, float, float]:
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if arr.shape != (3,):
        msg = f"{name} must have 3 values (x, y, z), got {len(arr)}"
        raise ValueError(msg)
    if not np.all(np.isfinite(arr)):
        msg = f"{name} must be finite, got {tuple(arr.tolist())}"
        raise ValueError(msg)
    return (float(arr[0]), float(arr[1]), float(arr[2]))


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageGeometry:
    """Where a 3-D image grid sits in patient space (SimpleITK conventions).

    Parameters
    ----------
    origin : sequence of 3 float
        LPS position (mm) of the centre of voxel index (0, 0, 0).
    spacing : sequence of 3 float
        Distance (mm) between voxel centres along x (columns), y (rows), z (slices).
        *Permitted values:* finite and > 0.
    direction : sequence of 9 float
        Row-major 3x3 matrix whose columns are the LPS unit vectors of the index
        axes. *Permitted values:* orthonormal within 1e-4 (DICOM rounding).
    size : sequence of 3 int
        Number of voxels along x, y, z.

    Examples
    --------
    >>> g = ImageGeometry(origin=(-100, -100, 50), spacing=(0.5, 0.5, 2.5),
    ...                   direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), size=(512, 512, 40))
    >>> g.ijk_to_lps([10, 20, 2]).tolist()
    [-95.0, -90.0, 55.0]
    >>> g.lps_to_ijk([-95.0, -90.0, 55.0]).tolist()
    [10.0, 20.0, 2.0]
    """

    origin: tuple[float, float, float]
    spacing: tuple[float, float, float]
    direction: tuple[float, ...]
    size: tuple[int, int, int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "origin", _triple("origin", self.origin))
        spacing = _triple("spacing", self.spacing)
        if min(spacing) <= 0:
            msg = f"spacing must be > 0 mm on every axis, got {spacing}"
            raise ValueError(msg)
        object.__setattr__(self, "spacing", spacing)
        d = np.asarray(self.direction, dtype=np.float64).reshape(-1)
        if d.shape != (9,) or not np.all(np.isfinite(d)):
            msg = (
                f"direction must be 9 finite numbers (row-major 3x3), got {d.tolist()}"
            )
            raise ValueError(msg)
        m = d.reshape(3, 3)
        if not np.allclose(m.T @ m, np.eye(3), atol=1e-4):
            msg = f"direction must be orthonormal, got {d.tolist()}"
            raise ValueError(msg)
        object.__setattr__(self, "direction", tuple(float(v) for v in d))
        size = tuple(int(s) for s in self.size)
        if len(size) != 3 or min(size) < 1:
            msg = f"size must be 3 positive integers (x, y, z), got {size}"
            raise ValueError(msg)
        object.__setattr__(self, "size", size)

    @property
    def direction_matrix(self) -> FloatArray:
        """The 3x3 direction matrix (columns = index axes in LPS)."""
        return np.asarray(self.direction, dtype=np.float64).reshape(3, 3)

    @property
    def affine_lps(self) -> FloatArray:
        """4x4 matrix taking homogeneous ``(i, j, k, 1)`` to ``(x, y, z, 1)`` in LPS."""
        a = np.eye(4)
        a[:3, :3] = self.direction_matrix * np.asarray(self.spacing)[None, :]
        a[:3, 3] = self.origin
        return a

    @property
    def shape_zyx(self) -> tuple[int, int, int]:
        """The numpy array shape ``(z, y, x)`` of an image on this grid."""
        return (self.size[2], self.size[1], self.size[0])

    def ijk_to_lps(self, ijk: npt.ArrayLike) -> FloatArray:
        """Map continuous voxel indices ``(i, j, k)`` (x, y, z order) to LPS mm.

        Parameters
        ----------
        ijk : array_like, shape (3,) or (n, 3)
            Continuous indices: column, row, slice.

        Returns
        -------
        ndarray of float64, same shape as ``ijk``
            Patient coordinates (x, y, z) in mm.
        """
        p = np.asarray(ijk, dtype=np.float64)
        m = self.direction_matrix * np.asarray(self.spacing)[None, :]
        out: FloatArray = p @ m.T + np.asarray(self.origin)
        return out

    def lps_to_ijk(self, lps: npt.ArrayLike) -> FloatArray:
        """Map LPS points (mm) to continuous voxel indices ``(i, j, k)``.

        Parameters
        ----------
        lps : array_like, shape (3,) or (n, 3)
            Patient coordinates (x, y, z) in mm.

        Returns
        -------
        ndarray of float64, same shape as ``lps``
            Continuous indices: column, row, slice (not rounded).
        """
        p = np.asarray(lps, dtype=np.float64) - np.asarray(self.origin)
        # direction is orthonormal, so its inverse is its transpose
        out: FloatArray = (p @ self.direction_matrix) / np.asarray(self.spacing)
        return out

    def zyx_to_lps(self, index_zyx: npt.ArrayLike) -> FloatArray:
        """Map array indices in numpy order ``(z, y, x)`` to LPS mm."""
        return self.ijk_to_lps(np.asarray(index_zyx, dtype=np.float64)[..., ::-1])

    def lps_to_zyx(self, lps: npt.ArrayLike) -> FloatArray:
        """Map LPS mm to continuous array indices in numpy order ``(z, y, x)``."""
        return self.lps_to_ijk(lps)[..., ::-1]

    @property
    def slice_normal(self) -> FloatArray:
        """Unit vector (LPS) of increasing slice index."""
        return self.direction_matrix[:, 2].copy()


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Volume:
    """A 3-D image with its geometry.

    Parameters
    ----------
    array : ndarray, shape (z, y, x)
        Voxel values; Hounsfield units for CT.
    geometry : ImageGeometry
        Where the grid sits in patient space; ``geometry.shape_zyx == array.shape``.
    metadata : mapping, optional
        Free-form facts about the source (series UID, modality, window, ...).

    Examples
    --------
    >>> import numpy as np
    >>> g = ImageGeometry(origin=(0, 0, 0), spacing=(1, 1, 2),
    ...                   direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), size=(4, 3, 2))
    >>> v = Volume(array=np.zeros((2, 3, 4), np.int16), geometry=g)
    >>> v.spacing, v.size
    ((1.0, 1.0, 2.0), (4, 3, 2))
    """

    array: npt.NDArray[Any]
    geometry: ImageGeometry
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.array.ndim != 3:
            msg = f"array must be 3-D (z, y, x), got shape {self.array.shape}"
            raise ValueError(msg)
        if tuple(self.array.shape) != self.geometry.shape_zyx:
            msg = (
                f"array shape {self.array.shape} (z, y, x) does not match geometry "
                f"size {self.geometry.size} (x, y, z)"
            )
            raise ValueError(msg)

    @property
    def origin(self) -> tuple[float, float, float]:
        """LPS position (mm) of the first voxel's centre."""
        return self.geometry.origin

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Voxel spacing (x, y, z) in mm."""
        return self.geometry.spacing

    @property
    def direction(self) -> tuple[float, ...]:
        """Direction cosines, 9 numbers row-major (SimpleITK order)."""
        return self.geometry.direction

    @property
    def size(self) -> tuple[int, int, int]:
        """Number of voxels (x, y, z)."""
        return self.geometry.size

    def to_sitk(self) -> sitk.Image:
        """Return an equal ``SimpleITK.Image`` (voxels, origin, spacing, direction)."""
        import SimpleITK as sitk

        img = sitk.GetImageFromArray(self.array)
        img.SetOrigin(self.origin)  # type: ignore[no-untyped-call]
        img.SetSpacing(self.spacing)  # type: ignore[no-untyped-call]
        img.SetDirection(self.direction)  # type: ignore[no-untyped-call]
        return img

    @classmethod
    def from_sitk(cls, image: sitk.Image, **metadata: Any) -> Volume:
        """Build a volume from a 3-D ``SimpleITK.Image`` (copying its voxels)."""
        import SimpleITK as sitk

        geometry = ImageGeometry(
            origin=image.GetOrigin(),  # type: ignore[no-untyped-call]
            spacing=image.GetSpacing(),  # type: ignore[no-untyped-call]
            direction=image.GetDirection(),  # type: ignore[no-untyped-call]
            size=image.GetSize(),  # type: ignore[no-untyped-call]
        )
        return cls(
            array=sitk.GetArrayFromImage(image), geometry=geometry, metadata=metadata
        )
