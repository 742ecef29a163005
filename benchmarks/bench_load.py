"""Load benchmark: a 300-slice 512x512 int16 CT series, read six ways, same run.

``python -m benchmarks load`` generates the series once (cached under /tmp),
reads every file's bytes once to warm the page cache, then runs each reader in
its own subprocess (imports done before timing), best of 3, and reports the
peak resident memory the reads added (``ru_maxrss`` minus the RSS before the
first read) against the volume's own size.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_SLICES, ROWS, COLS = 300, 512, 512
CACHE = Path(tempfile.gettempdir()) / "recist-bench-load-v1"
RLE_CACHE = Path(tempfile.gettempdir()) / "recist-bench-load-rle-v1"
VOLUME_BYTES = N_SLICES * ROWS * COLS * 2


def make_series(folder: Path = CACHE) -> Path:
    """Write the synthetic series once (uint16 12-bit stored, intercept -1024)."""
    done = folder / ".complete"
    if done.exists():
        return folder
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:ROWS, :COLS]
    body = ((yy - 256) ** 2 / 200**2 + (xx - 256) ** 2 / 240**2) < 1
    series, study = generate_uid(), generate_uid()
    order = rng.permutation(N_SLICES)  # file names not in z order
    for k in range(N_SLICES):
        img = np.where(body, 1024 + 40, 24).astype(np.int32)
        img += rng.integers(-20, 21, size=img.shape)
        px = np.clip(img, 0, 4095).astype(np.uint16)
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
        ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
        ds.PatientName, ds.PatientID, ds.StudyDate, ds.Modality = (
            "Bench",
            "B1",
            "20240101",
            "CT",
        )
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SeriesDescription = "bench 300x512x512"
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [-200, -200, f"{-300 + 1.25 * k:.2f}"]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [0.78125, 0.78125]
        ds.SliceThickness = 1.25
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.Rows, ds.Columns = ROWS, COLS
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = (
            16,
            12,
            11,
            0,
        )
        ds.PixelData = px.tobytes()
        ds.save_as(folder / f"{order[k]:05d}", enforce_file_format=True)
    done.write_text("ok")
    return folder


def make_rle_series(folder: Path = RLE_CACHE) -> Path:
    """RLE Lossless copies of the series' files (pylibjpeg-rle's encoder)."""
    done = folder / ".complete"
    if done.exists():
        return folder
    import pydicom
    from pydicom.uid import RLELossless

    folder.mkdir(parents=True, exist_ok=True)
    for p in sorted(make_series().iterdir()):
        if p.name.startswith("."):
            continue
        ds = pydicom.dcmread(p)
        ds.compress(RLELossless, encoding_plugin="pylibjpeg")
        ds.save_as(folder / p.name, enforce_file_format=True)
    done.write_text("ok")
    return folder


# --- readers (each run in its own subprocess) ---------------------------------


def _read_bytes(folder: Path) -> object:
    return [
        p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.startswith(".")
    ]


def _read_volume(folder: Path) -> object:
    from recist.dicom import read_volume

    return read_volume(folder).array


def _read_sitk(folder: Path) -> object:
    import SimpleITK as sitk

    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder)))
    reader.SetOutputPixelType(sitk.sitkInt16)
    return reader.Execute()


def _read_pydicom(folder: Path) -> object:
    import pydicom

    files = [p for p in sorted(folder.iterdir()) if not p.name.startswith(".")]
    return np.stack([pydicom.dcmread(p).pixel_array for p in files])


def _read_dcm2niix(folder: Path) -> object:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            ["dcm2niix", "-z", "n", "-b", "n", "-o", out, str(folder)],
            check=True,
            capture_output=True,
        )
    return None


READERS = {
    "bytes": _read_bytes,
    "read_volume": _read_volume,
    "simpleitk": _read_sitk,
    "dcm2niix": _read_dcm2niix,
    "pydicom": _read_pydicom,
}


def _rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _child(name: str, folder: Path) -> None:
    """Time one reader, best of 3, and report the peak memory it added."""
    func = READERS[name]
    if name == "simpleitk":
        import SimpleITK  # noqa: F401  (import outside the timing)
    elif name == "read_volume":
        import scipy.ndimage  # noqa: F401

        import recist.dicom  # noqa: F401
    elif name == "pydicom":
        import pydicom  # noqa: F401
    base = _rss_kb()
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        result = func(folder)
        times.append(time.perf_counter() - t0)
        del result
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    if name == "dcm2niix":  # the work happens in a grandchild process
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        base = 0
    print(json.dumps({"best_s": min(times), "peak_added_mb": (peak - base) / 1024}))


def _measure(name: str, folder: Path) -> dict[str, float]:
    code = (
        "from pathlib import Path; from benchmarks.bench_load import _child;"
        f"_child({name!r}, Path({str(folder)!r}))"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def time_read_volume() -> None:
    """asv-style entry point (in-process, no memory figure)."""
    _read_volume(make_series())


def main() -> None:
    """Print the table: time, ratio to SimpleITK and to bytes, peak memory."""
    t0 = time.perf_counter()
    folder = make_series()
    made = time.perf_counter() - t0
    _read_bytes(folder)  # warm the page cache
    print(
        f"series: {N_SLICES} x {ROWS} x {COLS} int16 = {VOLUME_BYTES / 2**20:.0f} MiB "
        f"in {folder} (ready in {made:.1f} s); {os.cpu_count()} CPUs; warm cache; "
        "best of 3"
    )
    results = {}
    for name in READERS:
        if name == "dcm2niix" and shutil.which("dcm2niix") is None:
            continue
        results[name] = _measure(name, folder)
    ref_sitk = results["simpleitk"]["best_s"]
    ref_bytes = results["bytes"]["best_s"]
    cols = ("time s", "sitk/x", "x/bytes", "peak MiB", "peak/vol")
    print(f"{'reader':<12}" + "".join(f"{c:>9}" for c in cols))
    for name, r in results.items():
        t, peak = r["best_s"], r["peak_added_mb"]
        print(
            f"{name:<12}{t:9.3f}{ref_sitk / t:9.2f}{t / ref_bytes:9.2f}"
            f"{peak:9.0f}{peak * 2**20 / VOLUME_BYTES:9.2f}"
        )
    if "dcm2niix" not in results:
        print("dcm2niix: not on PATH, not measured")
    _rle_line()
    ours = results["read_volume"]
    speed, t = ref_sitk / ours["best_s"], ours["best_s"] / ref_bytes
    mem = ours["peak_added_mb"] * 2**20 / VOLUME_BYTES
    print(
        f"read_volume: {speed:.2f}x faster than SimpleITK (target >= 2), "
        f"{t:.1f}x the bytes time (target <= 3), "
        f"peak {mem:.2f}x the volume (target <= 1.5)"
    )


def _rle_line() -> None:
    """RLE Lossless: read_volume against dcm2niix on the same 300 files."""
    if shutil.which("dcm2niix") is None:
        print("RLE: dcm2niix not on PATH, not measured")
        return
    try:
        import rle  # noqa: F401  (pylibjpeg-rle, extra pixeldata)
    except ImportError:
        print("RLE: pylibjpeg-rle not installed (extra pixeldata), not measured")
        return
    folder = make_rle_series()
    _read_bytes(folder)  # warm the page cache
    ours = _measure("read_volume", folder)["best_s"]
    ref = _measure("dcm2niix", folder)["best_s"]
    print(
        f"RLE: read_volume {ours:.3f} s, dcm2niix {ref:.3f} s: "
        f"{ours / ref:.2f}x dcm2niix's time (target <= 1)"
    )
