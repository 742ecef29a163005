"""Read one image series into a :class:`measurements.Volume` with exact geometry."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from measurements.geometry import ImageGeometry, Volume
from recist.dicom._pixels import output_dtype, read_pixels
from recist.dicom._scan import PathLike, scan_report
from recist.dicom._series import DUPLICATE_TOL_MM, SeriesInfo, SliceRef
from recist.dicom._tilt import regrid_along_normal, unshear
from recist.errors import DicomReadError

__all__ = ["read_volume"]


def _only_series(path: PathLike | Sequence[PathLike]) -> SeriesInfo:
    report = scan_report(path)
    where = str(path) if isinstance(path, str | os.PathLike) else f"{len(path)} files"
    if not report.series:
        skipped = "; ".join(f"{s.path}: {s.reason}" for s in report.skipped[:3])
        detail = f" (skipped: {skipped})" if skipped else ""
        raise DicomReadError(where, f"no image series found{detail}")
    if len(report.series) > 1:
        keys = ", ".join(
            f"{s.key} ({s.modality} {s.description!r}, {s.n_images})"
            for s in report.series
        )
        raise DicomReadError(
            where, f"{len(report.series)} image series, pick one: {keys}"
        )
    return report.series[0]


def read_volume(
    series_or_path: SeriesInfo | PathLike | Sequence[PathLike],
    *,
    correct_tilt: bool = True,
    regular_grid: bool = True,
) -> Volume:
    """Read an image series as a volume in modality units (HU for CT).

    Parameters
    ----------
    series_or_path : SeriesInfo or path or sequence of paths
        A series from :func:`scan`, or a folder / zip file / list of files
        holding exactly one image series.
    correct_tilt : bool, default True
        Shift each slice of a gantry-tilted (sheared) stack in its plane so that
        the grid's direction is the ImageOrientationPatient frame (dcm2niix's
        correction).  False keeps the sheared voxels; positions along the rows
        are then wrong by up to the shear (said in ``metadata["problems"]``).
    regular_grid : bool, default True
        Resample unevenly spaced slices onto a regular grid with the smallest
        step (see :mod:`recist.dicom._tilt`), so millimetres stay true.  False
        keeps the original slices and uses the median step: through-plane
        distances are then approximate (said in ``metadata["problems"]``).

    Returns
    -------
    measurements.Volume
        ``array`` z-y-x, int16 when rescale keeps values integral and in range,
        else float32.  Geometry in SimpleITK conventions.  ``metadata`` holds
        ``series_uid``, ``key``, ``study_uid``, ``patient_id``, ``study_date``,
        ``modality``, ``description``, ``sop_instance_uids`` (per input slice, in
        order along the normal), ``source_slice`` (per output slice: index into
        ``sop_instance_uids`` or None when interpolated), ``slice_positions_mm``
        (input slices, along the normal), ``window_center``, ``window_width``,
        ``problems`` (list of "CODE: message") and ``resampled`` (what was done).

    Raises
    ------
    DicomReadError
        No series, several series, unreadable pixels, colour images.
    FileNotFoundError
        The path does not exist.
    """
    series = (
        series_or_path
        if isinstance(series_or_path, SeriesInfo)
        else _only_series(series_or_path)
    )
    if "NOT_GRAYSCALE" in series.problem_codes:
        raise DicomReadError(
            series.files[0], "colour images cannot be read as a volume"
        )
    for p in series.problems:
        if p.code == "INVALID_GEOMETRY":
            raise DicomReadError(series.key, f"invalid geometry: {p.message}")
    slices, positions = _unique_positions(series)
    resample = "GANTRY_TILT" in series.problem_codes or (
        "UNEVEN_SPACING" in series.problem_codes and regular_grid
    )
    n_out = len(slices)
    if "UNEVEN_SPACING" in series.problem_codes and regular_grid:
        n_out = max(n_out, series.size[2])
    _check_memory(series, slices, n_out, copies=2 if resample else 1)
    array = read_pixels(slices)
    problems = [str(p) for p in series.problems]
    done: list[str] = []
    direction = np.asarray(series.direction).reshape(3, 3)
    row, col = direction[:, 0], direction[:, 1]
    # the fill value needs a pass over the volume: only when something is filled
    fill = float(array.min()) if resample and array.size else 0.0
    if "GANTRY_TILT" in series.problem_codes:
        rel = np.asarray([s.position for s in slices], np.float64) - np.asarray(
            series.origin
        )
        offsets = np.column_stack([rel @ row, rel @ col])
        if correct_tilt:
            array = unshear(array, offsets, spacing_xy=series.spacing[:2], fill=fill)
            done.append(
                "tilt corrected: slices shifted in-plane by up to "
                f"{np.abs(offsets).max():.4g} mm"
            )
        else:
            problems.append(
                "TILT_KEPT: sheared slices kept; in-plane positions off by the shear"
            )
    source: list[int | None] = list(range(len(slices)))
    step = series.spacing[2]
    if "UNEVEN_SPACING" in series.problem_codes:
        if regular_grid:
            array, source = regrid_along_normal(
                array, positions, step_mm=step, n_out=series.size[2], fill=fill
            )
            kept = sum(s is not None for s in source)
            done.append(
                f"regular {step:.4g} mm grid: {len(source)} slices, {kept} original, "
                f"{len(source) - kept} interpolated or filled ({fill:g})"
            )
        else:
            step = float(np.median(np.diff(positions)))
            problems.append(
                "UNEVEN_KEPT: original slices kept with the median step "
                f"{step:.4g} mm; through-plane distances are approximate"
            )
    geometry = ImageGeometry(
        origin=series.origin,
        spacing=(series.spacing[0], series.spacing[1], step),
        direction=series.direction,
        size=(array.shape[2], array.shape[1], array.shape[0]),
    )
    first = slices[0].header
    metadata: dict[str, Any] = {
        "series_uid": series.series_uid,
        "key": series.key,
        "study_uid": series.study_uid,
        "patient_id": series.patient_id,
        "patient_name": series.patient_name,
        "study_date": series.study_date,
        "modality": series.modality,
        "description": series.description,
        "slice_thickness": series.slice_thickness,
        "sop_instance_uids": [s.header.sop_instance_uid for s in slices],
        "files": [s.where for s in slices],
        "slice_positions_mm": list(positions),
        "source_slice": source,
        "window_center": list(first.window_center),
        "window_width": list(first.window_width),
        "problems": problems,
        "resampled": done,
    }
    return Volume(array=array, geometry=geometry, metadata=metadata)


def _memory_bytes() -> int:
    """Physical memory of this machine in bytes (0 when unknown)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 0


def _check_memory(
    series: SeriesInfo, slices: Sequence[SliceRef], n_slices: int, *, copies: int
) -> None:
    """Refuse a volume that cannot fit in this machine's memory, before allocating.

    ``copies`` arrays of the output type (int16 or float32) are held at once:
    one, or two when the volume is resampled (tilt, uneven spacing).
    """
    cols, rows = series.size[0], series.size[1]
    itemsize = output_dtype(slices)[0].itemsize
    need = itemsize * cols * rows * n_slices * copies
    have = _memory_bytes()
    if have and need > have:
        raise DicomReadError(
            series.key,
            f"a {cols} x {rows} x {n_slices} volume needs about {need >> 20} MiB, "
            f"more than this machine's {have >> 20} MiB",
        )


def _unique_positions(series: SeriesInfo) -> tuple[list[SliceRef], list[float]]:
    """Drop slices that repeat a position (the first is kept)."""
    slices: list[SliceRef] = []
    positions: list[float] = []
    for s, p in zip(series.slices, series.slice_positions_mm, strict=True):
        if positions and p - positions[-1] < DUPLICATE_TOL_MM:
            continue
        slices.append(s)
        positions.append(p)
    return slices, positions
