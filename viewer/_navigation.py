"""Where each pane looks: slice steps, the reference visit, pane alignment (no Qt).

Pure functions over geometry and the engine's assessment; the workstation and
:mod:`viewer._habits` wire them to napari.

Conventions
-----------
- *Next image* (Down, Page Down, wheel towards the reader) goes the way a PACS
  stack of a head-first scan runs: inferior in an axial view, posterior in a
  coronal view, patient left in a sagittal view (world axes z, y, x: -1, +1, +1).
- The *reference* visit shown beside the one being read is the baseline, the
  nadir visit or the previous visit.  The nadir visit is the visit whose target
  sum, as :func:`recist.assess` states it, is the nadir the engine uses for the
  visit being read (the latest such visit when sums tie).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from measurements import ImageGeometry
from recist import assess
from recist.errors import RecistError
from recist.model import Reading, TimePoint
from viewer._coords import index_to_world, world_to_index

__all__ = [
    "NEXT_IMAGE",
    "PAGE_STEP",
    "REFERENCES",
    "grid_offset",
    "nadir_date",
    "orientation_letters",
    "reference_index",
    "slice_label",
    "step_slice",
]

#: World axis (z, y, x) -> direction of the next image along it.
NEXT_IMAGE: dict[int, int] = {0: -1, 1: 1, 2: 1}
#: Slices per Page Up / Page Down.
PAGE_STEP = 10
#: Reference visits the reader can put beside the visit being read.
REFERENCES: tuple[str, ...] = ("baseline", "nadir", "previous")

_LETTERS = {0: ("I", "S"), 1: ("A", "P"), 2: ("R", "L")}  # (-, +) per world axis


def orientation_letters(
    order: Sequence[int], orientation2d: Sequence[str]
) -> dict[str, str]:
    """Patient direction at each edge of a 2-D view (top, bottom, left, right).

    ``order`` is napari's ``dims.order`` (the last two axes are displayed,
    vertical then horizontal) and ``orientation2d`` the camera's
    ``(vertical, horizontal)`` orientation; world axes are (z, y, x) of LPS.

    Examples
    --------
    >>> orientation_letters((0, 1, 2), ("down", "right"))  # axial
    {'top': 'A', 'bottom': 'P', 'left': 'R', 'right': 'L'}
    >>> orientation_letters((1, 0, 2), ("up", "right"))  # coronal
    {'top': 'S', 'bottom': 'I', 'left': 'R', 'right': 'L'}
    >>> orientation_letters((2, 0, 1), ("up", "right"))  # sagittal
    {'top': 'S', 'bottom': 'I', 'left': 'A', 'right': 'P'}
    """
    vert, horiz = (int(a) for a in list(order)[-2:])
    v_neg, v_pos = _LETTERS[vert]
    h_neg, h_pos = _LETTERS[horiz]
    top, bottom = (v_pos, v_neg) if orientation2d[0] == "up" else (v_neg, v_pos)
    left, right = (h_pos, h_neg) if orientation2d[1] == "left" else (h_neg, h_pos)
    return {"top": top, "bottom": bottom, "left": left, "right": right}


def step_slice(
    geometry: ImageGeometry, world: npt.ArrayLike, axis: int, n: int
) -> float:
    """World coordinate along ``axis`` of the slice ``n`` images on from ``world``.

    The step is one slice of this volume's grid (``n`` > 0: next images, see
    :data:`NEXT_IMAGE`), landing on a slice centre and kept inside the volume.

    Examples
    --------
    >>> g = ImageGeometry(origin=(0, 0, 10), spacing=(1, 1, 2.5),
    ...                   direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), size=(4, 4, 8))
    >>> step_slice(g, (16.0, 0, 0), 0, 1)   # slice 2 (z 15) -> slice 1, inferior
    12.5
    >>> step_slice(g, (16.0, 0, 0), 0, -10)  # towards superior, stops at slice 7
    27.5
    """
    w = np.asarray(world, dtype=np.float64).reshape(3)
    idx = world_to_index(geometry, w)
    size_zyx = np.asarray(geometry.size, dtype=int)[::-1]
    k = int(np.rint(idx[axis])) + NEXT_IMAGE[axis] * int(n)
    idx[axis] = float(np.clip(k, 0, size_zyx[axis] - 1))
    return float(index_to_world(geometry, idx)[axis])


def grid_offset(
    current: ImageGeometry, reference: ImageGeometry, shift_z: float = 0.0
) -> float:
    """Return the world z move (< half a slice) onto the current slice grid.

    The reference's slices, moved by ``shift_z``, land on the current volume's
    slice positions when its slice step is a multiple of the current one's;
    otherwise no move (0.0).

    Examples
    --------
    >>> def g(z0, dz):
    ...     return ImageGeometry(origin=(0, 0, z0), spacing=(1, 1, dz),
    ...                          direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), size=(2, 2, 9))
    >>> grid_offset(g(0.0, 2.5), g(1.0, 2.5))   # reference slices 1 mm above
    -1.0
    >>> grid_offset(g(0.0, 2.5), g(2.0, 5.0))   # 2 mm: onto the next slice up
    0.5
    >>> grid_offset(g(0.0, 2.5), g(1.0, 3.0))   # 3 mm is not a multiple of 2.5
    0.0
    """
    step = float(current.spacing[2])
    ref_step = float(reference.spacing[2])
    ratio = ref_step / step
    if step <= 0 or abs(ratio - round(ratio)) > 1e-6:
        return 0.0
    z_cur = float(current.zyx_to_lps([0, 0, 0])[2])
    z_ref = float(reference.zyx_to_lps([0, 0, 0])[2]) + shift_z
    d = (z_cur - z_ref) % step
    if d >= step / 2:
        d -= step
    return float(d)


def slice_label(geometry: ImageGeometry, world: npt.ArrayLike, axis: int) -> str:
    """Slice number (1-based) and position along ``axis`` of a pane, e.g. ``Im 12/64``.

    Examples
    --------
    >>> g = ImageGeometry(origin=(0, 0, 10), spacing=(1, 1, 2.5),
    ...                   direction=(1, 0, 0, 0, 1, 0, 0, 0, 1), size=(4, 4, 8))
    >>> slice_label(g, (15.0, 0, 0), 0)
    'Im 3/8  S 15.0 mm'
    >>> slice_label(g, (-40.0, 0, 0), 0)
    'outside this series  I 40.0 mm'
    """
    w = np.asarray(world, dtype=np.float64).reshape(3)
    k = int(np.rint(world_to_index(geometry, w)[axis]))
    n = int(np.asarray(geometry.size, dtype=int)[::-1][axis])
    neg, pos = _LETTERS[axis]
    v = float(w[axis])
    where = f"{pos if v >= 0 else neg} {abs(v):.1f} mm"
    if not 0 <= k < n:
        return f"outside this series  {where}"
    return f"Im {k + 1}/{n}  {where}"


def nadir_date(reading: Reading, date: dt.date) -> dt.date:
    """Return the visit (baseline or earlier) holding the engine's nadir at ``date``.

    The engine (:func:`recist.assess`) is asked for the nadir it uses at
    ``date`` (with an empty time point there when none is recorded yet); the
    visit is the latest one before ``date`` whose engine sum equals it.  The
    baseline when there is nothing to assess yet.
    """
    base = reading.baseline.date
    if date <= base:
        return base
    if not any(t.date == date for t in reading.followups):
        fups = sorted((*reading.followups, TimePoint(date=date)), key=lambda t: t.date)
        reading = dataclasses.replace(reading, followups=tuple(fups))
    try:
        a = assess(reading)
    except RecistError:
        return base
    now = next((t for t in a.timepoints if t.date == date), None)
    if now is None or now.nadir_mm is None:
        return base
    sums = [(base, a.baseline_sum_mm)]
    sums += [(t.date, t.sum_mm) for t in a.timepoints if t.date < date]
    hits = [d for d, s in sums if s is not None and s == now.nadir_mm]
    return hits[-1] if hits else base


def reference_index(
    mode: str,
    dates: Sequence[dt.date | None],
    *,
    current: int,
    baseline: int,
    reading: Reading,
) -> int:
    """Index of the study to show as the reference for the study ``current``.

    ``dates`` are the studies' dates (earliest first).  ``mode`` is one of
    :data:`REFERENCES`; a visit without images falls back to the baseline.

    Examples
    --------
    >>> from recist.model import Baseline
    >>> r = Reading(baseline=Baseline(date=dt.date(2026, 1, 5)))
    >>> days = [dt.date(2026, 1, 5), dt.date(2026, 2, 16), dt.date(2026, 3, 30)]
    >>> reference_index("previous", days, current=2, baseline=0, reading=r)
    1
    >>> reference_index("nadir", days, current=2, baseline=0, reading=r)  # no sums
    0
    """
    if mode not in REFERENCES:
        raise ValueError(f"reference must be one of {', '.join(REFERENCES)}")
    if current <= baseline or mode == "baseline":
        return baseline
    if mode == "previous":
        return max(current - 1, baseline)
    today = dates[current]
    if today is None:
        return baseline
    nadir = nadir_date(reading, today)
    for i, d in enumerate(dates[: current + 1]):
        if d == nadir and i >= baseline:
            return i
    return baseline
