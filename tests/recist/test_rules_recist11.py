"""RECIST 1.1 rule tables; every expected value is derived by hand in the comment."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from recist.formats.case import assess_json, load_case
from recist.rules._numeric import pct
from recist.rules.recist11 import check_reading, target_response_from_sums
from recist.terms import Response as R
from tests.recist._build import case, new, target, visit


@pytest.mark.parametrize(
    ("sums", "expected"),  # sum, baseline, nadir in mm
    [
        pytest.param("44.8 64.0 64.0", R.PR, id="pr-exactly-30pct"),  # 10*44.8 = 7*64
        pytest.param("44.9 64.0 64.0", R.SD, id="sd-29.8pct"),  # 449 > 448
        pytest.param("32.2 46.0 46.0", R.PR, id="pr-float-trap"),  # 322 = 322
        pytest.param("38.4 64.0 32.0", R.PD, id="pd-exactly-20pct"),  # 5*38.4 = 6*32
        pytest.param("38.0 64.0 32.0", R.PR, id="not-pd-18.75pct"),  # 190 < 192
        pytest.param("30 64 25", R.PD, id="pd-exactly-5mm-20pct"),  # +5, 150 = 150
        pytest.param("29.4 64 24.5", R.PR, id="not-pd-4.9mm"),  # 20 % but +4.9
        pytest.param("17.4 40 12.4", R.PD, id="pd-5mm-float-trap"),  # +5.0, 87 >= 74.4
        pytest.param("32.4 40 27.0", R.PD, id="pd-20pct-float-trap"),  # +5.4, 162 = 162
        pytest.param("12.4 20 10", R.PR, id="24pct-but-2.4mm"),  # not PD; 124 <= 140
        pytest.param("5 64 0", R.PD, id="pd-5mm-after-zero-nadir"),  # +5 over 0
        pytest.param("4.9 64 0", R.PR, id="not-pd-4.9-after-zero"),
        pytest.param("50 50 40", R.PD, id="pd-vs-nadir-not-baseline"),  # +10, 250>=240
        pytest.param("50 50 50", R.SD, id="sd-no-change"),
    ],
)
def test_target_response_from_sums(sums, expected):
    now, baseline, nadir = map(Decimal, sums.split())
    got = target_response_from_sums(now, baseline_mm=baseline, nadir_mm=nadir)
    assert got.value is expected, got.reason


@pytest.mark.parametrize(
    ("value", "ref", "expected"),
    [
        ("34.3", "40.0", "-14.3"),  # -14.25 exactly: half away from zero
        ("45.7", "40.0", "14.3"),  # +14.25
        ("35", "50", "-30.0"),
        ("11", "8", "37.5"),
        ("40", "60", "-33.3"),  # -33.33...
        ("50", "60", "-16.7"),
    ],
)
def test_pct_rounds_half_away_from_zero(value, ref, expected):
    assert pct(Decimal(value), Decimal(ref)) == Decimal(expected)


def one_visit(values: dict, targets: list, nts: dict | None = None, nt_ids=()) -> dict:
    out = assess_json(case(targets, [visit(56, values, nts)], nts=list(nt_ids)))
    return out["timepoints"][0]


NODE = target("T02", 16, site="LYMPH NODE", nodal=True)
LIVER = target("T01", 20, site="LIVER")


@pytest.mark.parametrize(
    ("values", "sum_mm", "expected"),
    [
        pytest.param({"T01": 0, "T02": 8}, 8.0, "CR", id="nodal-cr-sum-8"),
        pytest.param({"T01": 0, "T02": 9.9}, 9.9, "CR", id="node-9.9-cr"),
        pytest.param(
            {"T01": 0, "T02": 10.0}, 10.0, "PR", id="node-10.0-not-cr"
        ),  # 10<=25.2
        pytest.param({"T01": 0, "T02": "TOO_SMALL"}, 5.0, "CR", id="too-small-node-cr"),
        pytest.param(
            {"T01": "TOO_SMALL", "T02": 0}, 5.0, "PR", id="too-small-blocks-cr"
        ),
        pytest.param(
            {"T01": [6, 5], "T02": 8}, 19.0, "PR", id="split-6+5+8"
        ),  # 190<=252
        pytest.param({"T01": 20, "T02": None}, None, "NE", id="missing-node-ne"),
        pytest.param({"T01": 0}, None, "NE", id="omitted-id-ne-not-cr"),
        pytest.param({"T01": 44, "T02": None}, None, "PD", id="partial-proves-pd"),
        # nadir = baseline 36; partial 44: +8 mm, 220 >= 216: PD although T02 missing
        pytest.param({"T01": 43, "T02": None}, None, "NE", id="partial-short-of-pd"),
        # 43: +7 mm but 215 < 216
    ],
)
def test_target_category(values, sum_mm, expected):
    tp = one_visit(values, [LIVER, NODE])
    assert tp["target"] == expected
    assert tp["sum_mm"] == sum_mm


def test_coalesced_lesions_sum_the_merged_diameter():
    # T01 20 + T02 15 = 35 at baseline; merged 30 on T01, 0 on T02: 30/35 = -14.3 %
    tp = one_visit({"T01": 30, "T02": 0}, [LIVER, target("T02", 15, site="LIVER")])
    assert (tp["sum_mm"], tp["pct_from_baseline"], tp["target"]) == (30.0, -14.3, "SD")


def test_coalesced_object_form_counts_zero():
    values = {"T01": 30, "T02": {"diameter_mm": 0, "coalesced_into": "T01"}}
    tp = one_visit(values, [LIVER, target("T02", 15, site="LIVER")])
    assert tp["sum_mm"] == 30.0


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ({"NT01": "ABSENT", "NT02": "ABSENT"}, "CR"),
        ({"NT01": "ABSENT", "NT02": "PRESENT"}, "NON-CR/NON-PD"),
        ({"NT01": "PRESENT", "NT02": "NOT EVALUATED"}, "NE"),
        ({"NT01": "PRESENT"}, "NE"),  # NT02 left out = not evaluated
        ({"NT01": "NOT EVALUATED", "NT02": "UNEQUIVOCAL PROGRESSION"}, "PD"),
    ],
)
def test_non_target_category(states, expected):
    tp = one_visit({"T01": 20}, [LIVER], states, nt_ids=("NT01", "NT02"))
    assert tp["non_target"] == expected


@pytest.mark.parametrize(
    ("target_values", "nt", "news", "overall"),  # Table 1 with T01 20 mm at baseline
    [
        ({"T01": 0}, "ABSENT", [], "CR"),
        ({"T01": 0}, "PRESENT", [], "PR"),
        ({"T01": 0}, "NOT EVALUATED", [], "PR"),
        ({"T01": 12}, "NOT EVALUATED", [], "PR"),  # 120 <= 140
        ({"T01": 18}, "PRESENT", [], "SD"),
        ({"T01": None}, "PRESENT", [], "NE"),
        ({"T01": 0}, "UNEQUIVOCAL PROGRESSION", [], "PD"),
        ({"T01": 0}, "ABSENT", [new("NEW01")], "PD"),
        ({"T01": 0}, "ABSENT", [new("NEW01", equivocal=True)], "CR"),
        ({"T01": 0}, "ABSENT", [new("NEW01", 0)], "CR"),  # listed with 0: not present
        ({"T01": 25}, "PRESENT", [], "PD"),  # +5 mm, 125 >= 120
    ],
)
def test_overall_table_1(target_values, nt, news, overall):
    c = case([LIVER], [visit(56, target_values, {"NT01": nt}, news)], nts=["NT01"])
    assert assess_json(c)["timepoints"][0]["overall"] == overall


@pytest.mark.parametrize(
    ("nt", "news", "overall"),
    [
        ("ABSENT", [], "CR"),
        ("PRESENT", [], "NON-CR/NON-PD"),
        ("NOT EVALUATED", [], "NE"),
        ("UNEQUIVOCAL PROGRESSION", [], "PD"),
        ("ABSENT", [new("NEW01")], "PD"),
    ],
)
def test_overall_table_2_non_target_only(nt, news, overall):
    tp = assess_json(case([], [visit(56, {}, {"NT01": nt}, news)], nts=["NT01"]))
    assert tp["baseline_sum_mm"] is None
    t = tp["timepoints"][0]
    assert (t["target"], t["sum_mm"], t["overall"]) == ("NA", None, overall)


def test_equivocal_new_lesion_backdated_to_first_appearance():
    visits = [
        visit(42, {"T01": 18}, news=[new("NEW01", 4, equivocal=True)]),
        visit(84, {"T01": 18}, news=[new("NEW01", 8, equivocal=True)]),
        visit(126, {"T01": 18}, news=[new("NEW01", 12)]),  # unequivocal now
    ]
    out = assess_json(case([LIVER], visits))
    assert [t["new_lesions"] for t in out["timepoints"]] == ["Y", "Y", "Y"]
    assert [t["overall"] for t in out["timepoints"]] == ["PD", "PD", "PD"]
    assert [t["target"] for t in out["timepoints"]] == ["SD", "SD", "SD"]
    assert out["best_overall_response"] == "PD"  # window ends at day 42


def test_nadir_skips_ne_visits_and_includes_baseline():
    # baseline 20; day 42 T01 missing (NE, no nadir); day 84 25: +5 over nadir 20 -> PD
    visits = [visit(42, {"T01": None}), visit(84, {"T01": 25})]
    tps = assess_json(case([LIVER], visits))["timepoints"]
    assert tps[1]["target"] == "PD"
    assert tps[1]["pct_from_nadir"] == 25.0


@pytest.mark.parametrize(
    ("targets", "nts", "visits", "code", "lesion"),
    [
        ([], [], [], "NO_BASELINE_DISEASE", None),
        ([target(f"T0{i}", 20) for i in range(1, 7)], [], [], "TOO_MANY_TARGETS", None),
        # too many targets wins over a third target in one organ and a 9 mm target
        (
            [
                *(target(f"T0{i}", 20, site="LUNG") for i in range(1, 6)),
                target("T06", 9),
            ],
            [],
            [],
            "TOO_MANY_TARGETS",
            None,
        ),
        (
            [
                target("T01", 20, "Liver"),
                target("T02", 9, "LIVER "),
                target("T03", 20, " liver"),
            ],
            [],
            [],
            "TOO_MANY_TARGETS_IN_ORGAN",
            "T03",  # trimmed, case-folded
        ),
        (
            [
                target("T01", 20, "NECK", nodal=True),
                target("T02", 20, "AXILLA", nodal=True),
                target("T03", 20, "GROIN", nodal=True),
            ],
            [],
            [],
            "TOO_MANY_TARGETS_IN_ORGAN",
            "T03",  # nodes: one organ
        ),
        (
            [target("T01", 20), target("T02", Decimal("9.9"))],
            [],
            [],
            "TARGET_NOT_MEASURABLE",
            "T02",
        ),
        (
            [target("T01", Decimal("14.9"), nodal=True)],
            [],
            [],
            "TARGET_NOT_MEASURABLE",
            "T01",
        ),
        (
            [target("T01", 20)],
            ["NT01"],
            [visit(42, {"T01": 20}, {"NT02": "PRESENT"}), visit(84, {"T09": 1})],
            "UNKNOWN_LESION",
            "NT02",  # first follow-up first
        ),
        (
            [target("T01", 20)],
            ["NT01"],
            [visit(42, {"T01": 20, "NT01": 3}, {"T01": "PRESENT"})],
            "UNKNOWN_LESION",
            "NT01",  # targets before non-targets
        ),
        (
            [target("T01", 20)],
            [],
            [visit(42, {"T01": 20}), visit(42, {"T01": 20}, {"NT09": "ABSENT"})],
            "UNKNOWN_LESION",
            "NT09",  # unknown lesion outranks date order
        ),
        ([target("T01", 20)], [], [visit(0, {"T01": 20})], "DATES_OUT_OF_ORDER", None),
    ],
)
def test_errors_and_their_precedence(targets, nts, visits, code, lesion):
    out = assess_json(case(targets, visits, nts=nts))
    assert out["error"] == {"code": code, "lesion": lesion}


def test_check_reading_lists_every_violation_in_spec_order():
    targets = [
        target("T01", 9, "LIVER"),
        target("T02", 20, "LIVER"),
        target("T03", 20, "LIVER"),
    ]
    reading = load_case(case(targets, [visit(0, {"T04": 1})]))
    codes = [(v.code, v.lesion) for v in check_reading(reading)]
    assert codes == [
        ("TOO_MANY_TARGETS_IN_ORGAN", "T03"),
        ("TARGET_NOT_MEASURABLE", "T01"),
        ("UNKNOWN_LESION", "T04"),
        ("DATES_OUT_OF_ORDER", None),
    ]


@pytest.mark.parametrize(
    ("diameter", "slice_mm", "ok"),
    [
        ("16", "8", True),  # 2 x 8 = 16, inclusive
        ("15.9", "8", False),
        ("10", "5", True),  # 2 x 5 = 10: the fixed limit
        ("10", None, True),
        ("12", "6.5", False),  # needs 13
        # thin slices never lower the 10 mm limit: 2 x 4 = 8 < 10 (mutation probe)
        ("9.9", "4", False),
        ("10", "4", True),
    ],
)
def test_slice_thickness_rule(diameter, slice_mm, ok):
    t = target("T01", Decimal(diameter))
    if slice_mm is not None:
        t["slice_thickness_mm"] = Decimal(slice_mm)
    out = assess_json(case([t], []))
    assert ("error" not in out) is ok, out


# a partial sum proves PD only if no value of the missing targets could make
# the target response CR. Baseline T01 liver 20, nodes T02 16 and T03 15, T04 lung 12
# = 63. Day 56 everything 0 -> sum 0, CR, nadir 0 from then on.
R18_TARGETS = [
    target("T01", 20, site="LIVER"),
    target("T02", 16, site="LYMPH NODE", nodal=True),
    target("T03", 15, site="LYMPH NODE", nodal=True),
    target("T04", 12, site="LUNG"),
]
R18_CR = {"T01": 0, "T02": 0, "T03": 0, "T04": 0}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # T02 9 + T03 9 = 18: +18 mm over nadir 0 (and 90 >= 0) is arithmetic PD, but
        # both measured nodes are < 10 and T01 is 0: T04 missing could be 0 mm, so
        # CR is possible -> NE
        pytest.param({"T01": 0, "T02": 9, "T03": 9.9}, "NE", id="nodes-normal-ne"),
        # T02 10.0 is not a normal node: CR impossible; partial 19 >= 0 + 5 -> PD
        pytest.param({"T01": 0, "T02": 10, "T03": 9}, "PD", id="node-10-pd"),
        # T01 back at 5 mm: non-nodal disease makes CR impossible; 5 >= 0 + 5 -> PD
        pytest.param({"T01": 5, "T02": 0, "T03": 0}, "PD", id="nonnodal-back-pd"),
        # T01 missing too: measured nodes 9 + 9 still normal -> NE
        pytest.param({"T02": 9, "T03": 9}, "NE", id="two-missing-ne"),
        # T01 4.9: +4.9 mm over 0 is not PD and CR impossible -> NE (not proven)
        pytest.param({"T01": 4.9, "T02": 0, "T03": 0}, "NE", id="nonnodal-4.9-ne"),
    ],
)
def test_partial_sum_pd_must_exclude_cr(values, expected):
    out = assess_json(case(R18_TARGETS, [visit(56, R18_CR), visit(112, values)]))
    first, second = out["timepoints"]
    assert (first["target"], first["sum_mm"]) == ("CR", 0.0)
    assert second["target"] == expected
    assert second["overall"] == expected  # no non-targets, no new lesions


# recist-1.1.md §3: a coalesced lesion's merged diameter goes on one of the original
# ids and 0 on the others; values pointing in a circle leave no lesion carrying it.
TWO_LIVER = [target("T01", 20, site="LIVER"), target("T02", 15, site="LIVER")]
CO = {"diameter_mm": 0}


@pytest.mark.parametrize(
    ("values", "lesion"),
    [
        pytest.param(
            {
                "T01": {**CO, "coalesced_into": "T02"},
                "T02": {**CO, "coalesced_into": "T01"},
            },
            "T01",
            id="two-cycle",
        ),
        pytest.param(
            {"T01": 30, "T02": {**CO, "coalesced_into": "T02"}}, "T02", id="self"
        ),
    ],
)
def test_coalesced_cycle_is_refused(values, lesion):
    # before: T01 and T02 both counted 0 -> target CR, although 35 mm of disease merged
    out = assess_json(case(TWO_LIVER, [visit(56, values)]))
    assert out["error"] == {"code": "COALESCED_CYCLE", "lesion": lesion}


def test_coalesced_chain_ending_on_a_carrier_is_accepted():
    # T01 -> T02 -> T03 (T03 carries 40): sum 0 + 0 + 40 = 40 over baseline 45
    targets = [*TWO_LIVER, target("T03", 10, site="LUNG")]
    values = {
        "T01": {**CO, "coalesced_into": "T02"},
        "T02": {**CO, "coalesced_into": "T03"},
        "T03": 40,
    }
    tp = assess_json(case(targets, [visit(56, values)]))["timepoints"][0]
    assert (tp["sum_mm"], tp["target"]) == (40.0, "SD")  # -11.1 %


def test_cli_refuses_a_coalesced_cycle_naming_the_lesions(tmp_path, capsys):
    from recist.cli import main

    values = {
        "T01": {**CO, "coalesced_into": "T02"},
        "T02": {**CO, "coalesced_into": "T01"},
    }
    path = tmp_path / "cycle.case.json"
    path.write_text(json.dumps(case(TWO_LIVER, [visit(56, values)])))
    assert main(["assess", str(path)]) == 2
    err = capsys.readouterr().err
    assert "COALESCED_CYCLE" in err
    assert "T01 -> T02 -> T01" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("sums", "reason"),  # sum, baseline, nadir in mm; the numbers worked by hand
    [
        # 38.4 - 32.0 = +6.4 mm; 6.4 / 32.0 = +20.0 %
        ("38.4 64.0 32.0", "PD: sum 38.4 mm is +6.4 mm (+20.0%) over nadir 32.0 mm"),
        # nadir 0: no percentage (division by zero), only the +5 mm
        ("5 64 0", "PD: sum 5 mm is +5 mm over nadir 0 mm"),
        # 44.8 / 64.0 - 1 = -30.0 %
        ("44.8 64.0 64.0", "PR: sum 44.8 mm is -30.0% from baseline 64.0 mm"),
        # (44.9 - 64) / 64 = -29.84 % -> -29.8; 44.9 - 40.0 = +4.9 mm (not PD)
        (
            "44.9 64.0 40.0",
            "SD: sum 44.9 mm is -29.8% from baseline 64.0 mm, "
            "+4.9 mm from nadir 40.0 mm",
        ),
    ],
)
def test_target_reason_states_the_numbers(sums, reason):
    now, baseline, nadir = map(Decimal, sums.split())
    got = target_response_from_sums(now, baseline_mm=baseline, nadir_mm=nadir)
    assert got.reason == reason


def test_overall_reasons_name_the_deciding_numbers():
    # T01 50 mm, NT01. Day 42: 30 mm = (30 - 50) / 50 = -40.0 % -> PR, quoting the
    # target numbers. Day 84: 40 over nadir 30 = +10 mm, 10 / 30 = +33.3 % -> PD,
    # with NT01 unequivocal progression and NEW01: every progressing category named.
    # Day 126: NEW02 equivocal here, unequivocal on day 168 -> backdated.
    # A second record, day 42: T01 0 and NT01 absent -> CR from the table.
    from recist import assess

    t = [target("T01", 50, site="LIVER")]
    visits = [
        visit(42, {"T01": 30}, {"NT01": "PRESENT"}),
        visit(84, {"T01": 40}, {"NT01": "UNEQUIVOCAL PROGRESSION"}, [new("NEW01")]),
        visit(126, {"T01": 40}, {"NT01": "PRESENT"}, [new("NEW02", equivocal=True)]),
        visit(168, {"T01": 40}, {"NT01": "PRESENT"}, [new("NEW02")]),
    ]
    got = [
        tp.overall.reason
        for tp in assess(load_case(case(t, visits, nts=["NT01"]))).timepoints
    ]
    pd = "PD: sum 40 mm is +10 mm (+33.3%) over nadir 30 mm"
    backdated = (
        "NEW02 equivocal here, unequivocal later: progression dated to its first "
        "appearance, R-09"
    )
    assert got == [
        "PR: sum 30 mm is -40.0% from baseline 50 mm; non-target NON-CR/NON-PD, "
        "new lesions N",
        f"{pd}; unequivocal progression of non-target NT01; "
        "unequivocal new lesion NEW01",
        f"{pd}; unequivocal new lesion NEW02 ({backdated})",
        f"{pd}; unequivocal new lesion NEW02",
    ]
    cr = [visit(42, {"T01": 0}, {"NT01": "ABSENT"})]
    (tp,) = assess(load_case(case(t, cr, nts=["NT01"]))).timepoints
    assert tp.overall.reason == "CR: target CR, non-target CR, no new lesion"


def test_display_helpers():
    from recist.rules._numeric import fmt_mm, fmt_pct

    assert fmt_pct(Decimal("0.0")) == "0.0%"  # no sign on zero
    assert fmt_pct(Decimal("1.0")) == "+1.0%"
    assert fmt_pct(None) == "n/a"
    assert fmt_mm(None) == "n/a"
    assert fmt_mm(Decimal("42.0")) == "42.0"
