"""recist import sr on other tools' TID 1500 SRs and on bad input (issue 7).

Expected values are the ones the data folders' READMEs state (written from the
producing tools' inputs, not by this code).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pydicom
import pytest

from recist.cli import main
from recist.export.sr_import import describe_sr, reading_from_srs
from tests.conftest import shared_path


def _doc(path: Path) -> dict:
    return describe_sr(pydicom.dcmread(path), source=str(path))


def _group(doc: dict, tracking_id: str) -> dict:
    (g,) = [
        g for g in doc["measurement_groups"] if g["tracking_identifier"] == tracking_id
    ]
    return g


def test_highdicom_sr_four_groups() -> None:
    folder = shared_path("data", "highdicom-sr")
    doc = _doc(folder / "sr_document_with_multiple_groups.dcm")
    ids = [g["tracking_identifier"] for g in doc["measurement_groups"]]
    assert sorted(ids) == ["Aorta0001", "Image0001", "LungNodule0001", "Vertebra0001"]
    ct = pydicom.dcmread(folder / "ct_image.dcm", stop_before_pixels=True)
    nodule = _group(doc, "LungNodule0001")
    (m,) = nodule["measurements"]
    assert (m["concept"]["meaning"], m["value"], m["unit"]["value"]) == (
        "Diameter",
        Decimal("10"),
        "mm",
    )
    (region,) = nodule["regions"]
    assert region["graphic_type"] == "CIRCLE"
    assert len(region["graphic_data"]) == 4  # centre + a point on the circle
    assert region["references"][0]["sop_instance_uid"] == ct.SOPInstanceUID
    aorta = _group(doc, "Aorta0001")
    assert aorta["measurements"][0]["value"] == Decimal("20")
    assert aorta["regions"][0]["graphic_type"] == "POLYLINE"
    assert len(aorta["regions"][0]["graphic_data"]) == 8  # 4 points
    vertebra = _group(doc, "Vertebra0001")
    assert vertebra["measurements"][0]["concept"]["meaning"] == "Volume"
    assert vertebra["measurements"][0]["value"] == Decimal("200")
    assert vertebra["regions"][0]["value_type"] == "SCOORD3D"
    assert vertebra["regions"][0]["graphic_type"] == "POINT"
    for g in doc["measurement_groups"]:
        assert g["tracking_uid"]
    assert doc["evidence"][0]["instances"][0]["sop_instance_uid"] == ct.SOPInstanceUID
    observer = [c for c in doc["context"] if c["relationship"] == "HAS OBS CONTEXT"]
    assert observer  # observer context is reported


def test_dcmqi_liver_sr() -> None:
    folder = shared_path("data", "dcmqi-tid1500")
    doc = _doc(folder / "sr" / "sr-tid1500-ct-liver-example.dcm")
    (g,) = doc["measurement_groups"]
    assert g["tracking_identifier"] == "Measurements group 1"
    assert g["finding"]["meaning"] == "Organ"
    assert [s["value"]["meaning"] for s in g["finding_sites"]] == ["Liver"]
    got = {
        (
            m["concept"]["meaning"],
            (m.get("derivation") or {}).get("meaning"),
            m["unit"]["value"],
        ): m["value"]
        for m in g["measurements"]
    }
    assert got[("Attenuation Coefficient", "Mean", "[hnsf'U]")] == Decimal("37.3289")
    assert got[("Attenuation Coefficient", "Minimum", "[hnsf'U]")] == Decimal("-778")
    assert got[("Attenuation Coefficient", "Maximum", "[hnsf'U]")] == Decimal("221")
    assert got[
        ("Attenuation Coefficient", "Standard Deviation", "[hnsf'U]")
    ] == Decimal("59.1691")
    assert got[("Volume", None, "mm3")] == Decimal("70361.9")
    assert got[("Volume", None, "cm3")] == Decimal("70.3619")
    seg = pydicom.dcmread(folder / "seg" / "liver.dcm", stop_before_pixels=True)
    assert (
        g["source_images"][0]["references"][0]["sop_instance_uid"] == seg.SOPInstanceUID
    )
    names = {o["concept"]["meaning"] for o in g["other"]}
    assert "Algorithm Name" in names  # kept, in full


def test_dcmqi_pet_sr_primary_tumor() -> None:
    doc = _doc(shared_path("data", "dcmqi-tid1500", "sr", "pet-sr-tid1500-example.dcm"))
    (g,) = doc["measurement_groups"]
    assert g["tracking_identifier"] == "primary tumor"
    volume = [m for m in g["measurements"] if m["concept"]["meaning"] == "Volume"]
    assert volume[0]["value"] == Decimal("33.5824")
    assert volume[0]["unit"]["value"] == "ml"


def test_cli_json_for_others_srs(capsys: pytest.CaptureFixture[str]) -> None:
    folder = shared_path("data", "dcmqi-tid1500", "sr")
    files = sorted(str(p) for p in folder.glob("*.dcm"))
    assert main(["import", "sr", *files, "--json"]) == 0
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert len(doc["documents"]) == 2
    assert "reading" not in doc
    assert "not written by recist" in out.err


def test_not_sr_truncated_and_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ct = shared_path("data", "highdicom-sr", "ct_image.dcm")
    sr = shared_path("data", "highdicom-sr", "sr_document_with_multiple_groups.dcm")
    truncated = tmp_path / "truncated.dcm"
    truncated.write_bytes(sr.read_bytes()[: sr.stat().st_size // 2])
    result = reading_from_srs([ct, truncated, tmp_path / "nope.dcm", sr])
    # the good file is read; the truncated one as far as it goes, and said so
    assert [Path(d["source"]).name for d in result.documents] == [
        "truncated.dcm",
        sr.name,
    ]
    reasons = "\n".join(result.skipped)
    assert "ct_image.dcm: not a DICOM SR" in reasons
    assert "truncated.dcm: truncated" in reasons
    assert "nope.dcm: unreadable" in reasons
    # nothing usable at all: exit 2 with the reasons on stderr
    assert main(["import", "sr", str(ct), str(tmp_path / "nope.dcm")]) == 2
    err = capsys.readouterr().err
    assert "not a DICOM SR" in err
    assert "no TID 1500 SR" in err


def test_whole_files_are_not_truncated() -> None:
    from recist.export.sr_import import truncation

    for folder in (("highdicom-sr",), ("dcmqi-tid1500", "sr")):
        for path in sorted(shared_path("data", *folder).glob("*.dcm")):
            assert truncation(path, pydicom.dcmread(path)) is None, path.name


def test_sr_that_is_not_tid1500(tmp_path: Path) -> None:
    ds = pydicom.dcmread(
        shared_path("data", "highdicom-sr", "sr_document_with_multiple_groups.dcm")
    )
    del ds.ContentTemplateSequence
    ds.ConceptNameCodeSequence[0].CodeValue = "18748-4"
    ds.ConceptNameCodeSequence[0].CodingSchemeDesignator = "LN"
    ds.ConceptNameCodeSequence[0].CodeMeaning = "Diagnostic imaging report"
    path = tmp_path / "other.dcm"
    ds.save_as(path)
    result = reading_from_srs([path])
    assert result.documents == ()
    assert (
        "not a TID 1500 Measurement Report (Diagnostic imaging report)"
        in result.skipped[0]
    )
