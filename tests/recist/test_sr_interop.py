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


# --- 3. import from the coded content, not the private properties item --------------


def _without_properties(src: Path, dst: Path) -> None:
    """Drop the 'RECIST reading properties' TEXT item, as a re-saving tool would."""
    ds = pydicom.dcmread(src)

    def strip(items: pydicom.Sequence) -> None:
        keep = []
        for item in items:
            name = item.ConceptNameCodeSequence[0]
            if (name.CodeValue, name.CodingSchemeDesignator) == ("R-0007", "99RECIST"):
                continue
            if "ContentSequence" in item:
                strip(item.ContentSequence)
            keep.append(item)
        items[:] = keep

    strip(ds.ContentSequence)
    ds.save_as(dst)


def _lesions(doc: dict) -> dict:
    """The lesion content of a reading dict (what DICOM codes)."""
    out = {"baseline": {k: doc["baseline"][k] for k in ("targets", "non_targets")}}
    out["followups"] = [
        {k: tp.get(k) for k in ("date", "targets", "non_targets", "new_lesions")}
        for tp in doc["followups"]
    ]
    out["criteria"] = doc["criteria"]
    return out


def test_import_without_the_properties_item_keeps_every_state(
    sample: Path, tmp_path: Path
) -> None:
    from recist.export.sr import index_images
    from recist.export.sr_import import reading_from_srs
    from recist.formats.reading import reading_to_dict
    from tests.recist.test_sr_roundtrip import _every_state

    reading = _every_state(sample)  # iRECIST, split, coalesced, TOO_SMALL, NT, NEW
    files = export_sr(reading, sample, tmp_path / "srs")
    stripped = []
    for f in files:
        stripped.append(tmp_path / f.name)
        _without_properties(f, stripped[-1])
        assert b"RECIST reading properties" not in stripped[-1].read_bytes()
    result = reading_from_srs(stripped, images=index_images(sample))
    assert result.reading is not None, result.skipped
    got, want = reading_to_dict(result.reading), reading_to_dict(reading)
    assert _lesions(got) == _lesions(want)
    assert got["subject_id"] == "RECIST-SAMPLE-0"  # the SR's patient
    assert got["reader"] == "Reader Two"  # the person observer
    assert any("coded content" in n for n in result.notes)


# --- 6. site text: long, non-Latin-1, blank ------------------------------------------


def test_long_and_non_latin_sites_survive_and_blank_site_is_valid(
    sample: Path, tmp_path: Path
) -> None:
    import dataclasses

    from recist.export.sr import index_images
    from recist.export.sr_import import reading_from_srs

    long_site = (
        "Segment VII of the right hepatic lobe, subcapsular, abutting the IVC " * 2
    )
    cjk = "肝臓 右葉 (Leber, Łódź)"
    reading = sample_reading(sample)
    t = list(reading.baseline.targets)
    t[0] = dataclasses.replace(t[0], site=long_site.strip())
    t[1] = dataclasses.replace(t[1], site=cjk)
    t[2] = dataclasses.replace(t[2], site="")
    base = dataclasses.replace(reading.baseline, targets=tuple(t))
    reading = dataclasses.replace(reading, baseline=base, followups=())
    (path,) = export_sr(reading, sample, tmp_path / "b.dcm")
    ds = pydicom.dcmread(path)
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    raw = path.read_bytes()
    assert cjk.encode("utf-8") in raw  # not "?"
    for elem in _walk_items(ds):
        if "ConceptCodeSequence" in elem:
            meaning = elem.ConceptCodeSequence[0].CodeMeaning
            assert 0 < len(meaning) <= 64  # LO, Type 1 (not empty)
    _without_properties(path, tmp_path / "s.dcm")
    result = reading_from_srs([tmp_path / "s.dcm"], images=index_images(sample))
    assert result.reading is not None
    sites = [x.site for x in result.reading.baseline.targets]
    assert sites[:3] == [long_site.strip(), cjk, ""]
    exe = __import__("shutil").which("dciodvfy")
    if exe is not None:
        import subprocess

        run = subprocess.run([exe, str(path)], capture_output=True, text=True)
        errors = [x for x in run.stderr.splitlines() if x.startswith("Error")]
        assert errors == []


def _walk_items(ds: pydicom.Dataset):
    for item in ds.get("ContentSequence", []):
        yield item
        yield from _walk_items(item)


# --- 8. import sr of a folder; follow-ups only ---------------------------------------


def test_import_sr_reads_a_folder(
    srs: list[Path], sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    folder = tmp_path / "fetched" / "1.2.3"
    folder.mkdir(parents=True)
    for f in srs:
        shutil.copy(f, folder / f.name)
    ct = next((sample / "20260105_baseline" / "CT").glob("*.dcm"))
    shutil.copy(ct, folder / "ct.dcm")  # an image beside them is passed over
    out = tmp_path / "r.json"
    argv = ["import", "sr", str(tmp_path / "fetched"), "--out", str(out)]
    assert main([*argv, "--images", str(sample)]) == 0
    doc = json.loads(out.read_text())
    assert len(doc["followups"]) == 3
    assert [t["id"] for t in doc["baseline"]["targets"]] == ["T01", "T02", "T03", "T04"]


def test_follow_up_srs_only_name_the_missing_baseline(
    srs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", "sr", *map(str, srs[1:])]) == 2
    err = capsys.readouterr().err
    assert "no baseline" in err.splitlines()[-1]
    assert "length" not in err.splitlines()[-1]


# --- 4. export seg: patient/study check, several series on the grid -----------------


def _copy_series(src: Path, dst: Path, **changes: str) -> str:
    """Copy a series with a new series UID and SOP UIDs (and ``changes``)."""
    from pydicom.uid import generate_uid

    dst.mkdir(parents=True)
    series = generate_uid()
    for f in sorted(src.glob("*.dcm")):
        ds = pydicom.dcmread(f)
        ds.SeriesInstanceUID = series
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        for k, v in changes.items():
            setattr(ds, k, v)
        ds.save_as(dst / f.name)
    return series


def _t01_mask(sample: Path, out: Path) -> Path:
    from tests.recist.test_seg import _disc_mask

    truth = load_truth(sample)
    visit = truth["visits"][0]
    t01 = next(
        t
        for t in truth["lesions"]
        if t["lesion_id"] == "T01" and t["date"] == visit["date"]
    )
    _disc_mask(sample, visit, t01, out)
    return out


def test_export_seg_refuses_another_patients_series(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pydicom.uid import generate_uid

    other = tmp_path / "other"
    _copy_series(
        sample / "20260105_baseline" / "CT",
        other / "CT",
        PatientID="SOMEONE-ELSE",
        StudyInstanceUID=generate_uid(),
    )
    save_reading(sample_reading(sample), tmp_path / "r.json")
    mask = _t01_mask(sample, tmp_path / "t01.nii.gz")
    out = tmp_path / "seg.dcm"
    argv = ["export", "seg", str(tmp_path / "r.json"), str(out), "--images"]
    assert main([*argv, str(other), "--mask", f"T01={mask}"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "SOMEONE-ELSE" in err or "studies" in err
    assert not out.exists()


def test_export_seg_names_the_series_when_several_fit(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    images = tmp_path / "images"
    shutil.copytree(sample / "20260105_baseline", images / "a")
    original = str(
        pydicom.dcmread(next((images / "a" / "CT").glob("*.dcm"))).SeriesInstanceUID
    )
    recon = _copy_series(sample / "20260105_baseline" / "CT", images / "b" / "CT")
    save_reading(sample_reading(sample), tmp_path / "r.json")
    mask = _t01_mask(sample, tmp_path / "t01.nii.gz")
    out = tmp_path / "seg.dcm"
    argv = ["export", "seg", str(tmp_path / "r.json"), str(out), "--images"]
    argv += [str(images), "--mask", f"T01={mask}"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--series" in err
    assert original in err
    assert recon in err
    assert not out.exists()
    assert main([*argv, "--series", recon]) == 0
    seg = pydicom.dcmread(out)
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == recon


# --- 9. SEG colours, SR -> SEG reference ----------------------------------------------


def test_seg_segments_have_distinct_display_colours(
    sample: Path, tmp_path: Path
) -> None:
    from recist.export.seg import export_seg

    mask = _t01_mask(sample, tmp_path / "t01.nii.gz")
    reading = sample_reading(sample)
    out = export_seg(
        reading,
        sample / "20260105_baseline",
        {"T01": mask, "T02": mask},
        tmp_path / "s.dcm",
    )
    seg = pydicom.dcmread(out)
    colours = [tuple(s.RecommendedDisplayCIELabValue) for s in seg.SegmentSequence]
    assert len(colours) == 2
    assert colours[0] != colours[1]


def test_sr_references_the_seg_of_the_same_lesion(sample: Path, tmp_path: Path) -> None:
    from recist.export.seg import export_seg
    from recist.export.sr import index_images, tracking_uid
    from recist.export.sr_import import reading_from_srs
    from recist.formats.reading import reading_to_dict

    reading = sample_reading(sample)
    mask = _t01_mask(sample, tmp_path / "t01.nii.gz")
    seg_path = export_seg(
        reading, sample / "20260105_baseline", {"T01": mask}, tmp_path / "seg.dcm"
    )
    seg = pydicom.dcmread(seg_path, stop_before_pixels=True)
    save_reading(reading, tmp_path / "r.json")
    out = tmp_path / "srs"
    argv = ["export", "sr", str(tmp_path / "r.json"), str(out) + "/", "--images"]
    assert main([*argv, str(sample), "--seg", str(seg_path)]) == 0
    files = sorted(out.glob("*.dcm"))
    base = pydicom.dcmread(files[0])
    groups = {}
    for g in base.ContentSequence[-1].ContentSequence:
        uid = next(i.UID for i in g.ContentSequence if i.ValueType == "UIDREF")
        groups[uid] = g
    t01 = groups[tracking_uid(reading, "T01")]
    (ref,) = [
        i
        for i in t01.ContentSequence
        if i.ConceptNameCodeSequence[0].CodeValue == "121191"  # Referenced Segment
    ]
    sop = ref.ReferencedSOPSequence[0]
    assert sop.ReferencedSOPInstanceUID == seg.SOPInstanceUID
    assert sop.ReferencedSOPClassUID == seg.SOPClassUID
    assert sop.ReferencedSegmentNumber == 1
    (src,) = [
        i
        for i in t01.ContentSequence
        if i.ConceptNameCodeSequence[0].CodeValue == "121232"
    ]
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == src.UID
    evidence = {
        i.ReferencedSOPInstanceUID
        for s in base.CurrentRequestedProcedureEvidenceSequence
        for r in s.ReferencedSeriesSequence
        for i in r.ReferencedSOPSequence
    }
    assert seg.SOPInstanceUID in evidence
    # only the baseline SR (the SEG's study) references it; nothing else changes
    for f in files[1:]:
        assert seg.SOPInstanceUID.encode() not in f.read_bytes()
    back = reading_from_srs(files, images=index_images(sample))
    assert back.reading is not None
    assert reading_to_dict(back.reading) == reading_to_dict(reading)


# --- dcmqi's tid1500reader (Slicer's QuantitativeReporting reads SRs with dcmqi) ---


def test_dcmqi_tid1500reader_reads_every_group(
    srs: list[Path], sample: Path, tmp_path: Path
) -> None:
    import shutil
    import subprocess
    import sys

    exe = shutil.which("tid1500reader") or shutil.which(
        "tid1500reader", path=str(Path(sys.executable).parent)
    )
    if exe is None:
        from tests.conftest import missing

        missing("dcmqi's tid1500reader is absent (pip install dcmqi, extra 'test')")
    reading = sample_reading(sample)
    for index, path in enumerate(srs):
        out = tmp_path / f"{index}.json"
        run = subprocess.run(
            [exe, "--inputDICOM", str(path), "--outputMetadata", str(out)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr
        doc = json.loads(out.read_text())
        got = {
            m["TrackingIdentifier"]: {
                i["quantity"]["CodeMeaning"]: i["value"] for i in m["measurementItems"]
            }
            for m in doc["Measurements"]
        }
        if index == 0:
            want = {
                t.lesion_id: t.baseline.diameter_mm for t in reading.baseline.targets
            }
        else:
            tp = reading.followups[index - 1]
            want = {k: m.diameter_mm for k, m in tp.targets.items()}
        for lid, mm in want.items():
            axis = "Short axis" if lid == "T04" else "Long axis"  # T04: the node
            assert float(got[lid][axis]) == float(mm)
        assert "NT01" in got
        assert len(doc["imageLibrary"]) == 4  # one entry per calliper image


def test_recist_export_public_api_is_lazy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, recist.export as e; "
        "heavy = {'pydicom', 'highdicom', 'pandas', 'SimpleITK'} & set(sys.modules); "
        "print(sorted(heavy)); "
        "from recist.export import export_sr, read_seg, to_sdtm, reading_from_srs; "
        "import recist.export.sr as m; print(export_sr is m.export_sr); "
        "print(sorted(set(e.__all__) - set(dir(e))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:3] == ["[]", "True", "[]"]
