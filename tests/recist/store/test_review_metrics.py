"""Reader metrics against hand arithmetic, published tables and statsmodels."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from recist.store import SubjectStatus
from recist.store._metrics import bland_altman, cohen_kappa, icc_a1, reader_metrics


def _pairs(table, cats="abc"):
    out = []
    for i, row in enumerate(table):
        for j, n in enumerate(row):
            out += [(cats[i], cats[j])] * n
    return out


# Fleiss, Levin and Paik (2003), Table 18.1: 100 subjects, 3 diagnoses.
# po = (75 + 4 + 10) / 100 = 0.89; margins rows .80 .10 .10, columns .80 .05 .15;
# pe = .80*.80 + .10*.05 + .10*.15 = .66; kappa = (.89 - .66) / (1 - .66) = .23/.34
FLEISS = [[75, 1, 4], [5, 4, 1], [0, 0, 10]]


@pytest.mark.parametrize(
    ("table", "kappa"),
    [
        # 2x2: po = 35/50 = .7, pe = .5*.6 + .5*.4 = .5, kappa = .2/.5 = .4
        pytest.param([[20, 5], [10, 15]], 0.4, id="2x2"),
        pytest.param(FLEISS, 0.23 / 0.34, id="fleiss-3x3"),
        # perfect agreement with two categories: kappa 1
        pytest.param([[3, 0], [0, 2]], 1.0, id="perfect"),
    ],
)
def test_kappa_hand_derived(table, kappa):
    got = cohen_kappa(_pairs(table))
    assert got.kappa == pytest.approx(kappa, abs=1e-12)


def test_kappa_se_and_ci_match_statsmodels():
    np = pytest.importorskip("numpy")
    inter_rater = pytest.importorskip(
        "statsmodels.stats.inter_rater", reason="statsmodels (test extra) absent"
    )
    for table in (FLEISS, [[20, 5], [10, 15]], [[7, 2, 0], [1, 5, 2], [0, 1, 4]]):
        want = inter_rater.cohens_kappa(np.array(table))
        got = cohen_kappa(_pairs(table))
        assert got.kappa == pytest.approx(want.kappa, abs=1e-12)
        assert got.se == pytest.approx(want.std_kappa, abs=1e-12)
        assert got.ci == pytest.approx((want.kappa_low, want.kappa_upp), abs=1e-9)
    # Fleiss et al. give SE 0.088 for their table (large-sample, non-null)
    assert cohen_kappa(_pairs(FLEISS)).se == pytest.approx(0.0877, abs=5e-5)


def test_kappa_of_one_pair_has_no_ci():
    got = cohen_kappa([("PR", "SD")])  # po = 0, pe = 1*0 + 0*1 = 0: kappa 0
    assert (got.kappa, got.se, got.ci) == (0.0, None, None)


def test_kappa_undefined_when_only_one_category():
    got = cohen_kappa([("PR", "PR")] * 4)  # pe = 1: kappa is 0/0
    assert got.kappa is None
    assert got.observed == 1


def test_icc_shrout_fleiss_table():
    # Shrout and Fleiss (1979), Table 2, 6 targets x 4 judges: ICC(2,1) = .29
    sf = [
        [9, 2, 5, 8],
        [6, 1, 3, 2],
        [8, 4, 6, 8],
        [7, 1, 2, 6],
        [10, 5, 6, 9],
        [6, 2, 4, 7],
    ]
    assert round(icc_a1(sf), 2) == 0.29


def test_icc_two_readers_hand_derived():
    # rows (1,2) (3,4) (5,6): grand 3.5; SSR = 2*(4+0+4) = 16, SSC = 3*(.25+.25) =
    # 1.5, SST = 17.5, SSE = 0; MSR 8, MSC 1.5, MSE 0;
    # ICC(A,1) = 8 / (8 + 0 + 2*1.5/3) = 8/9 (a constant 1 mm offset costs agreement)
    assert icc_a1([[1, 2], [3, 4], [5, 6]]) == pytest.approx(8 / 9)
    assert icc_a1([[1, 1], [3, 3], [5, 5]]) == pytest.approx(1.0)


def test_bland_altman_hand_derived():
    # differences 2, 0, -2, 4: mean 1, SD sqrt((1+1+9+9)/3) = sqrt(20/3)
    ba = bland_altman([(12, 10), (10, 10), (8, 10), (14, 10)])
    sd = math.sqrt(20 / 3)
    assert ba["mean_diff"] == pytest.approx(1.0)
    assert ba["sd_diff"] == pytest.approx(sd)
    assert (ba["lower"], ba["upper"]) == pytest.approx(
        (1 - 1.96 * sd, 1 + 1.96 * sd), abs=1e-3
    )


def _status(bor, pd=(None, None), sums=((), ()), state="agree", accepted=1):
    return SubjectStatus(
        usubjid="S",
        n_timepoints=2,
        readers=("ann", "bob"),
        signed=(2, 2),
        bor=bor,
        first_pd=pd,
        adjudicator="cat",
        state=state,
        accepted_slot=accepted,
        sums=sums,
    )


def test_reader_metrics_from_statuses():
    d = Decimal
    statuses = [
        _status(("PR", "PR"), sums=((d(50), d(30)), (d(52), d(30)))),
        _status(("SD", "SD"), sums=((d(40), d(38)), (d(40), d(36)))),
        _status(
            ("PR", "SD"),
            state="adjudicated",
            accepted=1,
            pd=("2026-03-30", "2026-03-30"),
        ),
        _status(("SD", "PD"), state="adjudicated", accepted=2, pd=(None, "2026-05-11")),
        _status((None, None), state="reading", accepted=None),  # not counted
    ]
    m = reader_metrics(statuses)
    # BOR pairs PR/PR, SD/SD, PR/SD, SD/PD: po = 2/4; margins read 1 PR .5 SD .5,
    # read 2 PR .25 SD .5 PD .25: pe = .5*.25 + .5*.5 = .375; kappa = .125/.625 = .2
    assert m.bor_kappa.kappa == pytest.approx(0.2)
    # PD dates agree in 3 of 4 (none/none twice, equal dates once)
    assert m.pd_agreement == pytest.approx(0.75)
    assert m.sums_n == 4
    # differences 50-52, 30-30, 40-40, 38-36: -2, 0, 0, 2: mean 0
    assert m.bland_altman["mean_diff"] == pytest.approx(0.0)
    assert m.adjudication_rate == pytest.approx(0.5)
    # ann accepted once, bob once, of 2 each: p = .5, limits .5 -/+ 3 sqrt(.25/2)
    ann = m.acceptance["ann"]
    assert (ann["accepted"], ann["adjudicated"]) == (1, 2)
    assert (ann["lcl"], ann["ucl"]) == (0.0, 1.0)  # clipped
    assert not ann["out_of_control"]


def test_p_chart_flags_a_reader_never_accepted():
    statuses = [_status(("PR", "SD"), state="adjudicated", accepted=2)] * 20
    m = reader_metrics(statuses)
    # p = 20/40 = .5; n = 20: limits .5 -/+ 3 sqrt(.25/20) = .5 -/+ .3354
    ann, bob = m.acceptance["ann"], m.acceptance["bob"]
    assert ann["lcl"] == pytest.approx(0.5 - 3 * math.sqrt(0.25 / 20))
    assert ann["out_of_control"]
    assert bob["out_of_control"]  # always accepted is as unusual
    assert "OUT OF CONTROL" in "\n".join(m.lines())


def test_pd_days_widen_date_agreement():
    s = _status(("SD", "SD"), pd=("2026-03-30", "2026-05-11"))  # 42 days apart
    assert reader_metrics([s]).pd_agreement == 0
    assert reader_metrics([s], pd_days=42).pd_agreement == 1
    assert dt.date(2026, 5, 11) - dt.date(2026, 3, 30) == dt.timedelta(days=42)
