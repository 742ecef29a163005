"""Build case dicts tersely for hand-derived rule tables (test helper)."""

from __future__ import annotations

import datetime as dt
from typing import Any

BASE = dt.date(2026, 1, 5)


def day(n: int) -> str:
    return (BASE + dt.timedelta(days=n)).isoformat()


def target(i: str, mm: Any, site: str | None = None, nodal: bool = False) -> dict:
    return {"id": i, "site": site or f"ORGAN-{i}", "nodal": nodal, "diameter_mm": mm}


def new(
    i: str,
    mm: Any = None,
    *,
    site: str = "BRAIN",
    equivocal: bool = False,
    measurable: bool = False,
    nodal: bool = False,
) -> dict:
    return {
        "id": i,
        "site": site,
        "equivocal": equivocal,
        "measurable": measurable,
        "nodal": nodal,
        "diameter_mm": mm,
    }


def visit(
    d: int,
    targets: dict | None = None,
    nts: dict | None = None,
    news: list | None = None,
) -> dict:
    return {
        "date": day(d),
        "targets": targets or {},
        "non_targets": nts or {},
        "new_lesions": news or [],
    }


def case(
    targets: list,
    visits: list,
    *,
    nts: list | None = None,
    criteria: str = "RECIST 1.1",
    **options: Any,
) -> dict:
    return {
        "id": "t",
        "criteria": criteria,
        "options": options,
        "baseline": {
            "date": day(0),
            "targets": targets,
            "non_targets": [
                {"id": n, "site": f"S-{n}", "nodal": False} for n in nts or []
            ],
        },
        "followups": visits,
    }
