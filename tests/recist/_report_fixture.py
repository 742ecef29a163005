"""Build a fully image-referenced reading from the sample_dicom truth (test helper)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def reading_from_truth(root: Path) -> dict[str, Any]:
    case = json.loads((root / "truth.case.json").read_text(encoding="utf-8"))
    truth = json.loads((root / "truth.lesions.json").read_text(encoding="utf-8"))
    lesions = truth["lesions"]
    rows = (
        lesions
        if isinstance(lesions, list)
        else [r for v in lesions.values() for r in (v if isinstance(v, list) else [v])]
    )
    at = {(r["lesion_id"], r["date"]): r for r in rows}

    def extra(lid: str, date: str) -> dict[str, Any]:
        r = at[(lid, date)]
        pts = [*r["long_axis_lps"]] + ([*r["short_axis_lps"]] if r["nodal"] else [])
        return {
            "image": {
                "study_uid": r["study_uid"],
                "series_uid": r["series_uid"],
                "sop_uid": r["slice_sop_uid"],
            },
            "endpoints_lps": pts,
        }

    doc = dict(case)
    doc.pop("expected", None)
    doc["subject_id"] = "RECIST-SAMPLE-0"
    doc["reader"] = "RADIOLOGIST 1"
    base = doc["baseline"]
    base["targets"] = [t | extra(t["id"], base["date"]) for t in base["targets"]]
    doc["followups"] = [
        f
        | {
            "targets": {
                k: {"diameter_mm": v} | extra(k, f["date"])
                for k, v in f["targets"].items()
            }
        }
        for f in doc["followups"]
    ]
    return doc


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def sample_study(sample_study_dir: Path) -> Path:
    return sample_study_dir


@pytest.fixture(scope="session")
def sample_reading(sample_study_dir: Path) -> dict[str, Any]:
    return reading_from_truth(sample_study_dir)
