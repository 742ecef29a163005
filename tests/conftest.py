"""Shared test fixtures: where the outside reference data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    """Return ``../shared/<parts>`` or skip the calling test with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"outside reference data absent: {path} (see ../shared/data/*/README)"
        pytest.skip(reason)
    return path


@pytest.fixture
def shared() -> type:
    """Reach ``../shared``: ``shared.path("data", "x")`` skips when absent."""

    class _Shared:
        root = SHARED
        path = staticmethod(shared_path)

    return _Shared


@pytest.fixture(scope="session")
def sample_study_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic sample study (``python -m sample_dicom``), generated once."""
    from sample_dicom import generate

    out = tmp_path_factory.mktemp("sample-study") / "study"
    generate(out, seed=0)
    return out
