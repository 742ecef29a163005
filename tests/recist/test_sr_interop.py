"""SRs and SEGs that archives and viewers accept (issue 14, defects 1-9).

Oracles: the synthetic sample study's truth (``sample_dicom`` imports none of
our code), pydicom reading the written files, and the DICOM rules themselves (a
series belongs to one study; a SEG segment's colour is its own).
"""

from __future__ import annotations

import json
from pathlib import Path

import pydicom
import pytest

from recist.cli import main
from recist.export.sr import export_sr
from recist.formats.reading import save_reading
from tests.recist.test_sr_roundtrip import load_truth, sample_reading

pytest.importorskip("highdicom")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sample_dicom import generate

    root = tmp_path_factory.mktemp("sample")
    generate(root)
    return root


@pytest.fixture(scope="module")
def srs(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("srs")
    return export_sr(sample_reading(sample), sample, out)


# --- 1. one SR series per study ---------------------------------------------------


def test_each_study_gets_its_own_sr_series(srs: list[Path], sample: Path) -> None:
    visits = load_truth(sample)["visits"]
    headers = [pydicom.dcmread(p, stop_before_pixels=True) for p in srs]
    studies = [str(h.StudyInstanceUID) for h in headers]
    assert studies == [v["study_uid"] for v in visits]  # four different studies
    series = [str(h.SeriesInstanceUID) for h in headers]
    # a series belongs to one study: four studies, four SR series
    assert len(set(series)) == 4
    assert not set(series) & {v["series_uid"] for v in visits}


# --- 5. a case file (no image references) ------------------------------------------


def test_case_file_exports_by_study_date(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "srs"
    argv = ["export", "sr", str(sample / "truth.case.json"), str(out) + "/"]
    assert main([*argv, "--images", str(sample)]) == 0
    files = sorted(out.glob("*.dcm"))
    visits = load_truth(sample)["visits"]
    assert len(files) == len(visits) == 4
    for path, visit in zip(files, visits, strict=True):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        assert ds.StudyInstanceUID == visit["study_uid"]  # the study of that date
        assert ds.StudyDate == visit["date"].replace("-", "")
        assert ds.PatientID == "RECIST-SAMPLE-0"


def test_case_file_without_a_study_that_day_leaves_nothing(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = json.loads((sample / "truth.case.json").read_text())
    case["followups"][-1]["date"] = "2026-06-01"  # no images of that day
    (tmp_path / "case.json").write_text(json.dumps(case))
    out = tmp_path / "srs"
    argv = ["export", "sr", str(tmp_path / "case.json"), str(out) + "/"]
    assert main([*argv, "--images", str(sample)]) == 2
    err = capsys.readouterr().err
    assert "2026-06-01" in err
    assert "Traceback" not in err
    assert not out.exists()  # nothing behind, not even an empty folder


def test_failed_export_into_an_existing_folder_keeps_it_as_it_was(
    sample: Path, tmp_path: Path
) -> None:
    case = json.loads((sample / "truth.case.json").read_text())
    case["followups"][-1]["date"] = "2026-06-01"
    save = tmp_path / "case.json"
    save.write_text(json.dumps(case))
    out = tmp_path / "srs"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert main(["export", "sr", str(save), str(out), "--images", str(sample)]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_reading_saved_then_exported_single_file(sample: Path, tmp_path: Path) -> None:
    save_reading(sample_reading(sample), tmp_path / "r.json")
    out = tmp_path / "one.dcm"
    argv = ["export", "sr", str(tmp_path / "r.json"), str(out), "--images"]
    assert main([*argv, str(sample), "--timepoint", "baseline"]) == 0
    assert pydicom.dcmread(out).StudyDate == "20260105"
