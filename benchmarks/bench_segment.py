"""Click-to-segment time: synthetic chest (20 mm nodule) and LIDC-IDRI-0001.

On LIDC (``../shared/data/lidc-idri-0001-ct``, the nodule of the radiologist's
SEG) our click is printed beside SimpleITK's bare ``ConnectedThreshold`` on the
same 45 mm box (the baseline, same run) and the whole-box ``Median`` the click
used to run (45-70 % of it before issue 12). Target: <= 0.25 s warm.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from measurements import (
    ImageGeometry,
    Volume,
    measure_lesion,
    segment_lesion,
    segment_lesion_box,
)
from measurements.segment import HALF_SIZES_MM

LIDC = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lidc-idri-0001-ct"
)


def _ct() -> tuple[Volume, tuple[int, int, int]]:
    rng = np.random.default_rng(0)
    shape = (60, 512, 512)
    sp = (0.7, 0.7, 2.5)
    zz, yy, xx = np.ogrid[: shape[0], : shape[1], : shape[2]]
    arr = np.full(shape, 40.0)  # soft tissue
    lung = ((yy - 256) / 200.0) ** 2 + ((xx - 256) / 230.0) ** 2 <= 1
    arr = np.where(lung, -850.0, arr)
    seed = (30, 200, 180)
    d2 = (
        ((zz - 30) * sp[2]) ** 2 + ((yy - 200) * sp[1]) ** 2 + ((xx - 180) * sp[0]) ** 2
    )
    arr = np.where(d2 <= 10.0**2, 30.0, arr)
    arr += rng.normal(0, 25, shape)
    g = ImageGeometry(
        origin=(0, 0, 0), spacing=sp, direction=np.eye(3).ravel(), size=(512, 512, 60)
    )
    return Volume(array=arr.astype(np.int16), geometry=g), seed


def _best(func, n: int = 7) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return min(times)


def _best_cpu(func, n: int = 7) -> float:
    """CPU seconds of this process (all threads): steadier than wall on a busy host."""
    times = []
    for _ in range(n):
        t = time.process_time()
        func()
        times.append(time.process_time() - t)
    return min(times)


def _lidc() -> tuple[Volume, tuple[int, int, int], np.ndarray] | None:
    import pydicom
    import SimpleITK as sitk

    if not LIDC.is_dir():
        return None
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(LIDC / "ct")))
    volume = Volume.from_sitk(reader.Execute())
    seg = pydicom.dcmread(LIDC / "seg" / "nodule_01_annotation_0.dcm")
    frames = seg.pixel_array.reshape(-1, seg.Rows, seg.Columns).astype(bool)
    ref = np.zeros(volume.array.shape, bool)
    for frame, fg in zip(frames, seg.PerFrameFunctionalGroupsSequence, strict=True):
        ipp = [float(v) for v in fg.PlanePositionSequence[0].ImagePositionPatient]
        z, y, x = np.rint(volume.geometry.lps_to_zyx(ipp)).astype(int)
        ref[z, y : y + seg.Rows, x : x + seg.Columns] |= frame[: 512 - y, : 512 - x]
    seed = tuple(int(v) for v in np.rint(np.argwhere(ref).mean(0)))
    return volume, seed, ref


def lidc() -> None:
    import SimpleITK as sitk

    found = _lidc()
    if found is None:
        print(f"LIDC: {LIDC} absent, skipped")
        return
    volume, seed, ref = found
    sx, sy, sz = volume.spacing
    half_xy, half_z = HALF_SIZES_MM[0]
    half = np.ceil(np.array([half_z / sz, half_xy / sy, half_xy / sx])).astype(int)
    lo = np.maximum(np.array(seed) - half, 0)
    hi = np.minimum(np.array(seed) + half + 1, volume.array.shape)
    roi = volume.array[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]].astype(np.float32)
    local = [int(v) for v in np.array(seed) - lo]

    def connected_threshold() -> None:  # the baseline: one bare region growing
        image = sitk.GetImageFromArray(roi)
        sitk.GetArrayFromImage(
            sitk.ConnectedThreshold(
                image, seedList=[local[::-1]], lower=-400.0, upper=3.0e38
            )
        )

    def median() -> None:  # what each click used to run on the whole box
        sitk.GetArrayFromImage(sitk.Median(sitk.GetImageFromArray(roi), (1, 1, 1)))

    segment_lesion(volume, seed)  # warm-up (lazy imports)
    ours = _best(lambda: segment_lesion(volume, seed))
    ours_cpu = _best_cpu(lambda: segment_lesion(volume, seed))
    ours_box = _best(lambda: segment_lesion_box(volume, seed))
    base = _best(connected_threshold)
    base_cpu = _best_cpu(connected_threshold)
    med = _best(median)
    mask = segment_lesion(volume, seed)
    dice = 2 * (mask & ref).sum() / (mask.sum() + ref.sum())
    m = measure_lesion(mask, volume)
    box = tuple(int(v) for v in hi - lo)
    print(f"LIDC-IDRI-0001 nodule, box {box} (z, y, x); best of 7, warm")
    print(f"  {'':26} {'wall s':>8} {'cpu s':>8}")
    print(f"  {'segment_lesion':26} {ours:8.3f} {ours_cpu:8.3f}  (target <= 0.25 s)")
    print(f"  {'segment_lesion_box':26} {ours_box:8.3f}")
    print(f"  {'sitk.ConnectedThreshold':26} {base:8.3f} {base_cpu:8.3f}  (baseline)")
    print(f"  {'sitk.Median (whole box)':26} {med:8.3f}  (no longer run per click)")
    print(
        f"  ratio ours / ConnectedThreshold: wall {ours / base:.1f}, "
        f"cpu {ours_cpu / base_cpu:.1f}"
    )
    print(
        f"  Dice vs SEG {dice:.3f} (0.884-0.895 before); "
        f"long axis {m.long_axis_mm:.1f} mm (32.9-33.3 before)"
    )


def main() -> None:
    lidc()
    vol, seed = _ct()
    t = time.perf_counter()
    segment_lesion(vol, seed)  # first call: includes lazy imports
    cold = time.perf_counter() - t
    times = []
    for _ in range(5):
        t = time.perf_counter()
        mask = segment_lesion(vol, seed)
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    m = measure_lesion(mask, vol)
    meas = time.perf_counter() - t
    best = min(times)
    print("click-to-segment on 512 x 512 x 60 CT, 20 mm nodule")
    print(
        f"cold {cold:.3f} s, warm best {best:.3f} s, median {np.median(times):.3f} s;"
        f" ratio to 1 s budget {best:.2f}"
    )
    print(
        f"measure_lesion {meas:.3f} s; long axis {m.long_axis_mm:.1f} mm (truth 20.0)"
    )


if __name__ == "__main__":
    main()
