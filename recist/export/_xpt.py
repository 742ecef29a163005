"""Write a table as CSV and as SAS transport (XPT) version 5.

Tables are lists of records (``dict`` per row) with a fixed column order. Numeric
variables are those listed in ``numeric``; every other variable is character.
Missing values are ``None`` (numeric) or ``""`` (character). Dates listed in
``dates`` are ISO ``YYYY-MM-DD`` text in CSV and SAS dates (``DATE9.``) in XPT.

pandas and pyreadstat are imported inside the functions, so importing this module
(which the CLI does to build its parser) stays light.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from recist._atomic import replacing
from recist._csv import neutralise
from recist._optional import require
from recist.errors import InvalidInputError

__all__ = ["Record", "check_names", "write_csv", "write_xpt"]

Record = dict[str, Any]
"""One row: variable name -> value (str, float, int or None)."""

#: SAS V5 transport limits: names 8 characters, labels 40, character values 200.
NAME_MAX, LABEL_MAX, CHAR_MAX = 8, 40, 200


def check_names(name: str, columns: Sequence[str], labels: Mapping[str, str]) -> None:
    """Check a dataset against the SAS V5 transport limits.

    Parameters
    ----------
    name : str
        The dataset name (``"TU"``), at most 8 characters.
    columns : sequence of str
        Variable names, at most 8 characters, letters, digits and ``_``.
    labels : mapping of str to str
        Variable labels, at most 40 characters.

    Raises
    ------
    InvalidInputError
        A name or label too long, or a variable without a label.

    Examples
    --------
    >>> check_names("TU", ["STUDYID"], {"STUDYID": "Study Identifier"})
    >>> check_names("TU", ["STUDYIDENT"], {"STUDYIDENT": "x"})
    Traceback (most recent call last):
    ...
    recist.errors.InvalidInputError: TU: variable name 'STUDYIDENT' is longer than 8
    """
    for text in (name, *columns):
        if len(text) > NAME_MAX or not text.replace("_", "").isalnum():
            what = "dataset" if text == name else "variable"
            msg = f"{name}: {what} name {text!r} is longer than {NAME_MAX}"
            raise InvalidInputError(msg)
    for column in columns:
        label = labels.get(column)
        if label is None or len(label) > LABEL_MAX:
            msg = f"{name}: variable {column} needs a label of <= {LABEL_MAX} chars"
            raise InvalidInputError(msg)


def _frame(
    records: Sequence[Record],
    columns: Sequence[str],
    numeric: frozenset[str],
    dates: frozenset[str],
    *,
    sas_dates: bool,
    integer: frozenset[str] = frozenset(),
) -> Any:
    pd = require("pandas", extra="all", feature="SDTM/ADaM export")
    data: dict[str, list[Any]] = {}
    for column in columns:
        values = [row.get(column) for row in records]
        if column in dates and sas_dates:
            data[column] = [
                dt.date.fromisoformat(v) if isinstance(v, str) and v else None
                for v in values
            ]
        elif column in numeric:
            data[column] = [None if v is None or v == "" else float(v) for v in values]
        elif sas_dates:  # XPT: character values exactly as they are
            data[column] = ["" if v is None else str(v) for v in values]
        else:  # CSV: no cell a spreadsheet would run as a formula
            data[column] = ["" if v is None else neutralise(str(v)) for v in values]
    frame = pd.DataFrame(data, columns=list(columns))
    for column in columns:
        if column in integer and not sas_dates:
            frame[column] = frame[column].astype("Int64")  # CSV: 1, not 1.0
        elif column in numeric and not (column in dates and sas_dates):
            frame[column] = frame[column].astype("float64")
    return frame


def _number(value: Any) -> str:
    """Return a numeric cell as pandas writes float64: shortest repr, NaN empty."""
    if value is None or value == "":
        return ""
    number = float(value)
    return "" if number != number else repr(number)


def _integer(value: Any) -> str:
    """Return a nullable integer cell (pandas ``Int64``): ``1``, not ``1.0``."""
    if value is None or value == "":
        return ""
    number = float(value)
    if number != number:
        return ""
    if not number.is_integer():
        raise TypeError(f"cannot write {value!r} as an integer")
    return str(int(number))


def write_csv(
    path: Path,
    records: Sequence[Record],
    columns: Sequence[str],
    *,
    numeric: frozenset[str] = frozenset(),
    integer: frozenset[str] = frozenset(),
) -> Path:
    """Write ``records`` as UTF-8 CSV with ``columns`` in order.

    Numbers are written as floats (``21.0``, ``32.32``), ``integer`` ones
    (``--SEQ``) as integers, and missing values as empty cells, as in the
    pharmaverse example files.  Text cells that a spreadsheet would run as a
    formula get a leading ``'`` (:func:`recist._csv.neutralise`).

    The file is byte for byte what ``pandas.DataFrame.to_csv(index=False)``
    writes for the same table (float64 columns: shortest round-trip repr,
    ``Int64`` columns: integers, minimal quoting), written row by row with the
    :mod:`csv` module: no DataFrame is built, which took most of the export's
    time and memory at 6,000 subjects.
    """
    carriage_return = False

    def text(value: Any) -> str:
        nonlocal carriage_return
        cell = neutralise("" if value is None else str(value))
        if "\r" in cell:
            carriage_return = True
        return cell

    cells = [
        _integer if c in integer else _number if c in numeric else text for c in columns
    ]
    pairs = list(zip(columns, cells, strict=True))

    def write(tmp: Path, line_end: str) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator=line_end)
            writer.writerow(columns)
            writer.writerows(
                [cell(row.get(column)) for column, cell in pairs] for row in records
            )

    with replacing(path) as tmp:
        write(tmp, "\n")
        # Python's csv quotes a cell with a bare CR only when CR ends lines, and
        # an unquoted CR splits the row for every reader: such files are written
        # again with CRLF (RFC 4180); all others keep LF, as the pharmaverse
        # examples.
        if carriage_return:
            write(tmp, "\r\n")
    return path


def write_xpt(
    path: Path,
    records: Sequence[Record],
    columns: Sequence[str],
    *,
    name: str,
    label: str,
    labels: Mapping[str, str],
    numeric: frozenset[str] = frozenset(),
    dates: frozenset[str] = frozenset(),
) -> Path:
    """Write ``records`` as a SAS V5 transport file (one dataset ``name``).

    Parameters
    ----------
    path : Path
        The ``.xpt`` file to write.
    records, columns
        The rows and the variable order.
    name : str
        The dataset (member) name, e.g. ``"TU"`` (8 characters at most).
    label : str
        The dataset label, e.g. ``"Tumor/Lesion Identification"``.
    labels : mapping
        Variable labels (40 characters at most each).
    numeric : frozenset of str
        Numeric variables.
    dates : frozenset of str
        Date variables (ISO text in ``records``), written as SAS dates (DATE9.).

    Raises
    ------
    InvalidInputError
        Names or labels beyond the V5 limits, or a character value longer than
        200 bytes.
    """
    check_names(name, columns, labels)
    for row in records:
        for column in columns:
            value = row.get(column)
            if isinstance(value, str) and len(value.encode("utf-8")) > CHAR_MAX:
                msg = f"{name}.{column}: value longer than {CHAR_MAX} bytes: {value!r}"
                raise InvalidInputError(msg)
    pyreadstat = require("pyreadstat", extra="all", feature="SAS XPT export")
    frame = _frame(records, columns, numeric, dates, sas_dates=True)
    with replacing(path) as tmp:
        pyreadstat.write_xport(
            frame,
            str(tmp),
            file_label=label[:LABEL_MAX],
            column_labels=[labels[c] for c in columns],
            table_name=name,
            file_format_version=5,
            variable_format={c: "DATE9." for c in columns if c in dates},
        )
    return path
