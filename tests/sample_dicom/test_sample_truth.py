"""The ground truth against the pixels, and the case's arithmetic by hand.

Pixel checks read the files with pydicom and measure with PixelSpacing and
ImagePositionPatient only: a lesion is thresholded half-way between its own median
HU and its surroundings' (both measured), and its extent is read along the truth's
axis directions by sampling the (lightly smoothed) slice along a band 3 px wide.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pydicom
import pytest
from scipy import ndimage

from tests.sample_dicom.dicom_helpers import hu, lps_to_rc

LESION_IDS = ["T01", "T02", "T03", "T04", "NT01"]
LABELS = ["baseline", "week06", "week12", "week18"]
PIXEL_MM = 1.2


@pytest.fixture(scope="module")
def truth(study):
    return {(t.lesion_id, t.date): t for t in study.lesions}


@pytest.fixture(scope="module")
def sop_index(study):
    """SOPInstanceUID -> (file, visit label), found by reading every header."""
    index = {}
    for visit in study.visits:
        for path in visit.series_dir.iterdir():
            ds = pydicom.dcmread(path, stop_before_pixels=True)
            index[ds.SOPInstanceUID] = (path, visit.label)
    return index


def slice_of(t, sop_index):
    path, _ = sop_index[t.slice_sop_uid]
    return pydicom.dcmread(path)


def measure(ds, t, *, axis):
    """Extent (mm) of the lesion along the truth axis ("long" or "short")."""
    raw = hu(ds)
    image = ndimage.gaussian_filter(raw, sigma=1.0)
    ends = np.asarray(t.long_axis_lps if axis == "long" else t.short_axis_lps)
    centre = np.asarray(t.center_lps)
    unit = (ends[1] - ends[0]) / np.linalg.norm(ends[1] - ends[0])
    rows, cols = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    c_rc = lps_to_rc(ds, centre)
    r_mm = np.hypot(rows - c_rc[0], cols - c_rc[1]) * PIXEL_MM  # isotropic pixels
    half_long = t.long_axis_mm / 2
    inside = raw[r_mm < max(t.short_axis_mm / 2 - 2.0, 1.5)]
    ring = raw[(r_mm > 1.3 * half_long + 2) & (r_mm < 1.3 * half_long + 6)]
    lesion_hu, around_hu = float(np.median(inside)), float(np.median(ring))
    threshold = (lesion_hu + around_hu) / 2
    sign = 1.0 if lesion_hu > around_hu else -1.0
    steps = np.arange(0.0, 1.5 * half_long + 5, 0.05)
    extent = 0.0
    normal = np.array([-unit[1], unit[0], 0.0])
    for direction in (unit, -unit):
        values = np.zeros_like(steps)
        for offset in (-PIXEL_MM, 0.0, PIXEL_MM):  # a band 3 px wide
            pts = centre + offset * normal + steps[:, None] * direction
            values += ndimage.map_coordinates(image, lps_to_rc(ds, pts).T, order=1) / 3
        outside = np.nonzero(sign * (values - threshold) < 0)[0]
        i = int(outside[0])  # first sample outside; interpolate the crossing
        v0, v1 = values[i - 1], values[i]
        extent += steps[i - 1] + (threshold - v0) / (v1 - v0) * (
            steps[i] - steps[i - 1]
        )
    return extent, lesion_hu, around_hu, inside.size


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("lesion_id", LESION_IDS)
def test_lesion_axes_in_the_pixels(study, truth, sop_index, lesion_id, label):
    visit = next(v for v in study.visits if v.label == label)
    t = truth[lesion_id, visit.date]
    ds = slice_of(t, sop_index)
    assert sop_index[t.slice_sop_uid][1] == label
    assert ds.SeriesInstanceUID == t.series_uid == visit.series_uid
    assert ds.StudyInstanceUID == t.study_uid
    assert float(ds.ImagePositionPatient[2]) == t.slice_z_mm == t.center_lps[2]
    for axis, expected in (("long", t.long_axis_mm), ("short", t.short_axis_mm)):
        got, lesion_hu, around_hu, n = measure(ds, t, axis=axis)
        assert abs(got - expected) <= PIXEL_MM + 0.05 * expected, (axis, got, expected)
    # the median of n pixels with 12 HU noise: standard error 1.25 * 12 / sqrt(n)
    assert abs(lesion_hu - t.hu) < 4 * 1.25 * 12 / np.sqrt(n), (lesion_hu, n)
    assert abs(lesion_hu - around_hu) > 25


@pytest.mark.parametrize("lesion_id", LESION_IDS)
def test_largest_section_is_the_truth_slice(study, truth, sop_index, lesion_id):
    """The slices next to the truth slice show no larger lesion (both directions).

    The lesion is nearly spherical, so its neighbours are only slightly smaller: the
    check allows 3 % of noise.
    """
    visit = study.visits[0]
    t = truth[lesion_id, visit.date]
    ds = slice_of(t, sop_index)
    by_z = {}
    for path in visit.series_dir.iterdir():
        other = pydicom.dcmread(path, stop_before_pixels=True)
        by_z[round(float(other.ImagePositionPatient[2]), 3)] = path
    base_area = None
    for dz in (0.0, -2.5, 2.5):
        this = pydicom.dcmread(by_z[round(t.slice_z_mm + dz, 3)])
        image = ndimage.gaussian_filter(hu(this), sigma=1.0)
        _, lesion_hu, around_hu, _ = measure(ds, t, axis="long")
        rc = lps_to_rc(this, np.asarray(t.center_lps))
        mask = (image - (lesion_hu + around_hu) / 2) * np.sign(
            lesion_hu - around_hu
        ) > 0
        labels, _ = ndimage.label(mask)
        area = int(np.sum(labels == labels[round(rc[0]), round(rc[1])]))
        if base_area is None:
            base_area = area
        else:
            assert area <= 1.03 * base_area, (dz, area, base_area)


@pytest.mark.parametrize("label", ["week12", "week18"])
def test_node_short_axis_under_10mm_later(study, truth, sop_index, label):
    visit = next(v for v in study.visits if v.label == label)
    t = truth["T04", visit.date]
    got, *_ = measure(slice_of(t, sop_index), t, axis="short")
    assert t.short_axis_mm < 10
    assert got < 10 - PIXEL_MM, got


def test_node_short_axis_18mm_at_baseline(study, truth, sop_index):
    t = truth["T04", study.visits[0].date]
    got, *_ = measure(slice_of(t, sop_index), t, axis="short")
    assert t.short_axis_mm == 18.0
    assert abs(got - 18.0) <= PIXEL_MM


def test_organ_hu(study, truth, sop_index):
    """Lung parenchyma around the nodule and liver around T01, as read from pixels."""
    for lesion_id, low, high in (("T03", -900, -750), ("T01", 40, 80)):
        t = truth[lesion_id, study.visits[0].date]
        ds = slice_of(t, sop_index)
        image = hu(ds)
        rows, cols = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
        rc = lps_to_rc(ds, np.asarray(t.center_lps))
        r_mm = np.hypot(rows - rc[0], cols - rc[1]) * PIXEL_MM
        half = t.long_axis_mm / 2
        values = image[(r_mm > half + 6) & (r_mm < half + 16)]
        assert low <= np.median(values) <= high, (lesion_id, np.median(values))


def test_truth_geometry_is_consistent(study, truth):
    for t in study.lesions:
        long_ends, short_ends = (
            np.asarray(t.long_axis_lps),
            np.asarray(t.short_axis_lps),
        )
        assert np.linalg.norm(long_ends[1] - long_ends[0]) == pytest.approx(
            t.long_axis_mm, abs=1e-3
        )
        assert np.linalg.norm(short_ends[1] - short_ends[0]) == pytest.approx(
            t.short_axis_mm, abs=1e-3
        )
        along, across = long_ends[1] - long_ends[0], short_ends[1] - short_ends[0]
        assert abs(along @ across) < 1e-2  # perpendicular
        np.testing.assert_allclose(long_ends.mean(axis=0), t.center_lps, atol=1e-3)
        np.testing.assert_allclose(short_ends.mean(axis=0), t.center_lps, atol=1e-3)
        assert t.short_axis_mm <= t.long_axis_mm
        assert t.diameter_mm == (t.short_axis_mm if t.nodal else t.long_axis_mm)
        # every target is representable: >= ~6 px across (node short axis 8 mm)
        assert t.diameter_mm / PIXEL_MM >= 6.5
        # the lesion is anatomically fixed; its measured section is on a slice plane
        assert t.center_lps[:2] == t.anatomical_center_lps[:2]
        assert abs(t.center_lps[2] - t.anatomical_center_lps[2]) < 1.25
    centres = {
        lid: {truth[lid, v.date].anatomical_center_lps for v in study.visits}
        for lid in LESION_IDS
    }
    assert all(len(c) == 1 for c in centres.values())


def pct(now: Decimal, ref: Decimal) -> Decimal:
    """Percent change rounded half away from zero to 0.1 (case-format notes)."""
    value = (now - ref) * 100 / ref
    rounded = abs(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return rounded if value >= 0 else -rounded


def test_case_arithmetic_from_truth_diameters(study):
    """Sums, percentages and responses recomputed from truth.lesions.json."""
    case = study.case
    assert case["criteria"] == "RECIST 1.1"
    assert case["options"] == {
        "confirmation": True,
        "confirmation_min_days": 28,
        "sd_min_days": 42,
    }
    targets = [t.lesion_id for t in study.lesions if t.role == "target"]
    assert sorted(set(targets)) == ["T01", "T02", "T03", "T04"]
    sums = []
    for v in study.visits:
        diam = [
            Decimal(str(t.diameter_mm))
            for t in study.lesions
            if t.role == "target" and t.date == v.date
        ]
        sums.append(sum(diam))
    baseline = sums[0]
    exp = case["expected"]
    assert Decimal(str(exp["baseline_sum_mm"])) == baseline == 85
    base_targets = {t["id"]: t for t in case["baseline"]["targets"]}
    assert {k: t["site"] for k, t in base_targets.items()} == {
        "T01": "LIVER",
        "T02": "LIVER",
        "T03": "LUNG",
        "T04": "LYMPH NODE",
    }
    assert [k for k, t in base_targets.items() if t["nodal"]] == ["T04"]
    assert case["baseline"]["non_targets"] == [
        {"id": "NT01", "site": "BONE", "nodal": False}
    ]
    confirmed_pr = False
    last_pr_date = None
    for i, (tp, fu) in enumerate(
        zip(exp["timepoints"], case["followups"], strict=True), 1
    ):
        now = sums[i]
        nadir = min(sums[:i])
        assert tp["date"] == fu["date"] == study.visits[i].date
        assert Decimal(str(tp["sum_mm"])) == now
        assert sum(Decimal(str(d)) for d in fu["targets"].values()) == now
        assert Decimal(str(tp["pct_from_baseline"])) == pct(now, baseline)
        assert Decimal(str(tp["pct_from_nadir"])) == pct(now, nadir)
        progressed = now - nadir >= 5 and 5 * now >= 6 * nadir
        target = "PD" if progressed else "PR" if 10 * now <= 7 * baseline else "SD"
        assert tp["target"] == target
        assert fu["non_targets"] == {"NT01": "PRESENT"}
        assert fu["new_lesions"] == []
        assert (tp["non_target"], tp["new_lesions"]) == ("NON-CR/NON-PD", "N")
        assert tp["overall"] == target
        # margins: far from the PR (-30 %) and PD (+20 %) thresholds
        assert abs(now - Decimal("0.7") * baseline) >= 5
        assert not (now - nadir >= 0)
        when = date.fromisoformat(tp["date"])
        if target == "PR":
            if last_pr_date is not None and (when - last_pr_date).days >= 28:
                confirmed_pr = True
            last_pr_date = last_pr_date or when
    assert confirmed_pr
    assert exp["best_overall_response"] == "PR"


def test_node_nodal_by_short_axis_and_measurable_at_baseline(study):
    base = {t.lesion_id: t for t in study.lesions if t.date == study.visits[0].date}
    assert base["T04"].nodal
    assert base["T04"].short_axis_mm >= 15
    assert all(base[k].long_axis_mm >= 10 for k in ("T01", "T02", "T03"))
