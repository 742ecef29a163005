"""Register two CT volumes and map lesion positions from one to the other.

Two stages, both with SimpleITK's registration framework:

1. :func:`register_rigid` aligns the whole body: a 3-D rigid transform (Euler) found
   by Mattes mutual information over a three-level pyramid (8, 4, 2 voxel shrink),
   starting from the identity (both volumes are in patient LPS, so a patient lying
   roughly alike is close to it already).
2. :func:`refine_local` aligns a box around one lesion: a rigid step on the box,
   then a coarse B-spline (control points every ~40 mm) on top, both by normalised
   correlation, with the lesion itself left out of the metric so that a lesion that
   shrank, grew or vanished does not pull the surroundings.

Transforms map *fixed* (reference visit) points to *moving* (the visit being read)
points, SimpleITK's convention, so a lesion centre ``c`` of the reference visit is
found at ``transform.TransformPoint(c)`` in the other one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from measurements.geometry import Volume

if TYPE_CHECKING:
    import SimpleITK as sitk

__all__ = [
    "LocalRegistration",
    "RigidRegistration",
    "block_mean",
    "refine_local",
    "register_rigid",
]

logger = logging.getLogger(__name__)

PointLPS = tuple[float, float, float]
HU_WINDOW = (-1000.0, 1500.0)  # HU outside are clipped before registering
RIGID_VOXEL_MM = 3.0  # the whole-body step works on blocks about this size
LOCAL_VOXEL_MM = 1.5  # the local step on blocks about this size (thin slices)


def block_mean(volume: Volume, target_mm: float) -> Volume:
    """Average whole blocks of voxels to a spacing of about ``target_mm``.

    Each axis is reduced by the integer factor ``floor(target_mm / spacing)``
    (at least 1); voxels left over at the far end are dropped. The block's
    centre is its new voxel centre, so patient coordinates are unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from measurements.geometry import ImageGeometry
    >>> g = ImageGeometry(origin=(0, 0, 0), spacing=(1, 1, 1),
    ...                   direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), size=(4, 4, 2))
    >>> v = block_mean(Volume(array=np.arange(32.0).reshape(2, 4, 4), geometry=g), 2)
    >>> v.size, v.origin, float(v.array[0, 0, 0])
    ((2, 2, 1), (0.5, 0.5, 0.5), 10.5)
    """
    sx, sy, sz = volume.spacing
    f = [max(1, int(target_mm // s)) for s in (sz, sy, sx)]  # z, y, x
    if f == [1, 1, 1]:
        return volume
    arr = volume.array
    n = [arr.shape[i] // f[i] for i in range(3)]
    if min(n) < 1:
        return volume
    cut = arr[: n[0] * f[0], : n[1] * f[1], : n[2] * f[2]].astype(np.float32)
    out = cut.reshape(n[0], f[0], n[1], f[1], n[2], f[2]).mean(axis=(1, 3, 5))
    first = volume.geometry.zyx_to_lps([(f[0] - 1) / 2, (f[1] - 1) / 2, (f[2] - 1) / 2])
    geometry = type(volume.geometry)(
        origin=tuple(float(v) for v in first),
        spacing=(sx * f[2], sy * f[1], sz * f[0]),
        direction=volume.direction,
        size=(n[2], n[1], n[0]),
    )
    return Volume(array=out.astype(np.float32, copy=False), geometry=geometry)


@dataclass(frozen=True, slots=True)
class RigidRegistration:
    """A whole-body rigid alignment.

    Attributes
    ----------
    transform : SimpleITK.Euler3DTransform
        Fixed (reference) LPS -> moving LPS.
    metric : float
        Final Mattes mutual information (negative; lower is better).
    rotation_deg : (float, float, float)
        Rotation angles about x, y, z.
    translation_mm : (float, float, float)
    """

    transform: Any
    metric: float
    rotation_deg: tuple[float, float, float]
    translation_mm: tuple[float, float, float]

    def map_point(self, point_lps: Sequence[float]) -> PointLPS:
        """Where ``point_lps`` of the reference visit lies in the other visit."""
        p = self.transform.TransformPoint(tuple(float(v) for v in point_lps))
        return (float(p[0]), float(p[1]), float(p[2]))


@dataclass(frozen=True, slots=True)
class LocalRegistration:
    """A lesion's neighbourhood aligned after the rigid start.

    Attributes
    ----------
    transform : SimpleITK.Transform
        Fixed LPS -> moving LPS (rigid start, local rigid, local B-spline).
    similarity : float
        Normalised cross-correlation of the box after alignment, over the
        metric's region (the box less the lesion): 1 is a perfect match.
    similarity_before : float
        The same with the whole-body transform alone.
    shift_from_rigid_mm : float
        How far the local step moved the lesion centre from where the whole-body
        transform put it.
    box_fraction_inside : float
        Fraction of the box (mapped into the moving volume) that lies inside it:
        below 1 the lesion is near the edge of the other scan.
    """

    transform: Any
    similarity: float
    similarity_before: float
    shift_from_rigid_mm: float
    box_fraction_inside: float

    def map_point(self, point_lps: Sequence[float]) -> PointLPS:
        """Where ``point_lps`` of the reference visit lies in the other visit."""
        p = self.transform.TransformPoint(tuple(float(v) for v in point_lps))
        return (float(p[0]), float(p[1]), float(p[2]))


def _as_float_image(volume: Volume) -> sitk.Image:
    import SimpleITK as sitk

    arr = np.clip(volume.array, *HU_WINDOW).astype(np.float32, copy=False)
    img = sitk.GetImageFromArray(arr)
    img.SetOrigin(volume.origin)
    img.SetSpacing(volume.spacing)
    img.SetDirection(volume.direction)
    return img


def register_rigid(
    fixed: Volume,
    moving: Volume,
    *,
    sampling: float = 0.05,
    seed: int = 20260105,
) -> RigidRegistration:
    """Rigidly align ``moving`` to ``fixed`` (whole body, mutual information).

    Parameters
    ----------
    fixed : Volume
        The reference visit (where the lesions are known), HU.
    moving : Volume
        The visit to find them in, HU.
    sampling : float, optional
        Fraction of fixed voxels sampled per iteration. *Permitted values:* (0, 1].
    seed : int, optional
        Seed of the sampling (results are repeatable).

    Returns
    -------
    RigidRegistration
        The transform fixed -> moving and the final metric.

    Notes
    -----
    1. Intensities are clipped to -1000 ... 1500 HU.
    2. Both volumes are first averaged in blocks of whole voxels to about
       ``RIGID_VOXEL_MM`` (3 mm; :func:`block_mean`), so the time hardly depends
       on the scan's resolution; then a pyramid of shrink 4, 2, 1 (of those
       blocks) with smoothing 2, 1, 0 voxels; regular step gradient
       descent on an Euler transform centred on the fixed volume, scales from
       physical shift (``SetOptimizerScalesFromPhysicalShift``).
    """
    import SimpleITK as sitk

    if not 0 < sampling <= 1:
        msg = f"sampling must be in (0, 1], got {sampling}"
        raise ValueError(msg)
    f_img = _as_float_image(block_mean(fixed, RIGID_VOXEL_MM))
    m_img = _as_float_image(block_mean(moving, RIGID_VOXEL_MM))
    centre = fixed.geometry.zyx_to_lps(
        (np.asarray(fixed.array.shape, dtype=float) - 1) / 2
    )
    tx = sitk.Euler3DTransform()
    tx.SetCenter(tuple(float(v) for v in centre))
    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMattesMutualInformation(numberOfHistogramBins=32)
    reg.SetMetricSamplingStrategy(reg.RANDOM)
    reg.SetMetricSamplingPercentage(sampling, seed)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsRegularStepGradientDescent(
        learningRate=4.0,
        minStep=0.05,
        numberOfIterations=120,
        relaxationFactor=0.6,
        gradientMagnitudeTolerance=1e-6,
    )
    reg.SetOptimizerScalesFromPhysicalShift()
    reg.SetShrinkFactorsPerLevel([4, 2, 1])
    reg.SetSmoothingSigmasPerLevel([2, 1, 0])
    reg.SmoothingSigmasAreSpecifiedInPhysicalUnitsOff()
    reg.SetInitialTransform(tx, inPlace=True)
    reg.Execute(f_img, m_img)
    params = tx.GetParameters()
    rot = tuple(math.degrees(a) for a in params[:3])
    trans = tuple(float(v) for v in params[3:])
    metric = float(reg.GetMetricValue())
    logger.debug(
        "rigid: rotation %s deg, translation %s mm, MI %.4f", rot, trans, metric
    )
    return RigidRegistration(
        transform=tx,
        metric=metric,
        rotation_deg=(rot[0], rot[1], rot[2]),
        translation_mm=(trans[0], trans[1], trans[2]),
    )


def _crop(
    volume: Volume, center_lps: Sequence[float], half_mm: Sequence[float]
) -> tuple[Volume, tuple[int, int, int]]:
    """Return the box of ``volume`` around ``center_lps`` (half sizes x, y, z in mm)."""
    c = volume.geometry.lps_to_zyx(center_lps)
    sx, sy, sz = volume.spacing
    half = np.array([half_mm[2] / sz, half_mm[1] / sy, half_mm[0] / sx])
    lo = np.maximum(np.floor(c - half).astype(int), 0)
    hi = np.minimum(np.ceil(c + half).astype(int) + 1, volume.array.shape)
    if np.any(hi - lo < 4):
        msg = f"the box around {tuple(center_lps)} mm is outside the volume"
        raise ValueError(msg)
    arr = volume.array[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    origin = volume.geometry.zyx_to_lps(lo)
    geometry = type(volume.geometry)(
        origin=tuple(float(v) for v in origin),
        spacing=volume.spacing,
        direction=volume.direction,
        size=(int(arr.shape[2]), int(arr.shape[1]), int(arr.shape[0])),
    )
    return Volume(array=arr, geometry=geometry), (int(lo[0]), int(lo[1]), int(lo[2]))


def _ncc(
    fixed: sitk.Image, moving: sitk.Image, transform: Any, mask: sitk.Image
) -> float:
    """Normalised cross-correlation of fixed and transformed moving over ``mask``."""
    import SimpleITK as sitk

    warped = sitk.Resample(moving, fixed, transform, sitk.sitkLinear, -1000.0)
    f = sitk.GetArrayViewFromImage(fixed)
    w = sitk.GetArrayViewFromImage(warped)
    m = sitk.GetArrayViewFromImage(mask).astype(bool)
    a, b = f[m].astype(np.float64), w[m].astype(np.float64)
    a -= a.mean()
    b -= b.mean()
    den = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b) / den if den > 0 else 0.0


def refine_local(
    fixed: Volume,
    moving: Volume,
    center_lps: Sequence[float],
    initial: RigidRegistration,
    *,
    lesion_radius_mm: float,
    half_size_mm: Sequence[float] = (45.0, 45.0, 30.0),
    deformable: bool = True,
) -> LocalRegistration:
    """Align the neighbourhood of one lesion, starting from the whole-body transform.

    Parameters
    ----------
    fixed, moving : Volume
        Reference visit and the visit being read (HU).
    center_lps : sequence of 3 float
        The lesion centre in the reference visit (LPS mm).
    initial : RigidRegistration
        From :func:`register_rigid`.
    lesion_radius_mm : float
        Half the lesion's long axis in the reference visit; a ball of this radius
        plus 3 mm is left out of the metric. *Permitted values:* >= 0.
    half_size_mm : (float, float, float), optional
        Half sizes of the box (x, y, z).
    deformable : bool, optional
        Add the B-spline step (else the local rigid step only).

    Returns
    -------
    LocalRegistration

    Raises
    ------
    ValueError
        The box lies outside the reference volume.
    """
    import SimpleITK as sitk

    box = block_mean(_crop(fixed, center_lps, half_size_mm)[0], LOCAL_VOXEL_MM)
    f_img = _as_float_image(box)
    # metric mask: the box less the lesion ball
    zz, yy, xx = np.indices(box.array.shape, dtype=np.float32)
    c = box.geometry.lps_to_zyx(center_lps)
    sx, sy, sz = box.spacing
    d2 = ((zz - c[0]) * sz) ** 2 + ((yy - c[1]) * sy) ** 2 + ((xx - c[2]) * sx) ** 2
    keep = (d2 > (lesion_radius_mm + 3.0) ** 2).astype(np.uint8)
    mask = sitk.GetImageFromArray(keep)
    mask.CopyInformation(f_img)

    # the moving volume cropped around where the rigid map puts the box (+15 mm)
    mapped = initial.map_point(center_lps)
    m_box, _ = _crop(moving, mapped, [h + 15.0 for h in half_size_mm])
    m_img = _as_float_image(block_mean(m_box, LOCAL_VOXEL_MM))
    before = _ncc(f_img, m_img, initial.transform, mask)
    shift = sitk.TranslationTransform(3)
    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsCorrelation()
    reg.SetMetricFixedMask(mask)
    reg.SetMetricSamplingStrategy(reg.RANDOM)
    reg.SetMetricSamplingPercentage(0.25, 20260105)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsRegularStepGradientDescent(
        learningRate=2.0,
        minStep=0.1,
        numberOfIterations=40,
        relaxationFactor=0.5,
        gradientMagnitudeTolerance=1e-8,
    )
    reg.SetShrinkFactorsPerLevel([2, 1])
    reg.SetSmoothingSigmasPerLevel([1.0, 0.0])
    reg.SetMovingInitialTransform(initial.transform)
    reg.SetInitialTransform(shift, inPlace=True)
    reg.Execute(f_img, m_img)
    local = sitk.CompositeTransform([initial.transform, shift])
    final: Any = local
    if deformable:
        mesh = [max(1, round(2 * h / 40.0)) for h in half_size_mm]
        bspline = sitk.BSplineTransformInitializer(f_img, mesh, order=3)
        reg2 = sitk.ImageRegistrationMethod()
        reg2.SetMetricAsCorrelation()
        reg2.SetMetricFixedMask(mask)
        reg2.SetMetricSamplingStrategy(reg2.RANDOM)
        reg2.SetMetricSamplingPercentage(0.25, 20260105)
        reg2.SetInterpolator(sitk.sitkLinear)
        reg2.SetOptimizerAsLBFGSB(
            gradientConvergenceTolerance=1e-5,
            numberOfIterations=20,
            maximumNumberOfCorrections=5,
            maximumNumberOfFunctionEvaluations=40,
        )
        reg2.SetMovingInitialTransform(local)
        reg2.SetInitialTransform(bspline, inPlace=True)
        reg2.Execute(f_img, m_img)
        final = sitk.CompositeTransform([initial.transform, shift, bspline])
    after = _ncc(f_img, m_img, final, mask)
    p0 = np.asarray(initial.map_point(center_lps))
    p1 = np.asarray(final.TransformPoint(tuple(float(v) for v in center_lps)))
    inside = _fraction_inside(box, moving, final)
    return LocalRegistration(
        transform=final,
        similarity=after,
        similarity_before=before,
        shift_from_rigid_mm=float(np.linalg.norm(p1 - p0)),
        box_fraction_inside=inside,
    )


def _fraction_inside(box: Volume, moving: Volume, transform: Any) -> float:
    """Fraction of the box's corners + centre that map inside ``moving``."""
    shape = np.asarray(box.array.shape) - 1
    pts = [np.array([z, y, x]) * shape for z in (0, 1) for y in (0, 1) for x in (0, 1)]
    pts.append(shape / 2)
    n_in = 0
    limit = np.asarray(moving.array.shape) - 0.5
    for p in pts:
        lps = box.geometry.zyx_to_lps(p)
        q = moving.geometry.lps_to_zyx(
            transform.TransformPoint(tuple(float(v) for v in lps))
        )
        n_in += bool(np.all(q >= -0.5) and np.all(q <= limit))
    return n_in / len(pts)
