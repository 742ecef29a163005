"""Readings for store tests: one liver target whose diameter is given per visit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from recist.model import Baseline, Lesion, Measurement, Reading, TimePoint

DATES = (
    dt.date(2026, 1, 5),
    dt.date(2026, 2, 16),  # day 42: SD here counts for BOR (sd_min_days 42)
    dt.date(2026, 3, 30),
    dt.date(2026, 5, 11),
)
PASSWORDS = {"ann": "ann-secret-1", "bob": "bob-secret-2", "cat": "cat-secret-3"}


def reading(values_mm: Sequence[int | str], *, site: str = "LIVER") -> Reading:
    """A reading whose target T01 measures ``values_mm`` at DATES[0], [1], ..."""
    target = Lesion(
        lesion_id="T01",
        role="TARGET",
        site=site,
        baseline=Measurement.of_mm(str(values_mm[0])),
    )
    followups = tuple(
        TimePoint(date=DATES[k], targets={"T01": Measurement.of_mm(str(v))})
        for k, v in enumerate(values_mm[1:], start=1)
    )
    return Reading(
        baseline=Baseline(date=DATES[0], targets=(target,)), followups=followups
    )


def upto(full: Reading, k: int) -> Reading:
    """The reading's baseline and its first ``k`` follow-ups."""
    return replace(full, followups=full.followups[:k])


def setup_trial(store, *, subjects: Sequence[str] = ("S1",)) -> dict:
    """Readers ann, bob (reader) and cat (adjudicator); subjects on DATES; assigned."""
    from recist.store import Actor, TimePointSpec

    admin = Actor.os_admin()
    for name, role in (("ann", "reader"), ("bob", "reader"), ("cat", "adjudicator")):
        store.add_reader(admin, name, role=role, password=PASSWORDS[name])
    for s in subjects:
        store.add_subject(
            admin, s, [TimePointSpec(date=d, image_path=f"/img/{s}/{d}") for d in DATES]
        )
    store.assign(admin)
    return {n: store.authenticate(n, p) for n, p in PASSWORDS.items()}


def read_and_sign(store, actor, usubjid: str, full: Reading, *, through: int = 3):
    """Save and sign time points 0..through in order, as a reader would."""
    version = store.load_read(actor, usubjid).version
    for k in range(through + 1):
        version = store.save_read(
            actor, usubjid, upto(full, k), expected_version=version
        )
        store.sign(actor, usubjid, DATES[k], password=PASSWORDS[actor.name])
        version = store.load_read(actor, usubjid).version
    return version
