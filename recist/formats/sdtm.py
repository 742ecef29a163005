"""Re-derive RECIST responses from CDISC SDTM TU/TR and compare them with RS.

This is how a statistician checks recorded (investigator or central) responses:
every reader's lesions and measurements are turned into a case-format reading,
assessed by the engine, and put beside the ``RS`` record of the same visit, with
every disagreement explained.

``recist assess --sdtm DIR`` finds ``TU``, ``TR`` and ``RS`` in ``DIR`` by a
domain token in the file name (``tu.csv``, ``TR.xpt``, ``sdtm_rs_onco.csv``);
``--tu/--tr/--rs FILE`` name them explicitly (and win over ``--sdtm``). A folder
with several files of one domain is an error that says to use ``--tu/--tr/--rs``.

Conventions (where SDTM leaves room) are listed in
:func:`~recist.formats._sdtm_case.readings_from_sdtm` (Notes). Readings the engine
rejects (a target < 10 mm at baseline, a third target in one organ...) are
reported with the error code and lesion, never derived leniently: a statistician
must see that the source breaks RECIST 1.1 there.

Examples
--------
>>> tu = [{"USUBJID": "S1", "TULNKID": "T01", "TUORRES": "TARGET", "TULOC": "LIVER"}]
>>> tr = [
...     {"USUBJID": "S1", "TRLNKID": "T01", "TRTESTCD": "LDIAM", "TRORRES": mm,
...      "VISITNUM": num, "VISIT": visit, "TRDTC": date}
...     for mm, num, visit, date in [("40", "1", "BASELINE", "2024-01-02"),
...                                  ("28", "2", "WEEK 8", "2024-02-27")]]
>>> (reading,) = readings_from_sdtm(SdtmData(tu=tu, tr=tr))
>>> reading.case["followups"][0]["targets"]
{'T01': Decimal('28')}
>>> derive_reading(reading).output["timepoints"][0]["target"]  # 10 * 28 <= 7 * 40
'PR'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from recist.errors import InvalidInputError
from recist.formats._sdtm_case import (
    Evaluator,
    SdtmData,
    SdtmReading,
    SdtmVisit,
    readings_from_sdtm,
)
from recist.formats._sdtm_compare import (
    CAUSES,
    Agreement,
    DerivedReading,
    VisitComparison,
    classify,
    compare_with_rs,
    derive_reading,
    summarize,
)
from recist.formats._sdtm_io import find_domain_files, read_table

__all__ = [
    "CAUSES",
    "Agreement",
    "DerivedReading",
    "Evaluator",
    "SdtmData",
    "SdtmReading",
    "SdtmVisit",
    "VisitComparison",
    "classify",
    "compare_with_rs",
    "comparisons_to_json",
    "derive_reading",
    "find_domain_files",
    "read_sdtm",
    "readings_from_sdtm",
    "summarize",
]

_REQUIRED = {
    "TU": ("USUBJID", "TULNKID"),
    "TR": ("USUBJID", "TRLNKID", "TRTESTCD"),
    "RS": ("USUBJID", "RSTESTCD"),
}


def _pick(domain: str, found: Sequence[Path], folder: Path) -> Path | None:
    stems = {p.with_suffix("").name.lower() for p in found}
    if len(found) > 1 and len(stems) == 1:
        # the same table in several formats (``tu.csv`` and ``tu.xpt``, as
        # ``recist export sdtm --format both`` writes): they hold the same rows
        order = {".csv": 0, ".xpt": 1, ".sas7bdat": 2}
        return min(found, key=lambda p: order.get(p.suffix.lower(), 9))
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        flag = f"--{domain.lower()}"
        msg = (
            f"{folder}: {len(found)} files look like domain {domain} ({names}); "
            f"name the one to use with {flag} FILE"
        )
        raise InvalidInputError(msg, location=str(folder))
    return found[0] if found else None


def read_sdtm(
    directory: str | Path | None = None,
    *,
    tu: str | Path | None = None,
    tr: str | Path | None = None,
    rs: str | Path | None = None,
) -> SdtmData:
    """Read TU, TR and (optional) RS from a folder and/or named files.

    Parameters
    ----------
    directory : str or Path, optional
        A folder holding the domains, found by a ``tu``/``tr``/``rs`` token of the
        file name delimited by the start, ``_`` or ``.`` (``.csv``, ``.xpt``,
        ``.sas7bdat``).
    tu, tr, rs : str or Path, optional
        The file of a domain; it wins over ``directory``.

    Returns
    -------
    SdtmData
        The tables (text values, upper-case variable names) and their files.

    Raises
    ------
    InvalidInputError
        TU or TR not found, several candidates for a domain in ``directory``, a
        file that cannot be read, or a required variable missing.
    """
    chosen: dict[str, Path | None] = {
        "TU": Path(tu) if tu else None,
        "TR": Path(tr) if tr else None,
        "RS": Path(rs) if rs else None,
    }
    if directory is not None:
        folder = Path(directory)
        found = find_domain_files(folder)
        for domain, paths in found.items():
            if chosen[domain] is None:
                chosen[domain] = _pick(domain, paths, folder)
    tables: dict[str, Any] = {}
    for domain in ("TU", "TR", "RS"):
        path = chosen[domain]
        if path is None:
            if domain == "RS":
                continue
            where = f" in {directory}" if directory is not None else ""
            flag = f"--{domain.lower()}"
            msg = f"no {domain} dataset{where}: name it with {flag} FILE"
            raise InvalidInputError(msg, location=str(directory or ""))
        table = read_table(path)
        columns = set(table[0]) if table else set()
        missing = [c for c in _REQUIRED[domain] if c not in columns]
        if table and missing:
            msg = f"{path}: not an SDTM {domain} dataset, no {', '.join(missing)}"
            raise InvalidInputError(msg, location=str(path))
        if not table and domain != "RS":
            msg = f"{path}: the {domain} dataset has no records"
            raise InvalidInputError(msg, location=str(path))
        tables[domain] = table
    return SdtmData(
        tu=tables["TU"],
        tr=tables["TR"],
        rs=tables.get("RS"),
        sources={d: p for d, p in chosen.items() if p is not None},
    )


def _json_value(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def comparisons_to_json(comparisons: Iterable[VisitComparison]) -> list[dict[str, Any]]:
    """Return the ``--json`` list: one object per subject, visit and reader.

    Each object has ``USUBJID``, ``VISITNUM``, ``VISIT``, ``date``, ``RSEVAL``,
    ``RSEVALID``, ``criteria``, ``derived`` (``TRGRESP``, ``NTRGRESP``,
    ``NEWLPROG``, ``OVRLRESP``; iRECIST adds ``NEWLIND``) and, where RS has them,
    ``recorded`` (the same keys, as recorded), ``agree``, ``cause`` and
    ``explanation``; ``error`` for a reading the engine rejects; ``sum_mm``,
    ``pct_from_baseline``, ``pct_from_nadir`` and ``reasons`` where derived.
    """
    out: list[dict[str, Any]] = []
    for item in comparisons:
        entry: dict[str, Any] = {
            "USUBJID": item.usubjid,
            "VISITNUM": _json_value(item.visitnum),
            "VISIT": item.visit,
            "date": item.date,
            "RSEVAL": item.evaluator.name,
            "RSEVALID": item.evaluator.identifier,
            "criteria": item.criteria,
            "derived": dict(item.derived),
        }
        for key in ("sum_mm", "pct_from_baseline", "pct_from_nadir"):
            if key in item.facts:
                entry[key] = _json_value(item.facts[key])
        if item.reasons:
            entry["reasons"] = dict(item.reasons)
        if item.error is not None:
            entry["error"] = item.error
        if item.recorded:
            entry["recorded"] = dict(item.recorded)
            entry["agree"] = item.agree
            if item.agree is False:
                entry["cause"] = item.cause
                entry["explanation"] = item.explanation()
        out.append(entry)
    return out
