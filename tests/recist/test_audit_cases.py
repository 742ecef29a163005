"""Audit cases: hand-derived cases in ``tests/recist/cases`` (issue 5).

Each ``*.case.json`` was derived by hand from ``shared/spec/recist-1.1.md`` and
``shared/spec/irecist.md`` (the description shows the arithmetic), never by running
the engine.  They are compared like the shared conformance cases: only the keys a
case gives.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recist.formats.case import assess_json
from tests.recist.test_conformance import assert_subset

CASES = sorted((Path(__file__).parent / "cases").glob("*.case.json"))


def test_at_least_forty_audit_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name.removesuffix(".case.json"))
def test_audit_case(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    assert case["id"] == path.name.removesuffix(".case.json")
    assert case["description"].strip()
    got = assess_json(case)
    assert_subset(case["expected"], got)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name.removesuffix(".case.json"))
def test_audit_case_from_file_with_exact_decimals(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    assert_subset(case["expected"], assess_json(path))


# ------------------------------------------------- `recist assess` on bad input
_T01 = '{"id": "T01", "site": "LIVER", "nodal": false, "diameter_mm": 30}'
_BL = '"baseline": {"date": "2026-01-05", "targets": [' + _T01 + "]}"


def _fu(body: str) -> str:
    return "{" + _BL + ', "followups": [{"date": "2026-02-16", ' + body + "}]}"


BAD_INPUT = {
    "empty-file": ("", "1:1: malformed JSON"),
    "json-list": ("[1, 2]", "expected a JSON object at the top level"),
    "json-string": ('"case"', "expected a JSON object at the top level"),
    "truncated": ("{" + _BL, "malformed JSON"),
    "no-baseline": ("{}", "baseline: required key missing"),
    "missing-diameter": (
        '{"baseline": {"date": "2026-01-05", "targets": '
        '[{"id": "T01", "site": "LIVER", "nodal": false}]}}',
        "baseline.targets[0].diameter_mm: required key missing",
    ),
    "string-diameter": (
        "{" + _BL.replace("30}", '"30"}') + "}",
        "baseline.targets[0].diameter_mm: expected a number",
    ),
    "negative-baseline": (
        "{" + _BL.replace("30}", "-3}") + "}",
        "baseline.targets[0].diameter_mm",
    ),
    "nan-baseline": ("{" + _BL.replace("30}", "NaN}") + "}", "finite"),
    "infinite-baseline": ("{" + _BL.replace("30}", "Infinity}") + "}", "finite"),
    "bool-diameter": ("{" + _BL.replace("30}", "true}") + "}", "expected a number"),
    "nodal-string": ("{" + _BL.replace("false", '"false"') + "}", "nodal"),
    "negative-followup": (_fu('"targets": {"T01": -1}'), "followups[0].targets.T01"),
    "nan-followup": (_fu('"targets": {"T01": NaN}'), "followups[0].targets.T01"),
    "string-followup": (_fu('"targets": {"T01": "12"}'), "followups[0].targets.T01"),
    "empty-split": (_fu('"targets": {"T01": []}'), "followups[0].targets.T01"),
    "unknown-state": (
        _fu('"non_targets": {"NT01": "GONE"}'),
        "followups[0].non_targets.NT01",
    ),
    "unknown-criteria": ('{"criteria": "RECIST 2", ' + _BL + "}", "criteria"),
    "unknown-key": ('{"colour": "red", ' + _BL + "}", "colour: unknown key"),
    "date-dmy": (_fu('"targets": {}').replace("2026-02-16", "16/02/2026"), "date"),
    "date-basic": (_fu('"targets": {}').replace("2026-02-16", "20260216"), "date"),
    "date-number": (
        _fu('"targets": {}').replace('"2026-02-16"', "20260216"),
        "followups[0].date",
    ),
    "date-impossible": (
        _fu('"targets": {}').replace("2026-02-16", "2026-02-30"),
        "followups[0].date",
    ),
    "followups-object": ("{" + _BL + ', "followups": {}}', "followups"),
    "followup-null": ("{" + _BL + ', "followups": [null]}', "followups[0]"),
    "option-type": (
        '{"options": {"confirmation": "yes"}, ' + _BL + "}",
        "options.confirmation",
    ),
    "option-negative": (
        '{"options": {"sd_min_days": -1}, ' + _BL + "}",
        "options.sd_min_days",
    ),
    "duplicate-baseline-id": (
        '{"baseline": {"date": "2026-01-05", "targets": [' + _T01 + "], "
        '"non_targets": [{"id": "T01", "site": "BONE"}]}}',
        "baseline.non_targets[0].id",
    ),
    "duplicate-followup-key": (
        _fu('"targets": {"T01": 12, "T01": 13}'),
        "followups[0].targets.T01: key 'T01' given twice",
    ),
    "duplicate-new-lesion": (
        _fu(
            '"new_lesions": [{"id": "N1", "site": "BONE"}, '
            '{"id": "N1", "site": "LUNG"}]'
        ),
        "followups[0].new_lesions[1].id",
    ),
    "negative-new-lesion": (
        _fu('"new_lesions": [{"id": "N1", "site": "BONE", "diameter_mm": -2}]'),
        "followups[0].new_lesions[0].diameter_mm",
    ),
    "not-utf8": (b"\xff\xfe{}", "not UTF-8"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
def test_assess_bad_input_exits_2_naming_the_place(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from recist.cli import main

    text, where = BAD_INPUT[name]
    path = tmp_path / f"{name}.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    assert main(["assess", "--json", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("error: ")
    assert err.count("\n") == 1, err  # one line
    assert where in err, err


def test_every_response_has_a_rule_and_a_one_line_reason() -> None:
    from recist.assessment import assess
    from recist.formats.case import load_case

    for path in CASES:
        case = json.loads(path.read_text(encoding="utf-8"))
        if "error" in case["expected"]:
            continue
        a = assess(load_case(case))
        items = [a.best_overall_response]
        for p in a.timepoints:
            items += [p.target, p.non_target, p.overall]
        for item in items:
            assert item.rule, (path.name, item)
            assert item.reason, (path.name, item)
            assert "\n" not in item.reason
            assert item.reason.startswith(item.value.value + ":"), item.reason


def test_json_output_keys_are_the_case_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from recist.cli import main

    path = (
        Path(__file__).parent / "cases" / "audit-irecist-nlt-cumulative-plus5.case.json"
    )
    assert main(["assess", "--json", str(path)]) == 0
    got = json.loads(capsys.readouterr().out)
    # case-format.md "Output" keys, plus the case id the command adds.
    assert set(got) == {"id", "baseline_sum_mm", "timepoints", "best_overall_response"}
    point = {
        "date", "sum_mm", "pct_from_baseline", "pct_from_nadir", "target",
        "non_target", "new_lesions", "overall", "new_target_sum_mm",
    }  # fmt: skip
    assert all(set(p) == point for p in got["timepoints"])
    path = Path(__file__).parent / "cases" / "audit-r11-cr-cr-28d.case.json"
    assert main(["assess", "--json", str(path)]) == 0
    got = json.loads(capsys.readouterr().out)
    assert all(set(p) == point - {"new_target_sum_mm"} for p in got["timepoints"])
    path = Path(__file__).parent / "cases" / "audit-r11-err-node-10mm-target.case.json"
    assert main(["assess", "--json", str(path)]) == 2
    got = json.loads(capsys.readouterr().out)
    assert got == {
        "id": "audit-r11-err-node-10mm-target",
        "error": {"code": "TARGET_NOT_MEASURABLE", "lesion": "T01"},
    }
