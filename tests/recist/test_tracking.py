"""Lesion propagation on the generated tracking study (truth from sample_dicom).

The follow-ups are the sample body rotated (3-5 deg), shifted (12-16 mm) and
deformed by a breathing-like field (6-8 mm), scanned with other pixel and slice
spacing; T03 vanishes at week 6, others shrink or grow.  The truth
(``truth.tracking.json``) is the generator's own transform applied to the design
centres; registration never sees it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from decimal import Decimal

import pytest

from recist import assess
from recist.autoread import load_seeds, read_from_seeds
from recist.cli import main
from recist.errors import InvalidInputError
from recist.formats.reading import load_reading, save_reading
from recist.tracking import (
    _sources,
    accept_proposal,
    propose,
    reject_proposal,
    with_proposals,
)
from sample_dicom import generate_tracking

WEEK6, WEEK12 = dt.date(2026, 2, 16), dt.date(2026, 3, 30)


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    root = tmp_path_factory.mktemp("tracking")
    study = generate_tracking(root)
    read = read_from_seeds(root, load_seeds(study.seeds_path), reader="autoread")
    # the reader placed NT01's location at baseline (the design centre of the lesion)
    base = {les["id"]: les for les in study.truth["visits"][0]["lesions"]}
    nts = tuple(
        dataclasses.replace(n, location_lps=tuple(base[n.lesion_id]["center_lps"]))
        for n in read.baseline.non_targets
    )
    reading = dataclasses.replace(
        read, baseline=dataclasses.replace(read.baseline, non_targets=nts)
    )
    results = {day: propose(reading, root, day) for day in (WEEK6, WEEK12)}
    truth = {
        v["date"]: {les["id"]: les for les in v["lesions"]}
        for v in study.truth["visits"]
    }
    return root, reading, results, truth, read


def test_centres_within_radius_and_mean_error(tracked):
    _, _, results, truth, _ = tracked
    errors, within = [], []
    for day, result in results.items():
        for p in result.proposals:
            t = truth[day.isoformat()][p.lesion_id]
            if not t["present"]:
                continue
            assert p.found, (p.lesion_id, day, p.reason, p.flags)
            err = math.dist(p.center_lps, t["center_lps"])
            errors.append(err)
            within.append(err <= min(t["radius_mm"], 10.0))
    assert len(errors) == 9  # T01, T02, T04, NT01 at week 6; all five at week 12
    assert sum(within) / len(within) >= 0.95, errors
    assert sum(errors) / len(errors) <= 3.0, errors


def test_vanished_lesion_flagged_not_invented(tracked):
    _, _, results, truth, _ = tracked
    assert truth["2026-02-16"]["T03"]["present"] is False
    t03 = next(p for p in results[WEEK6].proposals if p.lesion_id == "T03")
    assert not t03.found
    assert t03.measurement is None
    assert "SEGMENTATION_FAILED" in t03.flags, t03.reason  # the reader is told why


def test_proposed_axes_match_truth(tracked):
    _, _, results, truth, _ = tracked
    for day, result in results.items():
        for p in result.proposals:
            t = truth[day.isoformat()][p.lesion_id]
            if p.measurement is None:  # not found, or a non-target's location
                continue
            # the design value x scale; 1 pixel + 5 % (in-plane stretch < 3 %)
            pixel = 1.1 if day == WEEK6 else 1.3
            got = float(p.measurement.diameter_mm)
            assert abs(got - t["recist_mm"]) <= pixel + 0.05 * t["recist_mm"], (
                p.lesion_id,
                day,
                got,
                t["recist_mm"],
            )
            assert len(p.measurement.endpoints_lps) == 2
            assert p.measurement.image is not None  # the slice it was measured on


def test_nontarget_without_location_is_listed(tracked):
    _, _, results, _, unplaced = tracked
    assert results[WEEK6].skipped == ()
    nt01 = next(p for p in results[WEEK6].proposals if p.lesion_id == "NT01")
    assert nt01.role == "NON-TARGET"
    assert nt01.measurement is None
    _, skipped = _sources(unplaced, WEEK6)
    assert ("NT01", "non-target without a recorded location") in skipped


def test_engine_ignores_proposals_until_accepted(tracked, tmp_path):
    _, reading, results, _, _ = tracked
    proposed = with_proposals(reading, results[WEEK6].proposals)
    before, during = assess(reading), assess(proposed)
    assert len(during.timepoints) == len(before.timepoints) == 0
    # the reading file keeps them exactly
    path = tmp_path / "r.json"
    save_reading(proposed, path)
    assert load_reading(path) == proposed
    # accept T01, reject T02: T01 is measured, with an audit entry
    accepted = accept_proposal(
        proposed, "T01", WEEK6, reader="dr-a", when="2026-12-03T10:00:00"
    )
    accepted = reject_proposal(
        accepted, "T02", WEEK6, reader="dr-a", when="2026-12-03T10:01:00"
    )
    tp = accepted.followups[0]
    t01 = next(p for p in results[WEEK6].proposals if p.lesion_id == "T01")
    assert tp.date == WEEK6
    assert tp.targets["T01"] == t01.measurement
    assert "T02" not in tp.targets
    assert {p.lesion_id for p in accepted.proposals} == {"T03", "T04", "NT01"}
    assert accepted.audit[-2].what.endswith(
        "proposed by registration, accepted by dr-a"
    )
    assert "rejected by dr-a" in accepted.audit[-1].what
    # an adjusted value is recorded as the reader's, not the proposal's
    adjusted = accept_proposal(
        proposed,
        "T01",
        WEEK6,
        reader="dr-b",
        measurement=t01.measurement.__class__.of_mm(Decimal("25.0")),
    )
    assert adjusted.followups[0].targets["T01"].diameter_mm == Decimal("25.0")
    assert "adjusted by dr-b" in adjusted.audit[-1].what
    with pytest.raises(InvalidInputError, match="not found"):
        accept_proposal(proposed, "T03", WEEK6, reader="dr-a")


def test_cli_propagate(tracked, tmp_path, capsys):
    root, reading, _, _, _ = tracked
    src = tmp_path / "base.json"
    save_reading(reading, src)
    out = tmp_path / "proposed.json"
    assert (
        main(
            [
                "propagate",
                str(src),
                "--images",
                str(root),
                "--timepoint",
                "2026-02-16",
                "--out",
                str(out),
                "--json",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    status = {p["id"]: p["status"] for p in doc["proposals"]}
    assert status == {
        "T01": "PROPOSED",
        "T02": "PROPOSED",
        "T03": "NOT_FOUND",
        "T04": "PROPOSED",
        "NT01": "PROPOSED",
    }
    assert len(load_reading(out).proposals) == 5
    # bad date, a date without images: one line, exit 2
    assert (
        main(
            [
                "propagate",
                str(src),
                "--images",
                str(root),
                "--timepoint",
                "16/02/2026",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    assert (
        main(
            [
                "propagate",
                str(src),
                "--images",
                str(root),
                "--timepoint",
                "2026-02-17",
                "--out",
                str(out),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "no series of 2026-02-17" in err
    assert "Traceback" not in err
