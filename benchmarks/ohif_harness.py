"""Run OHIF v3's published SR loader (npm) on SR files, from Python.

:func:`install` puts the npm packages OHIF reads SRs with into a cache folder
(once: about 30 s and 90 MB); :func:`run` runs ``benchmarks/ohif/ohif_sr.js``
under node on SR files and returns what OHIF found (see that file).  Used by
``tests/recist/test_ohif.py`` and ``python -m benchmarks ohif``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

#: The npm packages (pinned): OHIF's SR extension (OHIF/Viewers
#: extensions/cornerstone-dicom-sr), dcmjs (which OHIF reads DICOM with) and the
#: cornerstone peers the SR adapters import.
PACKAGES = (
    "@ohif/extension-cornerstone-dicom-sr@3.13.13",
    "dcmjs@0.52.0",
    "@cornerstonejs/metadata@5.6.8",
    "@cornerstonejs/utils@5.6.8",
)
SCRIPT = Path(__file__).with_name("ohif") / "ohif_sr.js"


def cache_dir() -> Path:
    """Where the packages are installed (``$RECIST_OHIF_CACHE`` or ~/.cache)."""
    env = os.environ.get("RECIST_OHIF_CACHE")
    root = Path(env) if env else Path.home() / ".cache" / "recist"
    return root / ("ohif-" + PACKAGES[0].rsplit("@", 1)[1])


def missing() -> str | None:
    """Say why the harness cannot run here (no node or npm), else None."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} is absent (apt-get install nodejs npm)"
    return None


def install(timeout_s: float = 600) -> Path:
    """Install the packages into :func:`cache_dir` unless there; return node_modules."""
    root = cache_dir()
    modules = root / "node_modules"
    done = root / "installed.json"
    if done.is_file() and json.loads(done.read_text()) == list(PACKAGES):
        return modules
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "npm", "install", "--prefix", str(root), "--no-save", "--no-audit",
            "--no-fund", "--legacy-peer-deps", "--ignore-scripts", *PACKAGES,
        ],
        check=True,
        capture_output=True,
        timeout=timeout_s,
    )  # fmt: skip
    done.write_text(json.dumps(list(PACKAGES)))
    return modules


def run(
    srs: list[Path], images: Path | None, *, timeout_s: float = 300
) -> list[dict[str, Any]]:
    """Run OHIF's SR loader on ``srs`` (images placed from ``images``)."""
    modules = install()
    proc = subprocess.run(
        ["node", str(SCRIPT), str(modules), str(images or "-"), *map(str, srs)],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    if proc.returncode != 0:
        msg = f"OHIF harness failed ({proc.returncode}): {proc.stderr[-2000:]}"
        raise RuntimeError(msg)
    return list(json.loads(proc.stdout))
