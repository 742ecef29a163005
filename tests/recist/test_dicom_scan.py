"""scan/scan_report: recognition by content, grouping, splitting, ordering, problems."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from recist.dicom import read_volume, scan, scan_report
from tests.recist.test_dicom_fixtures import ct_dataset, write_series

Z5 = [0.0, 2.5, 5.0, 7.5, 10.0]


def _sr(path):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.33"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.33"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "SR"
    ds.SeriesInstanceUID = generate_uid()
    ds.save_as(path, enforce_file_format=True)


def test_bad_files_are_reported_and_good_ones_kept(tmp_path):
    uid, _, paths = write_series(tmp_path / "ct", Z5)
    good = paths[0].read_bytes()
    (tmp_path / "truncated.dcm").write_bytes(good[: len(good) - 30])
    (tmp_path / "random.bin").write_bytes(np.random.default_rng(1).bytes(3000))
    (tmp_path / "notes.txt").write_text("not dicom at all\n")
    (tmp_path / "empty").write_bytes(b"")
    nopix = ct_dataset(np.zeros((4, 4), np.uint16), position=(0, 0, 0), series_uid=uid)
    del nopix.PixelData
    nopix.save_as(tmp_path / "nopixels.dcm", enforce_file_format=True)
    _sr(tmp_path / "report")

    report = scan_report(tmp_path)

    assert [s.series_uid for s in report.series] == [uid]
    assert report.series[0].n_images == 5  # no good file dropped
    skipped = {os.path.basename(s.path): s.reason for s in report.skipped}
    assert set(skipped) == {
        "truncated.dcm",
        "random.bin",
        "notes.txt",
        "empty",
        "nopixels.dcm",
    }
    assert "truncated" in skipped["truncated.dcm"]
    assert "without pixel data" in skipped["nopixels.dcm"]
    assert "not DICOM" in skipped["notes.txt"]
    assert [(os.path.basename(o.path), o.type) for o in report.non_image] == [
        ("report", "SR")
    ]
    assert (
        report.non_image[0].sop_class_name == "Comprehensive SR Storage"
    )  # 1.2.840.10008.5.1.4.1.1.88.33


def test_recognised_by_content_not_name(tmp_path):
    names = ["b.txt", "readme", "z.jpg", "a.dcm.bak", "0"]
    write_series(tmp_path, Z5, names=names)
    (series,) = scan(tmp_path)
    assert series.n_images == 5


def test_sorted_along_normal_not_instance_number_or_name(tmp_path):
    # file names and instance numbers deliberately disagree with positions
    z = [10.0, 0.0, 7.5, 2.5, 5.0]
    _, stack, _ = write_series(tmp_path, z, names=["a", "b", "c", "d", "e"])
    (series,) = scan(tmp_path)
    assert series.slice_positions_mm == pytest.approx([0.0, 2.5, 5.0, 7.5, 10.0])
    assert [os.path.basename(f) for f in series.files] == ["b", "d", "e", "c", "a"]
    vol = read_volume(series)
    order = np.argsort(z)
    np.testing.assert_array_equal(vol.array, stack[order].astype(np.int16) - 1024)
    assert vol.origin == pytest.approx((-10.0, -20.0, 0.0))
    assert vol.spacing == pytest.approx((0.5, 0.5, 2.5))


def test_feet_first_normal_decreasing_positions(tmp_path):
    # row x col = (1,0,0) x (0,-1,0) = (0,0,-1): increasing index goes to lower z
    _, _, _ = write_series(tmp_path, Z5, orientation=(1, 0, 0, 0, -1, 0))
    (series,) = scan(tmp_path)
    assert series.direction == pytest.approx((1, 0, 0, 0, -1, 0, 0, 0, -1))
    assert series.origin[2] == pytest.approx(10.0)  # first slice along the normal
    assert series.spacing[2] == pytest.approx(2.5)


def test_zip_and_file_list(tmp_path):
    _, stack, paths = write_series(tmp_path / "d", Z5)
    archive = tmp_path / "study.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in paths:
            zf.write(p, f"sub/{p.name}")
        zf.writestr("junk.txt", "hello")
    report = scan_report(archive)
    assert report.series[0].n_images == 5
    assert [s.path.endswith("!junk.txt") for s in report.skipped] == [True]
    vol = read_volume(archive)
    np.testing.assert_array_equal(vol.array, stack.astype(np.int16) - 1024)
    (from_list,) = scan([str(p) for p in paths[:3]])
    assert from_list.n_images == 3


def test_localizer_and_other_size_split_into_parts(tmp_path):
    uid, _, _ = write_series(tmp_path, Z5)
    scout = ct_dataset(
        np.zeros((8, 6), np.uint16),
        position=(0, 0, 0),
        orientation=(0, 1, 0, 0, 0, -1),
        series_uid=uid,
        image_type=("ORIGINAL", "PRIMARY", "LOCALIZER"),
    )
    scout.save_as(tmp_path / "scout.dcm", enforce_file_format=True)
    parts = scan(tmp_path)
    assert sorted(p.n_images for p in parts) == [1, 5]
    assert {p.key for p in parts} == {f"{uid}#1", f"{uid}#2"}
    assert all("SPLIT_SERIES" in p.problem_codes for p in parts)


def test_two_echoes_with_repeated_positions_split(tmp_path):
    uid = generate_uid()
    write_series(tmp_path / "e1", Z5, series_uid=uid, echo=1, seed=1)
    write_series(tmp_path / "e2", Z5, series_uid=uid, echo=2, seed=2)
    parts = scan(tmp_path)
    assert [p.n_images for p in parts] == [5, 5]
    assert all("DUPLICATE_POSITION" not in p.problem_codes for p in parts)
    assert "echo number" in parts[0].problems[0].message


def test_acquisition_numbers_without_repeats_do_not_split(tmp_path):
    # axial CT often gives each slice its own AcquisitionNumber: one series
    uid = generate_uid()
    for k, z in enumerate(Z5):
        write_series(tmp_path / str(k), [z], series_uid=uid, acquisition=k + 1, seed=k)
    (series,) = scan(tmp_path)
    assert series.n_images == 5


@pytest.mark.parametrize(
    ("z", "codes", "step"),
    [
        pytest.param(Z5, set(), 2.5, id="regular"),
        # one slice missing at 5.0: a 5 mm step between 2.5 mm slices
        pytest.param([0.0, 2.5, 7.5, 10.0], {"GAP", "UNEVEN_SPACING"}, 2.5, id="gap"),
        # 2.5 mm steps then 3.0: uneven, no gap (3.0 < 1.5 * 2.5)
        pytest.param([0.0, 2.5, 5.0, 8.0], {"UNEVEN_SPACING"}, 2.5, id="uneven"),
        pytest.param([0.0, 2.5, 2.5, 5.0], {"DUPLICATE_POSITION"}, 2.5, id="duplicate"),
        pytest.param([4.0], {"SINGLE_SLICE"}, 1.0, id="single"),
    ],
)
def test_spacing_problems(tmp_path, z, codes, step):
    write_series(tmp_path, z)
    (series,) = scan(tmp_path)
    assert set(series.problem_codes) == codes
    assert series.spacing[2] == pytest.approx(step)


def test_slice_thickness_is_not_the_spacing(tmp_path):
    write_series(tmp_path, [0.0, 3.0, 6.0], thickness=5.0)
    (series,) = scan(tmp_path)
    assert series.spacing[2] == pytest.approx(3.0)
    assert series.slice_thickness == 5.0


def test_mixed_rescale_each_slice_its_own(tmp_path):
    uid = generate_uid()
    stacks = []
    for k, (z, ic) in enumerate([(0.0, -1024), (2.5, -1000), (5.0, -1024)]):
        _, st, _ = write_series(
            tmp_path, [z], series_uid=uid, intercept=ic, seed=k, names=[f"s{k}"]
        )
        stacks.append(st[0].astype(np.int32) + ic)
    (series,) = scan(tmp_path)
    assert "MIXED_RESCALE" in series.problem_codes
    vol = read_volume(series)
    np.testing.assert_array_equal(vol.array, np.stack(stacks))


def test_gantry_tilt_detected_from_positions(tmp_path):
    # positions move along y as z increases: sheared stack, no tilt tag
    uid = generate_uid()
    for k, z in enumerate(Z5):
        ds = ct_dataset(
            np.zeros((4, 4), np.uint16), position=(0, 0.5 * z, z), series_uid=uid
        )
        ds.save_as(tmp_path / f"{k}", enforce_file_format=True)
    (series,) = scan(tmp_path)
    assert "GANTRY_TILT" in series.problem_codes
    # tan(tilt) = 0.5 mm shift per 1 mm along the normal
    assert series.tilt_deg == pytest.approx(np.degrees(np.arctan(0.5)))


def test_missing_path_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        scan(tmp_path / "nope")
