"""``recist review`` end to end on the sample study: two readers and an adjudicator.

Reader 1 reads the generator's truth; reader 2 the same, but calls the bone
non-target unequivocal progression at week 18, so the reads differ (BOR PR vs
SD, first PD none vs 2026-05-11) and the adjudicator accepts read 1.  Passwords
come on standard input, never on the command line.
"""

from __future__ import annotations

import csv
import io
import json
import sys

from recist.cli import main

DATES = ("2026-01-05", "2026-02-16", "2026-03-30", "2026-05-11")
PW = {"ann": "ann-secret-1", "bob": "bob-secret-2", "cat": "cat-secret-3"}


def run(monkeypatch, capsys, *argv, stdin=""):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["review", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_double_read_end_to_end(
    store_target, sample_study_dir, tmp_path, monkeypatch, capsys
):
    db = store_target
    truth = sample_study_dir / "truth.case.json"
    doc = json.loads(truth.read_text(encoding="utf-8"))
    doc["followups"][-1]["non_targets"]["NT01"] = "UNEQUIVOCAL PROGRESSION"
    second = tmp_path / "bob.json"
    second.write_text(json.dumps(doc), encoding="utf-8")

    def ok(*argv, stdin=""):
        code, out, err = run(monkeypatch, capsys, *argv, stdin=stdin)
        assert code == 0, err
        return out

    ok("init", db, "--name", "DEMO")
    for name, role in (("ann", "reader"), ("bob", "reader"), ("cat", "adjudicator")):
        ok("add-reader", db, name, "--role", role, stdin=PW[name] + "\n")
    assert "4 new of 4 time points" in ok("add-subjects", db, str(sample_study_dir))
    assert "reader 1 ann, reader 2 bob, adjudicator cat" in ok("assign", db)
    assert "2026-01-05  to read" in ok("worklist", db, "--reader", "ann")
    subj = ["--subject", "RECIST-SAMPLE-0"]
    # reading a follow-up before the baseline is signed is refused (exit 2)
    code, _, err = run(
        monkeypatch,
        capsys,
        "save",
        db,
        "--reader",
        "ann",
        *subj,
        str(truth),
        stdin=PW["ann"] + "\n",
    )
    assert code == 2
    assert "sign 2026-01-05 before reading 2026-02-16" in err
    for name, reading in (("ann", truth), ("bob", second)):
        for day in DATES:
            ok(
                "save",
                db,
                "--reader",
                name,
                *subj,
                str(reading),
                "--timepoint",
                day,
                stdin=PW[name] + "\n",
            )
            out = ok(
                "sign",
                db,
                "--reader",
                name,
                *subj,
                "--timepoint",
                day,
                stdin=f"{PW[name]}\n{PW[name]}\n",
            )
            assert 'meaning "reviewed and approved"' in out
    # a wrong password does not sign, and says so on one line
    code, _, err = run(
        monkeypatch, capsys, "show", db, "--reader", "bob", *subj, stdin="not-bob\n"
    )
    assert (code, err.strip()) == (2, "error: unknown reader or wrong password")
    status = ok("status", db)
    assert "1 waiting for adjudication" in status
    assert "BOR differs: PR vs SD" in status
    assert "first PD differs: none vs 2026-05-11" in status
    side = ok("show", db, "--reader", "cat", *subj, stdin=PW["cat"] + "\n")
    assert "2026-05-11  PR               PD" in side
    ok(
        "adjudicate",
        db,
        "--reader",
        "cat",
        *subj,
        "--accept",
        "1",
        "--reason",
        "bone lesion stable on bone window",
        stdin=PW["cat"] + "\n",
    )
    status = json.loads(ok("status", db, "--metrics", "--json"))
    (s,) = status["subjects"]
    assert (s["state"], s["accepted_read"]) == ("adjudicated", 1)
    m = status["metrics"]
    assert m["adjudication_rate"] == 1.0
    assert m["acceptance"]["ann"]["accepted"] == 1
    assert "audit trail intact" in ok("audit", db, "--verify")
    out_dir = tmp_path / "export"
    code, out, err = run(monkeypatch, capsys, "export", db, str(out_dir), "--sr")
    assert code == 0, err
    # typed-in reads reference no images: their time points are matched to the
    # image study of the same date (#14), so they get SRs too
    assert "no SR" not in err
    assert len(sorted((out_dir / "sr").glob("*_R1/*.dcm"))) == 4
    with open(out_dir / "sdtm" / "rs.csv", newline="", encoding="utf-8") as fh:
        accepted = [r for r in csv.DictReader(fh) if r["RSACPTFL"] == "Y"]
    assert {r["RSEVALID"] for r in accepted} == {"ADJUDICATOR"}
    assert [r["RSORRES"] for r in accepted if r["RSTESTCD"] == "OVRLRESP"] == [
        "SD",
        "PR",
        "PR",
    ]
    code = main(["summary", str(out_dir / "accepted"), "--out", str(tmp_path / "sum")])
    assert code == 0
    assert "1 subjects; BOR (confirmed): CR 0, PR 1, SD 0" in capsys.readouterr().out
