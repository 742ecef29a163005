"""SDTM TU/TR/RS -> case-format readings, and comparison with RS.

The expected case dicts are written by hand from the little tables below (the
comments say which rule gives each value); the engine is replaced by a
hand-written output where only the comparison is under test.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from recist.cli import main
from recist.errors import InvalidInputError
from recist.formats.sdtm import (
    DerivedReading,
    Evaluator,
    classify,
    compare_with_rs,
    comparisons_to_json,
    find_domain_files,
    read_sdtm,
    readings_from_sdtm,
    summarize,
)

INV = ("INVESTIGATOR", "")
RAD = ("INDEPENDENT ASSESSOR", "RADIOLOGIST 1")

TU_COLS = ["STUDYID", "DOMAIN", "USUBJID", "TULNKID", "TUTESTCD", "TUORRES", "TULOC"]
TU_COLS += ["TUEVAL", "TUEVALID", "VISITNUM", "VISIT"]


def tu_row(subj, lnk, kind, loc, ev=INV, visitnum="1", visit="SCREENING"):
    return ["S", "TU", subj, lnk, "TUMIDENT", kind, loc, *ev, visitnum, visit]


TU_ROWS = [
    tu_row("S-1", "T01", "TARGET", "LIVER"),
    tu_row("S-1", "T02", "TARGET", "LYMPH NODE"),
    tu_row("S-1", "NT01", "NON-TARGET", "BONE"),
    tu_row("S-1", "NEW01", "NEW", "LUNG", visitnum="3", visit="WEEK 12"),
    tu_row("S-1", "T01", "TARGET", "LIVER", ev=RAD),
]

TR_COLS = ["STUDYID", "DOMAIN", "USUBJID", "TRLNKID", "TRGRPID", "TRTESTCD", "TRORRES"]
TR_COLS += ["TRORRESU", "TRSTRESC", "TRSTRESN", "TRSTRESU", "TRSTAT", "TREVAL"]
TR_COLS += ["TREVALID", "VISITNUM", "VISIT", "TRDTC"]


def tr(subj, lnk, grp, test, res, visit, ev=INV, stat="", unit="mm"):
    """One TR record; TRSTRESN/units only for numeric results."""
    visitnum, name, dtc = visit
    num = res if res.replace(".", "").isdigit() else ""
    u = unit if num else ""
    return [
        "S",
        "TR",
        subj,
        lnk,
        grp,
        test,
        res,
        u,
        res,
        num,
        u,
        stat,
        *ev,
        visitnum,
        name,
        dtc,
    ]


V1 = ("1", "SCREENING", "2024-01-10")
V2 = ("2", "WEEK 6", "2024-02-21")
V3 = ("3", "WEEK 12", "2024-04")  # partial: imputed to 2024-04-01
TR_ROWS = [
    # baseline: T01 liver LDIAM 20; T02 node LDIAM 25, LPERP 16 (short axis used)
    tr("S-1", "T01", "TARGET", "LDIAM", "20", V1),
    tr("S-1", "T01", "TARGET", "LPERP", "12", V1),
    tr("S-1", "T02", "TARGET", "LDIAM", "25", V1),
    tr("S-1", "T02", "TARGET", "LPERP", "16", V1),
    tr("S-1", "NT01", "NON-TARGET", "TUMSTATE", "PRESENT", V1),
    # week 6: T01 1.2 cm -> 12 mm, T02 short axis 9; NT01 absent
    tr("S-1", "T01", "TARGET", "LDIAM", "1.2", V2, unit="cm"),
    tr("S-1", "T02", "TARGET", "LDIAM", "11", V2),
    tr("S-1", "T02", "TARGET", "LPERP", "9", V2),
    tr("S-1", "NT01", "NON-TARGET", "TUMSTATE", "ABSENT", V2),
    # week 12: T01 too small, T02 not done, NT01 unequivocal, NEW01 equivocal
    tr("S-1", "T01", "TARGET", "LDIAM", "TOO SMALL TO MEASURE", V3),
    tr("S-1", "T02", "TARGET", "LPERP", "", V3, stat="NOT DONE"),
    tr("S-1", "NT01", "NON-TARGET", "TUMSTATE", "UNEQUIVOCAL", V3),
    tr("S-1", "NEW01", "NEW", "TUMSTATE", "EQUIVOCAL", V3),
    # a second reader: one target, two visits
    tr("S-1", "T01", "TARGET", "LDIAM", "21", V1, ev=RAD),
    tr("S-1", "T01", "TARGET", "LDIAM", "0", V2, ev=RAD),
]

EXPECTED_INVESTIGATOR = {
    "id": "S-1 INVESTIGATOR",
    "criteria": "RECIST 1.1",
    "baseline": {
        "date": "2024-01-10",
        "targets": [
            {"id": "T01", "site": "LIVER", "nodal": False, "diameter_mm": Decimal(20)},
            {
                "id": "T02",
                "site": "LYMPH NODE",
                "nodal": True,
                "diameter_mm": Decimal(16),
            },
        ],
        "non_targets": [{"id": "NT01", "site": "BONE", "nodal": False}],
    },
    "followups": [
        {
            "date": "2024-02-21",
            "targets": {"T01": Decimal(12), "T02": Decimal(9)},  # 1.2 cm = 12 mm
            "non_targets": {"NT01": "ABSENT"},
            "new_lesions": [],
        },
        {
            "date": "2024-04-01",  # "2024-04": first of the month
            "targets": {"T01": "TOO_SMALL", "T02": None},
            "non_targets": {"NT01": "UNEQUIVOCAL PROGRESSION"},
            "new_lesions": [
                {
                    "id": "NEW01",
                    "site": "LUNG",
                    "equivocal": True,
                    "measurable": False,
                    "nodal": False,
                    "diameter_mm": None,
                }
            ],
        },
    ],
}


def write_csv(path: Path, cols, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(cols)
        writer.writerows(rows)
    return path


def write_xpt(path: Path, cols, rows, numeric=()) -> Path:
    import pandas as pd
    import pyreadstat

    frame = pd.DataFrame(rows, columns=cols)
    for col in numeric:
        frame[col] = pd.to_numeric(frame[col].replace("", None)).astype(float)
    pyreadstat.write_xport(frame, str(path), table_name=path.stem.upper()[:8])
    return path


@pytest.fixture
def csv_dir(tmp_path: Path) -> Path:
    write_csv(tmp_path / "tu.csv", TU_COLS, TU_ROWS)
    write_csv(tmp_path / "tr.csv", TR_COLS, TR_ROWS)
    return tmp_path


def _decimalize(obj):
    """Compare numbers by value: Decimal('12.0') == Decimal('12')."""
    if isinstance(obj, dict):
        return {k: _decimalize(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decimalize(v) for v in obj]
    if isinstance(obj, Decimal):
        return obj.normalize()
    return obj


def test_domain_files_by_token(tmp_path):
    for name in ["tu.csv", "TR.xpt", "sdtm_rs_onco.csv", "supptr.csv", "tumor.csv"]:
        (tmp_path / name).write_text("x")
    (tmp_path / "rs.txt").write_text("x")  # not a dataset ending
    found = find_domain_files(tmp_path)
    assert [p.name for p in found["TU"]] == ["tu.csv"]
    assert [p.name for p in found["TR"]] == ["TR.xpt"]
    assert [p.name for p in found["RS"]] == ["sdtm_rs_onco.csv"]


def test_several_files_for_a_domain_is_an_error(csv_dir):
    write_csv(csv_dir / "sdtm_tu_other.csv", TU_COLS, TU_ROWS)
    with pytest.raises(InvalidInputError, match="--tu FILE"):
        read_sdtm(csv_dir)
    data = read_sdtm(csv_dir, tu=csv_dir / "tu.csv")  # naming it resolves it
    assert data.sources["TU"].name == "tu.csv"
    assert data.rs is None


def test_missing_tr_is_an_error(tmp_path):
    write_csv(tmp_path / "tu.csv", TU_COLS, TU_ROWS)
    with pytest.raises(InvalidInputError, match="no TR dataset"):
        read_sdtm(tmp_path)


def test_not_an_sdtm_file(tmp_path):
    write_csv(tmp_path / "tu.csv", ["A", "B"], [["1", "2"]])
    with pytest.raises(InvalidInputError, match="USUBJID"):
        read_sdtm(tu=tmp_path / "tu.csv", tr=tmp_path / "tu.csv")


def test_case_from_csv(csv_dir):
    readings = readings_from_sdtm(read_sdtm(csv_dir))
    assert [(r.usubjid, r.evaluator.label) for r in readings] == [
        ("S-1", "INDEPENDENT ASSESSOR/RADIOLOGIST 1"),
        ("S-1", "INVESTIGATOR"),
    ]
    inv = readings[1]
    assert _decimalize(inv.case) == _decimalize(EXPECTED_INVESTIGATOR)
    assert [(v.visit, v.date, v.baseline, v.date_imputed) for v in inv.visits] == [
        ("SCREENING", "2024-01-10", True, False),
        ("WEEK 6", "2024-02-21", False, False),
        ("WEEK 12", "2024-04-01", False, True),
    ]
    assert any("2024-04 is partial" in note for note in inv.notes)
    rad = readings[0]
    assert rad.case["baseline"]["targets"][0]["diameter_mm"] == 21
    assert rad.case["followups"][0]["targets"] == {"T01": 0}


def test_same_table_as_csv_and_xpt_is_read_once(csv_dir):
    # what `recist export sdtm --format both` writes: tu.csv beside tu.xpt
    write_xpt(csv_dir / "tu.xpt", TU_COLS, TU_ROWS, numeric=["VISITNUM"])
    data = read_sdtm(csv_dir)
    assert data.sources["TU"].name == "tu.csv"


def test_case_from_xpt_equals_csv(tmp_path, csv_dir):
    tmp_path = tmp_path / "xpt"
    tmp_path.mkdir()
    tu = write_xpt(tmp_path / "tu.xpt", TU_COLS, TU_ROWS, numeric=["VISITNUM"])
    tr = write_xpt(
        tmp_path / "tr.xpt", TR_COLS, TR_ROWS, numeric=["VISITNUM", "TRSTRESN"]
    )
    from_xpt = readings_from_sdtm(read_sdtm(tu=tu, tr=tr))
    from_csv = readings_from_sdtm(read_sdtm(csv_dir))
    assert [_decimalize(r.case) for r in from_xpt] == [
        _decimalize(r.case) for r in from_csv
    ]


def test_subject_filter_and_options(csv_dir):
    data = read_sdtm(csv_dir)
    assert readings_from_sdtm(data, subject="NOBODY") == []
    (one, _two) = readings_from_sdtm(data, subject="S-1", options={"sd_min_days": 35})
    assert one.case["options"] == {"sd_min_days": 35}


def test_baseline_flag_and_diameter_test(tmp_path):
    # TRBLFL marks visit 2 as baseline; visit 1 (a pre-study scan) is not used.
    # TRTESTCD DIAMETER is the RECIST value where the data has it.
    cols = ["USUBJID", "TRLNKID", "TRGRPID", "TRTESTCD", "TRORRES", "TRBLFL"]
    cols += ["VISITNUM", "VISIT", "TRDTC"]
    rows = [
        ["S-2", "T01", "TARGET", "DIAMETER", "30", "", "1", "PRE", "2024-01-01"],
        ["S-2", "T01", "TARGET", "DIAMETER", "31", "Y", "2", "DAY 1", "2024-01-08"],
        ["S-2", "T01", "TARGET", "LDIAM", "99", "Y", "2", "DAY 1", "2024-01-08"],
        ["S-2", "T01", "TARGET", "DIAMETER", "20", "", "3", "WEEK 8", "2024-03-04"],
    ]
    tu = write_csv(
        tmp_path / "tu.csv",
        ["USUBJID", "TULNKID", "TUORRES", "TULOC"],
        [["S-2", "T01", "TARGET", "LUNG"]],
    )
    trp = write_csv(tmp_path / "tr.csv", cols, rows)
    (reading,) = readings_from_sdtm(read_sdtm(tu=tu, tr=trp))
    assert reading.evaluator == Evaluator(name="", identifier="")
    assert reading.case["baseline"]["date"] == "2024-01-08"
    assert reading.case["baseline"]["targets"][0]["diameter_mm"] == 31
    assert [f["targets"] for f in reading.case["followups"]] == [{"T01": 20}]
    assert any("before the baseline" in note for note in reading.notes)


def test_unknown_term_is_an_input_error_of_that_reading(tmp_path):
    cols = ["USUBJID", "TRLNKID", "TRGRPID", "TRTESTCD", "TRORRES", "VISITNUM"]
    cols += ["VISIT", "TRDTC"]
    rows = [
        [
            "S-3",
            "NT01",
            "NON-TARGET",
            "TUMSTATE",
            "PRESENT",
            "1",
            "BASELINE",
            "2024-01-01",
        ],
        [
            "S-3",
            "NT01",
            "NON-TARGET",
            "TUMSTATE",
            "BIGGER",
            "2",
            "WEEK 6",
            "2024-02-12",
        ],
    ]
    tu = write_csv(
        tmp_path / "tu.csv",
        ["USUBJID", "TULNKID", "TUORRES", "TULOC"],
        [["S-3", "NT01", "NON-TARGET", "BONE"]],
    )
    trp = write_csv(tmp_path / "tr.csv", cols, rows)
    (reading,) = readings_from_sdtm(read_sdtm(tu=tu, tr=trp))
    assert reading.case is None
    assert "BIGGER" in reading.input_error


def test_split_lesion_fragments(tmp_path):
    cols = ["USUBJID", "TRLNKID", "TRGRPID", "TRTESTCD", "TRORRES", "VISITNUM"]
    cols += ["VISIT", "TRDTC"]
    rows = [
        ["S-4", "T01", "TARGET", "LDIAM", "40", "1", "BASELINE", "2024-01-01"],
        ["S-4", "T01.1", "TARGET", "LDIAM", "12", "2", "WEEK 6", "2024-02-12"],
        ["S-4", "T01.2", "TARGET", "LDIAM", "9.5", "2", "WEEK 6", "2024-02-12"],
    ]
    tu = write_csv(
        tmp_path / "tu.csv",
        ["USUBJID", "TULNKID", "TUORRES", "TULOC"],
        [["S-4", "T01", "TARGET", "LIVER"]],
    )
    trp = write_csv(tmp_path / "tr.csv", cols, rows)
    (reading,) = readings_from_sdtm(read_sdtm(tu=tu, tr=trp))
    assert reading.case["followups"][0]["targets"] == {
        "T01": [Decimal(12), Decimal("9.5")]
    }


def test_criteria_from_rscat(csv_dir):
    rs_cols = ["USUBJID", "RSTESTCD", "RSCAT", "RSORRES", "RSEVAL", "RSEVALID"]
    rs_cols += ["VISITNUM", "VISIT", "RSDTC"]
    rs = [["S-1", "OVRLRESP", "iRECIST", "iPR", *INV, "2", "WEEK 6", "2024-02-21"]]
    write_csv(csv_dir / "rs.csv", rs_cols, rs)
    readings = readings_from_sdtm(read_sdtm(csv_dir))
    assert [r.criteria for r in readings] == ["RECIST 1.1", "iRECIST"]  # RAD, INV


# ------------------------------------------------------------------ comparison

RS_COLS = ["USUBJID", "RSTESTCD", "RSCAT", "RSORRES", "RSSTRESC", "RSEVAL"]
RS_COLS += ["RSEVALID", "RSACPTFL", "VISITNUM", "VISIT", "RSDTC"]


def rs_row(test, value, visit, accepted="", ev=INV):
    num, name, dtc = visit
    return ["S-1", test, "RECIST 1.1", value, value, *ev, accepted, num, name, dtc]


def fake_output(*points):
    """A hand-written engine output for the investigator reading above."""
    keys = ("date", "sum_mm", "pct_from_baseline", "pct_from_nadir", "target")
    keys += ("non_target", "new_lesions", "overall")
    return {
        "baseline_sum_mm": 36,
        "timepoints": [dict(zip(keys, p, strict=True)) for p in points],
    }


def test_compare_explains_every_disagreement(csv_dir):
    rs = [
        rs_row("TRGRESP", "PR", V2),
        rs_row("NTRGRESP", "CR", V2),
        rs_row("OVRLRESP", "PR", V2, accepted="Y"),
        rs_row("TRGRESP", "SD", V3),  # derived NE: T02 not done
        rs_row("OVRLRESP", "PD", V3, accepted="Y"),
        rs_row("NEWLPROG", "EQUIVOCAL", V3),
        rs_row("OVRLRESP", "CHECK", ("9", "UNSCHEDULED", "2024-06-01")),
    ]
    write_csv(csv_dir / "rs.csv", RS_COLS, rs)
    data = read_sdtm(csv_dir)
    inv = [r for r in readings_from_sdtm(data) if r.evaluator.name == "INVESTIGATOR"]
    # T01 12 + T02 9 = 21 vs 36: -41.7 % -> PR; NT01 absent -> CR; overall PR.
    # Week 12: T02 not done -> NE; NT01 unequivocal -> PD; overall PD.
    output = fake_output(
        ("2024-02-21", 21, -41.7, -41.7, "PR", "CR", "N", "PR"),
        ("2024-04-01", None, None, None, "NE", "PD", "EQUIVOCAL", "PD"),
    )
    reasons = {"2024-04-01": {"TRGRESP": "NE: T02 not evaluated"}}
    derived = [DerivedReading(reading=inv[0], output=output, reasons=reasons)]
    got = compare_with_rs(derived, data.rs)
    assert [(c.visit, c.agree) for c in got] == [
        ("WEEK 6", True),
        ("WEEK 12", False),
        ("UNSCHEDULED", False),  # only in RS
    ]
    week12 = got[1]
    assert week12.mismatches == ("TRGRESP",)
    assert week12.cause == "MISSING_TARGET"
    assert "TRGRESP derived NE, recorded SD (NE: T02 not evaluated)" in (
        week12.explanation()
    )
    assert got[2].cause == "NO_DERIVATION"
    summary = summarize(got)
    assert (summary.visits, summary.visits_agree) == (3, 1)
    assert (summary.accepted, summary.accepted_agree) == (2, 1)
    assert summary.by_test["OVRLRESP"] == (3, 2)
    assert summary.causes == {"MISSING_TARGET": 1, "NO_DERIVATION": 1}
    rows = comparisons_to_json(got)
    json.dumps(rows)  # plain JSON
    assert rows[1]["recorded"] == {
        "TRGRESP": "SD",
        "OVRLRESP": "PD",
        "NEWLPROG": "EQUIVOCAL",
    }
    assert rows[1]["derived"] == {
        "TRGRESP": "NE",
        "NTRGRESP": "PD",
        "NEWLPROG": "EQUIVOCAL",
        "OVRLRESP": "PD",
    }
    assert {k: rows[0][k] for k in ("USUBJID", "VISITNUM", "VISIT", "date")} == {
        "USUBJID": "S-1",
        "VISITNUM": 2.0,
        "VISIT": "WEEK 6",
        "date": "2024-02-21",
    }
    assert (rows[0]["RSEVAL"], rows[0]["RSEVALID"]) == INV


@pytest.mark.parametrize(
    ("derived", "recorded", "facts", "cause"),
    [
        # sum 55 after a nadir 0 (CR), +10 % from baseline 50: PD by nadir only
        (
            "PD",
            "SD",
            {"pct_from_baseline": 10.0, "pct_from_nadir": None},
            "PD_FROM_NADIR",
        ),
        ("NE", "PR", {"not_evaluated": ["T02"]}, "MISSING_TARGET"),
        ("CR", "PR", {"pct_from_baseline": -80.0}, "NODAL_CR"),
        # 12 -> 14.5 mm: +20.8 % over the nadir but +2.5 mm, not PD
        (
            "SD",
            "PD",
            {"pct_from_baseline": -3.3, "pct_from_nadir": 20.8},
            "PD_WITHOUT_5MM",
        ),
        ("SD", "CHECK", {}, "NOT_A_RESPONSE"),
        ("PR", "SD", {"pct_from_baseline": -35.0}, "UNEXPLAINED"),
    ],
)
def test_classify_target_disagreements(derived, recorded, facts, cause):
    from recist.formats.sdtm import VisitComparison

    item = VisitComparison(
        usubjid="S",
        evaluator=Evaluator(name="INVESTIGATOR", identifier=""),
        criteria="RECIST 1.1",
        visitnum=Decimal(2),
        visit="WEEK 6",
        date="2024-01-01",
        derived={"TRGRESP": derived},
        recorded={"TRGRESP": recorded},
        facts=facts,
    )
    assert classify(item) == cause


def test_text_report_smoke(csv_dir, capsys):
    """The text report runs without the engine output shape breaking it."""
    from recist.commands._assess_sdtm import _write_text  # the renderer alone

    data = read_sdtm(csv_dir)
    (_rad, inv) = readings_from_sdtm(data)
    derived = [
        DerivedReading(reading=inv, output={"error": {"code": "X", "lesion": "T01"}})
    ]
    buf = io.StringIO()
    _write_text(buf, data, derived, compare_with_rs(derived, data.rs))
    assert "NOT DERIVED: X (lesion T01)" in buf.getvalue()


def _tr_csv(path, rows):
    import csv

    head = ["STUDYID", "DOMAIN", "USUBJID", "TRSEQ", "TRLNKID", "TRTESTCD"]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(head)
        w.writerows(rows)


def test_blank_rows_are_no_records(tmp_path):
    # A CSV with blank lines or rows of empty cells used to give a subject ""
    # that summary counted as one more (NE) subject.
    from recist.formats._sdtm_io import read_table

    path = tmp_path / "tr.csv"
    _tr_csv(path, [["S", "TR", "01", "1", "T01", "LDIAM"], [""] * 6, [], [" "] * 6])
    assert read_table(path) == [
        {
            "STUDYID": "S",
            "DOMAIN": "TR",
            "USUBJID": "01",
            "TRSEQ": "1",
            "TRLNKID": "T01",
            "TRTESTCD": "LDIAM",
        }
    ]


def test_header_only_tr_exits_2(tmp_path, capsys):
    # It used to exit 0 printing nothing but the file names.
    tu = tmp_path / "tu.csv"
    tu.write_text("STUDYID,DOMAIN,USUBJID,TUSEQ,TULNKID\nS,TU,01,1,T01\n")
    _tr_csv(tmp_path / "tr.csv", [])
    argv = ["assess", "--tu", str(tu), "--tr", str(tmp_path / "tr.csv")]
    assert main(argv) == 2
    assert "the TR dataset has no records" in capsys.readouterr().err
