"""One generated sample study for all viewer tests (about 2 s, once per session)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sample_dicom import SampleStudy, generate


@pytest.fixture(scope="session")
def study(tmp_path_factory: pytest.TempPathFactory) -> SampleStudy:
    return generate(tmp_path_factory.mktemp("sample") / "study", seed=0)


@pytest.fixture(scope="session")
def truth(study: SampleStudy) -> dict[str, Any]:
    """truth.lesions.json and truth.case.json, written by the generator (the oracle)."""
    root = Path(study.root)
    return {
        "lesions": json.loads((root / "truth.lesions.json").read_text())["lesions"],
        "case": json.loads((root / "truth.case.json").read_text()),
    }


@pytest.fixture(autouse=True)
def _recist_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECIST_HOME", str(tmp_path / "recist-home"))
