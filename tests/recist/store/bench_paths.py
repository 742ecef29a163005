"""Put the repository root on ``sys.path`` (for ``benchmarks``) in subprocesses."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[3])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def add_repo() -> str:
    """Return the repository root (already on ``sys.path``)."""
    return ROOT
