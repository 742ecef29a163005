"""`recist assess`: tables, --json, folders, overrides, exit 2 without tracebacks."""

from __future__ import annotations

import json
import shutil
import sys
import types
from pathlib import Path

import pytest

from recist.cli import main
from tests.conftest import shared_path


def case(name: str) -> Path:
    return shared_path("spec", "cases", f"{name}.case.json")


def test_table_has_responses_and_reasons(capsys):
    assert main(["assess", str(case("r11-split-lesion"))]) == 0
    out = capsys.readouterr().out
    assert "r11-split-lesion" in out
    assert "PD: sum 56.0 mm is +11.0 mm (+24.4%) over nadir 45.0 mm" in out
    assert "best overall response: SD" in out


def test_json_single_file_is_one_object(capsys):
    path = case("r11-pr-exactly-minus-30")
    assert main(["assess", "--json", str(path)]) == 0
    got = json.loads(capsys.readouterr().out)
    expected = json.loads(path.read_text(encoding="utf-8"))["expected"]
    assert got["id"] == "r11-pr-exactly-minus-30"
    assert got["best_overall_response"] == expected["best_overall_response"]
    assert got["timepoints"][0]["pct_from_baseline"] == -30.0


def test_json_folder_is_a_list_with_ids_and_exit_2_for_invalid(tmp_path, capsys):
    for name in ("r11-new-lesion-pd", "r11-err-too-many-targets"):
        shutil.copy(case(name), tmp_path)
    assert main(["assess", "--json", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    got = json.loads(captured.out)
    assert [g["id"] for g in got] == ["r11-err-too-many-targets", "r11-new-lesion-pd"]
    assert got[0]["error"] == {"code": "TOO_MANY_TARGETS", "lesion": None}
    assert "TOO_MANY_TARGETS" in captured.err
    assert "RECIST 1.1 §2.2" in captured.err


def test_invalid_case_prints_code_lesion_rule(capsys):
    assert main(["assess", str(case("r11-err-too-many-in-organ"))]) == 2
    err = capsys.readouterr().err
    assert "TOO_MANY_TARGETS_IN_ORGAN" in err
    assert "lesion T03" in err
    assert "§2.2" in err
    assert "Traceback" not in err


def test_overrides_change_the_best_response(capsys):
    path = str(case("r11-confirmation-on"))  # PR then SD: SD confirmed, PR not
    assert main(["assess", "--json", path]) == 0
    assert json.loads(capsys.readouterr().out)["best_overall_response"] == "SD"
    assert main(["assess", "--json", "--no-confirmation", path]) == 0
    assert json.loads(capsys.readouterr().out)["best_overall_response"] == "PR"


def test_sd_min_days_override(capsys):
    path = str(case("r11-sd-min-days-exactly-met"))
    assert main(["assess", "--json", "--sd-min-days", "43", path]) == 0
    assert json.loads(capsys.readouterr().out)["best_overall_response"] != "SD"


def test_criteria_override_gives_irecist_labels(capsys):
    path = str(case("r11-split-lesion"))
    assert main(["assess", "--json", "--criteria", "iRECIST", path]) == 0
    got = json.loads(capsys.readouterr().out)
    assert [t["overall"] for t in got["timepoints"]] == ["iSD", "iUPD"]
    assert "new_target_sum_mm" in got["timepoints"][0]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        pytest.param('{"baseline": {,}}', "bad.json:1:15: malformed JSON", id="syntax"),
        pytest.param(
            '{"baseline": {"date": "2026-01-05"}, "colour": 1}',
            "colour: unknown key",
            id="unknown-key",
        ),
        pytest.param("[1, 2]", "expected a JSON object", id="not-an-object"),
    ],
)
def test_unreadable_input_names_the_location(tmp_path, capsys, text, needle):
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")
    assert main(["assess", str(bad)]) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert "Traceback" not in err


def test_missing_file_and_no_arguments(tmp_path, capsys):
    assert main(["assess", str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["assess"]) == 2


def test_reading_file_is_accepted(tmp_path, capsys):
    doc = json.loads(case("r11-new-lesion-pd").read_text(encoding="utf-8"))
    doc.update(
        subject_id="S-1", reader="R1", audit=[{"when": "x", "who": "y", "what": "z"}]
    )
    path = tmp_path / "reading.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["assess", str(path)]) == 0
    assert "subject S-1, reader R1" in capsys.readouterr().out


def test_sdtm_options_are_delegated(monkeypatch):
    seen = {}

    def fake(args):
        seen.update(vars(args))
        return 0

    module = types.ModuleType("recist.commands._assess_sdtm")
    module.assess_sdtm_command = fake  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "recist.commands._assess_sdtm", module)
    argv = ["assess", "--sdtm", "d", "--rs", "rs.csv", "--subject", "S1", "--json"]
    assert main([*argv, "--no-confirmation", "--sd-min-days", "56"]) == 0
    assert seen["sdtm"] == Path("d")
    assert seen["rs"] == Path("rs.csv")
    assert seen["subject"] == "S1"
    assert seen["json"] is True
    assert seen["confirmation"] is False
    assert seen["sd_min_days"] == 56
    assert seen["confirmation_min_days"] is None
    assert seen["criteria"] is None
