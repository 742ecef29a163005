"""Group image headers into series, order their slices and say what is wrong.

Rules (issue 3):

1. group by SeriesInstanceUID; split a series whose images differ in
   orientation, rows/columns, pixel spacing, localizer flag or samples per pixel,
   and, when positions repeat, by echo number, then acquisition number;
2. sort slices by their position along the slice normal
   ``n = row x col`` of ImageOrientationPatient, never by InstanceNumber or name;
3. the slice step comes from positions; SliceThickness is only reported;
4. problems are data (:class:`Problem`), never exceptions or warnings.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from recist.dicom._header import FileHeader

__all__ = ["Problem", "SeriesInfo", "SliceRef", "build_series"]

#: Positions closer than this along the normal are "the same position" (mm).
DUPLICATE_TOL_MM = 0.01
#: A step larger than this times the median step is a gap (missing slices).
GAP_FACTOR = 1.5
#: Steps differing from the median by more than this fraction are uneven
#: (ITK/GDCM warn at about the same level).
UNEVEN_REL_TOL = 0.01

#: An uneven series is regridded at its smallest step, but at least median / this
MAX_REFINE = 8
#: The regular grid of an uneven series may hold at most this many times its
#: slices, or :data:`MAX_GRID_SLICES` if more; slices beyond a gap that would
#: need more (one slice 1 km away: 76 GiB at 512 x 512) are left out as outliers
#: and reported.  (CT2_series: 4 slices over 205 mm, a 165-slice grid, is kept.)
MAX_GRID_FACTOR = 4
MAX_GRID_SLICES = 2048
#: ImageOrientationPatient's two cosines must be unit and orthogonal within
#: this (``measurements.ImageGeometry`` asks the same of its direction).
ORTHO_TOL = 1e-4
#: In-plane displacement (mm) of a slice from the normal through the first slice
#: above which the stack is sheared (gantry/detector tilt).
SHEAR_TOL_MM = 0.01


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """A fact about a series a reader must know (code + one-line message).

    Codes: ``SPLIT_SERIES``, ``GAP``, ``UNEVEN_SPACING``, ``DUPLICATE_POSITION``,
    ``GANTRY_TILT``, ``MIXED_RESCALE``, ``SINGLE_SLICE``, ``NO_GEOMETRY``,
    ``NOT_GRAYSCALE``, ``DUPLICATE_FILE``, ``DUPLICATE_UID``, ``OUTLIER_SLICE``,
    ``INVALID_GEOMETRY`` (read_volume refuses the series).
    """

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SliceRef:
    """One 2-D image of a series: a file (and frame, for multi-frame objects)."""

    header: FileHeader
    frame: int | None  # 0-based frame index in a multi-frame object, else None
    position: tuple[float, float, float]
    orientation: tuple[float, ...]
    pixel_spacing: tuple[float, float]  # (row spacing, column spacing) as in DICOM
    rescale_slope: float
    rescale_intercept: float
    slice_thickness: float | None

    @property
    def where(self) -> str:
        """The file path (``zip!member`` inside a zip), with ``#frame`` if any."""
        w = self.header.where
        return w if self.frame is None else f"{w}#{self.frame + 1}"


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesInfo:
    """An image series as found by :func:`recist.dicom.scan`, ready to read.

    Geometry uses SimpleITK's conventions and is what
    :func:`recist.dicom.read_volume` returns: ``origin`` is the first slice's
    ImagePositionPatient (LPS mm), ``spacing`` is (column, row, slice) spacing in
    mm with the slice step taken from positions (the smallest step when steps are
    uneven, since the volume is then resampled onto that regular grid),
    ``direction`` is row-major with columns (row cosine, column cosine, normal),
    ``size`` is (columns, rows, slices of the regular grid).

    ``key`` equals ``series_uid`` unless the series was split, in which case it is
    ``"<uid>#<part>"`` (parts numbered from 1, largest first).
    """

    series_uid: str
    key: str
    study_uid: str
    study_date: str
    patient_id: str
    patient_name: str
    modality: str
    description: str
    n_images: int
    size: tuple[int, int, int]
    spacing: tuple[float, float, float]
    origin: tuple[float, float, float]
    direction: tuple[float, ...]
    slice_thickness: float | None
    problems: tuple[Problem, ...]
    slices: tuple[SliceRef, ...]  # sorted along the normal
    slice_positions_mm: tuple[float, ...]  # each slice's position along the normal
    tilt_deg: float  # gantry/detector tilt estimated from positions (0 if none)

    @property
    def files(self) -> tuple[str, ...]:
        """The files of the series, sorted along the slice normal (no repeats)."""
        return tuple(dict.fromkeys(s.header.where for s in self.slices))

    @property
    def problem_codes(self) -> tuple[str, ...]:
        """The codes of :attr:`problems`, in order."""
        return tuple(p.code for p in self.problems)

    def to_json(self) -> dict[str, object]:
        """Return the JSON object ``recist info --json`` prints for this series."""
        return {
            "series_uid": self.series_uid,
            "key": self.key,
            "study_uid": self.study_uid,
            "study_date": self.study_date,
            "patient_id": self.patient_id,
            "patient_name": self.patient_name,
            "modality": self.modality,
            "description": self.description,
            "n_images": self.n_images,
            "size": list(self.size),
            "spacing": _finite(self.spacing),
            "origin": _finite(self.origin),
            "direction": _finite(self.direction),
            "slice_thickness": None
            if self.slice_thickness is None
            else _finite([self.slice_thickness])[0],
            "tilt_deg": _finite([self.tilt_deg])[0],
            "problems": [{"code": p.code, "message": p.message} for p in self.problems],
            "files": list(self.files),
        }


def _finite(values: Sequence[float]) -> list[float | None]:
    """JSON has no NaN or Infinity: such values become null."""
    return [v if math.isfinite(v) else None for v in values]


def _slices_of(h: FileHeader) -> list[SliceRef]:
    """List the 2-D images of one image file (one per frame)."""
    slope = 1.0 if h.rescale_slope is None else h.rescale_slope
    intercept = 0.0 if h.rescale_intercept is None else h.rescale_intercept
    spacing = tuple(h.pixel_spacing[:2]) if len(h.pixel_spacing) >= 2 else (1.0, 1.0)
    if h.frames:
        return [
            SliceRef(
                header=h,
                frame=f.frame,
                position=_pos(f.position or h.position),
                orientation=f.orientation or h.orientation,
                pixel_spacing=_pair(f.pixel_spacing or spacing),
                rescale_slope=slope if f.rescale_slope is None else f.rescale_slope,
                rescale_intercept=intercept
                if f.rescale_intercept is None
                else f.rescale_intercept,
                slice_thickness=f.slice_thickness
                if f.slice_thickness is not None
                else h.slice_thickness,
            )
            for f in h.frames
        ]
    n = h.number_of_frames or 1
    return [
        SliceRef(
            header=h,
            frame=None if n == 1 else k,
            position=_pos(h.position),
            orientation=h.orientation,
            pixel_spacing=_pair(spacing),
            rescale_slope=slope,
            rescale_intercept=intercept,
            slice_thickness=h.slice_thickness,
        )
        for k in range(n)
    ]


def _pos(p: Sequence[float]) -> tuple[float, float, float]:
    return (float(p[0]), float(p[1]), float(p[2])) if len(p) >= 3 else (math.nan,) * 3


def _pair(p: Sequence[float]) -> tuple[float, float]:
    return (float(p[0]), float(p[1])) if len(p) >= 2 else (1.0, 1.0)


def _keys(values: Sequence[float]) -> tuple[object, ...]:
    # NaN != NaN: as a key, a non-finite value is its text, so equal ones group
    if math.isfinite(math.fsum(values)):
        return tuple(round(v, 4) for v in values)
    return tuple(str(v) for v in values)


def _frame_key(s: SliceRef) -> tuple[object, ...]:
    h = s.header
    return (
        _keys(s.orientation),
        h.rows,
        h.columns,
        _keys(s.pixel_spacing),
        "LOCALIZER" in h.image_type,
        h.samples_per_pixel or 1,
    )


def _has_duplicates(slices: Sequence[SliceRef]) -> bool:
    normal = _normal(slices[0].orientation)
    if normal is None:
        return False
    proj = sorted(float(np.dot(s.position, normal)) for s in slices)
    return any(b - a < DUPLICATE_TOL_MM for a, b in itertools.pairwise(proj))


def _normal(orientation: Sequence[float]) -> np.ndarray | None:
    if len(orientation) < 6 or not all(math.isfinite(v) for v in orientation[:6]):
        return None
    row = np.asarray(orientation[:3], dtype=np.float64)
    col = np.asarray(orientation[3:6], dtype=np.float64)
    n = np.cross(row, col)
    norm = float(np.linalg.norm(n))
    return None if norm < 1e-6 else n / norm


def _split(slices: list[SliceRef]) -> tuple[list[list[SliceRef]], list[str]]:
    """Split one SeriesInstanceUID's slices into coherent parts; say by what."""
    reasons: list[str] = []
    by_frame: dict[tuple[object, ...], list[SliceRef]] = defaultdict(list)
    for s in slices:
        by_frame[_frame_key(s)].append(s)
    if len(by_frame) > 1:
        reasons.append("orientation, size, pixel spacing or image type (localizer)")
    parts = list(by_frame.values())
    for attr, label in (
        ("echo_number", "echo number"),
        ("acquisition_number", "acquisition number"),
    ):
        new_parts: list[list[SliceRef]] = []
        for part in parts:
            values = {getattr(s.header, attr) for s in part}
            if len(values) > 1 and _has_duplicates(part):
                groups: dict[object, list[SliceRef]] = defaultdict(list)
                for s in part:
                    groups[getattr(s.header, attr)].append(s)
                new_parts.extend(groups.values())
                if label not in reasons:
                    reasons.append(f"{label} (repeated positions)")
            else:
                new_parts.append(part)
        parts = new_parts
    parts.sort(key=lambda p: (-len(p), p[0].header.where))
    return parts, reasons


def _most_common(values: Iterable[str]) -> str:
    counts = Counter(v for v in values if v)
    return counts.most_common(1)[0][0] if counts else ""


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _describe(
    slices: list[SliceRef], *, uid: str, key: str, extra: list[Problem]
) -> SeriesInfo:
    """Order one coherent part along its normal and work out geometry and problems."""
    problems = list(extra)
    first = slices[0].header
    invalid = _invalid_geometry(slices)
    normal = None if invalid else _normal(slices[0].orientation)
    positions_ok = all(not math.isnan(s.position[0]) for s in slices)
    tilt_deg = 0.0
    if invalid:
        problems.append(
            Problem(
                code="INVALID_GEOMETRY",
                message=f"{invalid}; read_volume refuses this series "
                "(millimetres would be wrong)",
            )
        )
    if normal is None or not positions_ok:
        if not invalid:
            problems.append(
                Problem(
                    code="NO_GEOMETRY",
                    message="no ImagePositionPatient/ImageOrientationPatient: "
                    "slices kept in file order, geometry unknown (identity, 1 mm)",
                )
            )
        ordered = sorted(slices, key=lambda s: (s.header.where, s.frame or 0))
        row = np.array([1.0, 0, 0])
        col = np.array([0, 1.0, 0])
        normal = np.array([0, 0, 1.0])
        proj = np.arange(len(ordered), dtype=np.float64)
        origin = (0.0, 0.0, 0.0)
        step = 1.0
        n_grid = len(ordered)
    else:
        row = np.asarray(slices[0].orientation[:3], dtype=np.float64)
        col = np.asarray(slices[0].orientation[3:6], dtype=np.float64)
        row /= np.linalg.norm(row)
        col /= np.linalg.norm(col)
        keyed = sorted(
            ((float(np.dot(s.position, normal)), i) for i, s in enumerate(slices)),
        )
        ordered = [slices[i] for _, i in keyed]
        proj = np.array([p for p, _ in keyed])
        ordered, proj = _drop_outliers(ordered, proj, problems)
        origin = ordered[0].position
        step, n_grid, tilt_deg = _spacing_problems(ordered, proj, row, col, problems)
    rescales = {(s.rescale_slope, s.rescale_intercept) for s in ordered}
    if len(rescales) > 1:
        shown = ", ".join(f"{a:g}/{b:g}" for a, b in sorted(rescales)[:4])
        problems.append(
            Problem(
                code="MIXED_RESCALE",
                message=f"{len(rescales)} different rescale slope/intercept pairs "
                f"({shown}); each slice is rescaled with its own",
            )
        )
    if (first.samples_per_pixel or 1) != 1 or first.photometric.startswith(
        ("RGB", "YBR", "PALETTE")
    ):
        problems.append(
            Problem(
                code="NOT_GRAYSCALE",
                message=f"{first.photometric or 'colour'} images: not a volume",
            )
        )
    if len(ordered) == 1:
        problems.append(
            Problem(
                code="SINGLE_SLICE",
                message="one image: slice spacing is unknown, 1 mm is assumed",
            )
        )
    thick = Counter(s.slice_thickness for s in ordered if s.slice_thickness is not None)
    direction = np.column_stack([row, col, normal]).reshape(-1)
    sy, sx = ordered[0].pixel_spacing
    return SeriesInfo(
        series_uid=uid,
        key=key,
        study_uid=_most_common(s.header.study_uid for s in ordered),
        study_date=_most_common(s.header.study_date for s in ordered),
        patient_id=_most_common(s.header.patient_id for s in ordered),
        patient_name=_most_common(s.header.patient_name for s in ordered),
        modality=_most_common(s.header.modality for s in ordered),
        description=_most_common(s.header.description for s in ordered),
        n_images=len(ordered),
        size=(int(first.columns or 0), int(first.rows or 0), int(n_grid)),
        spacing=(float(sx), float(sy), float(step)),
        origin=(float(origin[0]), float(origin[1]), float(origin[2])),
        direction=tuple(float(v) for v in direction),
        slice_thickness=thick.most_common(1)[0][0] if thick else None,
        problems=tuple(problems),
        slices=tuple(ordered),
        slice_positions_mm=tuple(float(p) for p in proj),
        tilt_deg=tilt_deg,
    )


def _invalid_geometry(slices: Sequence[SliceRef]) -> str:
    """Say what makes the geometry unusable ("" when it is fine).

    Values that are present but impossible: PixelSpacing not two positive
    finite numbers, ImagePositionPatient not finite, ImageOrientationPatient not
    two finite, unit, orthogonal cosines, rescale slope/intercept not finite.
    Missing values are NO_GEOMETRY, not this.
    """
    found: dict[str, list[str]] = {}

    def bad(what: str, s: SliceRef) -> None:
        found.setdefault(what, []).append(s.where)

    for s in slices:
        h = s.header
        sy, sx = s.pixel_spacing
        if not (math.isfinite(sx) and math.isfinite(sy) and sx > 0 and sy > 0):
            bad(f"PixelSpacing {_fmt(sy)}\\{_fmt(sx)} is not > 0 mm", s)
        given = (
            len(h.position) >= 3
            if not h.frames
            else not all(math.isnan(v) for v in s.position)
        )  # missing positions are NaN (NO_GEOMETRY)
        if given and not all(math.isfinite(v) for v in s.position):
            shown = "\\".join(_fmt(v) for v in s.position)
            bad(f"ImagePositionPatient {shown} is not finite", s)
        o = s.orientation
        if len(o) >= 6:
            why = _orientation_problem(o)
            if why:
                bad(f"ImageOrientationPatient {why}", s)
        if not (math.isfinite(s.rescale_slope) and math.isfinite(s.rescale_intercept)):
            shown = f"{_fmt(s.rescale_slope)}/{_fmt(s.rescale_intercept)}"
            bad(f"rescale slope/intercept {shown} is not finite", s)
    parts = []
    for what, where in found.items():
        more = f" and {len(where) - 2} more" if len(where) > 2 else ""
        parts.append(f"{what} in {', '.join(where[:2])}{more}")
    return "; ".join(parts)


def _orientation_problem(o: Sequence[float]) -> str:
    values = "\\".join(_fmt(v) for v in o[:6])
    if not all(math.isfinite(v) for v in o[:6]):
        return f"{values} is not finite"
    row = np.asarray(o[:3], dtype=np.float64)
    col = np.asarray(o[3:6], dtype=np.float64)
    nr, nc = float(np.linalg.norm(row)), float(np.linalg.norm(col))
    if nr < 0.5 or nc < 0.5 or nr > 1.5 or nc > 1.5:
        return f"{values} is not two unit vectors"
    if abs(float(np.dot(row / nr, col / nc))) > ORTHO_TOL:
        return f"{values}: the row and column cosines are not orthogonal"
    return ""


def _drop_outliers(
    ordered: list[SliceRef], proj: np.ndarray, problems: list[Problem]
) -> tuple[list[SliceRef], np.ndarray]:
    """Leave out slices beyond a gap the regular grid could not span.

    While the grid that :func:`_spacing_problems` would build holds more than
    ``max(MAX_GRID_FACTOR * n, MAX_GRID_SLICES)`` slices, the smaller side of the
    largest step is left out (said in an ``OUTLIER_SLICE`` problem).
    """
    dropped: list[tuple[SliceRef, float]] = []
    lo, hi = 0, len(ordered)  # kept: ordered[lo:hi]
    while hi - lo > 2:
        p = proj[lo:hi]
        steps = np.diff(p)
        good = steps[steps >= DUPLICATE_TOL_MM]
        if good.size == 0:
            break
        median = float(np.median(good))
        step = max(float(good.min()), median / MAX_REFINE)
        n_grid = (float(p[-1] - p[0]) / step) + 1
        if n_grid <= max(MAX_GRID_FACTOR * (hi - lo), MAX_GRID_SLICES):
            break
        i = int(np.argmax(steps))  # largest step: between p[i] and p[i + 1]
        if i + 1 < (hi - lo) - (i + 1):  # fewer slices below the step
            dropped.extend((ordered[k], float(proj[k])) for k in range(lo, lo + i + 1))
            lo += i + 1
        else:
            dropped.extend((ordered[k], float(proj[k])) for k in range(lo + i + 1, hi))
            hi = lo + i + 1
    if not dropped:
        return ordered, proj
    kept = proj[lo:hi]
    shown = "; ".join(
        f"{s.where} at {_fmt(z)} mm" for s, z in sorted(dropped, key=lambda d: d[1])[:5]
    )
    more = f" and {len(dropped) - 5} more" if len(dropped) > 5 else ""
    problems.append(
        Problem(
            code="OUTLIER_SLICE",
            message=f"{len(dropped)} slice(s) lie far beyond the others "
            f"({_fmt(float(kept[0]))} to {_fmt(float(kept[-1]))} mm along the "
            f"normal) and are left out of the series: {shown}{more}",
        )
    )
    return ordered[lo:hi], kept


def _is_gap(ordered: Sequence[SliceRef], i: int, steps: np.ndarray) -> bool:
    """Tell whether a large step is a gap (not just thicker slices on both sides).

    A series whose later slices are thicker (4 mm then 7 mm, contiguous) has
    larger steps without anything missing; a 7 mm step between 4 mm slices, or
    any step past slices of unknown thickness, is a gap.
    """
    thick = [ordered[i].slice_thickness, ordered[i + 1].slice_thickness]
    if any(t is None or t <= 0 for t in thick):
        return True
    return bool(steps[i] > GAP_FACTOR * min(t for t in thick if t is not None))


def _spacing_problems(
    ordered: list[SliceRef],
    proj: np.ndarray,
    row: np.ndarray,
    col: np.ndarray,
    problems: list[Problem],
) -> tuple[float, int, float]:
    """Find duplicates, gaps, uneven steps and shear; return (step, n_grid, tilt)."""
    tilt_deg = 0.0
    if len(ordered) < 2:
        return 1.0, 1, tilt_deg
    steps = np.diff(proj)
    dup = np.flatnonzero(steps < DUPLICATE_TOL_MM)
    if dup.size:
        where = ", ".join(_fmt(proj[i]) for i in dup[:5])
        problems.append(
            Problem(
                code="DUPLICATE_POSITION",
                message=f"{dup.size} slice(s) repeat a position (at {where} mm along "
                "the normal); read_volume keeps the first of each",
            )
        )
    good = steps[steps >= DUPLICATE_TOL_MM]
    if good.size == 0:
        return 1.0, 1, tilt_deg
    median = float(np.median(good))
    smallest = float(good.min())
    large = np.flatnonzero(steps > GAP_FACTOR * median).tolist()
    gaps = [i for i in large if _is_gap(ordered, i, steps)]
    if gaps:
        shown = "; ".join(
            f"{_fmt(steps[i])} mm between {_fmt(proj[i])} and {_fmt(proj[i + 1])} mm"
            for i in gaps[:3]
        )
        more = f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
        missing = sum(max(round(float(steps[i]) / median) - 1, 1) for i in gaps)
        problems.append(
            Problem(
                code="GAP",
                message=f"{len(gaps)} gap(s) larger than {GAP_FACTOR}x the median step "
                f"{_fmt(median)} mm and than the slice thickness: {shown}{more} "
                f"(about {missing} missing slice(s))",
            )
        )
    uneven = bool(np.any(np.abs(good - median) > UNEVEN_REL_TOL * median))
    extent = float(proj[-1] - proj[0])
    if uneven:
        # the smallest step, as dcm2niix; but never finer than 1/MAX_REFINE of the
        # median, so a near-duplicate slice cannot blow the grid up
        step = max(smallest, median / MAX_REFINE)
        n_grid = math.floor(extent / step + 0.5) + 1
        problems.append(
            Problem(
                code="UNEVEN_SPACING",
                message=f"slice steps vary from {_fmt(smallest)} to "
                f"{_fmt(float(good.max()))} mm; read_volume resamples to a regular "
                f"{_fmt(step)} mm grid ({n_grid} slices, "
                "linear along the normal, original slices kept where they fall on it)",
            )
        )
    else:
        step = extent / (len(good)) if len(good) else median
        n_grid = len(good) + 1
    # shear: in-plane displacement of each slice from the normal through slice 0
    rel = np.asarray([s.position for s in ordered], dtype=np.float64) - np.asarray(
        ordered[0].position
    )
    inplane = np.hypot(rel @ row, rel @ col)
    declared = ordered[0].header.gantry_tilt or 0.0
    shear = float(inplane.max())
    if shear > SHEAR_TOL_MM or abs(declared) > 0.01:
        along = float(proj[-1] - proj[0])
        tilt_deg = math.degrees(math.atan2(shear, along)) if along > 0 else 0.0
        problems.append(
            Problem(
                code="GANTRY_TILT",
                message=f"gantry/detector tilt {_fmt(declared)} deg in the header, "
                f"{_fmt(tilt_deg)} deg from positions (slices shifted in-plane by up "
                f"to {_fmt(shear)} mm); read_volume shifts each slice in its plane "
                "onto the ImageOrientationPatient frame, as dcm2niix does",
            )
        )
    return step, n_grid, tilt_deg


def _same_image(a: FileHeader, b: FileHeader) -> bool:
    """Tell whether two files with one SOP Instance UID are copies of one image."""
    return (
        a.series_uid == b.series_uid
        and a.position == b.position
        and a.orientation == b.orientation
        and a.instance_number == b.instance_number
        and (a.rows, a.columns, a.number_of_frames)
        == (b.rows, b.columns, b.number_of_frames)
        and a.pixel_length == b.pixel_length
        and a.transfer_syntax == b.transfer_syntax
    )


def build_series(headers: Iterable[FileHeader]) -> list[SeriesInfo]:
    """Group image headers into :class:`SeriesInfo` objects (largest first per study).

    Parameters
    ----------
    headers : iterable of FileHeader
        Headers of image files (non-image objects already removed).

    Returns
    -------
    list of SeriesInfo
        Sorted by patient, study date, study UID, series description and key.
    """
    by_uid: dict[str, list[SliceRef]] = defaultdict(list)
    seen: dict[str, FileHeader] = {}
    repeats: dict[str, list[str]] = defaultdict(list)
    clashes: dict[str, list[str]] = defaultdict(list)
    for h in headers:
        kept = seen.get(h.sop_instance_uid) if h.sop_instance_uid else None
        if kept is not None and _same_image(kept, h):
            # the same image twice (a copy): use it once, say so
            repeats[h.series_uid].append(f"{h.where} (= {kept.where})")
            continue
        if kept is not None:  # one UID, two different images: keep both, say so
            clashes[h.series_uid].append(f"{h.where} (UID of {kept.where})")
            if kept.series_uid != h.series_uid:
                clashes[kept.series_uid].append(f"{kept.where} (UID of {h.where})")
        else:
            seen[h.sop_instance_uid] = h
        by_uid[h.series_uid].extend(_slices_of(h))
    out: list[SeriesInfo] = []
    for uid, slices in by_uid.items():
        parts, reasons = _split(slices)
        dup_note = []
        if clashes.get(uid):
            listed = ", ".join(clashes[uid][:3]) + (
                " ..." if len(clashes[uid]) > 3 else ""
            )
            dup_note.append(
                Problem(
                    code="DUPLICATE_UID",
                    message=f"{len(clashes[uid])} file(s) share a SOP Instance UID "
                    f"with a different image; all are kept, but references by UID "
                    f"are ambiguous: {listed}",
                )
            )
        if repeats.get(uid):
            listed = ", ".join(repeats[uid][:3]) + (
                " ..." if len(repeats[uid]) > 3 else ""
            )
            dup_note.append(
                Problem(
                    code="DUPLICATE_FILE",
                    message=f"{len(repeats[uid])} file(s) repeat a SOP Instance UID "
                    f"already read and are not used again: {listed}",
                )
            )
        if len(parts) == 1:
            out.append(_describe(parts[0], uid=uid, key=uid, extra=dup_note))
            continue
        sizes = "+".join(str(len(p)) for p in parts)
        for k, part in enumerate(parts, start=1):
            note = Problem(
                code="SPLIT_SERIES",
                message=f"series {uid} split into {len(parts)} parts ({sizes} "
                f"images) by {' and '.join(reasons)}; this is part {k}",
            )
            out.append(
                _describe(part, uid=uid, key=f"{uid}#{k}", extra=[note, *dup_note])
            )
    out.sort(
        key=lambda s: (s.patient_id, s.study_date, s.study_uid, s.description, s.key)
    )
    return out
