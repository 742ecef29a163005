"""CI cannot pass by skipping: RECIST_REQUIRE_SHARED=1 turns absence into failures.

A throw-away repository in a temporary folder gets the real ``tests/conftest.py``
and tests that need ``../shared`` data, case files and an outside tool, none of
which exist there. pytest runs in a subprocess with and without the variable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_ENV

NEEDS = """
import pytest

from tests.conftest import missing, require_tool, shared_files, shared_path


def test_data():
    shared_path("data", "no-such-folder")


def test_tool():
    require_tool("recist-no-such-tool", package="no-such-package")


@pytest.mark.parametrize("path", shared_files("*.case.json", "spec", "cases"))
def test_cases(path):
    if path is None:
        missing("no case files")
"""


def _run(tmp_path: Path, require: str | None) -> subprocess.CompletedProcess[str]:
    repo = tmp_path / "repo"  # ../shared of this repo is tmp_path/shared: absent
    (repo / "tests").mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(__file__).with_name("conftest.py"), repo / "tests" / "conftest.py")
    (repo / "tests" / "__init__.py").write_text("")
    (repo / "tests" / "test_needs.py").write_text(NEEDS)
    (repo / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if k != REQUIRE_ENV}
    if require is not None:
        env[REQUIRE_ENV] = require
    env["PYTHONPATH"] = str(repo)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # faster; the mechanism needs none
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfs"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_absent_shared_material_fails_under_ci(tmp_path: Path) -> None:
    run = _run(tmp_path, "1")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "3 failed" in run.stdout, run.stdout
    assert "skipped" not in run.stdout
    assert "outside reference data absent" in run.stdout
    assert "recist-no-such-tool is not installed (Debian package no-such-package)" in (
        run.stdout
    )


@pytest.mark.parametrize("value", [None, "0"])
def test_absent_shared_material_skips_for_developers(tmp_path: Path, value) -> None:
    run = _run(tmp_path, value)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 skipped" in run.stdout, run.stdout


def test_ci_script_requires_shared() -> None:
    # .ci/run exports the variable before it runs scripts/test.sh
    root = Path(__file__).resolve().parents[1]
    lines = (root / ".ci" / "run").read_text().splitlines()
    export = lines.index(f"export {REQUIRE_ENV}=1")
    assert export < lines.index("bash scripts/test.sh")
