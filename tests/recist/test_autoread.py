"""Seed-point reading of the sample study, against the generator's truth."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from recist import assess
from recist.autoread import LesionSeed, load_seeds, read_from_seeds
from recist.errors import InvalidInputError
from recist.terms import LesionRole, NonTargetState

HINTS = {"LIVER": "liver", "LUNG": "lung", "LYMPH NODE": "node"}


def seeds_from_truth(truth: dict) -> list[LesionSeed]:
    by_id: dict[str, list[dict]] = {}
    for item in truth["lesions"]:
        by_id.setdefault(item["lesion_id"], []).append(item)
    out = []
    for lesion_id, items in sorted(by_id.items()):
        first = items[0]
        role = LesionRole.TARGET if first["role"] == "target" else LesionRole.NON_TARGET
        dates = sorted(dt.date.fromisoformat(i["date"]) for i in items)
        out.append(
            LesionSeed(
                lesion_id=lesion_id,
                role=role,
                site=first["site"],
                nodal=first["nodal"],
                hint=HINTS.get(first["site"]),
                seeds_lps={
                    dt.date.fromisoformat(i["date"]): tuple(i["center_lps"])
                    for i in items
                }
                if role is LesionRole.TARGET
                else {},
                states=dict.fromkeys(dates[1:], NonTargetState.PRESENT)
                if role is LesionRole.NON_TARGET
                else {},
            )
        )
    return out


@pytest.fixture(scope="module")
def truth(sample_study_dir):
    return json.loads((sample_study_dir / "truth.lesions.json").read_text())


@pytest.fixture(scope="module")
def reading(sample_study_dir, truth):
    return read_from_seeds(sample_study_dir, seeds_from_truth(truth))


def test_sample_seed_file_holds_the_truth_centres(sample_study_dir, truth):
    seeds = load_seeds(sample_study_dir / "seeds.json")
    by_id = {s.lesion_id: s for s in seeds_from_truth(truth)}
    assert {s.lesion_id: s for s in seeds} == by_id


def test_every_value_within_a_pixel_and_5pct_of_truth(reading, truth):
    got = {
        ("T", t.lesion_id, reading.baseline.date): t.baseline
        for t in reading.baseline.targets
    }
    for tp in reading.followups:
        for lesion_id, m in tp.targets.items():
            got["T", lesion_id, tp.date] = m
    checked = 0
    for item in truth["lesions"]:
        if item["role"] != "target":
            continue
        m = got["T", item["lesion_id"], dt.date.fromisoformat(item["date"])]
        pixel = 1.2  # sample study pixel spacing (mm), from its DICOM headers
        tol = pixel + 0.05 * item["diameter_mm"]
        assert abs(float(m.diameter_mm) - item["diameter_mm"]) <= tol, item["lesion_id"]
        # measured on the truth's largest section or a neighbour: the phantom's
        # sections 2.5 mm either side of its 2.5 mm waist are < 1 % smaller, which
        # pixel sampling can reverse
        assert m.image is not None
        assert m.image.study_uid == item["study_uid"]
        assert len(m.endpoints_lps) == 2
        for point in m.endpoints_lps:
            assert abs(point[2] - item["slice_z_mm"]) <= 2.5 + 1e-6
        checked += 1
    assert checked == 16  # 4 targets x 4 visits


def test_engine_on_the_measured_reading_gives_the_true_answer(
    reading, sample_study_dir
):
    case = json.loads((sample_study_dir / "truth.case.json").read_text())
    result = assess(reading)
    expected = case["expected"]
    assert result.best_overall_response.value.value == expected["best_overall_response"]
    for tp, want in zip(result.timepoints, expected["timepoints"], strict=True):
        assert tp.date.isoformat() == want["date"]
        assert tp.overall.value.value == want["overall"], tp.overall.reason
        assert tp.target.value.value == want["target"], tp.target.reason
        assert abs(tp.sum_mm - Decimal(str(want["sum_mm"]))) <= Decimal("6")


def test_seed_file_round_trip_and_errors(tmp_path, sample_study_dir):
    doc = {
        "lesions": [
            {
                "id": "T01",
                "role": "TARGET",
                "site": "LIVER",
                "hint": "liver",
                "seeds_lps": {"2030-01-01": [0, 0, 0]},
            }
        ]
    }
    path = tmp_path / "seeds.json"
    path.write_text(json.dumps(doc))
    seeds = load_seeds(path)
    assert seeds[0].seeds_lps == {dt.date(2030, 1, 1): (0.0, 0.0, 0.0)}
    with pytest.raises(InvalidInputError, match="no DICOM series dated 2030-01-01"):
        read_from_seeds(sample_study_dir, seeds)
    path.write_text('{"lesions": [{"id": "T01"}]}')
    with pytest.raises(InvalidInputError, match="not a seed file"):
        load_seeds(path)


@pytest.mark.parametrize("value", ["false", "true", 0, 1, None, [], "no"])
def test_seed_file_nodal_must_be_a_json_boolean(tmp_path, value):
    # before: bool("false") is True, so a non-nodal lesion was measured as a node
    item = {"id": "T01", "role": "TARGET", "site": "LIVER", "nodal": value}
    path = tmp_path / "seeds.json"
    path.write_text(json.dumps({"lesions": [item]}))
    with pytest.raises(InvalidInputError, match=r"T01: 'nodal' must be true or false"):
        load_seeds(path)


@pytest.mark.parametrize(("value", "nodal"), [(True, True), (False, False)])
def test_seed_file_nodal_boolean_is_kept(tmp_path, value, nodal):
    item = {"id": "T01", "role": "TARGET", "site": "LIVER", "nodal": value}
    path = tmp_path / "seeds.json"
    path.write_text(json.dumps({"lesions": [item]}))
    assert load_seeds(path)[0].nodal is nodal


def test_cli_autoread_refuses_a_string_nodal(tmp_path, capsys):
    from recist.cli import main

    item = {"id": "T01", "role": "TARGET", "site": "LIVER", "nodal": "false"}
    seeds = tmp_path / "seeds.json"
    seeds.write_text(json.dumps({"lesions": [item]}))
    argv = ["autoread", str(tmp_path), "--seeds", str(seeds)]
    argv += ["--out", str(tmp_path / "r.json")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "'nodal' must be true or false" in err
    assert "Traceback" not in err
    assert not (tmp_path / "r.json").exists()


def test_hostile_seed_file_is_refused_in_one_line(tmp_path, capsys):
    """A seed file nested 100 000 deep (json.loads: RecursionError) or holding
    1e999 is exit 2 with one line naming the file, not a traceback."""
    from recist.cli import main

    for i, text in enumerate(
        [
            '{"lesions": ' + "[" * 100_000 + "]" * 100_000 + "}",
            '{"lesions": [{"id": "T01", "seeds_lps": 1e999}]}',
        ]
    ):
        seeds = tmp_path / f"seeds{i}.json"
        seeds.write_text(text)
        code = main(
            [
                "autoread",
                str(tmp_path),
                "--seeds",
                str(seeds),
                "--out",
                str(tmp_path / "r.json"),
            ]
        )
        err = capsys.readouterr().err
        assert code == 2, err
        assert str(seeds) in err
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
