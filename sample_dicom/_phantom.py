"""Render the phantom (anatomy and lesions) in Hounsfield units on a scan grid.

Shapes are defined in patient space (LPS mm) and sampled at voxel centres, so the
same body appears on every visit's grid.  Each shape paints with a coverage in
[0, 1] that ramps linearly over one pixel across its surface (a cheap partial-volume
model, no staircase at organ edges); the 0.5 level is exactly the surface, so a
lesion thresholded half-way between its HU and its surroundings has its design size.
In z the images are sampled at the slice plane (no slice-thickness averaging).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sample_dicom._design import (
    LESIONS,
    NOISE_SIGMA_HU,
    PIXEL_SPACING_MM,
    PLATEAU_HALF_HEIGHT_MM,
    LesionDesign,
)

__all__ = ["Grid", "add_noise", "lesion_shape", "render_anatomy", "render_lesions"]

F32 = npt.NDArray[np.float32]
Vec = npt.NDArray[np.float64]
AIR_HU = -1000.0
RAMP_MM = PIXEL_SPACING_MM  # width of the partial-volume ramp across a surface


@dataclass(frozen=True, slots=True)
class Grid:
    """Voxel-centre coordinates (LPS mm) of an axial scan, axes z, y, x."""

    x: F32  # (columns,)
    y: F32  # (rows,)
    z: F32  # (slices,)

    @classmethod
    def regular(
        cls,
        origin: tuple[float, float, float],
        spacing: tuple[float, float, float],
        size: tuple[int, int, int],
    ) -> Grid:
        """Grid with identity orientation from origin, spacing and size (x, y, z)."""
        axes = [
            np.asarray([round(o + s * i, 4) for i in range(n)], dtype=np.float64)
            for o, s, n in zip(origin, spacing, size, strict=True)
        ]
        return cls(*(a.astype(np.float32) for a in axes))

    @property
    def shape(self) -> tuple[int, int, int]:
        """Array shape (slices, rows, columns)."""
        return (self.z.size, self.y.size, self.x.size)


Box = tuple[float, float, float, float, float, float]  # xmin xmax ymin ymax zmin zmax
Coverage = Callable[[F32, F32, F32], F32]  # (Z[:,1,1], Y[1,:,1], X[1,1,:]) -> alpha


@dataclass(frozen=True, slots=True)
class Shape:
    """A solid: its bounding box and its coverage function."""

    box: Box
    coverage: Coverage


def _ramp(distance_mm: F32) -> F32:
    """Coverage from signed distance to the surface (negative inside)."""
    out: F32 = np.clip(0.5 - distance_mm / np.float32(RAMP_MM), 0.0, 1.0)
    return out.astype(np.float32, copy=False)


def ellipsoid(
    center: tuple[float, float, float],
    semi: tuple[float, float, float],
    *,
    angle_deg: float = 0.0,
    plateau_mm: float = 0.0,
) -> Shape:
    """Ellipsoid, rotated in-plane by ``angle_deg``, with a z plateau of half-height.

    ``semi`` is (along the rotated x, along the rotated y, z).  With ``semi[2]`` of
    ``inf`` it is an elliptic cylinder along z.  The signed distance is the usual
    first-order estimate ``(f - 1) / |grad f|`` of the implicit ``f = 1`` surface.
    """
    xc, yc, zc = center
    a, b, c = semi
    th = math.radians(angle_deg)
    cs, sn = np.float32(math.cos(th)), np.float32(math.sin(th))
    r = max(a, b)
    zr = c + plateau_mm
    box = (xc - r, xc + r, yc - r, yc + r, zc - zr, zc + zr)

    def cover(zz: F32, yy: F32, xx: F32) -> F32:
        dx, dy = xx - np.float32(xc), yy - np.float32(yc)
        u, v = dx * cs + dy * sn, dy * cs - dx * sn
        qu, qv = u / np.float32(a), v / np.float32(b)
        q = qu * qu + qv * qv
        g = (qu / np.float32(a)) ** 2 + (qv / np.float32(b)) ** 2
        if math.isfinite(c):
            w = np.maximum(np.abs(zz - np.float32(zc)) - np.float32(plateau_mm), 0)
            qw = w / np.float32(c)
            q = q + qw * qw
            g = g + (qw / np.float32(c)) ** 2
        f = np.sqrt(q)
        dist = f * (f - 1) / np.maximum(np.sqrt(g), np.float32(1e-6))
        return _ramp(dist.astype(np.float32, copy=False))

    return Shape(box, cover)


def cylinder(center_xy: tuple[float, float], semi_xy: tuple[float, float]) -> Shape:
    """Elliptic cylinder along z (z-invariant: rendered as one 2-D image)."""
    return ellipsoid((*center_xy, 0.0), (*semi_xy, math.inf))


def tube(
    p0: tuple[float, float, float], p1: tuple[float, float, float], r: float
) -> Shape:
    """Capsule of radius ``r`` around the segment p0-p1 (a vessel)."""
    a = np.asarray(p0, dtype=np.float32)
    d = np.asarray(p1, dtype=np.float32) - a
    dd = np.float32(float(d @ d))
    lo = np.minimum(p0, p1) - r
    hi = np.maximum(p0, p1) + r
    box = (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])

    def cover(zz: F32, yy: F32, xx: F32) -> F32:
        px, py, pz = xx - a[0], yy - a[1], zz - a[2]
        t = np.clip((px * d[0] + py * d[1] + pz * d[2]) / dd, 0, 1)
        ex, ey, ez = px - t * d[0], py - t * d[1], pz - t * d[2]
        dist = np.sqrt(ex * ex + ey * ey + ez * ez) - np.float32(r)
        return _ramp(dist.astype(np.float32, copy=False))

    return Shape(tuple(float(v) for v in box), cover)  # type: ignore[arg-type]


def slab(z0: float, z1: float, inner: Shape) -> Shape:
    """``inner`` limited to z0 <= z <= z1 (an intervertebral disc)."""

    def cover(zz: F32, yy: F32, xx: F32) -> F32:
        zc, h = np.float32((z0 + z1) / 2), np.float32((z1 - z0) / 2)
        dz = _ramp((np.abs(zz - zc) - h).astype(np.float32, copy=False))
        return (inner.coverage(zz, yy, xx) * dz).astype(np.float32, copy=False)

    x0, x1, y0, y1, _, _ = inner.box
    return Shape((x0, x1, y0, y1, z0 - RAMP_MM, z1 + RAMP_MM), cover)


def _index_range(axis: F32, lo: float, hi: float) -> slice:
    """Return the indices of an increasing axis within [lo - ramp, hi + ramp]."""
    i0 = int(np.searchsorted(axis, lo - RAMP_MM, side="left"))
    i1 = int(np.searchsorted(axis, hi + RAMP_MM, side="right"))
    return slice(i0, i1)


def paint(
    vol: F32,
    grid: Grid,
    shape: Shape,
    hu: float,
    *,
    within: F32 | None = None,
) -> None:
    """Blend ``hu`` into ``vol`` with the shape's coverage (times ``within``).

    ``within`` is an optional full-size coverage that limits the shape (e.g. the
    lungs to the chest cavity).
    """
    x0, x1, y0, y1, z0, z1 = shape.box
    sx, sy = _index_range(grid.x, x0, x1), _index_range(grid.y, y0, y1)
    sz = (
        slice(0, grid.z.size)
        if not math.isfinite(z1 - z0)
        else _index_range(grid.z, z0, z1)
    )
    if sx.start >= sx.stop or sy.start >= sy.stop or sz.start >= sz.stop:
        return
    zz = grid.z[sz][:, None, None]
    yy = grid.y[sy][None, :, None]
    xx = grid.x[sx][None, None, :]
    alpha = shape.coverage(zz, yy, xx)
    if within is not None:
        alpha = alpha * within[sz, sy, sx]
    region = vol[sz, sy, sx]
    region += alpha * (np.float32(hu) - region)


def _coverage_full(grid: Grid, shape: Shape, *, within: F32 | None = None) -> F32:
    """Full-size coverage array of a shape (for clipping later shapes)."""
    out = np.zeros(grid.shape, dtype=np.float32)
    paint(out, grid, shape, 1.0, within=within)
    return out


# ---- anatomy (fixed in LPS; numbers in mm and HU) ---------------------------------

BODY = cylinder((0.0, 0.0), (170.0, 125.0))  # skin and subcutaneous fat
MUSCLE = cylinder((0.0, 0.0), (158.0, 113.0))  # body-wall muscle, 12 mm
CAVITY = cylinder((0.0, 0.0), (146.0, 101.0))  # chest/abdominal cavity (fat)
LUNG_R_AXES = ((-80.0, 5.0, 45.0), (58.0, 80.0, 100.0))  # centre, semi-axes
LUNG_L_AXES = ((80.0, 5.0, 45.0), (55.0, 78.0, 100.0))
LUNG_R = ellipsoid(*LUNG_R_AXES)  # bases at z = -55, around the liver dome
LUNG_L = ellipsoid(*LUNG_L_AXES)
HEART = ellipsoid((25.0, -35.0, -15.0), (50.0, 42.0, 28.0), angle_deg=-30.0)
AORTA = cylinder((22.0, 38.0), (12.0, 12.0))  # descending aorta
LIVER = ellipsoid((-65.0, -5.0, -57.5), (75.0, 80.0, 42.5))  # z -100 ... -15
DIAPHRAGM = ellipsoid((-65.0, -5.0, -57.5), (80.0, 85.0, 47.5))  # liver + 5 mm
SPLEEN = ellipsoid((95.0, 35.0, -60.0), (30.0, 45.0, 35.0), angle_deg=30.0)
VB_CORTEX = cylinder((0.0, 62.0), (18.0, 18.0))  # vertebral body
VB_CANCELLOUS = cylinder((0.0, 62.0), (15.5, 15.5))
ARCH_CORTEX = cylinder((0.0, 93.0), (14.0, 14.0))  # posterior arch around the canal
ARCH_CANCELLOUS = cylinder((0.0, 93.0), (11.5, 11.5))
CANAL = cylinder((0.0, 93.0), (8.0, 8.0))
DISC_Z_MM = (-112.0, -82.0, -52.0, -22.0, 8.0, 38.0)  # 6 mm discs every 30 mm
HU = {
    "fat": -100.0,
    "muscle": 40.0,
    "cavity": -90.0,
    "lung": -850.0,
    "vessel": 40.0,
    "heart": 40.0,
    "aorta": 150.0,
    "liver": 60.0,
    "spleen": 50.0,
    "cortical": 700.0,
    "cancellous": 250.0,
    "disc": 80.0,
    "csf": 15.0,
}


def _lung_vessels() -> list[Shape]:
    """Build a fixed pseudo-random vessel tree from each hilum into the lung.

    Three generations of branches (radius 3.0, 1.8, 1.1 mm) fan out from each
    hilum.  Independent of the seed (the anatomy is the same for every seed).
    Branches passing within 8 mm of a lung lesion's surface are dropped, so that
    the nodule stands alone.
    """
    rng = np.random.default_rng(20260105)
    lung_lesions = [les for les in LESIONS if les.site == "LUNG"]
    out: list[Shape] = []
    for side, lung in ((-1.0, LUNG_R_AXES), (1.0, LUNG_L_AXES)):
        hilum = np.array([side * 35.0, 5.0, 20.0])
        stack: list[tuple[Vec, Vec | None, int]] = [(hilum, None, 0)]
        while stack:
            start, heading, generation = stack.pop()
            n_children = 8 if generation == 0 else 3
            for _ in range(n_children):
                for _attempt in range(20):  # keep branches inside the lung
                    if heading is None:  # from the hilum: anywhere outwards
                        d = rng.normal(size=3) * np.array([0.6, 1.0, 1.3])
                        d[0] = side * abs(d[0]) + side * 0.4
                    else:
                        d = heading + rng.normal(size=3) * 0.6
                    d /= np.linalg.norm(d)
                    length = rng.uniform(30.0, 50.0) / (1 + 0.4 * generation)
                    end = start + length * d
                    if _inside(end, *lung, margin=0.85):
                        break
                radius = (3.0, 1.8, 1.1)[generation]
                if all(
                    _segment_clear(start, end, les, radius + 8.0)
                    for les in lung_lesions
                ):
                    out.append(tube(_xyz(start), _xyz(end), radius))
                if generation < 2:
                    stack.append((end, d, generation + 1))
    return out


def _inside(
    p: npt.NDArray[np.float64],
    center: tuple[float, float, float],
    semi: tuple[float, float, float],
    *,
    margin: float,
) -> bool:
    q = (p - np.asarray(center)) / (margin * np.asarray(semi))
    return float(q @ q) <= 1.0


def _xyz(p: npt.NDArray[np.float64]) -> tuple[float, float, float]:
    return (float(p[0]), float(p[1]), float(p[2]))


def _segment_clear(
    p0: npt.NDArray[np.float64],
    p1: npt.NDArray[np.float64],
    les: LesionDesign,
    gap: float,
) -> bool:
    c = np.asarray(les.center_mm)
    d = p1 - p0
    t = float(np.clip((c - p0) @ d / (d @ d), 0.0, 1.0))
    return float(np.linalg.norm(p0 + t * d - c)) > max(les.long_mm) / 2 + gap


VESSELS = _lung_vessels()


def render_anatomy(grid: Grid) -> F32:
    """Noise-free HU volume (z, y, x) of the body without lesions."""
    vol = np.full(grid.shape, AIR_HU, dtype=np.float32)
    paint(vol, grid, BODY, HU["fat"])
    paint(vol, grid, MUSCLE, HU["muscle"])
    paint(vol, grid, CAVITY, HU["cavity"])
    cavity = _coverage_full(grid, CAVITY)
    thorax = cavity * (1 - _coverage_full(grid, DIAPHRAGM))
    lungs = np.maximum(
        _coverage_full(grid, LUNG_R, within=thorax),
        _coverage_full(grid, LUNG_L, within=thorax),
    )
    vol += lungs * (np.float32(HU["lung"]) - vol)
    for vessel in VESSELS:
        paint(vol, grid, vessel, HU["vessel"], within=lungs)
    paint(vol, grid, HEART, HU["heart"], within=cavity)
    paint(vol, grid, LIVER, HU["liver"], within=cavity)
    paint(vol, grid, SPLEEN, HU["spleen"], within=cavity)
    paint(vol, grid, AORTA, HU["aorta"])
    paint(vol, grid, VB_CORTEX, HU["cortical"])
    paint(vol, grid, VB_CANCELLOUS, HU["cancellous"])
    for z in DISC_Z_MM:
        paint(vol, grid, slab(z - 3.0, z + 3.0, VB_CANCELLOUS), HU["disc"])
    paint(vol, grid, ARCH_CORTEX, HU["cortical"])
    paint(vol, grid, ARCH_CANCELLOUS, HU["cancellous"])
    paint(vol, grid, CANAL, HU["csf"])
    return vol


def lesion_shape(lesion: LesionDesign, visit_index: int) -> Shape:
    """Return the lesion's solid at one visit (ellipsoid with a 2.5 mm tall waist)."""
    a = lesion.long_mm[visit_index] / 2
    b = lesion.short_mm[visit_index] / 2
    return ellipsoid(
        lesion.center_mm,
        (a, b, b),
        angle_deg=lesion.angle_deg,
        plateau_mm=PLATEAU_HALF_HEIGHT_MM,
    )


def render_lesions(vol: F32, grid: Grid, visit_index: int) -> None:
    """Paint every lesion at its size for ``visit_index`` into ``vol`` (in place)."""
    for lesion in LESIONS:
        paint(vol, grid, lesion_shape(lesion, visit_index), lesion.hu)


def add_noise(vol: F32, rng: np.random.Generator) -> None:
    """Add white Gaussian noise (sigma NOISE_SIGMA_HU) in place."""
    noise = rng.standard_normal(vol.shape, dtype=np.float32)
    noise *= np.float32(NOISE_SIGMA_HU)
    vol += noise
