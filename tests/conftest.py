"""Shared test fixtures: where the outside reference data lives.

With ``RECIST_REQUIRE_SHARED=1`` (set by ``.ci/run``) missing outside material
(``../shared`` data, case files, reference tools such as ``dcm2niix``) FAILS the
test instead of skipping it, so CI cannot pass by not running tests.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
REQUIRE_ENV = "RECIST_REQUIRE_SHARED"


def require_shared() -> bool:
    """Whether absent outside material must fail (``RECIST_REQUIRE_SHARED=1``)."""
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def missing(reason: str) -> None:
    """Skip the calling test with ``reason``, or fail it when CI requires everything."""
    if require_shared():
        pytest.fail(f"{reason} [{REQUIRE_ENV}=1: CI must not skip]", pytrace=False)
    pytest.skip(reason)


def shared_path(*parts: str) -> Path:
    """Return ``../shared/<parts>``; skip the test when absent (fail under CI)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        missing(f"outside reference data absent: {path} (see ../shared/data/*/README)")
    return path


def require_tool(name: str, *, package: str) -> str:
    """Return the path of an outside reference tool; skip (fail under CI) if absent.

    ``package`` is the Debian package that provides it (``scripts/_setup.sh``).
    """
    exe = shutil.which(name)
    if exe is None:
        missing(f"{name} is not installed (Debian package {package})")
    assert exe is not None
    return exe


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


def shared_files(pattern: str, *parts: str) -> list[object]:
    """Files in ``../shared/<parts>`` matching ``pattern``, as parametrize values.

    When there are none the list holds one ``None`` (id ``absent``): the test
    then calls :func:`missing`, so an empty folder skips (fails under CI) rather
    than giving pytest an empty parameter set that is silently skipped.
    """
    found = sorted(SHARED.joinpath(*parts).glob(pattern))
    return list(found) or [pytest.param(None, id="absent")]
