"""The row-by-row CSV writer gives the bytes pandas ``to_csv`` gives.

``recist.export._xpt.write_csv`` writes with the :mod:`csv` module (fast, no
DataFrame).  The straightforward way, a DataFrame of float64 / ``Int64`` /
text columns (formula cells neutralised) written by
``DataFrame.to_csv(index=False)``, with CRLF line ends when a value holds a CR,
is the oracle here: built independently in the test, it must give the same
file byte for byte, on the tables of a real 40-subject SDTM and ADaM export
and on awkward values.
"""

import math

import pandas as pd
import pytest

from benchmarks.bench_engine import make_readings
from recist._csv import neutralise
from recist.export import adam, sdtm
from recist.export._xpt import write_csv
from recist.terms import Criteria


def _pandas_csv(path, records, columns, numeric, integer):
    """The straightforward writer: a typed DataFrame and ``to_csv``."""
    data = {}
    for column in columns:
        values = [row.get(column) for row in records]
        if column in numeric or column in integer:
            data[column] = pd.array(
                [math.nan if v is None or v == "" else float(v) for v in values],
                dtype="float64",
            )
            if column in integer:
                data[column] = pd.array(data[column]).astype("Int64")
        else:
            data[column] = ["" if v is None else neutralise(str(v)) for v in values]
    has_cr = any("\r" in v for r in records for v in r.values() if isinstance(v, str))
    pd.DataFrame(data, columns=list(columns)).to_csv(
        path,
        index=False,
        encoding="utf-8",
        lineterminator="\r\n" if has_cr else "\n",
    )


def _same(tmp_path, name, records, columns, numeric, integer):
    fast, slow = tmp_path / f"{name}.csv", tmp_path / f"{name}.pandas.csv"
    write_csv(fast, records, columns, numeric=numeric, integer=integer)
    _pandas_csv(slow, records, columns, numeric, integer)
    assert fast.read_bytes() == slow.read_bytes(), name


@pytest.fixture(scope="module")
def trial():
    readings = make_readings(40, 6, criteria=Criteria.RECIST_1_1, seed=5)
    return readings


def test_sdtm_tables_as_pandas_writes_them(tmp_path, trial):
    export = sdtm.to_sdtm(trial)
    assert len(export.tr) > 500  # a real table, with SUMDIAM and NOT DONE rows
    for name, (records, columns) in export.tables().items():
        _same(tmp_path, name, records, columns, sdtm.NUMERIC, sdtm.INTEGER)


def test_adam_tables_as_pandas_writes_them(tmp_path, trial):
    export = adam.to_adam(trial)
    for name, records, columns in (
        ("adrs", export.adrs, adam.ADRS_COLUMNS),
        ("adtr", export.adtr, adam.ADTR_COLUMNS),
    ):
        assert records
        numeric = frozenset(c for c in columns if c in adam._NUMERIC) - adam._DATES
        _same(tmp_path, name, records, columns, numeric, adam._INTEGER)


def test_awkward_values_as_pandas_writes_them(tmp_path):
    floats = [0.1 + 0.2, 1e16, 1.5e16, 123456789012345680.0, 1e-4, 9.99e-5, 1e-5]
    floats += [-0.0, 0.0, 21.0, 32.32, -12.5, 1e300, math.inf, -math.inf, 5e-324]
    floats += [2.0**53 + 2, 1 / 3, 100.0, 1e15, 12345678.9]
    texts = ["", "a,b", 'say "hi"', "two\nlines", "tab\there", "é ü 中文", " x "]
    texts += ["'quoted'", "-12.5", "=1+1", "@SUM(A1)", "+x", "semi;colon"]
    records = []
    for i in range(max(len(floats), len(texts))):
        records.append(
            {
                "SEQ": [i + 1, None, "", 7.0, "12"][i % 5],
                "NUM": floats[i % len(floats)],
                "TXT": texts[i % len(texts)],
                "STR": "21.5" if i % 3 == 0 else None,  # numeric given as text
                "NAN": math.nan if i % 2 else None,
            }
        )
    records.append({"TXT": "only one key"})
    columns = ("SEQ", "NUM", "TXT", "STR", "NAN", "ABSENT")
    numeric = frozenset({"SEQ", "NUM", "STR", "NAN"})
    _same(tmp_path, "awkward", records, columns, numeric, frozenset({"SEQ"}))
    # a bare CR in one cell: the whole file with CRLF line ends
    records[3]["TXT"] = "carriage\rreturn"
    _same(tmp_path, "awkward_cr", records, columns, numeric, frozenset({"SEQ"}))
    assert b"\r\n" in (tmp_path / "awkward_cr.csv").read_bytes()
    assert b"\r\n" not in (tmp_path / "awkward.csv").read_bytes()


def test_non_integer_in_an_integer_column_is_refused(tmp_path):
    with pytest.raises(TypeError):
        write_csv(
            tmp_path / "x.csv",
            [{"SEQ": 1.5}],
            ["SEQ"],
            numeric=frozenset({"SEQ"}),
            integer=frozenset({"SEQ"}),
        )
    assert not (tmp_path / "x.csv").exists()
