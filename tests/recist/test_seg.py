"""recist export seg: one binary segment per lesion on the sample study (issue 7).

Oracle: masks drawn here from sample_dicom's truth (a disc around T01's centre
on its truth slice); highdicom re-reads the SEG.
"""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from recist.cli import main
from recist.formats.reading import save_reading


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sample_dicom import generate

    root = tmp_path_factory.mktemp("segsample")
    generate(root)
    return root


def _disc_mask(sample: Path, visit: dict, truth: dict, out: Path) -> int:
    size = visit["size"]
    arr = np.zeros(size[::-1], dtype=np.uint8)  # z, y, x
    origin, spacing = np.asarray(visit["origin_lps"]), np.asarray(visit["spacing_mm"])
    x = origin[0] + spacing[0] * np.arange(size[0])
    y = origin[1] + spacing[1] * np.arange(size[1])
    cx, cy, _ = truth["center_lps"]
    disc = (x[None, :] - cx) ** 2 + (y[:, None] - cy) ** 2 <= 6.0**2
    arr[truth["slice_index"]] = disc
    img = sitk.GetImageFromArray(arr)
    img.SetOrigin(visit["origin_lps"])
    img.SetSpacing(visit["spacing_mm"])
    img.SetDirection([float(v) for v in visit["direction"]])
    sitk.WriteImage(img, str(out))
    return int(arr.sum())


def test_seg_of_t01_at_baseline(sample: Path, tmp_path: Path) -> None:
    from tests.recist.test_sr_roundtrip import load_truth, sample_reading

    truth = load_truth(sample)
    visit = truth["visits"][0]
    t01 = next(
        t
        for t in truth["lesions"]
        if t["lesion_id"] == "T01" and t["date"] == visit["date"]
    )
    n = _disc_mask(sample, visit, t01, tmp_path / "t01.nii.gz")
    save_reading(sample_reading(sample), tmp_path / "r.json")
    out = tmp_path / "seg.dcm"
    argv = [
        "export",
        "seg",
        str(tmp_path / "r.json"),
        str(out),
        "--images",
        str(sample),
        "--mask",
        f"T01={tmp_path / 't01.nii.gz'}",
    ]
    assert main(argv) == 0
    seg = hd.seg.segread(out)
    assert seg.StudyInstanceUID == visit["study_uid"]
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == visit["series_uid"]
    (desc,) = seg.SegmentSequence
    assert desc.SegmentLabel == "T01"
    assert desc.AnatomicRegionSequence[0].CodeMeaning == "Liver"
    assert desc.SegmentedPropertyTypeCodeSequence[0].CodeMeaning == "Neoplasm"
    pixels = seg.pixel_array
    assert int(np.count_nonzero(pixels)) == n
    # the non-empty frame is the truth slice
    ds = pydicom.dcmread(out)
    (frame_item,) = ds.PerFrameFunctionalGroupsSequence
    pos = frame_item.PlanePositionSequence[0].ImagePositionPatient
    assert float(pos[2]) == pytest.approx(t01["slice_z_mm"])
    src = frame_item.DerivationImageSequence[0].SourceImageSequence[0]
    assert src.ReferencedSOPInstanceUID == t01["slice_sop_uid"]


def test_seg_bad_masks(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.recist.test_sr_roundtrip import sample_reading

    save_reading(sample_reading(sample), tmp_path / "r.json")
    img = sitk.Image(10, 10, 2, sitk.sitkUInt8)
    sitk.WriteImage(img, str(tmp_path / "bad.nii.gz"))
    base = [
        "export",
        "seg",
        str(tmp_path / "r.json"),
        str(tmp_path / "s.dcm"),
        "--images",
        str(sample),
    ]
    assert main([*base, "--mask", f"T01={tmp_path / 'bad.nii.gz'}"]) == 2
    assert main([*base, "--mask", f"T99={tmp_path / 'bad.nii.gz'}"]) == 2
    assert main([*base, "--mask", "T01"]) == 2
    err = capsys.readouterr()
    assert "not on the grid" in err.err + err.out
    assert "T99" in err.err + err.out


def test_seg_unreadable_masks_exit_2(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A missing or non-image mask used to end in SimpleITK's RuntimeError traceback.
    from tests.recist.test_sr_roundtrip import sample_reading

    save_reading(sample_reading(sample), tmp_path / "r.json")
    out = tmp_path / "s.dcm"
    base = ["export", "seg", str(tmp_path / "r.json"), str(out), "--images"]
    assert main([*base, str(sample), "--mask", f"T01={tmp_path / 'no.nii'}"]) == 2
    assert f"T01: mask {tmp_path / 'no.nii'}: no such file" in capsys.readouterr().err
    assert main([*base, str(sample), "--mask", f"T01={tmp_path / 'r.json'}"]) == 2
    assert "is not an image SimpleITK reads" in capsys.readouterr().err
    assert not out.exists()
