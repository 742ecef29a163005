"""``recist info`` and ``recist convert`` through ``recist.cli.main``."""

from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk

from recist.cli import main
from tests.recist.test_dicom_fixtures import write_series

Z = [0.0, 2.5, 5.0]


def test_info_table(tmp_path, capsys):
    write_series(tmp_path, [0.0, 2.5, 5.0, 10.0], description="CHEST W/ CONTRAST")
    (tmp_path / "junk.txt").write_text("x")
    assert main(["info", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for text in (
        "P001",
        "20240101",
        "CT",
        "CHEST W/ CONTRAST",
        "6 x 8 x 5",
        "GAP",
        "junk.txt",
    ):
        assert text in out


def test_info_json_contract(tmp_path, capsys):
    uid, _, _ = write_series(tmp_path, Z)
    (tmp_path / "bad").write_bytes(b"\x00" * 10)
    assert main(["info", str(tmp_path), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert set(got) == {"series", "non_image", "skipped"}
    (s,) = got["series"]
    keys = {
        "series_uid",
        "study_uid",
        "study_date",
        "patient_id",
        "modality",
        "description",
        "n_images",
        "size",
        "spacing",
        "origin",
        "direction",
        "problems",
    }
    assert keys <= set(s)
    assert s["series_uid"] == uid
    assert s["size"] == [6, 8, 3]
    assert s["spacing"] == pytest.approx([0.5, 0.5, 2.5])
    assert s["origin"] == pytest.approx([-10.0, -20.0, 0.0])
    assert [k["path"].endswith("bad") for k in got["skipped"]] == [True]
    assert all("reason" in k for k in got["skipped"])


def test_info_missing_path_exits_2(tmp_path, capsys):
    assert main(["info", str(tmp_path / "nope")]) == 2
    assert "no such" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".nii.gz", ".nrrd", ".mha"])
def test_convert_round_trip(tmp_path, suffix, capsys):
    _, stack, _ = write_series(tmp_path / "in", Z)
    out = tmp_path / f"vol{suffix}"
    assert main(["convert", str(tmp_path / "in"), str(out)]) == 0
    img = sitk.ReadImage(str(out))
    np.testing.assert_array_equal(
        sitk.GetArrayFromImage(img), stack.astype(np.int16) - 1024
    )
    assert img.GetOrigin() == pytest.approx((-10.0, -20.0, 0.0), abs=1e-4)
    assert img.GetSpacing() == pytest.approx((0.5, 0.5, 2.5), abs=1e-4)
    assert img.GetDirection() == pytest.approx((1, 0, 0, 0, 1, 0, 0, 0, 1), abs=1e-6)


def test_convert_several_series_needs_choice(tmp_path, capsys):
    a, _, _ = write_series(tmp_path / "a", Z)
    b, _, _ = write_series(tmp_path / "b", Z)
    out = tmp_path / "x.nii"
    assert main(["convert", str(tmp_path), str(out)]) == 2
    err = capsys.readouterr().err
    assert a in err
    assert b in err
    assert "--series" in err
    assert not out.exists()
    assert main(["convert", str(tmp_path), str(out), "--series", b]) == 0
    assert out.exists()


@pytest.mark.parametrize("content", [None, b"hello", b"DICM" * 3], ids=str)
def test_info_without_series_prints_counts(tmp_path, capsys, content):
    # An empty folder or one of non-DICOM files used to raise TypeError in
    # format_table (max() of one int); now it lists 0 series and the skipped files.
    if content is not None:
        (tmp_path / "a.dcm").write_bytes(content)
    assert main(["info", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("0 image series\n")
    assert f"{0 if content is None else 1} skipped file(s)" in out
