"""recist import seg: DICOM SEG onto its source series (issue 7, SEG in).

Oracles, none produced by the code under test:
- LIDC-IDRI-0001: the radiologists' 32-34 mm (data README); each frame's
  z (pydicom, per-frame functional groups) against the CT files' z (pydicom).
- highdicom / dcmqi SEGs: voxel counts = the SEG's own frame pixel sums
  (pydicom ``pixel_array``); dcmqi's liver volume = dcmqi's own SR
  (70361.9 mm3, data README).
- Round trip: a disc mask drawn here from sample_dicom's truth -> our
  exporter -> read_seg -> the same voxels.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import highdicom as hd
import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from recist.cli import main
from recist.errors import DicomReadError, InvalidInputError
from recist.export.seg_import import read_seg
from tests.conftest import shared_path


def _frame_sums(path: Path) -> list[tuple[int, float, int]]:
    """(segment, z, pixel sum) per frame, straight from pydicom."""
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array.reshape(int(ds.NumberOfFrames), ds.Rows, ds.Columns)
    out = []
    for fg, frame in zip(ds.PerFrameFunctionalGroupsSequence, arr, strict=True):
        seg = int(fg.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        z = float(fg.PlanePositionSequence[0].ImagePositionPatient[2])
        out.append((seg, z, int(np.count_nonzero(frame))))
    return out


def _grid_z(volume: Any, k: int) -> float:
    g = volume.geometry
    d = np.asarray(g.direction).reshape(3, 3)
    return float(g.origin[2] + k * g.spacing[2] * d[2, 2])


# ---------------------------------------------------------------- LIDC nodule


def test_lidc_nodule_long_axis_and_frames_on_their_slices() -> None:
    root = shared_path("data", "lidc-idri-0001-ct")
    seg_file = root / "seg" / "nodule_01_annotation_0.dcm"
    result = read_seg(seg_file, root / "ct")
    (s,) = result.segments
    assert result.unplaced == ()
    assert s.label == "Nodule 1 - Annotation 0"
    assert s.tracking_id == "Nodule 1"
    assert s.property_type["meaning"] == "Nodule"
    assert s.measurement is not None
    assert 32.0 <= s.measurement.long_axis_mm <= 34.0  # radiologists' range
    assert s.mask.shape == result.volume.array.shape
    # independent: the CT slices' z and SOP UIDs from pydicom, sorted by z
    cts = sorted(
        (float(d.ImagePositionPatient[2]), str(d.SOPInstanceUID))
        for d in (pydicom.dcmread(f) for f in (root / "ct").iterdir())
    )
    zs = [z for z, _ in cts]
    frames = _frame_sums(seg_file)
    assert len(frames) == 9
    for _, z, n in frames:
        k = zs.index(z)  # raises if no CT slice has the frame's z
        assert int(s.mask[k].sum()) == n
        assert result.volume.metadata["sop_instance_uids"][k] == cts[k][1]
    assert s.slices == tuple(sorted(zs.index(z) for _, z, _ in frames))
    assert s.voxels == sum(n for _, _, n in frames)


# --------------------------------------------------- highdicom and dcmqi SEGs


@pytest.mark.parametrize(
    ("seg_parts", "ct_parts"),
    [
        (("highdicom-sr", "seg_image_ct_binary.dcm"), ("pydicom-ct", "CT2_series")),
        (
            ("highdicom-sr", "seg_image_ct_binary_overlap.dcm"),
            ("pydicom-ct", "CT2_series"),
        ),
        (("dcmqi-tid1500", "seg", "liver.dcm"), ("dcmqi-tid1500", "ct")),
    ],
)
def test_voxel_counts_equal_frame_sums(
    seg_parts: tuple[str, ...], ct_parts: tuple[str, ...]
) -> None:
    seg_file = shared_path("data", *seg_parts)
    result = read_seg(seg_file, shared_path("data", *ct_parts))
    assert result.unplaced == ()
    frames = _frame_sums(seg_file)
    for s in result.segments:
        mine = [(z, n) for seg, z, n in frames if seg == s.number]
        assert s.frames == len(mine)
        assert s.voxels == sum(n for _, n in mine)
        # every frame on its own slice, at the frame's z
        assert len(s.slices) == len(mine)
        placed = sorted(round(_grid_z(result.volume, k), 2) for k in s.slices)
        assert placed == sorted(round(z, 2) for z, _ in mine)
        for z, n in mine:
            (k,) = [k for k in s.slices if abs(_grid_z(result.volume, k) - z) < 0.01]
            assert int(s.mask[k].sum()) == n


def test_highdicom_binary_three_frames_on_three_slices_of_gapped_series() -> None:
    seg_file = shared_path("data", "highdicom-sr", "seg_image_ct_binary.dcm")
    result = read_seg(seg_file, shared_path("data", "pydicom-ct", "CT2_series"))
    (s,) = result.segments
    assert s.frames == 3
    assert len(s.slices) == 3
    # the 202.5 mm gap is regularised: the SEG slices are original, not filled
    src = result.volume.metadata["source_slice"]
    assert all(src[k] is not None for k in s.slices)
    assert [n for *_, n in _frame_sums(seg_file)] == [127, 256, 255]


def test_dcmqi_liver_volume_equals_dcmqi_sr() -> None:
    result = read_seg(
        shared_path("data", "dcmqi-tid1500", "seg", "liver.dcm"),
        shared_path("data", "dcmqi-tid1500", "ct"),
    )
    (s,) = result.segments
    assert s.label == "Liver"
    assert s.tracking_uid is None
    assert s.measurement is not None
    assert s.measurement.volume_mm3 == pytest.approx(70361.9, abs=0.1)


# ------------------------------------------------------------- round trip


def test_round_trip_with_our_exporter(sample_study_dir: Path, tmp_path: Path) -> None:
    from recist.export.seg import export_seg
    from tests.recist.test_sr_roundtrip import load_truth, sample_reading

    truth = load_truth(sample_study_dir)
    visit = truth["visits"][0]
    t01 = next(
        t
        for t in truth["lesions"]
        if t["lesion_id"] == "T01" and t["date"] == visit["date"]
    )
    size = visit["size"]
    arr = np.zeros(size[::-1], dtype=np.uint8)
    origin, spacing = np.asarray(visit["origin_lps"]), np.asarray(visit["spacing_mm"])
    x = origin[0] + spacing[0] * np.arange(size[0])
    y = origin[1] + spacing[1] * np.arange(size[1])
    cx, cy, _ = t01["center_lps"]
    k0 = t01["slice_index"]
    for k, r in ((k0 - 1, 4.0), (k0, 7.0), (k0 + 1, 5.0)):
        arr[k] = (x[None, :] - cx) ** 2 + (y[:, None] - cy) ** 2 <= r**2
    img = sitk.GetImageFromArray(arr)
    img.SetOrigin(visit["origin_lps"])
    img.SetSpacing(visit["spacing_mm"])
    img.SetDirection([float(v) for v in visit["direction"]])
    sitk.WriteImage(img, str(tmp_path / "t01.nii.gz"))
    out = export_seg(
        sample_reading(sample_study_dir),
        sample_study_dir,
        {"T01": tmp_path / "t01.nii.gz"},
        tmp_path / "seg.dcm",
    )
    result = read_seg(out, sample_study_dir)
    assert result.series_uid == visit["series_uid"]
    (s,) = result.segments
    assert s.label == "T01"
    assert s.tracking_id == "T01"
    assert s.property_type["meaning"] == "Neoplasm"
    np.testing.assert_array_equal(s.mask, arr.astype(bool))
    assert result.unplaced == ()


# ------------------------------------------------------ fractional, unplaced


def _ct2() -> list[pydicom.Dataset]:
    folder = shared_path("data", "pydicom-ct", "CT2_series")
    return sorted(
        (pydicom.dcmread(f) for f in folder.iterdir()),
        key=lambda d: float(d.ImagePositionPatient[2]),
    )


def test_fractional_threshold_half(tmp_path: Path) -> None:
    sources = _ct2()[1:]  # the three contiguous slices
    rng = np.random.default_rng(7)
    frac = rng.random((3, 16, 16)).astype(np.float32)
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=frac,
        segmentation_type=hd.seg.SegmentationTypeValues.FRACTIONAL,
        segment_descriptions=[
            hd.seg.SegmentDescription(
                segment_number=1,
                segment_label="fuzzy",
                segmented_property_category=hd.sr.CodedConcept(
                    "91723000", "SCT", "Anatomical structure"
                ),
                segmented_property_type=hd.sr.CodedConcept("39607008", "SCT", "Lung"),
                algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
            )
        ],
        series_instance_uid=hd.UID(),
        series_number=9,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="test",
        manufacturer_model_name="test",
        software_versions="0",
        device_serial_number="0",
        max_fractional_value=255,
    )
    seg.save_as(tmp_path / "frac.dcm")
    result = read_seg(
        tmp_path / "frac.dcm", shared_path("data", "pydicom-ct", "CT2_series")
    )
    (s,) = result.segments
    stored = np.round(frac * 255) / 255  # how the fractions are stored
    assert s.voxels == int(np.count_nonzero(stored >= 0.5))
    assert len(s.slices) == 3


def test_frame_off_any_slice_is_reported(tmp_path: Path) -> None:
    src = shared_path("data", "highdicom-sr", "seg_image_ct_binary.dcm")
    ds = pydicom.dcmread(src)
    pos = ds.PerFrameFunctionalGroupsSequence[1].PlanePositionSequence[0]
    pos.ImagePositionPatient[2] = float(pos.ImagePositionPatient[2]) + 0.6
    ds.save_as(tmp_path / "moved.dcm")
    result = read_seg(
        tmp_path / "moved.dcm", shared_path("data", "pydicom-ct", "CT2_series")
    )
    (u,) = result.unplaced
    assert (u.frame, u.segment) == (2, 1)
    assert "no slice" in u.reason
    (s,) = result.segments
    assert s.voxels == 127 + 255
    assert len(s.slices) == 2
    assert (
        main(
            [
                "import",
                "seg",
                str(tmp_path / "moved.dcm"),
                "--images",
                str(shared_path("data", "pydicom-ct", "CT2_series")),
            ]
        )
        == 0
    )


# ------------------------------------------------------------------- CLI


def test_cli_json_and_masks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seg_file = shared_path("data", "dcmqi-tid1500", "seg", "liver.dcm")
    ct = shared_path("data", "dcmqi-tid1500", "ct")
    argv = [
        "import",
        "seg",
        str(seg_file),
        "--images",
        str(ct),
        "--json",
        "--masks",
        str(tmp_path / "m"),
    ]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    (seg_doc,) = doc["segments"]
    assert seg_doc["label"] == "Liver"
    assert seg_doc["slices"] == [0, 1, 2]
    n = sum(n for *_, n in _frame_sums(seg_file))
    assert seg_doc["voxels"] == n
    img = sitk.ReadImage(str(tmp_path / "m" / "1_Liver.nii.gz"))
    assert int(sitk.GetArrayFromImage(img).sum()) == n
    first = pydicom.dcmread(ct / "03.dcm")  # z = -128.69, the lowest
    assert img.GetOrigin() == pytest.approx(
        [float(v) for v in first.ImagePositionPatient], abs=1e-3
    )


def test_cli_table(capsys: pytest.CaptureFixture[str]) -> None:
    root = shared_path("data", "lidc-idri-0001-ct")
    argv = [
        "import",
        "seg",
        str(root / "seg" / "nodule_01_annotation_0.dcm"),
        "--images",
        str(root / "ct"),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Nodule 1 - Annotation 0" in out
    assert "long mm" in out


# ------------------------------------------------------------- bad input


def test_not_a_seg() -> None:
    ct = shared_path("data", "pydicom-ct", "CT_small.dcm")
    with pytest.raises(InvalidInputError, match="not a DICOM Segmentation"):
        read_seg(ct, ct.parent / "CT2_series")


def test_not_dicom(tmp_path: Path) -> None:
    (tmp_path / "x.dcm").write_text("hello", encoding="utf-8")
    with pytest.raises(DicomReadError):
        read_seg(tmp_path / "x.dcm", tmp_path)


@pytest.mark.parametrize("keep", [0.5, 0.999])
def test_truncated(tmp_path: Path, keep: float) -> None:
    data = shared_path("data", "dcmqi-tid1500", "seg", "liver.dcm").read_bytes()
    (tmp_path / "cut.dcm").write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(DicomReadError, match=r"truncated|pixel data"):
        read_seg(tmp_path / "cut.dcm", shared_path("data", "dcmqi-tid1500", "ct"))


def test_truncated_implicit_vr(tmp_path: Path) -> None:
    data = shared_path("data", "highdicom-sr", "seg_image_ct_binary.dcm").read_bytes()
    (tmp_path / "cut.dcm").write_bytes(data[:-20])
    with pytest.raises(DicomReadError, match="pixel data"):
        read_seg(tmp_path / "cut.dcm", shared_path("data", "pydicom-ct", "CT2_series"))


def test_source_series_absent_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seg_file = shared_path("data", "dcmqi-tid1500", "seg", "liver.dcm")
    other = shared_path("data", "pydicom-ct", "CT2_series")
    uid = "1.2.392.200103.20080913.113635.1.2009.6.22.21.43.10.23430.1"
    with pytest.raises(DicomReadError, match=uid.replace(".", r"\.")):
        read_seg(seg_file, other)
    assert main(["import", "seg", str(seg_file), "--images", str(other)]) == 2
    assert uid in capsys.readouterr().err


def test_found_by_frame_of_reference_when_series_uid_differs(tmp_path: Path) -> None:
    """A SEG naming a series UID that is not there, same FoR and positions."""
    src = shared_path("data", "highdicom-sr", "seg_image_ct_binary.dcm")
    ds = pydicom.dcmread(src)
    ds.ReferencedSeriesSequence[0].SeriesInstanceUID = "1.2.3.4"
    for fg in ds.PerFrameFunctionalGroupsSequence:
        del fg.DerivationImageSequence
    ds.save_as(tmp_path / "for.dcm")
    result = read_seg(
        tmp_path / "for.dcm", shared_path("data", "pydicom-ct", "CT2_series")
    )
    assert result.segments[0].voxels == 127 + 256 + 255
    assert any("frame of reference" in n for n in result.notes)


def test_module_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, recist.export.seg_import, recist.commands.imports;"
        "print(any(m in sys.modules for m in ('highdicom', 'SimpleITK')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_images_folder_missing(tmp_path: Path) -> None:
    seg_file = shared_path("data", "dcmqi-tid1500", "seg", "liver.dcm")
    with pytest.raises(DicomReadError, match="no such file"):
        read_seg(seg_file, tmp_path / "nope")
    assert main(["import", "seg", str(seg_file), "--images", str(tmp_path / "n")]) == 2
