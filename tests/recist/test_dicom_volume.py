"""read_volume: voxels and geometry against independent references.

References: pydicom's plain ``pixel_array`` of uncompressed files, SimpleITK's
ImageSeriesReader (GDCM), the positions written into synthetic files, and the
tilted GE series' own headers (GantryDetectorTilt, IOP) plus dcm2niix's sidecar.
"""

from __future__ import annotations

import json
import shutil
import zlib

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.data import get_testdata_file
from pydicom.encaps import encapsulate
from pydicom.uid import JPEG2000Lossless, JPEGLSLossless, RLELossless

from recist.dicom import read_volume, scan
from recist.dicom._pixels import _decode_file
from recist.dicom._scan import scan_report
from recist.errors import DicomReadError
from tests.conftest import shared_path
from tests.recist.test_dicom_fixtures import ct_dataset, write_series

Z4 = [0.0, 2.5, 5.0, 7.5]


@pytest.mark.parametrize(
    "name",
    [
        "MR_small_implicit.dcm",
        "MR_small_bigendian.dcm",
        "MR_small_RLE.dcm",
        "MR_small_jp2klossless.dcm",
        "MR_small_jpeg_ls_lossless.dcm",
    ],
)
def test_transfer_syntaxes_decode_to_uncompressed_voxels(tmp_path, name):
    ref = pydicom.dcmread(get_testdata_file("MR_small.dcm")).pixel_array
    shutil.copy(get_testdata_file(name), tmp_path / "x")
    vol = read_volume(tmp_path)
    assert vol.array.dtype == np.int16
    np.testing.assert_array_equal(vol.array[0], ref)  # MR: slope 1, intercept 0


@pytest.mark.parametrize("ts", [RLELossless, JPEGLSLossless, JPEG2000Lossless])
def test_compressed_copies_of_a_ct_series(tmp_path, ts):
    _, stack, paths = write_series(tmp_path / "raw", Z4, rows=32, cols=32)
    for p in paths:
        ds = pydicom.dcmread(p)
        ds.compress(ts)
        ds.save_as(
            tmp_path / "enc" / p.name
            if (tmp_path / "enc").mkdir(exist_ok=True) is None
            else None
        )
    raw, enc = read_volume(tmp_path / "raw"), read_volume(tmp_path / "enc")
    np.testing.assert_array_equal(enc.array, raw.array)
    np.testing.assert_array_equal(raw.array, stack.astype(np.int16) - 1024)


def test_deflated_image_frame_compression_ct(tmp_path):
    # 1.2.840.10008.1.2.8.1: each frame is raw deflate (RFC 1951) of native bytes
    _, stack, paths = write_series(tmp_path / "raw", Z4)
    (tmp_path / "dfl").mkdir()
    for p in paths:
        ds = pydicom.dcmread(p)
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        ds.PixelData = encapsulate([c.compress(ds.PixelData) + c.flush()])
        ds["PixelData"].VR = "OB"
        # pydicom 3.0.2 refuses to write this UID: write a same-length one, patch bytes
        ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.50"
        out = tmp_path / "dfl" / p.name
        ds.save_as(out, enforce_file_format=True)
        data = out.read_bytes().replace(
            b"1.2.840.10008.1.2.4.50", b"1.2.840.10008.1.2.8.1\0"
        )
        out.write_bytes(data)
    vol = read_volume(tmp_path / "dfl")
    np.testing.assert_array_equal(vol.array, stack.astype(np.int16) - 1024)


def test_deflated_seg_frames_match_uncompressed(shared):
    folder = shared.path("data", "pydicom-ct")
    report = scan_report([folder / "liver.dcm", folder / "liver_deflate.dcm"])
    assert [o.type for o in report.non_image] == ["SEG", "SEG"]  # listed, not images
    from recist.dicom._header import parse_header

    def frames(p):
        return _decode_file(parse_header(p.read_bytes(), source=str(p)))

    ref = pydicom.dcmread(folder / "liver.dcm").pixel_array
    np.testing.assert_array_equal(frames(folder / "liver_deflate.dcm"), ref)


def test_rescale_to_float32_when_not_integral(tmp_path):
    _, stack, _ = write_series(tmp_path, Z4, slope=0.5, intercept=-1024.5)
    vol = read_volume(tmp_path)
    assert vol.array.dtype == np.float32
    np.testing.assert_array_equal(
        vol.array, stack * np.float32(0.5) - np.float32(1024.5)
    )


def test_unsigned_16bit_over_int16_still_exact(tmp_path):
    # uint16 values up to 40000 with intercept -10000 fit int16 only after rescale
    uid = pydicom.uid.generate_uid()
    stack = np.array([[[0, 40000], [20000, 1]]] * 2, np.uint16)
    for k in range(2):
        ds = ct_dataset(
            stack[k], position=(0, 0, 2.0 * k), series_uid=uid, intercept=-10000
        )
        ds.BitsStored, ds.HighBit = 16, 15
        ds.save_as(tmp_path / f"{k}", enforce_file_format=True)
    vol = read_volume(tmp_path)
    assert vol.array.dtype == np.int16
    np.testing.assert_array_equal(vol.array, stack.astype(np.int32) - 10000)


def test_uneven_spacing_resampled_so_mm_stay_true(tmp_path):
    # voxel value = 10 * z: linear in z, so linear interpolation is exact
    uid = pydicom.uid.generate_uid()
    z = [0.0, 2.0, 4.0, 7.0, 10.0]
    for k, zk in enumerate(z):
        px = np.full((4, 4), int(10 * zk) + 1024, np.uint16)
        ds = ct_dataset(px, position=(0, 0, zk), series_uid=uid, thickness=2.0)
        ds.save_as(tmp_path / f"{k}", enforce_file_format=True)
    vol = read_volume(tmp_path)
    assert vol.spacing[2] == pytest.approx(2.0)
    assert vol.size[2] == 6  # 0, 2, 4, 6, 8, 10 mm
    np.testing.assert_array_equal(vol.array[:, 0, 0], [0, 20, 40, 60, 80, 100])
    assert vol.metadata["source_slice"] == [0, 1, 2, None, None, 4]
    kept = read_volume(tmp_path, regular_grid=False)
    assert kept.size[2] == 5
    assert any(p.startswith("UNEVEN_KEPT") for p in kept.metadata["problems"])


def test_several_series_is_an_error(tmp_path):
    write_series(tmp_path / "a", Z4)
    write_series(tmp_path / "b", Z4)
    with pytest.raises(DicomReadError, match="2 image series"):
        read_volume(tmp_path)


def _sitk_series(files):
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames([str(f) for f in files])
    reader.SetOutputPixelType(sitk.sitkInt16)
    return reader.Execute()


def _assert_same_geometry(vol, img):
    assert vol.origin == pytest.approx(img.GetOrigin(), abs=1e-3)
    assert vol.spacing == pytest.approx(img.GetSpacing(), abs=1e-3)
    assert vol.direction == pytest.approx(img.GetDirection(), abs=1e-6)


@pytest.mark.parametrize(
    "parts",
    [
        ("lidc-idri-0001-ct", "ct"),
        ("dcmqi-tid1500", "ct"),
        ("pydicom-ct", "CT_small.dcm"),
        ("highdicom-sr", "ct_image.dcm"),
    ],
    ids=["lidc", "dcmqi", "ct_small", "highdicom_ct"],
)
def test_matches_simpleitk_series_reader(parts):
    path = shared_path("data", *parts)
    (series,) = scan(path)
    vol = read_volume(series)
    if path.is_dir():
        files = sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(path))
        img = _sitk_series(files)
    else:  # one slice: SimpleITK takes SliceThickness as z spacing; compare x, y
        img = sitk.ReadImage(str(path), sitk.sitkInt16)
    np.testing.assert_array_equal(vol.array, sitk.GetArrayFromImage(img))
    if vol.size[2] > 1:
        _assert_same_geometry(vol, img)
    else:
        assert vol.origin == pytest.approx(img.GetOrigin(), abs=1e-3)
        assert vol.spacing[:2] == pytest.approx(img.GetSpacing()[:2], abs=1e-3)


def test_ct2_series_gap_kept_true_where_simpleitk_averages():
    # SimpleITK assumes regular spacing: it spreads the 4 slices (z = -99.48,
    # 103.02, 104.27, 105.52) evenly, 68.33 mm apart, so 2 of them sit at wrong
    # z.  We put them on a 1.25 mm grid at their true z (the 202.5 mm gap is
    # filled, not invented) and say so; the original slices' voxels are equal.
    path = shared_path("data", "pydicom-ct", "CT2_series")
    vol = read_volume(path)
    img = _sitk_series(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(path)))
    ref = sitk.GetArrayFromImage(img)
    assert img.GetSpacing()[2] == pytest.approx(205.0 / 3)
    src = vol.metadata["source_slice"]
    originals = [k for k, s in enumerate(src) if s is not None]
    assert len(originals) == 4
    np.testing.assert_array_equal(vol.array[originals], ref)
    true_z = sorted(
        float(pydicom.dcmread(f).ImagePositionPatient[2]) for f in path.iterdir()
    )
    got_z = [vol.geometry.ijk_to_lps([0, 0, k])[2] for k in originals]
    assert got_z == pytest.approx(true_z, abs=1e-3)
    assert vol.origin == pytest.approx(img.GetOrigin(), abs=1e-3)
    assert {"GAP", "UNEVEN_SPACING"} <= {
        p.split(":")[0] for p in vol.metadata["problems"]
    }


def test_enhanced_ct_frames_become_slices():
    path = shared_path("data", "pydicom-ct", "eCT_Supplemental.dcm")
    vol = read_volume(path)
    img = sitk.ReadImage(str(path))
    ref = sitk.GetArrayFromImage(img)
    # IOP rows (-1,0,0), cols (0,1,0): normal = row x col = (0,0,-1).  GDCM keeps
    # the frames in file order with a +z third axis (a left-handed frame); we
    # order along the normal, so our slice k is its slice n-1-k: same voxel
    # positions, same values.
    np.testing.assert_array_equal(vol.array, ref[::-1])
    n = vol.size[2]
    for k in range(n):
        ours = vol.geometry.ijk_to_lps([3, 5, k])
        theirs = img.TransformContinuousIndexToPhysicalPoint((3, 5, n - 1 - k))
        assert ours == pytest.approx(theirs, abs=1e-3)


def test_gantry_tilt_corrected_like_dcm2niix():
    folder = shared_path("data", "dcm-qa-ct-gantry-tilt")
    ref = json.loads((folder / "dcm2niix_reference" / "_2.json").read_text())
    vol = read_volume(folder / "GE")
    # direction = IOP frame, as dcm2niix's ImageOrientationPatientDICOM
    d = np.asarray(vol.direction).reshape(3, 3)
    iop = ref["ImageOrientationPatientDICOM"]
    assert d[:, 0] == pytest.approx(iop[:3], abs=1e-5)
    assert d[:, 1] == pytest.approx(iop[3:], abs=1e-5)
    # along the normal: z steps 4.22 / 7.38 mm are cos(18.5 deg) * 4 / 7 mm
    tilt = np.radians(18.5)  # GantryDetectorTilt of the files
    headers = [pydicom.dcmread(f) for f in sorted((folder / "GE").iterdir())]
    headers.sort(key=lambda h: float(h.ImagePositionPatient[2]))
    z = np.array([float(h.ImagePositionPatient[2]) for h in headers])
    steps = np.diff(z) * np.cos(tilt)
    assert vol.spacing[2] == pytest.approx(steps.min(), abs=1e-3)
    assert np.diff(vol.metadata["slice_positions_mm"]) == pytest.approx(steps, abs=1e-3)
    assert vol.size[2] == round((z[-1] - z[0]) * np.cos(tilt) / steps.min()) + 1
    # in-plane: each original slice's bone, placed at its true LPS position, lands
    # within a voxel of the same bone in the corrected slice (original slices
    # kept, no z interpolation, so the comparison is slice to slice)
    kept = read_volume(folder / "GE", regular_grid=False)
    for k, h in enumerate(headers):
        img = h.pixel_array.astype(np.float64) + float(h.RescaleIntercept)
        jj, ii = np.nonzero(img > 300)  # bone
        sx, sy = (float(v) for v in h.PixelSpacing[::-1])
        ipp = np.asarray(h.ImagePositionPatient, float)
        lps = ipp + np.outer(ii * sx, d[:, 0]) + np.outer(jj * sy, d[:, 1])
        want = kept.geometry.lps_to_ijk(lps.mean(axis=0))[:2]
        oj, oi = np.nonzero(kept.array[k] > 300)
        assert [oi.mean(), oj.mean()] == pytest.approx(want, abs=1.0), k


def test_near_duplicate_slice_does_not_blow_up_the_grid(tmp_path):
    # 20 slices 2.5 mm apart plus one 0.05 mm after the 10th (a re-scan, say):
    # a grid at the smallest step would have 951 slices; median / 8 caps it
    uid = pydicom.uid.generate_uid()
    z = [2.5 * k for k in range(20)]
    z.insert(10, z[9] + 0.05)
    for k, zk in enumerate(z):
        px = np.full((4, 4), 1024, np.uint16)
        ds = ct_dataset(px, position=(0, 0, zk), series_uid=uid, thickness=2.5)
        ds.save_as(tmp_path / f"{k}", enforce_file_format=True)
    vol = read_volume(tmp_path)
    assert vol.spacing[2] == pytest.approx(2.5 / 8)
    assert vol.size[2] == round(47.5 / (2.5 / 8)) + 1  # 153 slices over 47.5 mm


def test_deflated_explicit_vr_little_endian(tmp_path):
    from pydicom.uid import DeflatedExplicitVRLittleEndian

    _, stack, paths = write_series(tmp_path / "raw", Z4, rows=16, cols=16)
    (tmp_path / "defl").mkdir()
    for p in paths:
        ds = pydicom.dcmread(p)
        ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
        ds.save_as(tmp_path / "defl" / p.name, enforce_file_format=True)
    assert (
        pydicom.dcmread(tmp_path / "defl" / paths[0].name).file_meta.TransferSyntaxUID
        == DeflatedExplicitVRLittleEndian
    )
    vol = read_volume(tmp_path / "defl")
    np.testing.assert_array_equal(vol.array, stack.astype(np.int16) - 1024)


def test_jpeg_baseline_decodes_as_an_independent_decoder_does(tmp_path):
    # No JPEG baseline encoder in pydicom: encode 8-bit slices with Pillow and check
    # that read_volume (pydicom + pylibjpeg-libjpeg) gives Pillow's own decode
    import io

    from PIL import Image
    from pydicom.encaps import encapsulate
    from pydicom.uid import JPEGBaseline8Bit

    rng = np.random.default_rng(3)
    uid = pydicom.uid.generate_uid()
    expected = []
    for k, z in enumerate(Z4):
        img = (np.add.outer(np.arange(32), np.arange(32)) * 3 + k * 10) % 256
        img = (img + rng.integers(0, 20, img.shape)).clip(0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="JPEG", quality=90)  # 8-bit grey
        expected.append(np.asarray(Image.open(io.BytesIO(buf.getvalue()))))
        ds = ct_dataset(img.astype(np.uint16), position=(0, 0, z), series_uid=uid)
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
        ds.PixelData = encapsulate([buf.getvalue()])
        ds["PixelData"].VR = "OB"
        ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
        ds.save_as(tmp_path / f"{k}.dcm", enforce_file_format=True)
    vol = read_volume(tmp_path)
    want = np.stack(expected).astype(np.int16) - 1024
    # two conforming JPEG decoders may differ by 1 in rounding (IDCT)
    assert np.abs(vol.array.astype(np.int32) - want).max() <= 1
