"""The reference visit: the nadir per the engine, the previous; sums by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from recist.model import Baseline, Lesion, Measurement, Reading, TimePoint
from recist.terms import LesionRole
from viewer._navigation import nadir_date, reference_index

D = [
    dt.date(2026, 1, 5),
    dt.date(2026, 2, 16),
    dt.date(2026, 3, 30),
    dt.date(2026, 5, 11),
]


def _reading(*fups: tuple[float | None, float]) -> Reading:
    """Baseline T01 30 + T02 20 = 50 mm; one follow-up per (T01, T02) pair."""
    targets = tuple(
        Lesion(
            lesion_id=lid,
            role=LesionRole.TARGET,
            site="LIVER",
            baseline=Measurement.of_mm(v),
        )
        for lid, v in (("T01", 30), ("T02", 20))
    )

    def value(v: float | None) -> Measurement:
        return Measurement.not_evaluated() if v is None else Measurement.of_mm(v)

    tps = tuple(
        TimePoint(date=D[i + 1], targets={"T01": value(a), "T02": value(b)})
        for i, (a, b) in enumerate(fups)
    )
    return Reading(baseline=Baseline(date=D[0], targets=targets), followups=tps)


@pytest.mark.parametrize(
    ("fups", "at", "nadir"),
    [
        # sums BL 50, FU1 30, FU2 40, FU3 50: at FU3 the nadir is FU1's 30
        pytest.param([(20, 10), (25, 15), (30, 20)], 3, 1, id="nadir-not-previous"),
        # FU3 not recorded yet: the engine is asked with an empty FU3
        pytest.param([(20, 10), (25, 15)], 3, 1, id="unrecorded-visit"),
        # FU1 30 and FU2 30 tie: the latest is shown
        pytest.param([(20, 10), (15, 15)], 3, 2, id="tie-latest"),
        # FU1 not evaluable (no complete sum): at FU2 the nadir is the baseline
        pytest.param([(None, 10)], 2, 0, id="ne-sum-skipped"),
        # rising sums: the baseline stays the nadir
        pytest.param([(35, 20), (40, 20)], 3, 0, id="baseline-nadir"),
    ],
)
def test_nadir_visit_is_the_engines(fups, at, nadir):
    r = _reading(*fups)
    assert nadir_date(r, D[at]) == D[nadir]


def test_reference_index_per_kind():
    r = _reading((20, 10), (25, 15))  # sums 50, 30, 40
    kw = {"current": 3, "baseline": 0, "reading": r}
    assert reference_index("baseline", D, **kw) == 0
    assert reference_index("nadir", D, **kw) == 1
    assert reference_index("previous", D, **kw) == 2
    assert reference_index("nadir", D, current=0, baseline=0, reading=r) == 0
    with pytest.raises(ValueError, match="reference must be one of"):
        reference_index("best", D, **kw)
