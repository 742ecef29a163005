"""A small two-arm trial with DM dates and deaths, checked against hand values.

Every expected number below is derived by hand in the comments (dates by
calendar arithmetic, CIs by inverting the binomial with scipy, KM by hand),
not taken from the code under test.

DM: first dose (RFXSTDTC = RFSTDTC) 2026-01-05 for everyone; baseline scans
2026-01-01; EFFFL = Y except B5.

Arm A (all one target lesion T01 50 mm at baseline):
  A1  30, 30, 30 mm on 02-16, 03-30, 05-11: PR confirmed at 03-30 (>= 28 d);
      DoR starts 02-16; no PD -> PFS censored at 05-11 (last adequate).
  A2  34 (PR, -32 %), 40 (SD: -20 % from baseline, +6 mm/+17.6 % over the
      34 nadir: not PD), 30 (PR), 30 (PR) on 02-16, 03-30, 05-11, 06-22: the
      02-16 PR is unconfirmed (SD before any later PR), the 05-11 PR is
      confirmed by 06-22 -> confirmed BOR PR, DoR starts 05-11 (not 02-16).
  A3  65 mm on 02-16: +30 %, +15 mm -> PD; PFS event 02-16.
  A4  baseline only, died 2026-02-01: BOR NE, PFS event death 02-01.
Arm B:
  B1  45 mm (SD, -10 %) on 02-16, died 04-15: BOR SD (02-16 is 42 days after
      the first dose 01-05: 42 >= 42), PFS event death 04-15.
  B2  45 mm on 02-12 then 65 mm on 03-26: the 02-12 SD is 38 days after the
      first dose (< 42 -> NE) but 42 days after the baseline scan (SD), so
      BOR is PD from the first dose and SD from the baseline scan;
      PFS event 03-26.
  B3  a 7 mm target at baseline: the engine rejects the reading (NE); alive ->
      PFS censored at the origin.
  B4  in DM (EFFFL = Y) without a reading: NE; PFS censored at the origin.
  B5  EFFFL = N, a confirmed PR reading: excluded from the EFFFL set.
"""

import csv
import datetime as dt
import json

import pytest

from recist.cli import main

D = dt.date


def _reading(sid, arm_sums, dates, *, baseline_mm=50.0, criteria="RECIST 1.1"):
    return {
        "subject_id": sid,
        "criteria": criteria,
        "baseline": {
            "date": "2026-01-01",
            "targets": [
                {
                    "id": "T01",
                    "site": "LIVER",
                    "nodal": False,
                    "diameter_mm": baseline_mm,
                }
            ],
            "non_targets": [],
        },
        "followups": [
            {"date": d, "targets": {"T01": v}, "non_targets": {}, "new_lesions": []}
            for d, v in zip(arm_sums, dates, strict=True)
        ],
    }


READINGS = {
    "A1": _reading(
        "A1", ["2026-02-16", "2026-03-30", "2026-05-11"], [30.0, 30.0, 30.0]
    ),
    "A2": _reading(
        "A2",
        ["2026-02-16", "2026-03-30", "2026-05-11", "2026-06-22"],
        [34.0, 40.0, 30.0, 30.0],
    ),
    "A3": _reading("A3", ["2026-02-16"], [65.0]),
    "A4": _reading("A4", [], []),
    "B1": _reading("B1", ["2026-02-16"], [45.0]),
    "B2": _reading("B2", ["2026-02-12", "2026-03-26"], [45.0, 65.0]),
    "B3": _reading("B3", ["2026-02-16"], [6.0], baseline_mm=7.0),
    "B5": _reading("B5", ["2026-02-16", "2026-03-30"], [30.0, 30.0]),
}
DM = [
    # USUBJID, ARM, DTHDTC, EFFFL
    ("A1", "A", "", "Y"),
    ("A2", "A", "", "Y"),
    ("A3", "A", "", "Y"),
    ("A4", "A", "2026-02-01", "Y"),
    ("B1", "B", "2026-04-15", "Y"),
    ("B2", "B", "", "Y"),
    ("B3", "B", "", "Y"),
    ("B4", "B", "", "Y"),
    ("B5", "B", "", "N"),
]


def _write_trial(tmp_path):
    rd = tmp_path / "readings"
    rd.mkdir()
    for sid, doc in READINGS.items():
        (rd / f"{sid}.json").write_text(json.dumps(doc))
    dm = tmp_path / "dm.csv"
    with dm.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "STUDYID",
                "USUBJID",
                "RFSTDTC",
                "RFXSTDTC",
                "DTHDTC",
                "DTHFL",
                "ARM",
                "EFFFL",
            ]
        )
        for u, arm, death, eff in DM:
            w.writerow(
                [
                    "T",
                    u,
                    "2026-01-05",
                    "2026-01-05",
                    death,
                    "Y" if death else "",
                    arm,
                    eff,
                ]
            )
    return rd, dm


def _cp(k, n):
    """Clopper-Pearson by inverting the binomial tails (independent of beta.ppf)."""
    from scipy.optimize import brentq
    from scipy.stats import binom

    lo = (
        0.0
        if k == 0
        else brentq(lambda p: binom.sf(k - 1, n, p) - 0.025, 1e-12, 1 - 1e-12)
    )
    hi = (
        1.0
        if k == n
        else brentq(lambda p: binom.cdf(k, n, p) - 0.025, 1e-12, 1 - 1e-12)
    )
    return lo, hi


@pytest.fixture
def trial(tmp_path):
    rd, dm = _write_trial(tmp_path)
    out = tmp_path / "out"
    rc = main(
        ["summary", str(rd), "--dm", str(dm), "--population", "EFFFL", "--by", "ARM",
         "--null-orr", "0.10", "--out", str(out)]
    )  # fmt: skip
    assert rc == 0
    return json.loads((out / "summary.json").read_text()), out


def test_by_arm_orr_with_exact_cis(trial):
    doc, _ = trial
    # EFFFL set: A1-A4 and B1-B4 (B5 excluded); n = 8
    assert doc["n"] == 8
    assert [e["subject"] for e in doc["excluded"]] == ["B5"]
    a, b = doc["groups"]["ARM=A"], doc["groups"]["ARM=B"]
    # A: confirmed BOR PR, PR, PD, NE -> 2/4; B: SD, PD, NE, NE -> 0/4
    assert a["bor_counts"]["confirmed"] == {
        "CR": 0,
        "PR": 2,
        "SD": 0,
        "NON-CR/NON-PD": 0,
        "PD": 1,
        "NE": 1,
    }
    assert b["bor_counts"]["confirmed"] == {
        "CR": 0,
        "PR": 0,
        "SD": 1,
        "NON-CR/NON-PD": 0,
        "PD": 1,
        "NE": 2,
    }
    for col, k, n in ((a, 2, 4), (b, 0, 4), (doc["overall"], 2, 8)):
        lo, hi = _cp(k, n)
        got = col["orr"]["confirmed"]
        assert got["estimate"] == k / n
        assert got["ci_low"] == pytest.approx(lo, abs=1e-7)
        assert got["ci_high"] == pytest.approx(hi, abs=1e-7)
    # B DCR: SD only -> 1/4
    assert b["dcr"]["confirmed"]["estimate"] == 0.25
    # one-sided exact test, arm A: P(X >= 2 | 4, 0.1) = 1 - 0.9^4 - 4(0.1)(0.9^3)
    assert a["null_orr_p"]["confirmed"] == pytest.approx(1 - 0.9**4 - 4 * 0.1 * 0.9**3)


def test_pfs_events_and_censoring_reasons(trial):
    doc, _ = trial
    by = {s["subject"]: s for s in doc["subjects"]}
    first_dose = D(2026, 1, 5)

    def aval(end):  # ADT - STARTDT + 1
        return (end - first_dose).days + 1

    expected = {
        "A1": (False, D(2026, 5, 11), "Last adequate assessment"),
        "A2": (False, D(2026, 6, 22), "Last adequate assessment"),
        "A3": (True, D(2026, 2, 16), "Disease progression"),
        "A4": (True, D(2026, 2, 1), "Death"),
        "B1": (True, D(2026, 4, 15), "Death"),
        "B2": (True, D(2026, 3, 26), "Disease progression"),
        "B3": (False, first_dose, "No post-baseline assessment"),
        "B4": (False, first_dose, "No post-baseline assessment"),
    }
    for sid, (event, end, reason) in expected.items():
        pfs = by[sid]["pfs"]
        assert pfs["start"] == "2026-01-05", sid
        assert (pfs["event"], pfs["end"], pfs["days"]) == (
            event,
            end.isoformat(),
            aval(end),
        ), sid
        assert pfs["reason"].startswith(reason), (sid, pfs["reason"])
    assert (
        "rejected" in by["B3"]["not_evaluable_reason"]
        or by["B3"]["not_evaluable_reason"]
    )
    assert by["B4"]["not_evaluable_reason"] == "no reading for this subject"
    # Arm B PFS by hand (months = days / 30.4375): B3, B4 censored at day 1;
    # B2 event at day 81 (2 at risk: S = 1/2), B1 at day 101 (S = 0). S is
    # exactly 0.5 from day 81 to 101, so the median is their midpoint, 91 days.
    b = doc["groups"]["ARM=B"]["pfs"]
    assert (b["n"], b["events"]) == (4, 2)
    assert b["median_months"] == pytest.approx(91 / 30.4375)


def test_km_median_ci_and_rates_against_lifelines():
    import lifelines  # extra "report", in "all": CI installs it
    import numpy as np
    from lifelines.utils import median_survival_times

    from recist.report._stats import kaplan_meier

    rng = np.random.default_rng(13)
    for _ in range(4):
        t = rng.exponential(9.0, 57).round(3) + 0.001  # no S(t) exactly 0.5 ties
        e = rng.random(57) < 0.7
        km = kaplan_meier(list(t), list(e))
        kmf = lifelines.KaplanMeierFitter().fit(t, e)
        assert km.median == pytest.approx(kmf.median_survival_time_)
        ci = median_survival_times(kmf.confidence_interval_).to_numpy()[0]
        got = [x if x is not None else float("inf") for x in km.median_ci]
        assert got == pytest.approx(list(ci))
        for m in (6, 12):
            s, lo, hi = km.rates[m]
            assert s == pytest.approx(float(kmf.predict(m)))
            band = kmf.confidence_interval_.loc[:m].iloc[-1].to_numpy()
            assert (lo, hi) == pytest.approx(tuple(band))


def test_dor_starts_at_the_first_confirmed_response(trial):
    doc, _ = trial
    by = {s["subject"]: s for s in doc["subjects"]}
    assert by["A1"]["dor_start"] == "2026-02-16"
    assert by["A2"]["dor_start"] == "2026-05-11"  # the 02-16 PR was unconfirmed
    assert by["A2"]["dor"]["start"] == "2026-05-11"
    assert by["A2"]["dor"]["end"] == "2026-06-22"  # censored, last adequate
    assert by["A3"]["dor"] is None


def test_sd_minimum_counts_from_first_dose(tmp_path):
    rd, dm = _write_trial(tmp_path)
    for ref, bor in (("first-dose", "PD"), ("baseline-scan", "SD")):
        out = tmp_path / ref
        assert (
            main(
                [
                    "summary",
                    str(rd),
                    "--dm",
                    str(dm),
                    "--sd-reference",
                    ref,
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
        by = {
            s["subject"]: s
            for s in json.loads((out / "summary.json").read_text())["subjects"]
        }
        assert by["B2"]["confirmed_bor"] == bor, ref


IREADINGS = {
    # iUPD (50 -> 62: +24 %, +12 mm) then iPR (30: -40 %) confirmed: pseudo-progression
    "I1": _reading(
        "I1",
        ["2026-02-16", "2026-03-30", "2026-05-11"],
        [62.0, 30.0, 30.0],
        criteria="iRECIST",
    ),
    # iUPD at 62 on 02-16, +8 mm more on 03-30 -> iCPD; PFS event dated 02-16
    "I2": _reading(
        "I2", ["2026-02-16", "2026-03-30"], [62.0, 70.0], criteria="iRECIST"
    ),
}


def test_irecist_summary(tmp_path):
    rd = tmp_path / "ir"
    rd.mkdir()
    for sid, doc in IREADINGS.items():
        (rd / f"{sid}.json").write_text(json.dumps(doc))
    out = tmp_path / "out"
    assert main(["summary", str(rd), "--out", str(out)]) == 0
    doc = json.loads((out / "summary.json").read_text())
    assert doc["criteria"] == "iRECIST"
    counts = doc["bor_counts"]["confirmed"]
    assert (counts["iPR"], counts["iCPD"], counts["iUPD"]) == (1, 1, 0)
    assert "PD" not in counts  # never folded into RECIST 1.1 PD
    # iORR = iCR + iPR = 1/2
    assert doc["orr"]["confirmed"]["estimate"] == 0.5
    assert doc["overall"]["pseudo_progression"] == 1
    by = {s["subject"]: s for s in doc["subjects"]}
    # origin = baseline scan (no DM): 2026-01-01; event at the iUPD 02-16
    assert by["I2"]["pfs"]["event"] is True
    assert by["I2"]["pfs"]["end"] == "2026-02-16"
    assert by["I2"]["pfs"]["days"] == (D(2026, 2, 16) - D(2026, 1, 1)).days + 1
    assert by["I1"]["pfs"]["event"] is False
    # I1's iUPD is not the end of the window: best change (30 - 50) / 50 = -40 %
    assert by["I1"]["best_pct_change"] == pytest.approx(-40.0)


def test_same_subject_twice_is_refused_or_selected(tmp_path, capsys):
    rd = tmp_path / "two"
    rd.mkdir()
    a = READINGS["A1"] | {"reader": "INVESTIGATOR"}
    b = READINGS["A3"] | {"subject_id": "A1", "reader": "INDEPENDENT ASSESSOR/R1"}
    (rd / "a.json").write_text(json.dumps(a))
    (rd / "b.json").write_text(json.dumps(b))
    assert main(["summary", str(rd), "--out", str(tmp_path / "o")]) == 2
    assert "A1" in capsys.readouterr().err
    out = tmp_path / "o2"
    assert main(["summary", str(rd), "--evaluator", "R1", "--out", str(out)]) == 0
    doc = json.loads((out / "summary.json").read_text())
    assert doc["bor_counts"]["confirmed"]["PD"] == 1
    assert doc["n"] == 1


def test_sdtm_study_days_from_dm_and_partial_export(tmp_path, capsys):
    rd, dm = _write_trial(tmp_path)
    files = sorted(str(p) for p in rd.glob("*.json"))
    out = tmp_path / "sdtm"
    # B3 (7 mm target) is rejected: the rest is written, B3 listed, exit 1
    assert main(["export", "sdtm", *files, str(out), "--dm", str(dm)]) == 1
    err = capsys.readouterr().err
    assert "rejected: B3" in err
    assert "TARGET_NOT_MEASURABLE" in err
    with (out / "rs.csv").open() as fh:
        rs = list(csv.DictReader(fh))
    with (out / "tr.csv").open() as fh:
        tr = list(csv.DictReader(fh))
    assert "B3" not in {r["USUBJID"] for r in rs}
    # RFSTDTC 2026-01-05 is day 1: 2026-02-16 is 42 days later -> day 43;
    # the baseline scan 2026-01-01 is 4 days before -> day -4 (no day 0)
    a1 = {r["RSDTC"]: float(r["RSDY"]) for r in rs if r["USUBJID"] == "A1"}
    assert a1["2026-02-16"] == 43
    base = {
        float(r["TRDY"])
        for r in tr
        if r["USUBJID"] == "A1" and r["VISIT"] == "BASELINE"
    }
    assert base == {-4}
    # --strict: all or nothing
    strict = tmp_path / "strict"
    assert (
        main(["export", "sdtm", *files, str(strict), "--dm", str(dm), "--strict"]) == 2
    )
    assert not strict.exists() or not any(strict.iterdir())


def test_adam_timing_arm_confirmed_bor_date_and_adtte(tmp_path, capsys):
    rd, dm = _write_trial(tmp_path)
    files = sorted(str(p) for p in rd.glob("*.json") if p.stem != "B3")
    out = tmp_path / "adam"
    assert main(["export", "adam", *files, str(out), "--dm", str(dm)]) == 0
    with (out / "adrs.csv").open() as fh:
        adrs = list(csv.DictReader(fh))
    with (out / "adtte.csv").open() as fh:
        adtte = list(csv.DictReader(fh))
    rec = {(r["USUBJID"], r["PARAMCD"]): r for r in adrs if r["PARAMCD"] != "OVR"}
    # A2's confirmed PR is the 05-11 one (the 02-16 PR was never confirmed)
    assert rec[("A2", "CBOR")]["ADT"] == "2026-05-11"
    assert rec[("A2", "BOR")]["ADT"] == "2026-02-16"
    assert rec[("A2", "CRSP")]["AVALC"] == "Y"
    # ADY from RFSTDTC 2026-01-05: 2026-05-11 is 126 days later -> day 127
    assert (
        float(rec[("A2", "CBOR")]["ADY"]) == (D(2026, 5, 11) - D(2026, 1, 5)).days + 1
    )
    assert rec[("A2", "CBOR")]["ARM"] == "A"
    assert rec[("A2", "CBOR")]["TRT01P"] == "A"  # from ARM, no ADSL given
    tte = {(r["USUBJID"], r["PARAMCD"]): r for r in adtte}
    a4 = tte[("A4", "PFS")]  # died 02-01, no assessment: event, day 28
    assert (a4["CNSR"], a4["EVNTDESC"], a4["ADT"], a4["STARTDT"]) == (
        "0",
        "Death",
        "2026-02-01",
        "2026-01-05",
    )
    assert float(a4["AVAL"]) == (D(2026, 2, 1) - D(2026, 1, 5)).days + 1
    a1 = tte[("A1", "PFS")]
    assert (a1["CNSR"], a1["CNSDTDSC"]) == ("1", "Last adequate assessment")
    assert tte[("A2", "DOR")]["STARTDT"] == "2026-05-11"
    assert ("A3", "DOR") not in tte


def test_schedule_visits_and_missed_assessment_censoring(tmp_path):
    rd, dm = _write_trial(tmp_path)
    sched = tmp_path / "schedule.csv"
    # every 6 weeks from day 43, window 7 days
    sched.write_text(
        "VISITNUM,VISIT,VISITDY,WINDOW\n1,BASELINE,-7,14\n2,WEEK 6,43,7\n"
        "3,WEEK 12,85,7\n4,WEEK 18,127,7\n5,WEEK 24,169,7\n"
    )
    out = tmp_path / "sdtm"
    files = sorted(str(p) for p in rd.glob("*.json") if p.stem != "B3")
    assert (
        main(
            [
                "export",
                "sdtm",
                *files,
                str(out),
                "--dm",
                str(dm),
                "--schedule",
                str(sched),
            ]
        )
        == 0
    )
    with (out / "rs.csv").open() as fh:
        rs = list(csv.DictReader(fh))
    # B2: 02-12 is day 39 (in WEEK 6's 36-50 window); 03-26 is day 81 (WEEK 12)
    b2 = {
        r["RSDTC"]: (float(r["VISITNUM"]), r["VISIT"])
        for r in rs
        if r["USUBJID"] == "B2"
    }
    assert b2["2026-02-12"] == (2.0, "WEEK 6")
    assert b2["2026-03-26"] == (3.0, "WEEK 12")
    # A2: 03-30 is day 85 (WEEK 12), 05-11 day 127 (WEEK 18), 06-22 day 169
    a2 = {r["RSDTC"]: r["VISIT"] for r in rs if r["USUBJID"] == "A2"}
    assert a2["2026-06-22"] == "WEEK 24"
    # B1 died 04-15 (day 101) after its last scan 02-16 (day 43): only WEEK 12
    # (day 85, window 78-92) lies wholly between -> 1 missed: still an event.
    summ = tmp_path / "summ"
    assert (
        main(
            [
                "summary",
                str(rd),
                "--dm",
                str(dm),
                "--schedule",
                str(sched),
                "--max-missed",
                "1",
                "--out",
                str(summ),
            ]
        )
        == 0
    )
    by = {
        s["subject"]: s
        for s in json.loads((summ / "summary.json").read_text())["subjects"]
    }
    # with --max-missed 1 the death after 1 missed scan is censored at 02-16
    assert by["B1"]["pfs"]["event"] is False
    assert by["B1"]["pfs"]["end"] == "2026-02-16"
    assert by["B1"]["pfs"]["reason"] == "Event after two or more missed assessments"


def test_reason_not_done_and_irecist_parameters(tmp_path):
    from recist.export.adam import to_adam
    from recist.export.sdtm import to_sdtm
    from recist.formats.reading import load_reading, save_reading

    doc = _reading("N1", ["2026-02-16"], [None])
    doc["followups"][0]["targets"]["T01"] = {
        "diameter_mm": None,
        "reason_not_done": "SCAN NOT PERFORMED",
    }
    (tmp_path / "n1.json").write_text(json.dumps(doc))
    reading = load_reading(tmp_path / "n1.json")
    save_reading(reading, tmp_path / "again.json")  # the reason survives a save
    assert load_reading(tmp_path / "again.json") == reading
    tr = to_sdtm([reading]).tr
    nd = [r for r in tr if r["TRSTAT"] == "NOT DONE"]
    assert [(r["TRLNKID"], r["TRREASND"]) for r in nd] == [
        ("T01", "SCAN NOT PERFORMED")
    ]
    # a measured value cannot carry a reason
    doc["followups"][0]["targets"]["T01"] = {"diameter_mm": 30, "reason_not_done": "X"}
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="reason_not_done"):
        load_reading(tmp_path / "bad.json")
    # iRECIST readings: IOVR/IBOR..., never OVR/BOR
    irec = [load_case_dict(d) for d in IREADINGS.values()]
    codes = {r["PARAMCD"] for r in to_adam(irec).adrs}
    assert codes == {"IOVR", "IBOR", "ICBOR", "IRSP", "ICRSP", "ICB", "ICCB"}
    pfs = {(r["USUBJID"], r["PARAMCD"]): r for r in to_adam(irec).adtte}
    assert pfs[("I2", "IPFS")]["ADT"] == "2026-02-16"  # the iUPD the iCPD confirmed


def load_case_dict(doc):
    from recist.formats.case import load_case

    return load_case(doc)


def test_summary_html_escapes_input(tmp_path):
    evil = '<script>alert("x")</script>'
    rd = tmp_path / "in"
    rd.mkdir()
    doc = READINGS["A1"] | {"subject_id": evil}
    (rd / "a.json").write_text(json.dumps(doc))
    (rd / f"{'<img src=x onerror=alert(1)>'}.json").write_text("{not json")
    dm = tmp_path / "dm.csv"
    quoted = '"' + evil.replace('"', '""') + '"'  # CSV quoting of the id
    dm.write_text(f"USUBJID,ARM,RFXSTDTC\n{quoted},<b>arm</b>,2026-01-05\n")
    out = tmp_path / "out"
    assert (
        main(["summary", str(rd), "--dm", str(dm), "--by", "ARM", "--out", str(out)])
        == 0
    )
    page = (out / "summary.html").read_text()
    assert "<script>" not in page
    assert "<b>arm</b>" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_dm_as_xpt_and_population_without_dm_variable(tmp_path, capsys):
    import pandas as pd
    import pyreadstat

    rd, dm = _write_trial(tmp_path)
    xpt = tmp_path / "dm.xpt"
    pyreadstat.write_xport(pd.read_csv(dm, dtype=str, keep_default_na=False), str(xpt))
    out = tmp_path / "out"
    argv = [
        "summary",
        str(rd),
        "--dm",
        str(xpt),
        "--population",
        "EFFFL",
        "--by",
        "ARM",
    ]
    assert main([*argv, "--out", str(out)]) == 0
    doc = json.loads((out / "summary.json").read_text())
    assert doc["n"] == 8  # as from the CSV: B5 (EFFFL = N) left out
    assert sorted(doc["groups"]) == ["ARM=A", "ARM=B"]
    # a flag the DM does not hold is a clear error, not an empty set
    assert main(["summary", str(rd), "--dm", str(xpt), "--population", "ITTFL",
                 "--out", str(tmp_path / "o2")]) == 2  # fmt: skip
    assert "ITTFL" in capsys.readouterr().err


def test_parallel_loading_gives_the_same_subjects(tmp_path, monkeypatch):
    import recist.report.summary as summary

    rd, dm = _write_trial(tmp_path)
    from recist.formats.subjects import read_subject_data

    data = read_subject_data(dm=dm)
    serial, _ = summary.load_subjects(rd, subject_data=data)
    monkeypatch.setattr(summary, "PARALLEL_MIN_FILES", 2)
    forked, _ = summary.load_subjects(rd, subject_data=data)
    assert forked == serial
    assert {s.subject_id for s in forked} == set(READINGS)
