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
