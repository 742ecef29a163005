"""Re-derivation of the pharmaverse oncology SDTM (../shared/data/pharmaverse-onco).

Group "recist" is hand-built, strict RECIST 1.1: every recorded overall response
must be derived. Group "onco" is synthetic and not RECIST arithmetic (its README
says why): every disagreement must have a named cause, none "UNEXPLAINED".
The recorded counts are read from the RS file itself, not from our code.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
from pathlib import Path

import pytest

from recist.commands._assess_sdtm import assess_sdtm_command
from recist.formats.sdtm import (
    compare_with_rs,
    derive_reading,
    read_sdtm,
    readings_from_sdtm,
    summarize,
)
from tests.conftest import shared_path


def _data_dir() -> Path:
    return shared_path("data", "pharmaverse-onco")


def _rs_count(path: Path, test: str = "OVRLRESP") -> int:
    with path.open(newline="", encoding="utf-8") as fh:
        return sum(row["RSTESTCD"] == test for row in csv.DictReader(fh))


def _group(group: str):
    folder = _data_dir()
    data = read_sdtm(
        tu=folder / f"sdtm_tu_{group}.csv",
        tr=folder / f"sdtm_tr_{group}.csv",
        rs=folder / f"sdtm_rs_{group}.csv",
    )
    derived = [derive_reading(r) for r in readings_from_sdtm(data)]
    return folder, derived, compare_with_rs(derived, data.rs)


def test_recist_group_agrees_with_every_recorded_overall_response():
    folder, derived, comparisons = _group("onco_recist")
    recorded = _rs_count(folder / "sdtm_rs_onco_recist.csv")  # 42 in this snapshot
    assert all(d.error is None for d in derived), [d.error for d in derived]
    summary = summarize(comparisons)
    assert summary.by_test["OVRLRESP"] == (recorded, recorded)
    bad = [c.explanation() for c in comparisons if c.agree is False]
    assert not bad, "\n".join(bad)
    # each subject is read by the investigator and two radiologists
    readers = {(d.reading.usubjid, d.reading.evaluator.label) for d in derived}
    assert len(readers) == 3 * len({u for u, _ in readers})


ONCO_CAUSES = {
    "PD_FROM_NADIR",  # README (a): the source measures PD from baseline only
    "MISSING_TARGET",  # README (b): a missing target, the source still SD/PR
    "READING_REJECTED",  # README: targets < 10 mm (not measurable) and similar
    "NOT_A_RESPONSE",  # "CHECK" recorded for 01-711-1143's repeated VISITNUM
    "NODAL_CR",  # the source requires every target at 0 for CR
    "PD_WITHOUT_5MM",  # the source has no 5 mm absolute rule
    "FOLLOWS_COMPONENT",
    "NON_TARGET",
    "NEW_LESION",
}


@pytest.mark.slow
def test_onco_group_every_disagreement_is_classified():
    folder, _derived, comparisons = _group("onco")
    summary = summarize(comparisons)
    recorded = _rs_count(folder / "sdtm_rs_onco.csv")
    assert summary.by_test["OVRLRESP"][0] == recorded
    unexplained = [
        c.explanation()
        for c in comparisons
        if c.agree is False and c.cause not in ONCO_CAUSES
    ]
    assert not unexplained, "\n".join(unexplained[:20])
    assert summary.visits_agree + sum(summary.causes.values()) == summary.visits


def _args(**kw) -> argparse.Namespace:
    base = {
        "sdtm": None,
        "tu": None,
        "tr": None,
        "rs": None,
        "subject": None,
        "json": False,
        "confirmation": None,
        "confirmation_min_days": None,
        "sd_min_days": None,
        "criteria": None,
    }
    base.update(kw)
    return argparse.Namespace(**base)


def test_command_folder_with_two_groups_asks_for_tu(capsys):
    assert assess_sdtm_command(_args(sdtm=str(_data_dir()))) == 2
    err = capsys.readouterr().err
    assert "--tu FILE" in err
    assert "sdtm_tu_onco.csv" in err
    assert "sdtm_tu_onco_recist.csv" in err


def test_command_json_for_one_subject(capsys):
    folder = _data_dir()
    args = _args(
        sdtm=str(folder),
        tu=str(folder / "sdtm_tu_onco_recist.csv"),
        tr=str(folder / "sdtm_tr_onco_recist.csv"),
        rs=str(folder / "sdtm_rs_onco_recist.csv"),
        subject="01-701-1015",
        json=True,
    )
    assert assess_sdtm_command(args) == 0
    rows = json.loads(capsys.readouterr().out)
    # 3 readers x 3 follow-up visits (WEEK 3, 6, 9)
    assert len(rows) == 9
    keys = {"USUBJID", "VISITNUM", "VISIT", "date", "RSEVAL", "RSEVALID", "derived"}
    for row in rows:
        assert keys <= row.keys()
        assert row["USUBJID"] == "01-701-1015"
        assert set(row["derived"]) == {"TRGRESP", "NTRGRESP", "NEWLPROG", "OVRLRESP"}
        assert set(row["recorded"]) == {"OVRLRESP"}  # RS holds OVRLRESP only
        assert row["derived"]["OVRLRESP"] == row["recorded"]["OVRLRESP"]
    week9 = [r for r in rows if r["VISIT"] == "WEEK 9"]
    # all non-nodal targets 0 and the node 6.79/7 mm (< 10): CR with a non-zero sum
    assert {r["derived"]["OVRLRESP"] for r in week9} == {"CR"}


def test_command_text_report(capsys):
    folder = _data_dir()
    args = _args(
        tu=str(folder / "sdtm_tu_onco_recist.csv"),
        tr=str(folder / "sdtm_tr_onco_recist.csv"),
        rs=str(folder / "sdtm_rs_onco_recist.csv"),
    )
    assert assess_sdtm_command(args) == 0
    out = capsys.readouterr().out
    n = _rs_count(folder / "sdtm_rs_onco_recist.csv")
    assert f"OVRLRESP: {n}/{n} (100.0%)" in out
    assert "DIFFERS" not in out


def test_command_unknown_subject(capsys):
    folder = _data_dir()
    args = _args(
        tu=str(folder / "sdtm_tu_onco_recist.csv"),
        tr=str(folder / "sdtm_tr_onco_recist.csv"),
        subject="NOBODY",
    )
    assert assess_sdtm_command(args) == 2
    assert "NOBODY" in capsys.readouterr().err


def test_cli_assess_with_named_domain_files(capsys):
    """``recist assess --sdtm DIR --tu/--tr/--rs`` through the real command line."""
    from recist.cli import build_parser, main

    help_text = build_parser().format_help()
    with contextlib.suppress(SystemExit):
        main(["assess", "--help"])
    assess_help = capsys.readouterr().out
    assert "assess" in help_text  # the options exist: a skip here would hide their loss
    assert "--tu" in assess_help
    folder = _data_dir()
    argv = ["assess", "--sdtm", str(folder), "--json", "--subject", "01-701-1118"]
    argv += ["--tu", str(folder / "sdtm_tu_onco_recist.csv")]
    argv += ["--tr", str(folder / "sdtm_tr_onco_recist.csv")]
    argv += ["--rs", str(folder / "sdtm_rs_onco_recist.csv")]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["VISIT"] for r in rows} == {"WEEK 3", "WEEK 6", "WEEK 9", "WEEK 12"}
    assert all(r["derived"]["OVRLRESP"] == r["recorded"]["OVRLRESP"] for r in rows)
    assert main(["assess", "--sdtm", str(folder)]) == 2  # two files per domain
    assert "--tu" in capsys.readouterr().err
