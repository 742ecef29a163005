"""Ground truth of the sample study: per-lesion geometry and the RECIST 1.1 case.

The expected responses are written out by hand from the design sizes (see the
arithmetic in the comments of :data:`EXPECTED`); nothing here runs a rules engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sample_dicom._design import LESIONS, PLATEAU_HALF_HEIGHT_MM, VISITS, LesionDesign

__all__ = ["EXPECTED", "LesionTruth", "case_document", "lesion_truth"]

Point = tuple[float, float, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class LesionTruth:
    """One lesion at one time point, as drawn in the images.

    ``center_lps`` is the centre of the largest axial section, which lies exactly on
    the slice plane ``slice_z_mm``; ``anatomical_center_lps`` is the 3-D centre of
    the lesion, the same at every visit (the largest section is a 2.5 mm tall waist
    around it, so the slice nearest to it shows the largest section).
    """

    lesion_id: str
    role: str  # "target" or "non-target"
    site: str
    nodal: bool
    hu: float
    date: str
    study_uid: str
    series_uid: str
    center_lps: Point
    anatomical_center_lps: Point
    slice_index: int  # in increasing z; InstanceNumber = slice_index + 1
    slice_sop_uid: str
    slice_z_mm: float
    long_axis_mm: float
    short_axis_mm: float
    diameter_mm: float  # RECIST 1.1: short axis if nodal, else long axis
    long_axis_lps: tuple[Point, Point]
    short_axis_lps: tuple[Point, Point]
    angle_deg: float  # long axis from +x (patient left) towards +y (posterior)
    z_semi_axis_mm: float  # beyond the waist of half-height plateau_half_height_mm
    plateau_half_height_mm: float

    def as_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict (tuples become lists)."""
        return {
            name: _listify(getattr(self, name)) for name in self.__dataclass_fields__
        }


def _listify(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_listify(v) for v in value]
    return value


def _r(v: float) -> float:
    return round(v, 4) + 0.0  # 0.0 turns -0.0 into 0.0


def lesion_truth(
    lesion: LesionDesign,
    visit_index: int,
    *,
    slice_z_mm: tuple[float, ...],
    study_uid: str,
    series_uid: str,
    sop_uids: tuple[str, ...],
) -> LesionTruth:
    """Truth of ``lesion`` at visit ``visit_index`` on a grid with ``slice_z_mm``."""
    xc, yc, zc = lesion.center_mm
    k = min(range(len(slice_z_mm)), key=lambda i: abs(slice_z_mm[i] - zc))
    z = slice_z_mm[k]
    if not abs(z - zc) < PLATEAU_HALF_HEIGHT_MM:
        msg = f"{lesion.lesion_id}: no slice within the waist (nearest {z} mm)"
        raise AssertionError(msg)
    a = lesion.long_mm[visit_index] / 2
    b = lesion.short_mm[visit_index] / 2
    th = math.radians(lesion.angle_deg)
    u = (math.cos(th), math.sin(th))
    v = (-math.sin(th), math.cos(th))

    def end(d: tuple[float, float], s: float) -> Point:
        return (_r(xc + s * d[0]), _r(yc + s * d[1]), _r(z))

    return LesionTruth(
        lesion_id=lesion.lesion_id,
        role=lesion.role,
        site=lesion.site,
        nodal=lesion.nodal,
        hu=lesion.hu,
        date=VISITS[visit_index].date,
        study_uid=study_uid,
        series_uid=series_uid,
        center_lps=(_r(xc), _r(yc), _r(z)),
        anatomical_center_lps=(_r(xc), _r(yc), _r(zc)),
        slice_index=k,
        slice_sop_uid=sop_uids[k],
        slice_z_mm=_r(z),
        long_axis_mm=2 * a,
        short_axis_mm=2 * b,
        diameter_mm=lesion.recist_mm[visit_index],
        long_axis_lps=(end(u, -a), end(u, a)),
        short_axis_lps=(end(v, -b), end(v, b)),
        angle_deg=lesion.angle_deg,
        z_semi_axis_mm=b,
        plateau_half_height_mm=PLATEAU_HALF_HEIGHT_MM,
    )


# The RECIST 1.1 answer, by hand from the design diameters (T01 + T02 + T03 + T04,
# the node by its short axis), dates 2026-01-05 / 02-16 / 03-30 / 05-11:
#   baseline  30 + 22 + 15 + 18 = 85
#   week 6    24 + 18 + 12 + 15 = 69   (69 - 85) / 85 = -18.82 % -> -18.8
#             nadir 85 (baseline): the same -18.8
#             10 * 69 = 690 > 7 * 85 = 595: not PR; 69 < 85: not PD  -> SD
#   week 12   18 + 13 + 10 +  8 = 49   (49 - 85) / 85 = -42.35 % -> -42.4
#             nadir min(85, 69) = 69: (49 - 69) / 69 = -28.99 % -> -29.0
#             490 <= 595 -> PR (node short axis 8 < 10 mm, but T01-T03 remain: not CR)
#   week 18   17 + 12 + 10 +  8 = 47   (47 - 85) / 85 = -44.71 % -> -44.7
#             nadir min(85, 69, 49) = 49: (47 - 49) / 49 = -4.08 % -> -4.1
#             470 <= 595 -> PR; 47 < 49: not PD
#   NT01 present at every visit -> NON-CR/NON-PD; no new lesions -> N.
#   Overall SD, PR, PR. The PR of 2026-03-30 is confirmed by the PR of 2026-05-11,
#   42 days later (>= 28) -> best overall response PR (confirmed).
# Margins: PR needs a sum <= 59.5 mm (week 6 is 9.5 mm above, week 12 10.5 mm below);
# PD would need a rise of >= 5 mm and >= 20 % over the nadir (never a rise at all).
EXPECTED: dict[str, Any] = {
    "baseline_sum_mm": 85.0,
    "timepoints": [
        {
            "date": "2026-02-16",
            "sum_mm": 69.0,
            "pct_from_baseline": -18.8,
            "pct_from_nadir": -18.8,
            "target": "SD",
            "non_target": "NON-CR/NON-PD",
            "new_lesions": "N",
            "overall": "SD",
        },
        {
            "date": "2026-03-30",
            "sum_mm": 49.0,
            "pct_from_baseline": -42.4,
            "pct_from_nadir": -29.0,
            "target": "PR",
            "non_target": "NON-CR/NON-PD",
            "new_lesions": "N",
            "overall": "PR",
        },
        {
            "date": "2026-05-11",
            "sum_mm": 47.0,
            "pct_from_baseline": -44.7,
            "pct_from_nadir": -4.1,
            "target": "PR",
            "non_target": "NON-CR/NON-PD",
            "new_lesions": "N",
            "overall": "PR",
        },
    ],
    "best_overall_response": "PR",
}


def case_document() -> dict[str, Any]:
    """Return the sample study as a response case (``shared/spec/case-format.md``)."""
    targets = [les for les in LESIONS if les.role == "target"]
    non_targets = [les for les in LESIONS if les.role == "non-target"]
    return {
        "id": "sample-dicom-confirmed-pr",
        "description": (
            "The synthetic sample study (python -m sample_dicom): two liver metastases,"
            " a lung nodule and a mediastinal node shrink from 85 mm to 69"
            " (SD, -18.8 %), 49 (PR, -42.4 %; node short axis 8 mm) and 47 mm"
            " (PR 42 days later), with a lytic vertebral non-target present"
            " throughout: a confirmed PR."
        ),
        "criteria": "RECIST 1.1",
        "options": {
            "confirmation": True,
            "confirmation_min_days": 28,
            "sd_min_days": 42,
        },
        "baseline": {
            "date": VISITS[0].date,
            "targets": [
                {
                    "id": les.lesion_id,
                    "site": les.site,
                    "nodal": les.nodal,
                    "diameter_mm": les.recist_mm[0],
                }
                for les in targets
            ],
            "non_targets": [
                {"id": les.lesion_id, "site": les.site, "nodal": les.nodal}
                for les in non_targets
            ],
        },
        "followups": [
            {
                "date": visit.date,
                "targets": {les.lesion_id: les.recist_mm[v] for les in targets},
                "non_targets": {les.lesion_id: "PRESENT" for les in non_targets},
                "new_lesions": [],
            }
            for v, visit in enumerate(VISITS)
            if v > 0
        ],
        "expected": EXPECTED,
    }
