"""Reading files: exact round trip, atomic save, errors naming the location."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from recist.errors import InvalidInputError
from recist.formats.case import load_case
from recist.formats.reading import (
    dumps_exact,
    load_reading,
    reading_from_dict,
    reading_to_dict,
    save_reading,
)
from recist.model import MeasurementKind
from tests.conftest import SHARED, missing

IMG = {
    "study_uid": "1.2.3",
    "series_uid": "1.2.3.4",
    "sop_uid": "1.2.3.4.5",
    "frame": 2,
}

READING = {
    "id": "demo",
    "description": "a reading with every kind of value",
    "subject_id": "01-701-1015",
    "reader": "R1",
    "criteria": "iRECIST",
    "options": {"confirmation": True, "confirmation_min_days": 28, "sd_min_days": 42},
    "baseline": {
        "date": "2026-01-05",
        "targets": [
            {
                "id": "T01",
                "site": "LIVER",
                "nodal": False,
                "diameter_mm": Decimal("32.25"),
                "slice_thickness_mm": Decimal("1.25"),
                "image": IMG,
                "endpoints_lps": [[1.5, -2.0, 30.0], [20.0, 10.25, 30.0]],
            },
            {"id": "T02", "site": "LYMPH NODE", "nodal": True, "diameter_mm": 18},
            {
                "id": "T03",
                "site": "LUNG",
                "nodal": False,
                "diameter_mm": Decimal("15.0"),
            },
        ],
        "non_targets": [{"id": "NT01", "site": "BONE", "nodal": False}],
        "study_uids": ["1.2.3"],
    },
    "followups": [
        {
            "date": "2026-02-16",
            "targets": {
                "T01": {
                    "diameter_mm": [Decimal("15.0"), Decimal("12.0")],
                    "image": IMG,
                },
                "T02": "TOO_SMALL",
                "T03": None,
            },
            "non_targets": {"NT01": "PRESENT"},
            "new_lesions": [
                {
                    "id": "NEW01",
                    "site": "BRAIN",
                    "equivocal": True,
                    "measurable": False,
                    "nodal": False,
                    "diameter_mm": None,
                }
            ],
        },
        {
            "date": "2026-03-30",
            "targets": {
                "T01": Decimal("40.123456789012345678"),
                "T02": Decimal("9.9"),
                "T03": {"diameter_mm": 0, "coalesced_into": "T01"},
            },
            "non_targets": {"NT01": "NOT EVALUATED"},
            "new_lesions": [],
            "study_uids": ["1.2.9"],
        },
    ],
    "audit": [{"when": "2026-04-01T10:00:00Z", "who": "R1", "what": "measured T01"}],
}


def test_model_round_trip_is_exact():
    reading = reading_from_dict(READING)
    again = reading_from_dict(reading_to_dict(reading))
    assert again == reading
    fu = reading.followups[1]
    assert fu.targets["T01"].diameter_mm == Decimal("40.123456789012345678")
    assert fu.targets["T03"].kind is MeasurementKind.COALESCED
    assert reading.followups[0].targets["T01"].image is not None


def test_dict_round_trip_keeps_canonical_dicts():
    once = reading_to_dict(reading_from_dict(READING))
    twice = reading_to_dict(reading_from_dict(once))
    assert once == twice


def test_file_round_trip_keeps_every_digit(tmp_path: Path):
    path = tmp_path / "r.json"
    reading = reading_from_dict(READING)
    save_reading(reading, path)
    assert load_reading(path) == reading
    assert "40.123456789012345678" in path.read_text(encoding="utf-8")
    json.loads(path.read_text(encoding="utf-8"))  # valid JSON for any reader


def test_interrupted_save_leaves_previous_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "r.json"
    reading = reading_from_dict(READING)
    save_reading(reading, path)
    before = path.read_bytes()

    def boom(fd: int) -> None:
        raise OSError("disk full")  # the write is interrupted before the rename

    monkeypatch.setattr(os, "fsync", boom)
    changed = reading_from_dict({**READING, "reader": "R2"})
    with pytest.raises(OSError, match="disk full"):
        save_reading(changed, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]  # no temp left


def test_failed_rename_leaves_previous_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "r.json"
    save_reading(reading_from_dict(READING), path)
    before = path.read_bytes()

    def refuse(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(KeyboardInterrupt):
        save_reading(reading_from_dict({**READING, "reader": "R2"}), path)
    assert path.read_bytes() == before
    assert len(list(tmp_path.iterdir())) == 1


def test_every_case_is_a_reading_and_survives_the_round_trip():
    cases = sorted((SHARED / "spec" / "cases").glob("*.case.json"))
    if not cases:
        missing("no case files in ../shared/spec/cases")
    for path in cases:
        reading = load_reading(path)
        assert reading_from_dict(reading_to_dict(reading)) == reading, path.name


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        pytest.param(lambda d: d.update(colour="red"), "colour", id="unknown-top-key"),
        pytest.param(
            lambda d: d["followups"][1]["targets"].update(T01="big"),
            "followups[1].targets.T01",
            id="bad-target-value",
        ),
        pytest.param(
            lambda d: d["baseline"]["targets"][1].update(diameter_mm=-1),
            "baseline.targets[1].diameter_mm",
            id="negative-mm",
        ),
        pytest.param(
            lambda d: d["baseline"]["targets"][1].update(diameter_mm=float("nan")),
            "baseline.targets[1].diameter_mm",
            id="nan-mm",
        ),
        pytest.param(
            lambda d: d["followups"][0]["non_targets"].update(NT01="GONE"),
            "followups[0].non_targets.NT01",
            id="unknown-term",
        ),
        pytest.param(
            lambda d: d["followups"][0].update(date="16/02/2026"),
            "followups[0].date",
            id="bad-date",
        ),
        pytest.param(
            lambda d: d["baseline"]["targets"][0]["image"].update(modality="CT"),
            "baseline.targets[0].image.modality",
            id="unknown-image-key",
        ),
        pytest.param(
            lambda d: d["baseline"]["targets"][0].update(nodal="no"),
            "baseline.targets[0].nodal",
            id="string-bool",
        ),
    ],
)
def test_invalid_input_names_the_json_path(mutate, where):
    doc = json.loads(dumps_exact(READING), parse_float=Decimal)
    mutate(doc)
    with pytest.raises(InvalidInputError) as info:
        load_case(doc)
    assert info.value.location == where, str(info.value)


def test_malformed_json_names_file_line_column(tmp_path: Path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "baseline": {,}\n}', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"bad\.json:2:16: malformed JSON"):
        load_reading(path)


def test_non_target_location_is_optional_and_kept():
    """#11: a non-target may carry where the reader marked it; old files still load."""
    doc = json.loads(dumps_exact(READING))
    nts = doc["baseline"]["non_targets"]
    assert nts, "READING needs a non-target"
    assert all("location_lps" not in n for n in nts)  # an older file
    old = reading_from_dict(doc)
    assert all(n.location_lps is None for n in old.baseline.non_targets)
    assert all(
        "location_lps" not in n for n in reading_to_dict(old)["baseline"]["non_targets"]
    )

    nts[0]["location_lps"] = [4.0, 60.5, -95.0]
    new = reading_from_dict(doc)
    assert new.baseline.non_targets[0].location_lps == (4.0, 60.5, -95.0)
    out = reading_to_dict(new)
    assert out["baseline"]["non_targets"][0]["location_lps"] == [4.0, 60.5, -95.0]
    assert reading_from_dict(out) == new

    nts[0]["location_lps"] = [4.0, 60.5]  # not a point
    with pytest.raises(
        InvalidInputError, match=r"baseline\.non_targets\[0\]\.location_lps"
    ):
        reading_from_dict(doc)
