"""The written files: determinism, layout, DICOM attributes, UIDs and geometry."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from pydicom.uid import UID

from sample_dicom.__main__ import main
from sample_dicom._writer import SeriesUids
from tests.sample_dicom.dicom_helpers import hu, read_series

LABELS = ["baseline", "week06", "week12", "week18"]
DATES = ["2026-01-05", "2026-02-16", "2026-03-30", "2026-05-11"]
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"


def digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def series(study):
    return {v.label: read_series(v.series_dir) for v in study.visits}


def test_generation_under_20_seconds(generated):
    assert generated.seconds < 20.0


def test_cli_rerun_gives_identical_bytes(study, tmp_path, capsys):
    assert main([str(tmp_path / "again")]) == 0
    assert "expected best overall response: PR" in capsys.readouterr().out
    first, second = digests(study.root), digests(tmp_path / "again")
    assert len(first) == 4 * 64 + 3  # DICOM files, two truth files, seeds.json
    assert first == second


def test_layout(study):
    names = sorted(p.relative_to(study.root).as_posix() for p in study.root.rglob("*"))
    expected_dirs = [
        f"{d.replace('-', '')}_{lab}" for d, lab in zip(DATES, LABELS, strict=True)
    ]
    assert [n for n in names if "/" not in n] == [
        *expected_dirs,
        "seeds.json",
        "truth.case.json",
        "truth.lesions.json",
    ]
    for d in expected_dirs:
        files = sorted(p.name for p in (study.root / d / "CT").iterdir())
        assert files == [f"IM{i:04d}.dcm" for i in range(1, 65)]
    assert [v.label for v in study.visits] == LABELS
    assert [v.date for v in study.visits] == DATES


@pytest.mark.parametrize("label", LABELS)
def test_required_attributes(series, label):
    datasets = series[label]
    assert len(datasets) == 64
    for ds in datasets:
        meta = ds.file_meta
        assert ds.preamble == b"\0" * 128
        assert meta.TransferSyntaxUID == EXPLICIT_VR_LE
        assert meta.MediaStorageSOPClassUID == CT_IMAGE_STORAGE == ds.SOPClassUID
        assert meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        assert ds.Modality == "CT"
        assert ds.Manufacturer == "recist sample_dicom"
        assert [float(v) for v in ds.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0]
        assert [float(v) for v in ds.PixelSpacing] == [1.2, 1.2]
        assert float(ds.SliceThickness) == float(ds.SpacingBetweenSlices) == 2.5
        assert (ds.Rows, ds.Columns) == (320, 320)
        assert (ds.BitsAllocated, ds.BitsStored, ds.HighBit) == (16, 12, 11)
        assert ds.PixelRepresentation == 0
        assert float(ds.RescaleSlope) == 1.0
        assert float(ds.RescaleIntercept) == -1024.0
        assert (float(ds.WindowCenter), float(ds.WindowWidth)) == (40.0, 400.0)
        assert ds.PhotometricInterpretation == "MONOCHROME2"
        assert ds.SamplesPerPixel == 1
        assert float(ds.KVP) == 120.0
        for keyword in (
            "PatientName",
            "PatientID",
            "PatientBirthDate",
            "PatientSex",
            "StudyDate",
            "StudyTime",
            "AccessionNumber",
            "StudyInstanceUID",
            "SeriesInstanceUID",
            "FrameOfReferenceUID",
            "SeriesDescription",
            "BodyPartExamined",
            "InstanceNumber",
        ):
            assert keyword in ds, keyword
        assert ds.pixel_array.shape == (320, 320)
        assert int(ds.pixel_array.max()) <= 4095


def test_one_patient_four_studies(series):
    patients = {
        (ds.PatientID, str(ds.PatientName)) for s in series.values() for ds in s
    }
    assert len(patients) == 1
    for key in (
        "StudyInstanceUID",
        "SeriesInstanceUID",
        "FrameOfReferenceUID",
        "AccessionNumber",
        "StudyDate",
    ):
        per_visit = [{ds[key].value for ds in series[lab]} for lab in LABELS]
        assert all(len(values) == 1 for values in per_visit), key
        assert len(set().union(*per_visit)) == 4, key
    assert [series[lab][0].StudyDate for lab in LABELS] == [
        d.replace("-", "") for d in DATES
    ]
    sops = [ds.SOPInstanceUID for s in series.values() for ds in s]
    assert len(set(sops)) == len(sops) == 256
    uids = sops + [
        series[lab][0][k].value
        for lab in LABELS
        for k in ("StudyInstanceUID", "SeriesInstanceUID")
    ]
    assert all(UID(u).is_valid for u in uids)


def test_visit_dates_are_six_weeks_apart():
    days = [date.fromisoformat(d) for d in DATES]
    assert [(b - a).days for a, b in itertools.pairwise(days)] == [42, 42, 42]


@pytest.mark.parametrize("label", LABELS)
def test_positions_strictly_increase_along_z(series, label):
    datasets = series[label]
    ipp = np.array([[float(v) for v in ds.ImagePositionPatient] for ds in datasets])
    assert np.all(np.diff(ipp[:, 2]) > 0)
    np.testing.assert_allclose(np.diff(ipp[:, 2]), 2.5, atol=1e-6)
    assert np.ptp(ipp[:, 0]) == np.ptp(ipp[:, 1]) == 0  # one in-plane origin
    assert [int(ds.InstanceNumber) for ds in datasets] == list(range(1, 65))


def test_followups_are_shifted_off_the_baseline_grid(series):
    def origin(lab):
        return np.array([float(v) for v in series[lab][0].ImagePositionPatient])

    base = origin("baseline")
    for lab in LABELS[1:]:
        shift = origin(lab) - base
        assert 1.0 <= abs(shift[2]) <= 5.0, shift
        offset = shift[2] % 2.5
        assert 0.3 < offset < 2.2, f"{lab}: z shift {shift[2]} ~ a multiple of 2.5 mm"


def test_simpleitk_reads_the_same_geometry_and_voxels(study, series):
    reader = sitk.ImageSeriesReader()
    for visit in study.visits:
        reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(visit.series_dir)))
        image = reader.Execute()
        first = series[visit.label][0]
        np.testing.assert_allclose(
            image.GetOrigin(), [float(v) for v in first.ImagePositionPatient], atol=1e-4
        )
        np.testing.assert_allclose(image.GetSpacing(), (1.2, 1.2, 2.5), atol=1e-6)
        assert image.GetSize() == (320, 320, 64)
        volume = sitk.GetArrayFromImage(image)
        expected = np.stack([hu(ds) for ds in series[visit.label]])
        np.testing.assert_array_equal(volume, expected)


def test_truth_files_match_the_returned_truth(study):
    case = json.loads(study.case_path.read_text(encoding="utf-8"))
    assert case == study.case
    lesions = json.loads(study.lesions_path.read_text(encoding="utf-8"))
    assert lesions["lesions"] == [t.as_json() for t in study.lesions]
    assert [v["study_uid"] for v in lesions["visits"]] == [
        v.study_uid for v in study.visits
    ]


def test_uids_depend_on_seed_and_visit_only():
    a, b = SeriesUids.derive(0, "baseline", 3), SeriesUids.derive(0, "baseline", 3)
    assert a == b
    other_seed, other_visit = (
        SeriesUids.derive(1, "baseline", 3),
        SeriesUids.derive(0, "week06", 3),
    )
    for other in (other_seed, other_visit):
        assert {a.study, a.series, *a.sop}.isdisjoint(
            {other.study, other.series, *other.sop}
        )


def test_cli_rejects_negative_seed(tmp_path):
    with pytest.raises(SystemExit) as excinfo:
        main([str(tmp_path), "--seed", "-1"])
    assert excinfo.value.code == 2
