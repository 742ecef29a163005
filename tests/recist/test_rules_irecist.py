"""iRECIST rule tables, derived by hand (irecist.md)."""

from __future__ import annotations

import pytest

from recist.formats.case import assess_json
from tests.recist._build import case, new, target, visit


def run(targets, visits, nts=None, **opts):
    out = assess_json(case(targets, visits, nts=nts, criteria="iRECIST", **opts))
    return out


def overall(out):
    return [t["overall"] for t in out["timepoints"]]


T50 = [target("T01", 50, site="LIVER")]


def test_increments_add_up_to_confirm():
    # 40 iSD; 50 iUPD (+10, 250>=240); 54 (+4 over 50, still PD vs 40); 56 (+6) iCPD
    visits = [
        visit(42, {"T01": 40}),
        visit(84, {"T01": 50}),
        visit(126, {"T01": 54}),
        visit(168, {"T01": 56}),
    ]
    out = run(T50, visits)
    assert overall(out) == ["iSD", "iUPD", "iUPD", "iCPD"]
    assert out["timepoints"][3]["target"] == "iCPD"
    assert out["best_overall_response"] == "iSD"


def test_non_target_iupd_resets_when_no_longer_progressing():
    visits = [
        visit(42, {"T01": 40}, {"NT01": "UNEQUIVOCAL PROGRESSION"}),
        visit(56, {"T01": 40}, {"NT01": "UNEQUIVOCAL PROGRESSION"}),  # 14 days: stays
        visit(84, {"T01": 40}, {"NT01": "PRESENT"}),  # 42 days, nothing progresses
    ]
    out = run(T50, visits, nts=["NT01"])
    assert overall(out) == ["iUPD", "iUPD", "iSD"]
    assert [t["non_target"] for t in out["timepoints"]] == [
        "iUPD",
        "iUPD",
        "NON-iCR/NON-iUPD",
    ]


def test_new_target_selection_limits_and_non_target_growth():
    # three measurable liver lesions at first sight: 2 per organ -> NEW03 is NLNT
    first = [
        new("NEW01", 12, site="LIVER", measurable=True),
        new("NEW02", 11, site="LIVER", measurable=True),
        new("NEW03", 10, site="LIVER", measurable=True),
    ]
    grows = [
        new("NEW01", 12, site="LIVER", measurable=True),
        new("NEW02", 11, site="LIVER", measurable=True),
        new("NEW03", 11, site="LIVER", measurable=True),
    ]
    out = run(
        T50, [visit(42, {"T01": 40}, news=first), visit(84, {"T01": 40}, news=grows)]
    )
    assert [t["new_target_sum_mm"] for t in out["timepoints"]] == [23.0, 23.0]
    assert overall(out) == ["iUPD", "iCPD"]  # NLNT NEW03 grew 10 -> 11 (I-09)


def test_nodal_new_lesion_needs_15mm_to_be_a_new_target():
    news = [new("NEW01", 14, site="LYMPH NODE", nodal=True, measurable=True)]
    out = run(T50, [visit(42, {"T01": 40}, news=news)])
    assert out["timepoints"][0]["new_target_sum_mm"] is None
    assert overall(out) == ["iUPD"]


def test_new_target_listed_without_size_makes_the_sum_null_and_stays_iupd():
    a = [new("NEW01", 12, site="LIVER", measurable=True)]
    b = [new("NEW01", None, site="LIVER", measurable=True)]
    out = run(T50, [visit(42, {"T01": 40}, news=a), visit(84, {"T01": 40}, news=b)])
    assert [t["new_target_sum_mm"] for t in out["timepoints"]] == [12.0, None]
    assert overall(out) == ["iUPD", "iUPD"]


def test_not_listed_new_target_counts_zero_and_resets():
    a = [new("NEW01", 12, site="LIVER", measurable=True)]
    out = run(T50, [visit(42, {"T01": 40}, news=a), visit(84, {"T01": 40})])
    assert [t["new_target_sum_mm"] for t in out["timepoints"]] == [12.0, 0.0]
    assert overall(out) == ["iUPD", "iSD"]


def test_reappearing_new_non_target_after_reset_is_not_a_new_iupd():
    # irecist.md §3: new-lesion progression is "an unequivocal new lesion never seen
    # before" or the new-target sum meeting PD over its own nadir. NEW01 is a new
    # non-target seen on day 42, so its return on day 126 is neither (audit, issue 5).
    visits = [
        visit(42, {"T01": 40}, news=[new("NEW01")]),
        visit(84, {"T01": 40}, news=[new("NEW01", 0)]),
        visit(126, {"T01": 40}, news=[new("NEW01")]),
    ]
    assert overall(run(T50, visits)) == ["iUPD", "iSD", "iSD"]


def test_reappearing_new_target_opens_a_new_iupd_by_its_sum():
    # NLT sum 12 -> 0 (nadir 0) -> 5: +5 mm over a nadir of 0 is RECIST PD -> iUPD.
    a, gone = new("NEW01", 12, site="LIVER", measurable=True), new("NEW01", 0)
    back = new("NEW01", 5, site="LIVER", measurable=True)
    small = new("NEW01", 4.9, site="LIVER", measurable=True)
    visits = [
        visit(42, {"T01": 40}, news=[a]),
        visit(84, {"T01": 40}, news=[gone]),
        visit(126, {"T01": 40}, news=[back]),
    ]
    assert overall(run(T50, visits)) == ["iUPD", "iSD", "iUPD"]
    visits[2] = visit(126, {"T01": 40}, news=[small])
    assert overall(run(T50, visits)) == ["iUPD", "iSD", "iSD"]


def test_partial_sum_iupd_is_confirmed_like_for_like():
    # T01 30 + T02 20 = 50. Day 42: T01 61, T02 missing: partial 61 proves PD over 50
    # (+11, 305 >= 300) -> iUPD with reference {T01: 61}. Day 84: T01 61, T02 20: the
    # lesions measured at the iUPD did not grow (+0), so no confirmation; the sum 81
    # still meets PD over the nadir 50 -> iUPD. Day 126: T01 66 -> +5 -> iCPD.
    targets = [target("T01", 30, site="LIVER"), target("T02", 20, site="LUNG")]
    visits = [
        visit(42, {"T01": 61, "T02": None}),
        visit(84, {"T01": 61, "T02": 20}),
        visit(126, {"T01": 66, "T02": 20}),
    ]
    out = run(targets, visits)
    assert [t["target"] for t in out["timepoints"]] == ["iUPD", "iUPD", "iCPD"]
    assert overall(out) == ["iUPD", "iUPD", "iCPD"]


def test_table3_example2_iupd_then_response():
    # 60 iUPD (+10, 300>=300); 30 iPR (300<=350) resets; 0 iCR 42 days later
    visits = [visit(42, {"T01": 60}), visit(84, {"T01": 30}), visit(126, {"T01": 0})]
    assert overall(run(T50, visits)) == ["iUPD", "iPR", "iCR"]
    assert run(T50, visits, confirmation=False)["best_overall_response"] == "iCR"
    # with confirmation the iPR is confirmed by the iCR, the iCR is not confirmed
    assert run(T50, visits)["best_overall_response"] == "iPR"


def test_iupd_between_response_and_confirmation_breaks_it():
    visits = [
        visit(42, {"T01": 30}),
        visit(84, {"T01": 30}, news=[new("NEW01")]),
        visit(126, {"T01": 30}, news=[new("NEW01", 0)]),
    ]
    out = run(T50, visits)
    assert overall(out) == ["iPR", "iUPD", "iPR"]
    assert out["best_overall_response"] == "iSD"
    assert run(T50, visits, confirmation=False)["best_overall_response"] == "iPR"


def test_new_lesion_iupd_then_ne_stays_open_then_confirms_by_further_new_lesion():
    visits = [
        visit(42, {"T01": 40}, news=[new("NEW01")]),
        visit(84, {"T01": None}),  # NEW01 gone, target NE -> NE, episode open
        visit(126, {"T01": 40}, news=[new("NEW02")]),
    ]
    assert overall(run(T50, visits)) == ["iUPD", "NE", "iCPD"]


# --- I-08: a resolved new lesion that reappears (irecist.md §3, §4.2, I-08) ---


def test_reappearing_new_lesion_turns_icr_into_ipr():
    # Day 42 NEW01 (non-target, never seen) -> iUPD by a new lesion. Day 84 NEW01
    # gone, T01 0 -> nothing progresses: reset, iCR. Day 126 T01 0, NEW01 back: seen
    # before, so not a new progression (I-08); the table gives iCR, but with a new
    # lesion present iCR becomes iPR.
    visits = [
        visit(42, {"T01": 40}, news=[new("NEW01")]),
        visit(84, {"T01": 0}),
        visit(126, {"T01": 0}, news=[new("NEW01")]),
    ]
    assert overall(run(T50, visits)) == ["iUPD", "iCR", "iPR"]


def test_reappearing_new_lesion_without_targets_is_non_icr_non_iupd():
    # Non-target disease only: NT01 absent = iCR; with NEW01 back the iCR becomes
    # NON-iCR/NON-iUPD (I-08, no targets).
    visits = [
        visit(42, {}, {"NT01": "ABSENT"}, news=[new("NEW01")]),
        visit(84, {}, {"NT01": "ABSENT"}),
        visit(126, {}, {"NT01": "ABSENT"}, news=[new("NEW01")]),
    ]
    out = run([], visits, nts=["NT01"])
    assert overall(out) == ["iUPD", "iCR", "NON-iCR/NON-iUPD"]


def test_reappearing_new_non_target_does_not_confirm_a_target_iupd():
    # 42: NEW01 -> iUPD; 84: gone, 40 -> reset iSD (nadir 40). 126: T01 50: +10 mm,
    # 250 >= 240 -> iUPD by the targets. 168 (42 days later): T01 50 (+0 over the
    # iUPD), NEW01 back: seen before, not a further new lesion -> no test 4; the
    # targets still meet PD over nadir 40 -> still iUPD, not iCPD.
    visits = [
        visit(42, {"T01": 40}, news=[new("NEW01")]),
        visit(84, {"T01": 40}),
        visit(126, {"T01": 50}),
        visit(168, {"T01": 50}, news=[new("NEW01")]),
    ]
    assert overall(run(T50, visits)) == ["iUPD", "iSD", "iUPD", "iUPD"]
    # control: a never-seen NEW02 instead confirms at once (test 4)
    visits[3] = visit(168, {"T01": 50}, news=[new("NEW02")])
    assert overall(run(T50, visits)) == ["iUPD", "iSD", "iUPD", "iCPD"]


def test_reappearing_new_target_confirms_only_through_its_sum():
    # NLT sums: 42: 12 (iUPD, new lesion); 84: NEW01 0 -> sum 0, reset iSD; 126:
    # not listed -> 0, T01 50 -> iUPD by targets (triggers: target only). 168: NEW01
    # back at 6 mm: NLT sum 6 over its nadir 0 (+6 >= 5, 30 >= 0) is RECIST PD of a
    # category that had not progressed -> test 5 -> iCPD. Back at 4.9: +4.9 < 5, not
    # PD; the targets still meet PD over nadir 40 -> iUPD.
    nlt = new("NEW01", 12, site="LIVER", measurable=True)
    gone = new("NEW01", 0, site="LIVER", measurable=True)
    visits = [
        visit(42, {"T01": 40}, news=[nlt]),
        visit(84, {"T01": 40}, news=[gone]),
        visit(126, {"T01": 50}),
        visit(168, {"T01": 50}, news=[new("NEW01", 6, site="LIVER", measurable=True)]),
    ]
    out = run(T50, visits)
    assert [t["new_target_sum_mm"] for t in out["timepoints"]] == [12.0, 0.0, 0.0, 6.0]
    assert overall(out) == ["iUPD", "iSD", "iUPD", "iCPD"]
    visits[3] = visit(
        168, {"T01": 50}, news=[new("NEW01", 4.9, site="LIVER", measurable=True)]
    )
    assert overall(run(T50, visits)) == ["iUPD", "iSD", "iUPD", "iUPD"]


# --- I-14: like with like after a partial-sum iUPD ---


@pytest.mark.parametrize(
    ("t01", "t02", "expected"),
    [
        # reference at the iUPD: {T01: 61} (T02 missing). T01 66: +5 -> iCPD (I-13)
        pytest.param(66, 20, "iCPD", id="same-lesion-plus-5"),
        # T01 65.9: +4.9 -> no, although T02 now adds 20 mm (65.9 + 20 = 85.9 is +24.9
        # over 61); the sum 85.9 still meets PD over nadir 50 -> iUPD
        pytest.param(65.9, 20, "iUPD", id="late-measurement-does-not-confirm"),
        # T02 still missing: the partial sum of the same lesion confirms alone
        pytest.param(66, None, "iCPD", id="partial-confirms-alone"),
    ],
)
def test_partial_sum_iupd_confirmation_compares_the_same_lesions(t01, t02, expected):
    # T01 30 + T02 20 = 50 = nadir. Day 42: T01 61, T02 missing: partial 61 proves
    # PD (+11, 305 >= 300; T01 61 is not 0, so CR is impossible, R-18) -> iUPD.
    targets = [target("T01", 30, site="LIVER"), target("T02", 20, site="LUNG")]
    visits = [visit(42, {"T01": 61, "T02": None}), visit(84, {"T01": t01, "T02": t02})]
    assert overall(run(targets, visits)) == ["iUPD", expected]


def test_full_sum_iupd_confirmed_by_a_partial_sum_alone():
    # Day 42: 40 + 21 = 61 (+11 over 50, 305 >= 300) -> iUPD, reference {T01 40,
    # T02 21} = 61. Day 84: T01 66, T02 missing: 66 + 0 = +5 over 61 -> iCPD (a
    # missing lesion can only add). T01 65: +4 -> not confirmed; partial 65 over
    # nadir 50 is +15, 325 >= 300 -> still PD -> iUPD.
    targets = [target("T01", 30, site="LIVER"), target("T02", 20, site="LUNG")]
    visits = [visit(42, {"T01": 40, "T02": 21}), visit(84, {"T01": 66, "T02": None})]
    assert overall(run(targets, visits)) == ["iUPD", "iCPD"]
    visits[1] = visit(84, {"T01": 65, "T02": None})
    assert overall(run(targets, visits)) == ["iUPD", "iUPD"]


def test_at_most_five_new_targets_in_total():
    # six measurable 10 mm new lesions in six organs on day 42 (I-01: listed order):
    # NEW01-NEW05 are new targets (5 x 10 = 50 mm), NEW06 is a new non-target
    news = [new(f"NEW0{k}", 10, site=f"ORGAN{k}", measurable=True) for k in range(1, 7)]
    out = run(T50, [visit(42, {"T01": 40}, news=news)])
    assert out["timepoints"][0]["new_target_sum_mm"] == 50.0


def reasons(targets, visits, nts=None):
    from recist import assess
    from recist.formats.case import load_case

    reading = load_case(case(targets, visits, nts=nts, criteria="iRECIST"))
    return [tp.overall.reason for tp in assess(reading).timepoints]


def test_irecist_reasons_name_what_progressed_and_what_confirmed():
    # day 0 = 2026-01-05, day 42 = 2026-02-16, day 84 = 2026-03-30
    # NEW01 on day 42 (iUPD); still there 14 days later: < 28 days, cannot confirm
    got = reasons(
        T50,
        [
            visit(42, {"T01": 40}, news=[new("NEW01")]),
            visit(56, {"T01": 40}, news=[new("NEW01")]),
        ],
    )
    assert got[1] == (
        "iUPD: still progressing, not confirmed (only 14 days after the iUPD; "
        "confirmation needs >= 28): new lesion NEW01 still present"
    )
    # exactly 28 days later it may confirm: still iUPD, without the "only ... days"
    got = reasons(
        T50,
        [
            visit(42, {"T01": 40}, news=[new("NEW01")]),
            visit(70, {"T01": 40}, news=[new("NEW01")]),
        ],
    )
    assert (
        got[1]
        == "iUPD: still progressing, not confirmed: new lesion NEW01 still present"
    )
    # 40 -> 50 (+10 over nadir 40) iUPD on day 84; 56 on day 126: 56 - 50 = +6 mm
    got = reasons(
        T50, [visit(42, {"T01": 40}), visit(84, {"T01": 50}), visit(126, {"T01": 56})]
    )
    assert got[2] == (
        "iCPD: iUPD of 2026-03-30 confirmed 42 days later by target sum +6 mm over "
        "50 mm at the iUPD on 2026-03-30 (>= 5 mm)"
    )
    # a non-target trigger confirmed "again"; after a new-lesion trigger, "now"
    up = {"NT01": "UNEQUIVOCAL PROGRESSION"}
    got = reasons(
        T50, [visit(42, {"T01": 40}, up), visit(84, {"T01": 40}, up)], ["NT01"]
    )
    assert got[1].endswith(
        "confirmed 42 days later by non-target unequivocal progression again"
    )
    first = visit(42, {"T01": 40}, news=[new("NEW01")])
    got = reasons(T50, [first, visit(84, {"T01": 40}, up, [new("NEW01")])], ["NT01"])
    assert got[1].endswith(
        "confirmed 42 days later by non-target unequivocal progression now"
    )
