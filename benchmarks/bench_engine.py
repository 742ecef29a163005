"""Engine benchmark: 1,000 subjects x 10 time points through ``recist.assess``.

Readings are built in memory (seeded), so only the rules are timed; the
same-run baseline is a plain Decimal sum over the same measurements, to give a
ratio that is comparable across machines.  Run ``python -m benchmarks engine``
or ``python -m benchmarks.bench_engine``.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

from recist import assess
from recist.model import (
    Baseline,
    Lesion,
    Measurement,
    NewLesion,
    Options,
    Reading,
    TimePoint,
)
from recist.terms import Criteria, LesionRole, NonTargetState

N_SUBJECTS = 1000
N_VISITS = 10


def make_readings(
    n: int = N_SUBJECTS, visits: int = N_VISITS, *, criteria: Criteria, seed: int = 5
) -> list[Reading]:
    rnd = random.Random(seed)
    start = dt.date(2026, 1, 5)
    out = []
    for s in range(n):
        targets = tuple(
            Lesion(
                lesion_id=f"T0{i + 1}",
                role=LesionRole.TARGET,
                site=f"ORGAN{i}",
                nodal=i == 0,
                baseline=Measurement.of_mm(Decimal(rnd.randint(150, 600)) / 10),
            )
            for i in range(rnd.randint(1, 5))
        )
        nts = tuple(
            Lesion(lesion_id=f"NT0{i + 1}", role=LesionRole.NON_TARGET, site=f"NT{i}")
            for i in range(rnd.randint(0, 3))
        )
        tps = []
        for v in range(visits):
            factor = Decimal(rnd.randint(40, 130)) / 100
            values = {
                t.lesion_id: Measurement.of_mm(
                    ((t.diameter_mm or Decimal(0)) * factor).quantize(Decimal("0.1"))
                )
                for t in targets
            }
            states = {
                n.lesion_id: rnd.choice(
                    [NonTargetState.PRESENT] * 8
                    + [NonTargetState.ABSENT, NonTargetState.UNEQUIVOCAL_PROGRESSION]
                )
                for n in nts
            }
            news = ()
            if rnd.random() < 0.05:
                news = (NewLesion(lesion_id=f"NEW{v}", site="BRAIN", measurable=False),)
            tps.append(
                TimePoint(
                    date=start + dt.timedelta(days=42 * (v + 1)),
                    targets=values,
                    non_targets=states,
                    new_lesions=news,
                )
            )
        out.append(
            Reading(
                baseline=Baseline(date=start, targets=targets, non_targets=nts),
                followups=tuple(tps),
                criteria=criteria,
                options=Options(),
                subject_id=f"S{s:04d}",
            )
        )
    return out


def _best_of(func, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    for criteria in (Criteria.RECIST_1_1, Criteria.IRECIST):
        readings = make_readings(criteria=criteria)

        def run(readings: list[Reading] = readings) -> None:
            for r in readings:
                assess(r)

        def baseline(readings: list[Reading] = readings) -> None:
            for r in readings:
                for tp in r.followups:
                    sum(
                        (m.value_mm or Decimal(0) for m in tp.targets.values()),
                        Decimal(0),
                    )

        t = _best_of(run)
        b = _best_of(baseline)
        print(
            f"  engine {criteria.value:<10} {N_SUBJECTS} subjects x {N_VISITS} visits: "
            f"{t * 1e3:8.1f} ms (best of 3; {t / b:5.1f}x a plain Decimal sum "
            f"of {b * 1e3:.1f} ms)"
        )


if __name__ == "__main__":
    main()
