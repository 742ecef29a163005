"""What OHIF v3's SR loader shows of recist's SRs (``python -m benchmarks ohif``).

Exports the synthetic sample study's reading (four time points) and a reading
using every lesion state to SR, runs OHIF's published SR parsing code on them
(:mod:`benchmarks.ohif_harness`) and prints, per SR, the measurements OHIF
read, the callipers it handed to cornerstone to draw, and any error; then the
time of one OHIF run against the time of writing the same SRs (same run).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path


def main() -> None:
    from benchmarks import ohif_harness as oh

    why = oh.missing()
    if why:
        print(f"  skipped: {why}")
        return
    from recist.export.sr import export_sr
    from sample_dicom import generate
    from tests.recist.test_sr_roundtrip import _every_state, sample_reading

    t0 = time.perf_counter()
    oh.install()
    print(
        f"  npm packages ready in {time.perf_counter() - t0:.1f} s ({oh.cache_dir()})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sample = root / "sample"
        generate(sample)
        t0 = time.perf_counter()
        srs = export_sr(sample_reading(sample), sample, root / "srs")
        srs += export_sr(_every_state(sample), sample, root / "every")
        t_export = time.perf_counter() - t0
        t0 = time.perf_counter()
        found = oh.run(srs, sample)
        t_ohif = time.perf_counter() - t0
    print(f"  {'SR':<32} {'groups':>6} {'drawn':>5} {'tools':<12} error")
    for path, r in zip(srs, found, strict=True):
        planar = [m for m in r["measurements"] if m["coordinates"]]
        tools = sorted({t for m in r["measurements"] for t in m["tools"]})
        name = f"{path.parent.name}/{path.name}"
        drawn = f"{len(r['annotations'])}/{len(planar)}"
        print(
            f"  {name:<32} {len(r['measurements']):>6} {drawn:>5} "
            f"{','.join(tools) or '-':<12} {r.get('error', '')}"
        )
    print(
        f"  OHIF run on {len(srs)} SRs: {t_ohif:.2f} s; writing them: "
        f"{t_export:.2f} s (ratio {t_ohif / t_export:.2f})"
    )
