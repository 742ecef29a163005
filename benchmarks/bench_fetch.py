"""Download one 64-image visit from a private Orthanc (``python -m benchmarks fetch``).

Compares ``recist fetch`` (one series-level WADO-RS request per series) with
the same download done instance by instance (one WADO-RS request per
instance, as ``fetch`` did before), in the same run; best of 3 each, into an
empty folder every time.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path


def _best(func, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    from recist.dicom._web import DicomWebSource, _retrieve_one
    from sample_dicom import generate
    from tests.recist._orthanc import find_orthanc, running_orthanc

    found = find_orthanc()
    if isinstance(found, str):
        print(f"  skipped: {found}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "sample")
        files = sorted((root / "sample" / "20260105_baseline" / "CT").glob("*.dcm"))
        with running_orthanc(root / "orthanc", *found) as server:
            server.upload(files)
            src = DicomWebSource(server.dicomweb_url)
            study = src.studies()[0]["study_uid"]
            (series,) = src.series(study)

            def by_series() -> None:
                out = root / "a"
                shutil.rmtree(out, ignore_errors=True)
                got = src.retrieve_report(study, dest=out)
                assert got.downloaded == len(files)

            def by_instance() -> None:
                out = root / "b"
                shutil.rmtree(out, ignore_errors=True)
                web = src._web()
                for s, sop in src._instances(study, None):
                    ds = src._call("retrieve", _retrieve_one(web, study, s, sop))
                    src._save(out, study, s, sop, ds)

            t_series = _best(by_series)
            t_instance = _best(by_instance)
    n = len(files)
    print(f"  {n} instances, series {series['series_uid'][-12:]}")
    print(f"  one request per instance (before) {t_instance:8.2f} s")
    print(f"  one request per series (fetch)    {t_series:8.2f} s")
    print(f"  ratio per-instance / series       {t_instance / t_series:8.1f}x")
