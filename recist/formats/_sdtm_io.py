"""Find and read SDTM domain files (CSV, SAS XPT, SAS7BDAT) as tables of strings.

Every value becomes a stripped ``str`` (missing: ``""``) and column names are
upper-cased, so the rest of the SDTM reader never sees a float or a NaN: numbers
are parsed once, exactly, as :class:`decimal.Decimal` where they are used.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from recist.errors import InvalidInputError

__all__ = ["DOMAINS", "Table", "find_domain_files", "read_table"]

#: The domains the SDTM reader uses; ``TU`` and ``TR`` are required.
DOMAINS = ("TU", "TR", "RS")

#: File name endings read, in the order they are tried.
SUFFIXES = (".csv", ".xpt", ".sas7bdat")

Table = list[dict[str, str]]
"""One SDTM dataset: a row per record, CDISC variable name -> value as text."""

_TOKEN = re.compile(r"[_.]")


def _domain_tokens(name: str) -> set[str]:
    """Return the lower-case tokens of a file name split at ``_`` and ``.``.

    >>> sorted(_domain_tokens("sdtm_tu_onco_recist.csv"))
    ['csv', 'onco', 'recist', 'sdtm', 'tu']
    """
    return set(_TOKEN.split(name.lower()))


def find_domain_files(directory: str | Path) -> dict[str, list[Path]]:
    """List the files of ``directory`` whose name holds a domain token.

    A file belongs to domain ``TU`` when ``tu`` is a token of its name delimited by
    the start, ``_`` or ``.`` (``tu.csv``, ``TU.xpt``, ``sdtm_tu_onco.csv``) and it
    ends in ``.csv``, ``.xpt`` or ``.sas7bdat``; ``supptu.csv`` is not ``TU``.

    Parameters
    ----------
    directory : str or Path
        The folder to look in (not recursively).

    Returns
    -------
    dict of str to list of Path
        ``{"TU": [...], "TR": [...], "RS": [...]}``, each sorted by name.

    Raises
    ------
    InvalidInputError
        ``directory`` is not a folder.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise InvalidInputError(f"{folder}: not a folder", location=str(folder))
    found: dict[str, list[Path]] = {d: [] for d in DOMAINS}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in SUFFIXES:
            continue
        tokens = _domain_tokens(path.name)
        for domain in DOMAINS:
            if domain.lower() in tokens:
                found[domain].append(path)
    return found


def _text(value: Any) -> str:
    """Return a cell as stripped text; missing values (None, NaN) become ``""``.

    Floats use Python's shortest round-trip form, so ``15.3357`` stays ``"15.3357"``.

    >>> [_text(v) for v in (None, float("nan"), 21.0, 15.3357, b"CR ", " PD")]
    ['', '', '21.0', '15.3357', 'CR', 'PD']
    """
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, bytes):
        return value.decode("latin-1").strip()
    return str(value).strip()


def _records(columns: list[Any], rows: list[Mapping[Any, Any]]) -> Table:
    names = [str(c).strip().upper() for c in columns]
    records = (
        {name: _text(row[col]) for name, col in zip(names, columns, strict=True)}
        for row in rows
    )
    # A blank line or a row of empty cells is no record (not a subject "").
    return [r for r in records if any(r.values())]


def read_table(path: str | Path) -> Table:
    """Read one SDTM dataset from CSV, SAS transport (XPT) or SAS7BDAT.

    Parameters
    ----------
    path : str or Path
        The file; its ending chooses the reader (``.csv`` as UTF-8, falling back
        to Windows-1252; ``.xpt`` and ``.sas7bdat`` with pyreadstat).

    Returns
    -------
    Table
        One ``dict`` per record with upper-case variable names and text values.

    Raises
    ------
    InvalidInputError
        The file is missing or cannot be parsed; the message names the file.
    """
    import pandas as pd

    file = Path(path)
    suffix = file.suffix.lower()
    if not file.is_file():
        raise InvalidInputError(f"{file}: no such file", location=str(file))
    try:
        if suffix == ".csv":
            try:
                frame = pd.read_csv(file, dtype=str, keep_default_na=False)
            except UnicodeDecodeError:
                frame = pd.read_csv(
                    file, dtype=str, keep_default_na=False, encoding="cp1252"
                )
        elif suffix in (".xpt", ".sas7bdat"):
            import pyreadstat

            reader = (
                pyreadstat.read_xport if suffix == ".xpt" else pyreadstat.read_sas7bdat
            )
            frame, _meta = reader(str(file))
        else:
            msg = f"{file}: unknown file type {suffix!r} (use .csv, .xpt or .sas7bdat)"
            raise InvalidInputError(msg, location=str(file))
    except InvalidInputError:
        raise
    except Exception as exc:  # any parser failure is unreadable input
        msg = f"{file}: cannot read as {suffix.lstrip('.').upper()}: {exc}"
        raise InvalidInputError(msg, location=str(file)) from exc
    columns = list(frame.columns)
    records = _records(columns, frame.to_dict(orient="records"))
    if suffix == ".csv":  # undo the formula protection of our own CSV writer
        from recist._csv import restore

        records = [{k: restore(v).strip() for k, v in r.items()} for r in records]
    return records
