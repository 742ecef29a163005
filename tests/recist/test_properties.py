"""Hypothesis properties of the engine.

Stated precisely:
1. Order: permuting baseline targets, non-targets, follow-up maps and new lesions
   changes no response (valid readings: distinct organs, all measurable).
2. Units: writing every diameter in cm (exact /10) and converting back gives the
   same output.
3. Scale: multiplying every diameter by k >= 1 (non-nodal targets, no TOO_SMALL, so
   measurability holds and the 5 mm default and the 10 mm node limit stay out)
   keeps a target CR, PR and PD; an SD stays SD unless the relative PD test
   (5 S >= 6 N) already held and only the absolute +5 mm kept it from PD.
4. New lesions: adding an unequivocal new lesion at a visit makes that visit PD
   and never makes the best response a better response (CR > PR > SD >
   NON-CR/NON-PD > no response); likewise under iRECIST.
5. Boundaries: 10 S = 7 B is PR, one tenth more is not; S - N = 5 with
   5 S >= 6 N is PD, one tenth less is not.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from recist.formats.case import assess_json
from recist.rules.recist11 import target_response_from_sums
from recist.terms import Response as R
from tests.recist._build import case, new, target, visit

tenths = st.integers(min_value=0, max_value=1500).map(lambda n: Decimal(n) / 10)
sizes = st.integers(min_value=100, max_value=1500).map(lambda n: Decimal(n) / 10)
nt_state = st.sampled_from(
    ["ABSENT", "PRESENT", "UNEQUIVOCAL PROGRESSION", "NOT EVALUATED"]
)


@st.composite
def readings(draw, *, nodes: bool = True, too_small: bool = True, criteria=None):
    n_t = draw(st.integers(0, 5))
    n_nt = draw(st.integers(0 if n_t else 1, 3))
    targets = []
    for i in range(n_t):
        nodal = nodes and draw(st.booleans()) and not any(t["nodal"] for t in targets)
        d = draw(sizes.filter(lambda x: x >= 15) if nodal else sizes)
        site = "LYMPH NODE" if nodal else f"ORGAN{i}"
        targets.append(target(f"T0{i + 1}", d, site=site, nodal=nodal))
    nts = [f"NT0{i + 1}" for i in range(n_nt)]
    values = [tenths, st.none()]
    if too_small:
        values.append(st.just("TOO_SMALL"))
    value = st.one_of(*values)
    visits = []
    n_v = draw(st.integers(0, 5))
    days = sorted(draw(st.sets(st.integers(7, 400), min_size=n_v, max_size=n_v)))
    for k, d in enumerate(days):
        tv = {t["id"]: draw(value) for t in targets}
        ns = {n: draw(nt_state) for n in nts}
        news = []
        if draw(st.integers(0, 5)) == 0:
            news.append(
                new(
                    f"NEW{k}",
                    draw(st.one_of(st.none(), sizes)),
                    equivocal=draw(st.booleans()),
                    measurable=draw(st.booleans()),
                    site=f"SITE{k}",
                )
            )
        visits.append(visit(d, tv, ns, news))
    crit = criteria or draw(st.sampled_from(["RECIST 1.1", "iRECIST"]))
    return case(
        targets, visits, nts=nts, criteria=crit, confirmation=draw(st.booleans())
    )


def responses(out):
    keys = (
        "sum_mm",
        "target",
        "non_target",
        "new_lesions",
        "overall",
        "new_target_sum_mm",
    )
    return (
        [tuple(t.get(k) for k in keys) for t in out["timepoints"]],
        out["best_overall_response"],
        out["baseline_sum_mm"],
    )


@settings(max_examples=150, deadline=None)
@given(readings(), st.randoms(use_true_random=False))
def test_invariant_to_lesion_order(c, rnd):
    shuffled = copy.deepcopy(c)
    rnd.shuffle(shuffled["baseline"]["targets"])
    rnd.shuffle(shuffled["baseline"]["non_targets"])
    for v in shuffled["followups"]:
        items = list(v["targets"].items())
        rnd.shuffle(items)
        v["targets"] = dict(items)
        items = list(v["non_targets"].items())
        rnd.shuffle(items)
        v["non_targets"] = dict(items)
    assert responses(assess_json(shuffled)) == responses(assess_json(c))


def _scale(c, f):
    c = copy.deepcopy(c)

    def s(x):
        if isinstance(x, Decimal):
            return f(x)
        if isinstance(x, list):
            return [f(y) for y in x]
        return x

    for t in c["baseline"]["targets"]:
        t["diameter_mm"] = f(t["diameter_mm"])
    for v in c["followups"]:
        v["targets"] = {k: s(x) for k, x in v["targets"].items()}
        for n in v["new_lesions"]:
            n["diameter_mm"] = s(n["diameter_mm"])
    return c


@settings(max_examples=150, deadline=None)
@given(readings())
def test_invariant_to_listing_units(c):
    in_cm = _scale(c, lambda x: x / 10)
    back = _scale(in_cm, lambda x: x * 10)
    assert responses(assess_json(back)) == responses(assess_json(c))


@settings(max_examples=200, deadline=None)
@given(
    readings(nodes=False, too_small=False, criteria="RECIST 1.1"),
    st.sampled_from([Decimal(1), Decimal("1.5"), Decimal(2), Decimal(3), Decimal(10)]),
)
def test_scaling_keeps_cr_pr_pd_and_sd_unless_5mm_decided(c, k):
    before = assess_json(c)
    after = assess_json(_scale(c, lambda x: x * k))
    if "error" in before:
        return
    for b, a in zip(before["timepoints"], after["timepoints"], strict=True):
        if b["target"] in ("CR", "PD", "NA"):
            assert a["target"] == b["target"], (b, a)
        elif b["target"] in ("PR", "SD") and a["target"] != b["target"]:
            # only the absolute +5 mm rule can have kept it from PD; a PR can be
            # +20 % over its nadir too (e.g. 1.7 mm over a nadir of 0 after CR)
            assert a["target"] == "PD", (b, a)
            assert b["pct_from_nadir"] is None or b["pct_from_nadir"] >= 19.9, (b, a)


BENEFIT = {
    "CR": 4,
    "PR": 3,
    "SD": 2,
    "NON-CR/NON-PD": 1,
    "iCR": 4,
    "iPR": 3,
    "iSD": 2,
    "NON-iCR/NON-iUPD": 1,
}


@settings(max_examples=200, deadline=None)
@given(readings(), st.data())
def test_adding_a_new_lesion_never_improves(c, data):
    before = assess_json(c)
    if "error" in before or not c["followups"]:
        return
    k = data.draw(st.integers(0, len(c["followups"]) - 1))
    more = copy.deepcopy(c)
    more["followups"][k]["new_lesions"].append(new("EXTRA", None, site="BRAIN"))
    after = assess_json(more)
    assert after["timepoints"][k]["overall"] in ("PD", "iUPD", "iCPD")
    assert after["timepoints"][k]["new_lesions"] == "Y"
    b = BENEFIT.get(before["best_overall_response"], 0)
    a = BENEFIT.get(after["best_overall_response"], 0)
    assert a <= b, (before["best_overall_response"], after["best_overall_response"])


@given(st.integers(min_value=10, max_value=3000))
def test_pr_boundary(b_tenths):
    b = (
        Decimal(b_tenths * 10) / 10
    )  # baseline a multiple of 1 mm, so 0.7 B is in tenths
    s = b * 7 / 10
    assert target_response_from_sums(s, baseline_mm=b, nadir_mm=b).value is R.PR
    above = s + Decimal("0.1")
    assert target_response_from_sums(above, baseline_mm=b, nadir_mm=b).value is R.SD


@given(st.integers(min_value=0, max_value=3000))
def test_pd_boundary(n_tenths):
    n = Decimal(n_tenths) / 10
    b = n + 1000
    s = max(n + 5, n * 6 / 5)  # the least sum meeting both tests
    assert target_response_from_sums(s, baseline_mm=b, nadir_mm=n).value is R.PD
    below = s - Decimal("0.01")
    assert target_response_from_sums(below, baseline_mm=b, nadir_mm=n).value is not R.PD
