"""SDTM TU/TR/RS export: pharmaverse reference files, round trip, XPT, conventions.

Oracles: the pharmaverse "recist" group (hand-built, RECIST-correct RS and TR
values), sums recomputed here from the reference TR records, the reference files'
column names and vocabularies, and hand-written tables.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from recist.cli import main
from recist.errors import InvalidInputError
from recist.export.sdtm import (
    derive_visits,
    evaluator_of,
    reading_from_sdtm,
    to_sdtm,
    write_sdtm,
)
from recist.formats.reading import save_reading
from recist.formats.sdtm import read_sdtm, readings_from_sdtm
from recist.model import (
    Baseline,
    Lesion,
    Measurement,
    NewLesion,
    Reading,
    TimePoint,
)
from recist.terms import Criteria, NonTargetState
from tests.conftest import shared_path

D = dt.date


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def ref(name: str) -> list[dict[str, str]]:
    return rows(shared_path("data", "pharmaverse-onco", name))


@pytest.fixture(scope="module")
def recist_group():
    """The 'recist' group re-derived: (SdtmData, readings, visits)."""
    folder = shared_path("data", "pharmaverse-onco")
    data = read_sdtm(
        tu=folder / "sdtm_tu_onco_recist.csv",
        tr=folder / "sdtm_tr_onco_recist.csv",
        rs=folder / "sdtm_rs_onco_recist.csv",
    )
    pairs = [reading_from_sdtm(r) for r in readings_from_sdtm(data)]
    return data, [p[0] for p in pairs], [p[1] for p in pairs]


@pytest.fixture(scope="module")
def recist_export(recist_group):
    _, readings, visits = recist_group
    return to_sdtm(readings, studyid="CDISCPILOT01", visits=visits)


def _key(row: dict[str, str], p: str) -> tuple[str, str, str, Decimal]:
    ev = (row[f"{p}EVAL"], row[f"{p}EVALID"])
    return (row["USUBJID"], *ev, Decimal(str(row["VISITNUM"])))


# ------------------------------------------------------------ reference data


def test_recist_group_overall_responses_reproduced(recist_export):
    recorded = {
        _key(r, "RS"): r["RSSTRESC"]
        for r in ref("sdtm_rs_onco_recist.csv")
        if r["RSTESTCD"] == "OVRLRESP"
    }
    exported = {
        _key(r, "RS"): r["RSSTRESC"]
        for r in recist_export.rs
        if r["RSTESTCD"] == "OVRLRESP"
    }
    assert len(recorded) == 42  # 5 subjects x 3 readers, 2-4 visits (README)
    assert exported == recorded


def test_recist_group_sums_match_reference_tr(recist_export):
    """SUMDIAM = sum of LPERP (lymph nodes) / LDIAM (others), when all measured."""
    tu = ref("sdtm_tu_onco_recist.csv")
    nodal = {
        (r["USUBJID"], r["TUEVAL"], r["TUEVALID"], r["TULNKID"]): r["TULOC"]
        == "LYMPH NODE"
        for r in tu
    }
    targets = defaultdict(set)
    for r in tu:
        if r["TUORRES"] == "TARGET":
            targets[(r["USUBJID"], r["TUEVAL"], r["TUEVALID"])].add(r["TULNKID"])
    values: dict[tuple, dict[str, Decimal]] = defaultdict(dict)
    for r in ref("sdtm_tr_onco_recist.csv"):
        lesion = (r["USUBJID"], r["TREVAL"], r["TREVALID"], r["TRLNKID"])
        wanted = "LPERP" if nodal.get(lesion) else "LDIAM"
        if r["TRTESTCD"] == wanted and r["TRSTRESC"]:
            values[_key(r, "TR")][r["TRLNKID"]] = Decimal(r["TRSTRESC"])
    expected = {
        k: sum(v.values(), Decimal(0))
        for k, v in values.items()
        if set(v) == targets[k[:3]]  # every target measured
    }
    got = {
        _key(r, "TR"): Decimal(r["TRSTRESC"])
        for r in recist_export.tr
        if r["TRTESTCD"] == "SUMDIAM"
    }
    assert len(expected) == 42  # 15 baselines + 27 complete follow-ups
    assert got == expected
    assert any(len(v) < len(targets[k[:3]]) for k, v in values.items())  # NE visits


def test_recist_group_measurements_kept(recist_export):
    """Each exported diameter is the reference record's value, same test code."""
    reference = {
        (*_key(r, "TR"), r["TRLNKID"], r["TRTESTCD"]): Decimal(r["TRSTRESC"])
        for r in ref("sdtm_tr_onco_recist.csv")
        if r["TRTESTCD"] in ("LDIAM", "LPERP")
    }
    exported = [r for r in recist_export.tr if r["TRTESTCD"] in ("LDIAM", "LPERP")]
    assert len(exported) > 150
    for r in exported:
        key = (*_key(r, "TR"), r["TRLNKID"], r["TRTESTCD"])
        if r["TRSTAT"] == "NOT DONE":
            assert key not in reference
        else:
            assert Decimal(r["TRSTRESC"]) == reference[key], key


# ------------------------------------------------------- names and vocabulary


def _columns(*names: str) -> set[str]:
    out: set[str] = set()
    for name in names:
        out |= set(ref(name)[0])
    return out


def _rich_readings() -> list[Reading]:
    """Targets (node, split, too small, not evaluated), non-targets, new lesions."""
    base = Baseline(
        date=D(2024, 1, 2),
        targets=(
            Lesion(lesion_id="T01", role="TARGET", site="LIVER",
                   baseline=Measurement.of_mm("40.0")),
            Lesion(lesion_id="T02", role="TARGET", site="LYMPH NODE", nodal=True,
                   baseline=Measurement.of_mm("20")),
        ),
        non_targets=(
            Lesion(lesion_id="NT01", role="NON-TARGET", site="BONE"),
            Lesion(lesion_id="NT02", role="NON-TARGET", site="LUNG"),
        ),
    )  # fmt: skip
    week6 = TimePoint(
        date=D(2024, 2, 13),
        targets={
            "T01": Measurement.split("12", "10.5"),
            "T02": Measurement.too_small(),
        },
        non_targets={"NT01": "PRESENT", "NT02": "NOT EVALUATED"},
        new_lesions=(NewLesion(lesion_id="NEW01", site="BRAIN", equivocal=True),),
    )
    week12 = TimePoint(
        date=D(2024, 3, 26),
        targets={"T01": Measurement.of_mm("30")},  # T02 left out: not evaluated
        non_targets={"NT01": "UNEQUIVOCAL PROGRESSION", "NT02": "ABSENT"},
        new_lesions=(
            NewLesion(lesion_id="NEW01", site="BRAIN", diameter_mm=Decimal(12)),
        ),
    )
    first = Reading(
        baseline=base, followups=(week6, week12), subject_id="S-1", reader=None
    )
    second = Reading(
        baseline=base,
        followups=(week6,),
        subject_id="S-1",
        reader="INDEPENDENT ASSESSOR/RADIOLOGIST 1",
        criteria=Criteria.IRECIST,
    )
    return [first, second]


@pytest.fixture(scope="module")
def rich_export():
    return to_sdtm(_rich_readings(), studyid="CDISCPILOT01")


@pytest.mark.parametrize(
    ("domain", "names"),
    [
        ("tu", ("sdtm_tu_onco.csv", "sdtm_tu_onco_recist.csv")),
        ("tr", ("sdtm_tr_onco.csv", "sdtm_tr_onco_recist.csv")),
        ("rs", ("sdtm_rs_onco.csv", "sdtm_rs_onco_recist.csv")),
    ],
)
def test_columns_are_reference_columns(rich_export, domain, names):
    records = getattr(rich_export, domain)
    exported = set(records[0])
    reference = _columns(*names)
    assert exported <= reference
    # every reference variable but the acceptance flag / link group is written
    missing = reference - exported - {f"{domain.upper()}ACPTFL"}
    assert missing == set()


@pytest.mark.parametrize(
    ("domain", "file", "variables"),
    [
        ("tu", "sdtm_tu_onco.csv", ("TUTESTCD", "TUTEST", "TUORRES", "TUMETHOD")),
        ("tu", "sdtm_tu_onco.csv", ("TUEVAL", "TUEVALID", "DOMAIN")),
        ("tr", "sdtm_tr_onco.csv", ("TRTESTCD", "TRTEST", "TRGRPID", "TRSTAT")),
        ("tr", "sdtm_tr_onco.csv", ("TRORRESU", "TRSTRESU", "TREVAL", "TRMETHOD")),
        ("rs", "sdtm_rs_onco.csv", ("RSTESTCD", "RSTEST", "RSEVAL", "RSEVALID")),
        ("rs", "sdtm_rs_onco_irecist.csv", ("RSTESTCD", "RSTEST", "RSCAT")),
    ],
)
def test_vocabulary_is_reference_vocabulary(rich_export, domain, file, variables):
    records = getattr(rich_export, domain)
    reference = ref(file)
    if domain == "rs":  # iRECIST terms are compared with the irecist group
        irecist = file.endswith("irecist.csv")
        records = [r for r in records if (r["RSCAT"] == "iRECIST") == irecist]
    for name in variables:
        pairs = {r[name] for r in reference}
        assert {r[name] for r in records} <= pairs, name


def test_result_vocabulary(rich_export):
    onco = ref("sdtm_tr_onco.csv")
    states = {r["TRSTRESC"] for r in onco if r["TRTESTCD"] == "TUMSTATE"}
    got = {r["TRSTRESC"] for r in rich_export.tr if r["TRTESTCD"] == "TUMSTATE"}
    assert got <= states
    assert got == {"PRESENT", "UNEQUIVOCAL", "ABSENT", "EQUIVOCAL", ""}
    # RECIST 1.1 responses: the onco RS terms; iRECIST: the irecist RS terms
    rs_terms = {r["RSSTRESC"] for r in ref("sdtm_rs_onco.csv")}
    i_terms = {r["RSSTRESC"] for r in ref("sdtm_rs_onco_irecist.csv")}
    for r in rich_export.rs:
        terms = i_terms if r["RSCAT"] == "iRECIST" else rs_terms
        assert r["RSSTRESC"] in terms, r


def test_value_formats(rich_export, recist_export):
    """Numbers as text like the reference: '21', '32.32'; ISO dates; no 1E+1."""
    number = re.compile(r"^\d+(\.\d+)?$")
    for r in [*rich_export.tr, *recist_export.tr]:
        if r["TRSTRESN"] is not None:
            assert number.match(r["TRORRES"]), r["TRORRES"]
            assert r["TRORRES"] == r["TRSTRESC"]
            assert Decimal(r["TRORRES"]) == Decimal(repr(r["TRSTRESN"]))
            assert r["TRORRESU"] == r["TRSTRESU"] == "mm"
    date = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
    for domain in ("tu", "tr", "rs"):
        for r in getattr(rich_export, domain):
            assert date.match(r[f"{domain.upper()}DTC"])


def test_rich_reading_records(rich_export):
    """Hand-derived TR/RS of the rich readings (investigator, RECIST 1.1)."""
    inv = [r for r in rich_export.tr if r["TREVAL"] == "INVESTIGATOR"]
    week6 = [(r["TRLNKID"], r["TRTESTCD"], r["TRORRES"], r["TRSTAT"])
             for r in inv if r["VISIT"] == "WEEK 6"]  # fmt: skip
    assert week6 == [
        ("T01.1", "LDIAM", "12", ""),  # split: one record per fragment
        ("T01.2", "LDIAM", "10.5", ""),
        ("T02", "LPERP", "TOO SMALL TO MEASURE", ""),  # node: short axis
        ("", "SUMDIAM", "27.5", ""),  # 12 + 10.5 + 5 (too small counts 5 mm)
        ("NT01", "TUMSTATE", "PRESENT", ""),
        ("NT02", "TUMSTATE", "", "NOT DONE"),
        ("NEW01", "TUMSTATE", "EQUIVOCAL", ""),
    ]
    week12 = [(r["TRLNKID"], r["TRTESTCD"], r["TRORRES"], r["TRSTAT"])
              for r in inv if r["VISIT"] == "WEEK 12"]  # fmt: skip
    assert ("T02", "LPERP", "", "NOT DONE") in week12
    assert not any(t == "SUMDIAM" for _, t, _, _ in week12)  # T02 not evaluated
    assert ("NEW01", "LDIAM", "12", "") in week12
    rs = [(r["VISIT"], r["RSTESTCD"], r["RSORRES"], r["RSLNKGRP"])
          for r in rich_export.rs if r["RSEVAL"] == "INVESTIGATOR"]  # fmt: skip
    assert rs == [
        ("WEEK 6", "TRGRESP", "PR", ""),  # 27.5 <= 0.7 * 60 = 42
        ("WEEK 6", "NTRGRESP", "NE", ""),  # NT02 not evaluated
        # NEW01 equivocal at week 6, unequivocal at week 12: progression is
        # dated to its first appearance (RECIST 1.1 §4.3.3, Convention R-09)
        ("WEEK 6", "NEWLPROG", "UNEQUIVOCAL", ""),
        ("WEEK 6", "OVRLRESP", "PD", "A2"),
        ("WEEK 12", "TRGRESP", "NE", ""),
        ("WEEK 12", "NTRGRESP", "PD", ""),
        ("WEEK 12", "NEWLPROG", "UNEQUIVOCAL", ""),
        ("WEEK 12", "OVRLRESP", "PD", "A3"),
    ]
    tu = [(r["TULNKID"], r["TUORRES"], r["VISIT"], r["TUEVAL"])
          for r in rich_export.tu]  # fmt: skip
    assert ("NEW01", "NEW", "WEEK 6", "INVESTIGATOR") in tu
    assert len(tu) == 2 * 4 + 2  # lesions of two readers + NEW01 of each
    seqs = [r["TRSEQ"] for r in rich_export.tr]
    assert seqs == list(range(1, len(seqs) + 1))  # one subject: 1..n


def test_irecist_rs(rich_export):
    rs = [(r["RSTESTCD"], r["RSORRES"], r["RSLNKGRP"])
          for r in rich_export.rs if r["RSCAT"] == "iRECIST"]  # fmt: skip
    assert rs == [
        ("TRGRESP", "iPR", ""),
        ("NTRGRESP", "NE", ""),
        ("NEWLIND", "Y", ""),  # an equivocal new lesion is listed
        ("OVRLRESP", "iPR", "R1-A2"),  # iPR + NE non-target + equivocal new
    ]


# ------------------------------------------------------------------ round trip


def _reread(folder: Path) -> list[tuple[Reading, tuple]]:
    return [reading_from_sdtm(r) for r in readings_from_sdtm(read_sdtm(folder))]


def test_round_trip_sdtm_reading_sdtm(recist_group, recist_export, tmp_path):
    _, readings, _ = recist_group
    write_sdtm(recist_export, tmp_path)
    again = _reread(tmp_path)
    assert [r for r, _ in again] == readings  # every value, lesion, date
    second = to_sdtm(
        [r for r, _ in again], studyid="CDISCPILOT01", visits=[v for _, v in again]
    )
    assert second == recist_export


def test_round_trip_rich_reading(tmp_path):
    readings = _rich_readings()
    write_sdtm(to_sdtm(readings, studyid="X"), tmp_path)
    again = {r.reader: r for r, _ in _reread(tmp_path)}
    first = again["INVESTIGATOR"]
    original = readings[0]
    assert first.baseline == original.baseline
    for got, want in zip(first.followups, original.followups, strict=True):
        assert got.date == want.date
        assert {k: m.value_mm for k, m in got.targets.items()} == {
            "T01": want.targets["T01"].value_mm,
            "T02": want.targets["T02"].value_mm if "T02" in want.targets else None,
        }
        assert dict(got.non_targets) == {
            "NT01": want.non_targets["NT01"],
            "NT02": want.non_targets.get("NT02", NonTargetState.NOT_EVALUATED),
        }
        assert [(n.lesion_id, n.equivocal, n.diameter_mm) for n in got.new_lesions] == [
            (n.lesion_id, n.equivocal, n.diameter_mm) for n in want.new_lesions
        ]
    assert first.followups[0].targets["T01"].fragments_mm == (
        Decimal(12),
        Decimal("10.5"),
    )


# ------------------------------------------------------------------------- XPT


def test_xpt_matches_csv(recist_export, tmp_path):
    import pandas as pd
    import pyreadstat

    written = write_sdtm(recist_export, tmp_path, fmt="both")
    assert sorted(p.name for p in written) == [
        "rs.csv", "rs.xpt", "tr.csv", "tr.xpt", "tu.csv", "tu.xpt"
    ]  # fmt: skip
    for name in ("tu", "tr", "rs"):
        csv_frame = pd.read_csv(tmp_path / f"{name}.csv", keep_default_na=False)
        xpt, meta = pyreadstat.read_xport(str(tmp_path / f"{name}.xpt"))
        sas = pd.read_sas(tmp_path / f"{name}.xpt", format="xport", encoding="utf-8")
        assert meta.table_name == name.upper()
        assert list(xpt.columns) == list(csv_frame.columns)
        assert all(len(c) <= 8 for c in xpt.columns)
        assert all(0 < len(label) <= 40 for label in meta.column_labels)
        for column in csv_frame.columns:
            a = [str(v) for v in csv_frame[column]]
            for other in (xpt[column], sas[column]):
                b = ["" if v != v else v for v in other]  # NaN -> ""
                if other is sas[column] and other.dtype.kind == "f":
                    # pandas reads the IBM zero as 16**-65 (pandas-dev/pandas#50670);
                    # the file holds 8 zero bytes (pyreadstat reads 0.0)
                    b = [0.0 if v != "" and abs(v) < 1e-70 else v for v in b]
                if other.dtype.kind == "f":
                    b = ["" if v == "" else str(int(v)) if column.endswith("SEQ")
                         else str(v) for v in b]  # fmt: skip
                assert a == [str(v) for v in b], (name, column)


# --------------------------------------------------------------- conventions


def test_derive_visits_weeks():
    # days since baseline: 20 -> 2.86 wk -> WEEK 3; 38 -> 5.43 -> WEEK 5;
    # 45 -> 6.43 -> WEEK 6; 3.5 weeks (24.5 d) cannot occur, West: texts
    dates = [D(2024, 1, 21), D(2024, 2, 8), D(2024, 2, 15)]
    r = Reading(
        baseline=Baseline(date=D(2024, 1, 1)),
        followups=tuple(TimePoint(date=d) for d in dates),
    )
    got = [(v.visit, v.visitnum) for v in derive_visits(r)]
    assert got == [
        ("BASELINE", 1),
        ("WEEK 3", 2),
        ("WEEK 5", 3),
        ("WEEK 6", 4),
    ]


def test_study_day_from_reference_dates():
    (reading, _) = _rich_readings()
    out = to_sdtm([reading], reference_dates={"S-1": D(2024, 1, 5)})
    days = {r["VISIT"]: r["RSDY"] for r in out.rs}
    # 2024-02-13 - 2024-01-05 = 39 days -> day 40; 2024-03-26: 81 days -> day 82
    assert days == {"WEEK 6": 40, "WEEK 12": 82}
    tu_days = {r["TUDY"] for r in out.tu if r["TUORRES"] != "NEW"}
    assert tu_days == {-3}  # 2024-01-02 is 3 days before day 1 (no day 0)


@pytest.mark.parametrize(
    ("reader", "expected"),
    [
        (None, ("INVESTIGATOR", "")),
        ("investigator", ("INVESTIGATOR", "")),
        (
            "INDEPENDENT ASSESSOR/RADIOLOGIST 2",
            ("INDEPENDENT ASSESSOR", "RADIOLOGIST 2"),
        ),
        ("jdoe", ("INDEPENDENT ASSESSOR", "jdoe")),
    ],
)
def test_evaluator_of(reader, expected):
    assert evaluator_of(reader) == expected


def test_bad_input():
    (reading, _) = _rich_readings()
    with pytest.raises(InvalidInputError, match="subject_id"):
        to_sdtm([Reading(baseline=reading.baseline)])
    with pytest.raises(InvalidInputError, match="1 visits given for 3"):
        to_sdtm([reading], visits=[derive_visits(reading)[:1]])


def test_cli_export_sdtm(tmp_path, capsys):
    (reading, _) = _rich_readings()
    path = tmp_path / "s1.reading.json"
    save_reading(reading, path)
    out = tmp_path / "out"
    status = main(["export", "sdtm", str(path), str(out), "--studyid", "ST1"])
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == ["rs.csv", "tr.csv", "tu.csv"]
    assert {r["STUDYID"] for r in rows(out / "tu.csv")} == {"ST1"}
    assert main(["export", "sdtm", str(out)]) == 2
    assert "OUTDIR" in capsys.readouterr().err


def test_same_reading_twice_is_refused(tmp_path, capsys):
    # It used to write RS with every response twice (TU/TR merged silently).
    import datetime as dt

    from recist.cli import main
    from recist.formats.reading import save_reading
    from recist.model import Baseline, Reading

    r = Reading(baseline=Baseline(date=dt.date(2026, 1, 5)), subject_id="A", reader="X")
    save_reading(r, tmp_path / "a.json")
    save_reading(r, tmp_path / "b.json")
    argv = ["export", "sdtm", str(tmp_path / "a.json"), str(tmp_path / "b.json")]
    assert main([*argv, str(tmp_path / "out")]) == 2
    assert "same subject 'A' and reader 'X'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
