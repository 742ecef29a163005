"""The npe2 reader: None for what is not DICOM, image layers in mm for the study."""

from __future__ import annotations

import numpy as np

from viewer._reader import get_reader


def test_reader_declines_a_text_file(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("not an image\n")
    assert get_reader(str(p)) is None


def test_reader_declines_an_empty_folder_and_a_missing_path(tmp_path):
    (tmp_path / "empty").mkdir()
    assert get_reader(str(tmp_path / "empty")) is None
    assert get_reader(str(tmp_path / "absent")) is None


def test_reader_declines_a_folder_of_other_files(tmp_path):
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert get_reader([str(tmp_path)]) is None


def test_reader_reads_the_sample_study(study, truth):
    read = get_reader(str(study.root))
    assert read is not None
    layers = read(str(study.root))
    assert len(layers) == len(study.visits) == 4
    dates = sorted({e["date"] for e in truth["lesions"]})
    for (data, kw, kind), date in zip(layers, dates, strict=True):
        assert kind == "image"
        assert kw["name"].startswith(date)
        assert data.ndim == 3
        aff = np.asarray(kw["affine"])
        # world = LPS mm in (z, y, x) order: the diagonal is the voxel spacing
        assert np.all(np.diag(aff)[:3] > 0)
    # only the latest visit is visible (the others are stacked under it)
    assert [kw.get("visible", True) for _d, kw, _k in layers] == [
        False,
        False,
        False,
        True,
    ]
    # T01's truth centre lies inside the baseline volume, on its truth slice
    e = next(
        e for e in truth["lesions"] if e["lesion_id"] == "T01" and e["date"] == dates[0]
    )
    data, kw, _ = layers[0]
    aff = np.asarray(kw["affine"])
    world = np.asarray(e["center_lps"], float)[::-1]  # (z, y, x)
    idx = np.linalg.solve(aff[:3, :3], world - aff[:3, 3])
    assert round(idx[0]) == e["slice_index"]
    assert all(0 <= v < n for v, n in zip(idx, data.shape, strict=True))
