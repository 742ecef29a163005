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
    lifelines = pytest.importorskip("lifelines", reason="lifelines is the report extra")
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
