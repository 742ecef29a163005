"""Lesion propagation: accuracy against the tracking study's truth, and time.

``python -m benchmarks propagate`` prints

1. per lesion and follow-up of the tracking study (``sample_dicom --tracking``):
   the distance from the true centre of (a) the same LPS point (today's
   carry-forward ring), (b) the whole-body rigid map, (c) rigid + local step,
   (d) the proposal (centre of what was segmented there), and the proposed RECIST
   value vs the truth; then the share within min(radius, 10 mm) and the means;
2. the time to propose every lesion of one follow-up of 300 x 512 x 512
   (reading the two series, the rigid registration, each local step), beside
   the time to read its DICOM in the same run.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from sample_dicom._moved import FOLLOWUPS, FollowUpDesign, Motion, generate_tracking


def _accuracy(root: Path) -> None:
    from measurements.registration import refine_local, register_rigid
    from recist.autoread import _series_by_date, load_seeds, read_from_seeds
    from recist.dicom import read_volume
    from recist.tracking import propose

    study = generate_tracking(root)
    reading = read_from_seeds(root, load_seeds(study.seeds_path))
    series = _series_by_date(root)
    base = study.truth["visits"][0]
    bvol = read_volume(series[dt.date.fromisoformat(base["date"])])
    bl = {les["id"]: les for les in base["lesions"]}
    rows = []
    local_s: list[float] = []
    head = f"  {'visit':8} {'lesion':6} {'same LPS':>9} {'rigid':>7} {'local':>7} "
    print(head + f"{'proposal':>9} {'RECIST':>7} {'truth':>7}  flags")
    for v in study.truth["visits"][1:]:
        day = dt.date.fromisoformat(v["date"])
        fvol = read_volume(series[day])
        rig = register_rigid(bvol, fvol)
        result = {p.lesion_id: p for p in propose(reading, root, day).proposals}
        for les in v["lesions"]:
            c, truth = bl[les["id"]]["center_lps"], les["center_lps"]
            loc = refine_local(
                bvol, fvol, c, rig, lesion_radius_mm=les["radius_mm"] or 5
            )
            errs = [
                math.dist(c, truth),
                math.dist(rig.map_point(c), truth),
                math.dist(loc.map_point(c), truth),
            ]
            p = result.get(les["id"])
            prop = math.dist(p.center_lps, truth) if p and p.center_lps else math.nan
            value = p.measurement.diameter_mm if p and p.measurement else None
            if les["present"] and p is not None:
                rows.append((prop, min(les["radius_mm"], 10.0), errs))
            shown = "-" if value is None else f"{value}"
            truth_v = f"{les['recist_mm']:.1f}" if les["present"] else "gone"
            flags = ",".join(p.flags) if p else "not followed"
            print(
                f"  {v['label']:8} {les['id']:6} {errs[0]:9.1f} {errs[1]:7.1f} "
                f"{errs[2]:7.1f} {prop:9.1f} {shown:>7} {truth_v:>7}  {flags}"
            )
    n = len(rows)
    within = sum(e <= r for e, r, _ in rows)
    mean = float(np.mean([e for e, _, _ in rows]))
    print(
        f"  present lesions followed: {n}; proposal centre within min(radius, 10 mm): "
        f"{within}/{n} = {100 * within / n:.0f} %; mean error {mean:.2f} mm"
    )
    print(
        f"  local refinement per lesion: median {np.median(local_s):.2f} s, "
        f"max {max(local_s):.2f} s"
    )
    for k, name in enumerate(("same LPS point", "rigid", "rigid + local")):
        errs = [e[k] for _, _, e in rows]
        ok = sum(e <= r for e, (_, r, _) in zip(errs, rows, strict=True))
        print(f"    {name:15} mean {np.mean(errs):6.2f} mm, within {ok}/{n}")


def _timing(root: Path) -> None:
    from recist.autoread import _series_by_date, load_seeds, read_from_seeds
    from recist.dicom import read_volume
    from recist.tracking import propose

    big = (512, 512, 300)
    baseline = FollowUpDesign(
        label="baseline",
        date="2026-01-05",
        motion=Motion(),
        pixel_spacing_mm=0.75,
        slice_spacing_mm=0.6,
        size=big,
        origin_mm=(-191.6, -191.6, -130.0),
    )
    fu = FollowUpDesign(
        label="week06",
        date="2026-02-16",
        motion=FOLLOWUPS[0].motion,
        pixel_spacing_mm=0.78,
        slice_spacing_mm=0.6,
        size=big,
        origin_mm=(-190.0, -205.0, -118.0),
        scale=FOLLOWUPS[0].scale,
    )
    t0 = time.perf_counter()
    study = generate_tracking(root, followups=(fu,), baseline=baseline)
    took = time.perf_counter() - t0
    print(f"  generated 2 x {big[2]} x {big[1]} x {big[0]} in {took:.1f} s")
    reading = read_from_seeds(root, load_seeds(study.seeds_path))
    series = _series_by_date(root)
    day = dt.date(2026, 2, 16)
    t0 = time.perf_counter()
    read_volume(series[day])
    read_volume(series[dt.date(2026, 1, 5)])
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = propose(reading, root, day)
    t_prop = time.perf_counter() - t0
    n = len(result.proposals)
    print(f"  read both series: {t_read:.2f} s")
    print(
        f"  propose {n} lesions on one follow-up of 300 x 512^2: {t_prop:.2f} s "
        f"({t_prop / t_read:.1f}x reading the two series)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print("accuracy on the tracking study (2 follow-ups, 320 x 320 baseline):")
        _accuracy(Path(tmp) / "small")
        print("time on a 300 x 512 x 512 follow-up:")
        _timing(Path(tmp) / "big")
