"""Long axis: ours vs brute force over outline pairs vs skimage feret_diameter_max."""

from __future__ import annotations

import math
import time

import numpy as np
from skimage.measure import find_contours, regionprops

from measurements import long_axis

SIZES = [50, 500, 5_000, 50_000]  # pixels in the mask


def _blob(n_px: int) -> np.ndarray:
    r = math.sqrt(n_px / math.pi / 0.6)
    n = int(2 * r) + 7
    yy, xx = np.mgrid[:n, :n] - n / 2
    t = np.arctan2(yy, xx)
    rad = r * (0.8 + 0.2 * np.sin(3 * t))  # lobulated, non-convex
    return np.hypot(yy / 0.8, xx) <= rad


def _brute(mask: np.ndarray) -> float:
    pts = np.concatenate(find_contours(np.pad(mask, 1).astype(float), 0.5))
    best = 0.0
    for i in range(0, len(pts), 512):
        d2 = ((pts[i : i + 512, None] - pts[None]) ** 2).sum(-1)
        best = max(best, float(d2.max()))
    return math.sqrt(best)


def _feret(mask: np.ndarray) -> float:
    return float(regionprops(mask.astype(np.uint8))[0].feret_diameter_max)


def _time(f, *a, repeat: int = 5) -> float:
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        f(*a)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    print("long axis: best of 5, ms (ratio = other / ours)")
    print(
        f"{'pixels':>8} {'ours':>8} {'brute':>8} {'ratio':>6} {'feret':>8} {'ratio':>6}"
    )
    for n in SIZES:
        m = _blob(n)
        ours = _time(long_axis, m, (1.0, 1.0))
        brute = _time(_brute, m)
        feret = _time(_feret, m)
        print(
            f"{int(m.sum()):>8} {ours * 1e3:8.2f} {brute * 1e3:8.2f}"
            f" {brute / ours:6.1f}"
            f" {feret * 1e3:8.2f} {feret / ours:6.1f}"
        )


if __name__ == "__main__":
    main()
