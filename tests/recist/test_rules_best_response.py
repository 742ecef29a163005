"""Best overall response tables (RECIST 1.1 §9 / Table 3), derived by hand.

One non-nodal target of 50 mm at baseline (day 0) unless said otherwise:
30 mm is PR (300 <= 350), 0 is CR, 40 is SD, None is NE. 35.5 after a nadir of
30 is SD (+5.5 mm but 177.5 < 180, and 355 > 350); 36 after 30 is PD (+6, 180).
"""

from __future__ import annotations

import pytest

from recist.formats.case import assess_json
from tests.recist._build import case, target, visit


def bor(seq, *, confirmation=True, targets=None, **opts):
    targets = targets or [target("T01", 50)]
    visits = [visit(d, {"T01": v}) for d, v in seq]
    out = assess_json(case(targets, visits, confirmation=confirmation, **opts))
    return out["best_overall_response"]


@pytest.mark.parametrize(
    ("seq", "expected"),
    [
        pytest.param([(42, 0), (70, 0)], "CR", id="cr-cr-28d"),
        pytest.param([(42, 0), (69, 0)], "SD", id="cr-cr-27d-unconfirmed"),
        pytest.param([(14, 0), (35, 0)], "NE", id="cr-cr-early-unconfirmed"),
        pytest.param([(42, 30), (70, 30)], "PR", id="pr-pr-28d"),
        pytest.param([(42, 30), (69, 30)], "SD", id="pr-pr-27d"),
        pytest.param([(42, 30), (70, 0)], "PR", id="pr-cr-confirms-pr"),
        pytest.param([(42, 30), (84, 35.5)], "SD", id="pr-sd"),
        pytest.param([(42, 30), (84, 36)], "SD", id="pr-pd-window-met"),
        pytest.param([(28, 30), (56, 36)], "PD", id="pr-pd-early"),
        pytest.param([(42, 30), (84, None)], "SD", id="pr-ne-window-met"),
        pytest.param([(28, 30), (56, None)], "NE", id="pr-ne-early"),
        pytest.param([(42, 30), (56, None), (70, 30)], "PR", id="pr-ne-pr-one-ne"),
        pytest.param([(42, 30), (56, None), (63, None), (70, 30)], "SD", id="two-ne"),
        pytest.param([(42, 30), (70, 35.5), (98, 30)], "SD", id="sd-breaks-pr"),
        pytest.param([(41, 40)], "NE", id="sd-day-41"),
        pytest.param([(42, 40)], "SD", id="sd-day-42"),
        pytest.param([(21, 40), (42, 60)], "PD", id="early-sd-then-pd"),
        pytest.param([(42, 40), (84, 60), (126, 0), (168, 0)], "SD", id="stops-at-pd"),
        pytest.param([], "NE", id="no-followup"),
    ],
)
def test_confirmed_bor(seq, expected):
    assert bor(seq) == expected


@pytest.mark.parametrize(
    ("seq", "expected"),
    [
        pytest.param([(42, 30), (84, 35.5)], "PR", id="pr-sd"),
        pytest.param([(14, 30)], "PR", id="early-pr-counts"),
        pytest.param([(14, 40)], "NE", id="early-sd-does-not"),
        pytest.param([(42, 0), (69, 30)], "CR", id="cr-then-pr"),
    ],
)
def test_unconfirmed_bor(seq, expected):
    assert bor(seq, confirmation=False) == expected


def test_sd_and_confirmation_windows_are_options():
    assert bor([(42, 30), (63, 30)], confirmation_min_days=21) == "PR"
    assert bor([(42, 30), (63, 30)]) == "SD"
    assert bor([(30, 40)], sd_min_days=30) == "SD"


def test_cr_then_pr_with_nodes_is_sd_and_warns():
    # node 20 -> 8 (CR) -> 11 (+3 over nadir 8: not PD; 110 <= 140: PR) -> SD
    node = [target("T01", 20, site="LYMPH NODE", nodal=True)]
    assert bor([(42, 8), (84, 11)], targets=node) == "SD"
    assert bor([(14, 8), (35, 11)], targets=node) == "NE"  # neither past day 42


def test_non_target_only_unconfirmed_cr_is_non_cr_non_pd():
    visits = [visit(42, {}, {"NT01": "ABSENT"}), visit(84, {}, {"NT01": "PRESENT"})]
    out = assess_json(case([], visits, nts=["NT01"]))
    assert [t["overall"] for t in out["timepoints"]] == ["CR", "NON-CR/NON-PD"]
    assert out["best_overall_response"] == "NON-CR/NON-PD"


NODE20 = [target("T01", 20, site="LYMPH NODE", nodal=True)]


@pytest.mark.parametrize(
    ("days", "overall", "confirmed", "unconfirmed"),
    [
        # Node 20 -> 12 -> 8 -> 11 mm (short axis). 12: 120 <= 140 -> PR (not CR,
        # 12 >= 10). 8: < 10 -> CR. 11: node >= 10, not CR; nadir min(20, 12, 8) = 8,
        # +3 mm -> not PD; 110 <= 140 -> PR.
        # Days 42, 56, 70: the PR of day 42 is first followed >= 28 days later by the
        # PR of day 70, and a PR follows a CR inside that stretch (§9.3) -> not
        # confirmed -> SD (day 42 meets the SD window); the CR of day 56 has no later
        # CR -> SD; the PR of day 70 has nothing later -> SD. BOR SD.
        pytest.param((42, 56, 70), ["PR", "CR", "PR"], "SD", "CR", id="pr-cr-pr"),
        # Days 42, 84, 126: the CR of day 84 (42 days later) confirms the PR of day 42
        # (PR -> CR: PR, §9.4) before the PR of day 126 -> BOR PR.
        pytest.param((42, 84, 126), ["PR", "CR", "PR"], "PR", "CR", id="pr-cr-then-pr"),
    ],
)
def test_node_pr_cr_pr_no_pr_after_cr_before_confirmation(
    days, overall, confirmed, unconfirmed
):
    visits = [visit(d, {"T01": v}) for d, v in zip(days, (12, 8, 11), strict=True)]
    out = assess_json(case(NODE20, visits))
    assert [t["overall"] for t in out["timepoints"]] == overall
    assert out["best_overall_response"] == confirmed
    off = assess_json(case(NODE20, visits, confirmation=False))
    assert off["best_overall_response"] == unconfirmed  # each counts as itself: CR


@pytest.mark.parametrize(
    "values",
    [
        # node 20: 12 PR, 12 PR, 8 CR, 11 PR (nadir 8, +3 mm). The PR of day 42 meets
        # its first CR/PR >= 28 days later on day 70; inside: PR, CR, PR -> the last PR
        # (index 2) follows the first CR (index 1) -> unconfirmed
        pytest.param((12, 12, 8, 11), id="pr-pr-cr-pr"),
        # 12 PR, 8 CR, 11 PR, 9 CR (< 10): inside: CR, PR, CR -> the PR follows the
        # first CR (index 0) although the confirming scan is a CR -> unconfirmed
        pytest.param((12, 8, 11, 9), id="pr-cr-pr-cr"),
    ],
)
def test_any_pr_after_a_cr_breaks_the_confirmation(values):
    # every other CR/PR has no confirming scan >= 28 days later either: all count
    # SD (days 42-70 meet the 42-day SD window) -> BOR SD
    visits = [
        visit(d, {"T01": v}) for d, v in zip((42, 49, 56, 70), values, strict=True)
    ]
    assert assess_json(case(NODE20, visits))["best_overall_response"] == "SD"


def test_public_defaults_confirm_with_a_42_day_sd_window():
    # the documented defaults: confirmation on, SD from day 42, targets present
    import datetime as dt

    from recist.rules.best_response import Assessment1, best_overall_response
    from recist.terms import Response as R

    base = dt.date(2026, 1, 5)

    def seq(*pairs):
        return [Assessment1(date=base + dt.timedelta(d), value=v) for d, v in pairs]

    # PR then SD: unconfirmed PR counts SD (on with confirmation), PR without it
    assert (
        best_overall_response(seq((42, R.PR), (84, R.SD)), baseline_date=base).value
        is R.SD
    )
    # SD on day 42 counts; on day 41 it would be NE
    assert best_overall_response(seq((42, R.SD)), baseline_date=base).value is R.SD
    # an unconfirmed CR counts SD with targets (NON-CR/NON-PD only without, R-12)
    assert best_overall_response(seq((42, R.CR)), baseline_date=base).value is R.SD


def test_warnings_only_for_cr_followed_by_pr_or_sd():
    # CR then PR/SD is a data issue to warn about; PR then SD, CR then CR are not
    import datetime as dt

    from recist.rules.best_response import Assessment1, cr_then_worse_warnings
    from recist.terms import Response as R

    def seq(*values):
        d = dt.date(2026, 2, 16)
        return [
            Assessment1(date=d + dt.timedelta(28 * k), value=v)
            for k, v in enumerate(values)
        ]

    assert cr_then_worse_warnings(seq(R.PR, R.SD)) == ()
    assert cr_then_worse_warnings(seq(R.CR, R.CR, R.PD)) == ()
    assert len(cr_then_worse_warnings(seq(R.CR, R.SD, R.CR, R.PR))) == 2


def test_bor_reason_says_when_assessments_after_pd_are_ignored():
    # SD day 42, PD day 84, CR day 126: the window ends at the PD -> BOR SD
    out = bor([(42, 40), (84, 60), (126, 0)], confirmation=False)
    assert out == "SD"
    import datetime as dt

    from recist.rules.best_response import Assessment1, best_overall_response
    from recist.terms import Response as R

    base = dt.date(2026, 1, 5)
    two = [Assessment1(date=base + dt.timedelta(42), value=R.SD)]
    got = best_overall_response(two, baseline_date=base)
    assert "ignored" not in got.reason  # nothing after a PD: nothing ignored
    three = [*two, Assessment1(date=base + dt.timedelta(84), value=R.PD)]
    three.append(Assessment1(date=base + dt.timedelta(126), value=R.CR))
    got = best_overall_response(three, baseline_date=base)
    assert got.reason.endswith("assessments after the first PD on 2026-03-30 ignored")
