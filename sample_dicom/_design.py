"""The design of the sample study: visits, scan grids and lesion sizes.

Every number that the images and the ground truth share is written here once, as
a literal, so that a reader can check the truth against the design by eye.

Coordinates are DICOM patient coordinates (LPS, mm): x grows to the patient's
left, y to the posterior, z to the head.  The body is fixed in LPS; each visit
scans it on its own grid (a "table shift" of its origin).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "COLUMNS",
    "LESIONS",
    "NOISE_SIGMA_HU",
    "PIXEL_SPACING_MM",
    "PLATEAU_HALF_HEIGHT_MM",
    "ROWS",
    "SLICES",
    "SLICE_SPACING_MM",
    "VISITS",
    "LesionDesign",
    "VisitDesign",
]

ROWS = 320
COLUMNS = 320
SLICES = 64
PIXEL_SPACING_MM = 1.2  # FOV 384 mm
SLICE_SPACING_MM = 2.5  # = SliceThickness = SpacingBetweenSlices
NOISE_SIGMA_HU = 12.0

# A lesion's in-plane section is constant (its largest) for |z - z_centre| <= this,
# so that every visit's grid (slices 2.5 mm apart) has one slice through the largest
# section whatever its z offset: "an ellipsoid with a 2.5 mm tall waist".
PLATEAU_HALF_HEIGHT_MM = SLICE_SPACING_MM / 2

# Baseline grid: first voxel centre at (-191.4, -191.4, -112.5), pixel centres
# symmetric about x = y = 0, slices at z = -112.5 ... 45.0 (64 x 2.5 mm).
BASE_ORIGIN_MM = (-191.4, -191.4, -112.5)


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitDesign:
    """One time point: its date, label and the table shift of its scan grid."""

    label: str  # baseline, week06, ...
    date: str  # ISO YYYY-MM-DD
    shift_mm: tuple[float, float, float]  # added to BASE_ORIGIN_MM (x, y, z)

    @property
    def origin_mm(self) -> tuple[float, float, float]:
        """First voxel centre (LPS mm), rounded to 0.1 µm as written to DICOM."""
        x, y, z = (
            round(b + s, 4) for b, s in zip(BASE_ORIGIN_MM, self.shift_mm, strict=True)
        )
        return (x, y, z)


# z shifts 0, +3.1, -1.7, +4.4 mm are not multiples of 2.5 mm (offsets of the slice
# grid modulo 2.5 mm: 0, 0.6, 0.8, 1.9), so slices must be matched by patient mm.
VISITS: tuple[VisitDesign, ...] = (
    VisitDesign(label="baseline", date="2026-01-05", shift_mm=(0.0, 0.0, 0.0)),
    VisitDesign(label="week06", date="2026-02-16", shift_mm=(0.6, -1.8, 3.1)),
    VisitDesign(label="week12", date="2026-03-30", shift_mm=(-0.9, 1.1, -1.7)),
    VisitDesign(label="week18", date="2026-05-11", shift_mm=(0.3, 2.4, 4.4)),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class LesionDesign:
    """A lesion: where it is, what it looks like, and its size at each visit.

    The lesion is an ellipsoid with a plateau: its axial section is the ellipse with
    diameters ``long_mm[v]`` x ``short_mm[v]`` (long axis at ``angle_deg`` from +x
    towards +y) for ``|z - z_c| <= PLATEAU_HALF_HEIGHT_MM`` and shrinks like an
    ellipsoid with z semi-axis ``short_mm[v] / 2`` beyond.
    """

    lesion_id: str
    role: str  # "target" or "non-target"
    site: str  # case-format site: LIVER, LUNG, LYMPH NODE, BONE
    nodal: bool
    center_mm: tuple[
        float, float, float
    ]  # anatomical centre, LPS, the same at all visits
    angle_deg: float
    hu: float
    long_mm: tuple[float, ...]  # per visit, in VISITS order
    short_mm: tuple[float, ...]

    @property
    def recist_mm(self) -> tuple[float, ...]:
        """The RECIST 1.1 diameter per visit: short axis if nodal, else longest."""
        return self.short_mm if self.nodal else self.long_mm


# Sizes (mm) at baseline, week 6, week 12, week 18; the RECIST diameter in brackets:
#   T01 liver   [30 24 18 17]   T02 liver [22 18 13 12]   T03 lung [15 12 10 10]
#   T04 node short axis [18 15 8 8] (long 26 22 12 12)   NT01 bone 14 x 11, unchanged
# Sums 85, 69, 49, 47: see _truth.py for the response arithmetic.
LESIONS: tuple[LesionDesign, ...] = (
    LesionDesign(
        lesion_id="T01",
        role="target",
        site="LIVER",
        nodal=False,
        center_mm=(-85.0, -20.0, -44.7),
        angle_deg=25.0,
        hu=20.0,
        long_mm=(30.0, 24.0, 18.0, 17.0),
        short_mm=(22.0, 18.0, 14.0, 13.0),
    ),
    LesionDesign(
        lesion_id="T02",
        role="target",
        site="LIVER",
        nodal=False,
        center_mm=(-40.0, 30.0, -75.2),
        angle_deg=-40.0,
        hu=15.0,
        long_mm=(22.0, 18.0, 13.0, 12.0),
        short_mm=(17.0, 14.0, 10.0, 10.0),
    ),
    LesionDesign(
        lesion_id="T03",
        role="target",
        site="LUNG",
        nodal=False,
        center_mm=(80.0, 10.0, 10.3),
        angle_deg=70.0,
        hu=30.0,
        long_mm=(15.0, 12.0, 10.0, 10.0),
        short_mm=(13.0, 10.5, 8.5, 8.5),
    ),
    LesionDesign(
        lesion_id="T04",
        role="target",
        site="LYMPH NODE",
        nodal=True,
        center_mm=(-2.0, -5.0, 25.2),
        angle_deg=55.0,
        hu=35.0,
        long_mm=(26.0, 22.0, 12.0, 12.0),
        short_mm=(18.0, 15.0, 8.0, 8.0),
    ),
    LesionDesign(
        lesion_id="NT01",
        role="non-target",
        site="BONE",
        nodal=False,
        center_mm=(4.0, 60.0, -94.8),
        angle_deg=0.0,
        hu=100.0,
        long_mm=(14.0, 14.0, 14.0, 14.0),
        short_mm=(11.0, 11.0, 11.0, 11.0),
    ),
)
