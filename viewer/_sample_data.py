"""napari sample data: the synthetic four-visit CT study (``sample_dicom``)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import sample_dicom
from viewer._reader import read_dicom

__all__ = ["make_sample_study", "sample_study_dir"]

_CACHE: dict[str, Path] = {}


def sample_study_dir() -> Path:
    """Generate the sample study once per process (seed 0) and return its folder."""
    if "root" not in _CACHE:
        out = Path(tempfile.mkdtemp(prefix="recist-sample-")) / "study"
        _CACHE["root"] = sample_dicom.generate(out, seed=0).root
    return _CACHE["root"]


def make_sample_study() -> list[tuple[Any, dict[str, Any], str]]:
    """Layers of the sample study: one CT per visit, in patient mm."""
    return read_dicom(str(sample_study_dir()))
