"""recist export sr -> recist import sr on the synthetic sample study (issue 7).

Oracles: the sample's truth (``sample_dicom`` imports none of our code) gives
every lesion, diameter, slice and calliper endpoint; highdicom's own
ImageToReferenceTransformer maps the SR's SCOORDs back to LPS; highdicom and
pydicom re-read the files; dicom3tools' dciodvfy validates them when installed.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import highdicom as hd
import numpy as np
import pydicom
import pytest

from recist.cli import main
from recist.export.sr import export_sr, index_images, tracking_uid
from recist.export.sr_import import reading_from_srs
from recist.formats.reading import reading_to_dict, save_reading
from recist.model import (
    AuditEntry,
    Baseline,
    ImageRef,
    Lesion,
    Measurement,
    NewLesion,
    Reading,
    TimePoint,
)
from recist.terms import Criteria, LesionRole, NonTargetState
from tests.conftest import require_tool


def load_truth(root: Path) -> dict[str, Any]:
    return json.loads((root / "truth.lesions.json").read_text(encoding="utf-8"))


def _measurement(t: dict[str, Any]) -> Measurement:
    points = [tuple(p) for p in t["long_axis_lps"]]
    if t["nodal"]:  # the model: long axis, then short axis for nodes
        points += [tuple(p) for p in t["short_axis_lps"]]
    image = ImageRef(
        study_uid=t["study_uid"], series_uid=t["series_uid"], sop_uid=t["slice_sop_uid"]
    )
    return Measurement.of_mm(t["diameter_mm"], image=image, endpoints_lps=tuple(points))


def sample_reading(root: Path) -> Reading:
    truth = load_truth(root)
    visits = truth["visits"]
    by = {(t["lesion_id"], t["date"]): t for t in truth["lesions"]}
    ids = sorted({t["lesion_id"] for t in truth["lesions"]})
    d0 = visits[0]["date"]
    targets = [
        Lesion(
            lesion_id=i,
            role=LesionRole.TARGET,
            site=by[(i, d0)]["site"],
            nodal=by[(i, d0)]["nodal"],
            baseline=_measurement(by[(i, d0)]),
        )
        for i in ids
        if by[(i, d0)]["role"] == "target"
    ]
    non_targets = [
        Lesion(
            lesion_id=i,
            role=LesionRole.NON_TARGET,
            site=by[(i, d0)]["site"],
            nodal=by[(i, d0)]["nodal"],
        )
        for i in ids
        if by[(i, d0)]["role"] != "target"
    ]
    followups = [
        TimePoint(
            date=dt.date.fromisoformat(v["date"]),
            targets={
                t.lesion_id: _measurement(by[(t.lesion_id, v["date"])]) for t in targets
            },
            non_targets={n.lesion_id: NonTargetState.PRESENT for n in non_targets},
            study_uids=(v["study_uid"],),
        )
        for v in visits[1:]
    ]
    baseline = Baseline(
        date=dt.date.fromisoformat(d0),
        targets=tuple(targets),
        non_targets=tuple(non_targets),
        study_uids=(visits[0]["study_uid"],),
    )
    return Reading(
        baseline=baseline,
        followups=tuple(followups),
        subject_id="SAMPLE-01",
        reader="Reader^One",
        case_id="sample-sr",
    )


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sample_dicom import generate

    root = tmp_path_factory.mktemp("sample")
    generate(root)
    return root


@pytest.fixture(scope="session")
def images(sample: Path) -> dict:
    return index_images(sample)


@pytest.fixture(scope="session")
def exported(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("sr")
    notes: list[str] = []
    files = export_sr(sample_reading(sample), sample, out, notes=notes)
    assert notes == []
    return files


def _walk(items: Any):
    for it in items:
        yield it
        yield from _walk(getattr(it, "ContentSequence", []))


def test_one_sr_per_timepoint_named_by_date(exported: list[Path], sample: Path) -> None:
    dates = [v["date"] for v in load_truth(sample)["visits"]]
    assert [p.name for p in exported] == [
        f"{dates[0]}_baseline.dcm",
        f"{dates[1]}_fu01.dcm",
        f"{dates[2]}_fu02.dcm",
        f"{dates[3]}_fu03.dcm",
    ]


def test_round_trip_gives_the_same_reading(
    exported: list[Path], sample: Path, images: dict
) -> None:
    result = reading_from_srs(list(reversed(exported)), images=images)  # any order
    assert result.skipped == ()
    assert result.reading is not None
    assert reading_to_dict(result.reading) == reading_to_dict(sample_reading(sample))


def test_each_sr_is_in_its_visit_study_and_rereads_with_highdicom(
    exported: list[Path], sample: Path
) -> None:
    visits = load_truth(sample)["visits"]
    for path, visit in zip(exported, visits, strict=True):
        ds = pydicom.dcmread(path)
        assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"  # Comprehensive 3D SR
        assert ds.StudyInstanceUID == visit["study_uid"]
        assert ds.ContentTemplateSequence[0].TemplateIdentifier == "1500"
        sr = hd.sr.Comprehensive3DSR.from_dataset(ds)
        groups = sr.content.get_planar_roi_measurement_groups()
        # 4 targets with callipers at every visit (the bone non-target has none):
        # 3 with an image region, the node T04 with a line under each axis
        assert sorted(g.tracking_identifier for g in groups) == ["T01", "T02", "T03"]
        others = sr.content.get_image_measurement_groups()
        assert "T04" in {g.tracking_identifier for g in others}


def _headers(sample: Path, visit: dict) -> dict[str, Any]:
    files = (sample / visit["series_dir"]).glob("*.dcm")
    return {
        ds.SOPInstanceUID: ds
        for ds in (pydicom.dcmread(f, stop_before_pixels=True) for f in files)
    }


def test_values_regions_and_tracking_against_truth(
    exported: list[Path], sample: Path
) -> None:
    truth = load_truth(sample)
    by = {(t["lesion_id"], t["date"]): t for t in truth["lesions"]}
    reading = sample_reading(sample)
    uids: dict[str, set[str]] = {}
    for path, visit in zip(exported, truth["visits"], strict=True):
        headers = _headers(sample, visit)
        sr = hd.sr.Comprehensive3DSR.from_dataset(pydicom.dcmread(path))
        for g in sr.content.get_planar_roi_measurement_groups():
            t = by[(g.tracking_identifier, visit["date"])]
            uids.setdefault(g.tracking_identifier, set()).add(g.tracking_uid)
            (m,) = [x for x in g.get_measurements() if x.name.meaning.endswith(" axis")]
            assert m.name.meaning == ("Short axis" if t["nodal"] else "Long axis")
            assert m.value == pytest.approx(t["diameter_mm"])
            assert m.unit.value == "mm"
            region = g.roi
            assert region.graphic_type.value == "POLYLINE"
            sop = (
                region.ContentSequence[0]
                .ReferencedSOPSequence[0]
                .ReferencedSOPInstanceUID
            )
            assert sop == t["slice_sop_uid"]
            ct = headers[sop]
            to_lps = hd.spatial.ImageToReferenceTransformer(
                image_position=ct.ImagePositionPatient,
                image_orientation=ct.ImageOrientationPatient,
                pixel_spacing=ct.PixelSpacing,
            )
            got = to_lps(np.asarray(region.value, dtype=float))
            expected = [
                *t["long_axis_lps"],
                *(t["short_axis_lps"] if t["nodal"] else []),
            ]
            np.testing.assert_allclose(got, expected, atol=1e-4)
        (node,) = [
            g
            for g in sr.content.get_image_measurement_groups()
            if g.tracking_identifier == "T04"
        ]
        t = by[("T04", visit["date"])]
        uids.setdefault("T04", set()).add(node.tracking_uid)
        axes = {m.name.meaning: m for m in node.get_measurements()}
        assert axes["Short axis"].value == pytest.approx(t["diameter_mm"])
        # the long axis is its calliper distance (truth 2 dp: 0.01 mm)
        assert axes["Long axis"].value == pytest.approx(t["long_axis_mm"], abs=0.011)
        for name, key in (
            ("Long axis", "long_axis_lps"),
            ("Short axis", "short_axis_lps"),
        ):
            (line,) = axes[name].referenced_coordinates
            assert line.graphic_type.value == "POLYLINE"
            sop = (
                line.ContentSequence[0]
                .ReferencedSOPSequence[0]
                .ReferencedSOPInstanceUID
            )
            assert sop == t["slice_sop_uid"]
            ct = headers[sop]
            to_lps = hd.spatial.ImageToReferenceTransformer(
                image_position=ct.ImagePositionPatient,
                image_orientation=ct.ImageOrientationPatient,
                pixel_spacing=ct.PixelSpacing,
            )
            got = to_lps(np.asarray(line.value, dtype=float))
            np.testing.assert_allclose(got, t[key], atol=1e-4)
    assert {k: len(v) for k, v in uids.items()} == {f"T0{i}": 1 for i in range(1, 5)}
    assert uids["T01"] == {tracking_uid(reading, "T01")}


def test_responses_are_the_truth_case_expectations(
    exported: list[Path], sample: Path
) -> None:
    case = json.loads((sample / "truth.case.json").read_text(encoding="utf-8"))
    expected = [tp["overall"] for tp in case["expected"]["timepoints"]]  # SD PR PR
    got = []
    for path in exported[1:]:
        ds = pydicom.dcmread(path)
        overall = [
            it.ConceptCodeSequence[0].CodeMeaning
            for it in _walk(ds.ContentSequence)
            if it.ValueType == "CODE"
            and it.ConceptNameCodeSequence[0].CodeMeaning == "Overall response"
        ]
        got.append(overall)
    assert got == [[e] for e in expected]


def test_dciodvfy_finds_no_errors(exported: list[Path]) -> None:
    exe = require_tool("dciodvfy", package="dicom3tools")
    for path in exported:
        run = subprocess.run(
            [exe, str(path)], capture_output=True, text=True, check=False
        )
        errors = [
            line
            for line in (run.stdout + run.stderr).splitlines()
            if line.startswith("Error")
        ]
        assert errors == [], path.name


def test_cli_export_directory_then_import(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reading = sample_reading(sample)
    save_reading(reading, tmp_path / "r.json")
    out = tmp_path / "srs"
    assert (
        main(
            [
                "export",
                "sr",
                str(tmp_path / "r.json"),
                str(out) + "/",
                "--images",
                str(sample),
            ]
        )
        == 0
    )
    files = sorted(out.glob("*.dcm"))
    assert len(files) == 4
    back = tmp_path / "back.json"
    argv = [
        "import",
        "sr",
        *map(str, files),
        "--images",
        str(sample),
        "--out",
        str(back),
    ]
    assert main(argv) == 0
    assert json.loads(back.read_text()) == json.loads((tmp_path / "r.json").read_text())


def test_cli_single_timepoint_default_latest(sample: Path, tmp_path: Path) -> None:
    save_reading(sample_reading(sample), tmp_path / "r.json")
    assert (
        main(
            [
                "export",
                "sr",
                str(tmp_path / "r.json"),
                str(tmp_path / "one.dcm"),
                "--images",
                str(sample),
            ]
        )
        == 0
    )
    ds = pydicom.dcmread(tmp_path / "one.dcm")
    assert ds.StudyInstanceUID == load_truth(sample)["visits"][-1]["study_uid"]
    assert (
        main(
            [
                "export",
                "sr",
                str(tmp_path / "r.json"),
                str(tmp_path / "b.dcm"),
                "--images",
                str(sample),
                "--timepoint",
                "baseline",
            ]
        )
        == 0
    )
    assert (
        pydicom.dcmread(tmp_path / "b.dcm").StudyInstanceUID
        == load_truth(sample)["visits"][0]["study_uid"]
    )
    assert (
        main(
            [
                "export",
                "sr",
                str(tmp_path / "r.json"),
                str(tmp_path / "x.dcm"),
                "--images",
                str(sample),
                "--timepoint",
                "2020-01-01",
            ]
        )
        == 2
    )


def test_images_we_do_not_have_keep_refs_and_list_positions(
    exported: list[Path],
) -> None:
    result = reading_from_srs(exported, images={})
    assert result.reading is not None
    t01 = result.reading.baseline.targets[0]
    assert t01.baseline is not None
    assert t01.baseline.image is not None  # the reference is kept
    assert t01.baseline.endpoints_lps == ()  # positions could not be placed
    assert len(result.skipped) == 4 * 4  # 4 targets x 4 time points
    assert all("is not among the images" in s for s in result.skipped)
    no_images = reading_from_srs(exported)
    assert all("no images given" in s for s in no_images.skipped)


def _every_state(sample: Path) -> Reading:
    """A reading using every state the SR must carry (iRECIST, odd site spelling)."""
    base = sample_reading(sample)
    t = base.baseline.targets
    tp1, tp2, tp3 = base.followups
    b = Baseline(
        date=base.baseline.date,
        targets=(
            *t[:3],
            Lesion(
                lesion_id="T04",
                role=LesionRole.TARGET,
                site="Mediastinal node",
                nodal=True,
                baseline=t[3].baseline,
                slice_thickness_mm=Decimal("2.50"),
            ),
        ),
        non_targets=(
            *base.baseline.non_targets,
            Lesion(
                lesion_id="NT02",
                role=LesionRole.NON_TARGET,
                site="LYMPH NODE",
                nodal=True,
            ),
        ),
        study_uids=base.baseline.study_uids,
    )
    m = tp1.targets
    new_image = m["T01"].image
    fu1 = TimePoint(
        date=tp1.date,
        targets={
            "T01": Measurement.split(Decimal("12.5"), Decimal("7")),
            "T02": Measurement.coalesced("T03"),
            "T03": m["T03"],
            "T04": Measurement.too_small(),
        },
        non_targets={
            "NT01": NonTargetState.ABSENT,
            "NT02": NonTargetState.UNEQUIVOCAL_PROGRESSION,
        },
        new_lesions=(
            NewLesion(lesion_id="NEW01", site="BRAIN", equivocal=True),
            NewLesion(
                lesion_id="NEW02",
                site="Left adrenal",
                measurable=True,
                diameter_mm=Decimal("11.0"),
                image=new_image,
                endpoints_lps=m["T01"].endpoints_lps,
            ),
        ),
        study_uids=tp1.study_uids,
    )
    fu2 = TimePoint(
        date=tp2.date,
        targets={"T01": Measurement.not_evaluated(), "T03": tp2.targets["T03"]},
        non_targets={"NT01": NonTargetState.NOT_EVALUATED},
        new_lesions=(
            NewLesion(lesion_id="NEW02", site="Left adrenal", diameter_mm=Decimal("0")),
        ),
    )
    return Reading(
        baseline=b,
        followups=(fu1, fu2, tp3),
        criteria=Criteria.IRECIST,
        subject_id="S-2",
        reader="Reader Two",
        case_id=None,
        description="every state",
        audit=(AuditEntry(when="2026-06-01T10:00:00Z", who="rdr2", what="created"),),
    )


def test_round_trip_of_every_state(sample: Path, images: dict, tmp_path: Path) -> None:
    reading = _every_state(sample)
    notes: list[str] = []
    files = export_sr(reading, sample, tmp_path, notes=notes)
    result = reading_from_srs(files, images=images)
    assert result.skipped == ()
    assert result.reading is not None
    assert reading_to_dict(result.reading) == reading_to_dict(reading)
    exe = require_tool("dciodvfy", package="dicom3tools")
    for path in files:
        run = subprocess.run(
            [exe, str(path)], capture_output=True, text=True, check=False
        )
        assert not [x for x in run.stderr.splitlines() if x.startswith("Error")]
