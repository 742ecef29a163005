"""A tracking study: follow-ups where the patient lies differently, with known truth.

The sample study's body (``_phantom.py``) is scanned at baseline exactly as in
:func:`sample_dicom.generate`; each follow-up sees the same body moved by a known
transform and scanned on its own grid (field of view, pixel and slice spacing):

* a rigid motion: rotation about a pivot, then a shift (the patient lying
  differently on the table);
* a breathing-like smooth deformation: a craniocaudal (and smaller
  antero-posterior) displacement that peaks at the diaphragm and fades towards the
  head, the feet and the flanks;
* lesions that shrink, grow or vanish (a scale per lesion; 0 = gone).

A body point ``q`` (LPS mm, as at baseline) appears in a follow-up at
``p = R (q + u(q) - pivot) + pivot + shift``.  The truth of each lesion (its centre
``p(c)``, its axes = design axes x scale) is written to ``truth.tracking.json``
from these formulas alone; nothing here registers or measures images, so the
truth is independent of the code under test.  The deformation's in-plane gradient
is below 0.03, so axial lengths change by under 3 % (the truth ignores it).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from sample_dicom._design import (
    LESIONS,
    PIXEL_SPACING_MM,
    PLATEAU_HALF_HEIGHT_MM,
    SLICE_SPACING_MM,
    VISITS,
)
from sample_dicom._phantom import AIR_HU, Grid, add_noise, ellipsoid, paint
from sample_dicom._phantom import render_anatomy as _render_anatomy
from sample_dicom._writer import SeriesUids, to_stored, write_series

__all__ = ["FollowUpDesign", "Motion", "TrackingStudy", "generate_tracking"]

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
Point = tuple[float, float, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class Motion:
    """How the body lies at a follow-up relative to baseline.

    Parameters
    ----------
    rotation_deg : (float, float, float)
        Rotations about the x, y and z axes (LPS), applied in that order, about
        ``pivot_mm``.
    shift_mm : (float, float, float)
        Translation after the rotation.
    breathing_mm : float
        Peak craniocaudal displacement of the breathing-like deformation (+ = to
        the head); the antero-posterior one is 0.4 times it.
    pivot_mm : (float, float, float)
        Centre of the rotation.
    """

    rotation_deg: Point = (0.0, 0.0, 0.0)
    shift_mm: Point = (0.0, 0.0, 0.0)
    breathing_mm: float = 0.0
    pivot_mm: Point = (0.0, 0.0, -40.0)

    @property
    def rotation(self) -> F64:
        """3 x 3 rotation matrix R = Rz Ry Rx."""
        ax, ay, az = (math.radians(a) for a in self.rotation_deg)
        rx = np.array(
            [
                [1, 0, 0],
                [0, math.cos(ax), -math.sin(ax)],
                [0, math.sin(ax), math.cos(ax)],
            ]
        )
        ry = np.array(
            [
                [math.cos(ay), 0, math.sin(ay)],
                [0, 1, 0],
                [-math.sin(ay), 0, math.cos(ay)],
            ]
        )
        rz = np.array(
            [
                [math.cos(az), -math.sin(az), 0],
                [math.sin(az), math.cos(az), 0],
                [0, 0, 1],
            ]
        )
        out: F64 = rz @ ry @ rx
        return out

    def displacement(self, x: Any, y: Any, z: Any) -> tuple[Any, Any, Any]:
        """Breathing-like displacement u(q) (mm) at body points (broadcasting).

        ``w = exp(-((z + 40) / 70)^2) * exp(-(x / 250)^2)``; u = A w (0, 0.4, 1):
        largest at the diaphragm (z = -40 mm), smooth everywhere. |grad u| <= 0.13
        for A = 10 mm, so the map is invertible.
        """
        a = self.breathing_mm
        w = np.exp(-(((z + 40.0) / 70.0) ** 2)) * np.exp(-((x / 250.0) ** 2))
        return (0.0 * w, 0.4 * a * w, a * w)

    def forward(self, q: Point) -> Point:
        """Where body point ``q`` appears in the follow-up (LPS mm)."""
        qq = np.asarray(q, dtype=np.float64)
        u = np.asarray(self.displacement(*qq), dtype=np.float64)
        piv = np.asarray(self.pivot_mm)
        p = self.rotation @ (qq + u - piv) + piv + np.asarray(self.shift_mm)
        return (float(p[0]), float(p[1]), float(p[2]))

    def inverse_grid(self, x: F32, y: F32, z: F32) -> tuple[F32, F32, F32]:
        """Body points seen at the voxel centres of an axial grid (fixed point)."""
        piv = np.asarray(self.pivot_mm, dtype=np.float32)
        sh = np.asarray(self.shift_mm, dtype=np.float32)
        rt = self.rotation.T.astype(np.float32)
        px = x[None, None, :] - piv[0] - sh[0]
        py = y[None, :, None] - piv[1] - sh[1]
        pz = z[:, None, None] - piv[2] - sh[2]
        r = [rt[i, 0] * px + rt[i, 1] * py + rt[i, 2] * pz + piv[i] for i in range(3)]
        q = [np.broadcast_to(c, (z.size, y.size, x.size)).astype(np.float32) for c in r]
        for _ in range(6):  # q + u(q) = r; contraction: |grad u| < 1
            u = self.displacement(*q)
            q = [(r[i] - u[i]).astype(np.float32) for i in range(3)]
        return q[0], q[1], q[2]


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUpDesign:
    """One moved follow-up: date, motion, scan grid and lesion scales."""

    label: str
    date: str
    motion: Motion
    pixel_spacing_mm: float = PIXEL_SPACING_MM
    slice_spacing_mm: float = SLICE_SPACING_MM
    size: tuple[int, int, int] = (320, 320, 64)  # columns, rows, slices
    origin_mm: Point = (-191.4, -191.4, -112.5)
    #: lesion id -> scale of its axes against baseline (0: vanished)
    scale: dict[str, float] = field(default_factory=dict)


FOLLOWUPS: tuple[FollowUpDesign, ...] = (
    FollowUpDesign(
        label="week06",
        date="2026-02-16",
        motion=Motion(
            rotation_deg=(1.5, -1.0, 4.0), shift_mm=(12.0, -8.0, 9.0), breathing_mm=8.0
        ),
        pixel_spacing_mm=1.1,
        slice_spacing_mm=2.0,
        size=(352, 352, 84),
        origin_mm=(-180.0, -200.0, -105.3),
        scale={"T01": 0.8, "T02": 1.25, "T03": 0.0, "T04": 0.7, "NT01": 1.0},
    ),
    FollowUpDesign(
        label="week12",
        date="2026-03-30",
        motion=Motion(
            rotation_deg=(-2.0, 1.5, -3.0),
            shift_mm=(-10.0, 6.0, -7.0),
            breathing_mm=-6.0,
        ),
        pixel_spacing_mm=1.3,
        slice_spacing_mm=2.5,
        size=(300, 300, 70),
        origin_mm=(-205.0, -185.0, -126.2),
        scale={"T01": 0.6, "T02": 1.4, "T03": 1.0, "T04": 1.1, "NT01": 1.0},
    ),
)

BODY_SPACING_MM = (1.0, 1.0, 1.0)  # the body is rendered this fine, then resampled


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackingStudy:
    """What :func:`generate_tracking` wrote."""

    root: Path
    truth_path: Path
    seeds_path: Path
    truth: dict[str, Any]


def _lesion_shapes(scale: dict[str, float]) -> list[tuple[Any, float, str]]:
    out = []
    for les in LESIONS:
        s = scale.get(les.lesion_id, 1.0)
        if s <= 0:
            continue
        a, b = les.long_mm[0] / 2 * s, les.short_mm[0] / 2 * s
        shape = ellipsoid(
            les.center_mm,
            (a, b, b),
            angle_deg=les.angle_deg,
            plateau_mm=PLATEAU_HALF_HEIGHT_MM,
        )
        out.append((shape, les.hu, les.lesion_id))
    return out


def _scan_grid(fu: FollowUpDesign) -> Grid:
    sp = (fu.pixel_spacing_mm, fu.pixel_spacing_mm, fu.slice_spacing_mm)
    return Grid.regular(fu.origin_mm, sp, fu.size)


def render_followup(fu: FollowUpDesign, rng: np.random.Generator) -> F32:
    """Noisy HU volume (z, y, x) of the moved body on the follow-up's grid."""
    grid = _scan_grid(fu)
    qx, qy, qz = fu.motion.inverse_grid(grid.x, grid.y, grid.z)
    lo = [float(np.floor(c.min())) - 2.0 for c in (qx, qy, qz)]
    hi = [float(np.ceil(c.max())) + 2.0 for c in (qx, qy, qz)]
    n = [
        round((h - lo_) / s) + 1
        for lo_, h, s in zip(lo, hi, BODY_SPACING_MM, strict=True)
    ]
    body_grid = Grid.regular((lo[0], lo[1], lo[2]), BODY_SPACING_MM, (n[0], n[1], n[2]))
    body = _render_anatomy(body_grid)
    for shape, hu, _ in _lesion_shapes(fu.scale):
        paint(body, body_grid, shape, hu)
    coords = np.stack(
        [
            (qz - lo[2]) / BODY_SPACING_MM[2],
            (qy - lo[1]) / BODY_SPACING_MM[1],
            (qx - lo[0]) / BODY_SPACING_MM[0],
        ]
    )
    del qx, qy, qz
    out = ndimage.map_coordinates(body, coords, order=1, mode="constant", cval=AIR_HU)
    hu = out.astype(np.float32, copy=False)
    add_noise(hu, rng)
    return hu


def _truth_of(fu: FollowUpDesign, grid: Grid) -> list[dict[str, Any]]:
    rows = []
    for les in LESIONS:
        s = fu.scale.get(les.lesion_id, 1.0)
        c = fu.motion.forward(les.center_mm)
        inside = all(
            float(ax.min()) <= v <= float(ax.max())
            for ax, v in zip((grid.x, grid.y, grid.z), c, strict=True)
        )
        long_mm, short_mm = les.long_mm[0] * s, les.short_mm[0] * s
        rows.append(
            {
                "id": les.lesion_id,
                "role": les.role,
                "site": les.site,
                "nodal": les.nodal,
                "present": s > 0,
                "scale": s,
                "center_lps": [round(v, 4) for v in c],
                "in_field_of_view": inside,
                "long_axis_mm": round(long_mm, 4),
                "short_axis_mm": round(short_mm, 4),
                "recist_mm": round(short_mm if les.nodal else long_mm, 4),
                "radius_mm": round(long_mm / 2, 4),
            }
        )
    return rows


def generate_tracking(
    out_dir: Path | str,
    *,
    seed: int = 0,
    followups: tuple[FollowUpDesign, ...] = FOLLOWUPS,
    baseline: FollowUpDesign | None = None,
) -> TrackingStudy:
    """Write the baseline and moved follow-ups with the tracking truth.

    Parameters
    ----------
    out_dir : Path or str
        Output folder (created). Layout as :func:`sample_dicom.generate`:
        ``<YYYYMMDD>_<label>/CT/IM0001.dcm``, plus ``truth.tracking.json`` and
        ``seeds.json`` (a point in each baseline target: ``recist autoread``
        reads the baseline from it).
    seed : int
        Noise and UID seed.
    followups : tuple of FollowUpDesign
        The moved follow-ups (default :data:`FOLLOWUPS`: rotations of 3-5 deg,
        shifts of 12-16 mm, breathing of 6-8 mm, other pixel and slice spacing,
        a lesion that vanishes, lesions that shrink and grow).
    baseline : FollowUpDesign, optional
        Another baseline grid (its motion should be the identity), rendered like
        the follow-ups (resampled); default: the sample study's own baseline.
    """
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    base = VISITS[0]
    own_baseline = baseline is None
    if baseline is None:
        baseline = FollowUpDesign(label=base.label, date=base.date, motion=Motion())
    visits: list[tuple[str, str, FollowUpDesign]] = [
        (baseline.label, baseline.date, baseline)
    ]
    visits += [(fu.label, fu.date, fu) for fu in followups]
    truth_visits = []
    for v, (label, day, fu) in enumerate(visits):
        grid = _scan_grid(fu)
        rng = np.random.default_rng([seed, 1000 + v])
        if v == 0 and own_baseline:  # the baseline as the sample study renders it
            from sample_dicom._phantom import render_lesions

            hu = _render_anatomy(grid)
            render_lesions(hu, grid, 0)
            add_noise(hu, rng)
        else:
            hu = render_followup(fu, rng)
        slice_z = tuple(float(z) for z in np.round(grid.z.astype(np.float64), 4))
        uids = SeriesUids.derive(seed, f"tracking-{label}", len(slice_z))
        d = date.fromisoformat(day)
        write_series(
            root / f"{d:%Y%m%d}_{label}" / "CT",
            to_stored(hu),
            seed=seed,
            visit_number=v + 1,
            label=label,
            study_date=d,
            origin_mm=fu.origin_mm,
            slice_z_mm=slice_z,
            uids=uids,
            pixel_spacing_mm=fu.pixel_spacing_mm,
            slice_spacing_mm=fu.slice_spacing_mm,
        )
        m = fu.motion
        truth_visits.append(
            {
                "label": label,
                "date": day,
                "motion": {
                    "rotation_deg": list(m.rotation_deg),
                    "shift_mm": list(m.shift_mm),
                    "breathing_mm": m.breathing_mm,
                    "pivot_mm": list(m.pivot_mm),
                },
                "pixel_spacing_mm": fu.pixel_spacing_mm,
                "slice_spacing_mm": fu.slice_spacing_mm,
                "size": list(fu.size),
                "origin_lps": list(fu.origin_mm),
                "lesions": _truth_of(fu, grid),
            }
        )
    truth = {
        "generator": "sample_dicom tracking",
        "seed": seed,
        "coordinates": "DICOM patient (LPS), mm",
        "transform": "p = R (q + u(q) - pivot) + pivot + shift, R = Rz Ry Rx",
        "visits": truth_visits,
    }
    truth_path = root / "truth.tracking.json"
    truth_path.write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    seeds = {
        "lesions": [
            {
                "id": les.lesion_id,
                "role": "TARGET" if les.role == "target" else "NON-TARGET",
                "site": les.site,
                "nodal": les.nodal,
                "hint": {"LIVER": "liver", "LUNG": "lung", "LYMPH NODE": "node"}.get(
                    les.site
                ),
                "seeds_lps": (
                    {base.date: list(les.center_mm)} if les.role == "target" else {}
                ),
                "states": {},
            }
            for les in LESIONS
        ]
    }
    seeds_path = root / "seeds.json"
    seeds_path.write_text(json.dumps(seeds, indent=2) + "\n", encoding="utf-8")
    return TrackingStudy(
        root=root, truth_path=truth_path, seeds_path=seeds_path, truth=truth
    )
