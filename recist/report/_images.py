"""Key images: the slice each target was measured on, cropped, with its calliper.

The slice is found by its SOP Instance UID in the DICOM of a folder
(:func:`recist.dicom.scan`, :func:`recist.dicom.read_volume`); the calliper's
LPS endpoints become pixels through the volume's geometry
(:meth:`measurements.geometry.ImageGeometry.lps_to_ijk`).  The display window is
the image's own (Window Center/Width of the DICOM), the closest record of the
window it was read in that a reading file carries.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

    from recist.model import Measurement, Reading

__all__ = ["KeyImage", "key_images", "target_measurements"]

log = logging.getLogger(__name__)

#: Window used when the DICOM gives none (soft tissue, HU).
DEFAULT_WINDOW = (40.0, 400.0)
#: Least field of view of a crop, mm.
MIN_FOV_MM = 50.0


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyImage:
    """A crop of the measured slice with the calliper in crop pixel coordinates.

    ``pixels`` is rows x columns (modality units, HU for CT); ``endpoints_px``
    are ``(column, row)`` points, long axis first, then the short axis of a node;
    ``spacing_mm`` is (column, row) spacing; ``window`` is (centre, width).
    """

    lesion_id: str
    date: dt.date
    value_mm: Decimal | None
    pixels: npt.NDArray[Any]
    endpoints_px: tuple[tuple[float, float], ...]
    spacing_mm: tuple[float, float]
    window: tuple[float, float]
    sop_uid: str
    slice_index: int


def target_measurements(
    reading: Reading,
) -> list[tuple[str, dt.date, Measurement]]:
    """Every target's measurement at baseline and each follow-up, in order."""
    out: list[tuple[str, dt.date, Measurement]] = []
    for t in reading.baseline.targets:
        if t.baseline is not None:
            out.append((t.lesion_id, reading.baseline.date, t.baseline))
        for tp in reading.followups:
            m = tp.targets.get(t.lesion_id)
            if m is not None:
                out.append((t.lesion_id, tp.date, m))
    return out


def _crop(
    array: npt.NDArray[Any],
    points: npt.NDArray[np.float64],
    spacing: tuple[float, float],
) -> tuple[npt.NDArray[Any], tuple[float, float]]:
    """Square crop around the points: 2.5x their extent, at least MIN_FOV_MM."""
    centre = points.mean(axis=0)
    extent_mm = (
        float(np.ptp(points * np.asarray(spacing), axis=0).max())
        if len(points)
        else 0.0
    )
    half_mm = max(MIN_FOV_MM, 2.5 * extent_mm) / 2
    half = int(np.ceil(half_mm / min(spacing)))
    c0 = round(centre[0]) - half
    r0 = round(centre[1]) - half
    rows, cols = array.shape
    c0 = min(max(c0, 0), max(cols - 2 * half, 0))
    r0 = min(max(r0, 0), max(rows - 2 * half, 0))
    return array[r0 : r0 + 2 * half, c0 : c0 + 2 * half], (float(c0), float(r0))


def key_images(
    reading: Reading, images: str | Path
) -> tuple[dict[tuple[str, dt.date], KeyImage], list[str]]:
    """Find and crop the slice of every target measurement that names its image.

    Parameters
    ----------
    reading : Reading
        Measurements carry ``image`` (SOP UID) and ``endpoints_lps``.
    images : str or Path
        Folder (or zip) holding the DICOM series.

    Returns
    -------
    (dict, list of str)
        ``(lesion_id, date) -> KeyImage``, and one line per measurement that has
        no key image, saying why.
    """
    from recist.dicom import read_volume, scan

    series = {s.series_uid: s for s in scan(images)}
    by_sop: dict[str, str] = {}
    for s in series.values():
        for sl in s.slices:
            by_sop[sl.header.sop_instance_uid] = s.series_uid
    volumes: dict[str, Any] = {}
    found: dict[tuple[str, dt.date], KeyImage] = {}
    missing: list[str] = []
    for lesion_id, date, m in target_measurements(reading):
        where = f"{lesion_id} {date}"
        if m.image is None or not m.endpoints_lps:
            missing.append(f"{where}: no image reference or calliper in the reading")
            continue
        uid = (
            m.image.series_uid
            if m.image.series_uid in series
            else by_sop.get(m.image.sop_uid)
        )
        if uid is None:
            missing.append(f"{where}: SOP {m.image.sop_uid} not found in {images}")
            continue
        if uid not in volumes:
            volumes[uid] = read_volume(series[uid])
        vol = volumes[uid]
        uids = list(vol.metadata["sop_instance_uids"])
        if m.image.sop_uid not in uids:
            missing.append(f"{where}: SOP {m.image.sop_uid} not in series {uid}")
            continue
        source = list(vol.metadata["source_slice"])
        k = source.index(uids.index(m.image.sop_uid))
        ijk = np.atleast_2d(vol.geometry.lps_to_ijk(np.asarray(m.endpoints_lps, float)))
        off = float(np.abs(ijk[:, 2] - k).max())
        if off > 0.5:
            log.warning("%s: calliper is %.2f slices off its slice", where, off)
        spacing = (float(vol.spacing[0]), float(vol.spacing[1]))
        pixels, (c0, r0) = _crop(vol.array[k], ijk[:, :2], spacing)
        wc = vol.metadata.get("window_center") or []
        ww = vol.metadata.get("window_width") or []
        window = (float(wc[0]), float(ww[0])) if wc and ww else DEFAULT_WINDOW
        found[(lesion_id, date)] = KeyImage(
            lesion_id=lesion_id,
            date=date,
            value_mm=m.value_mm,
            pixels=np.array(pixels),
            endpoints_px=tuple((float(x - c0), float(y - r0)) for x, y in ijk[:, :2]),
            spacing_mm=spacing,
            window=window,
            sop_uid=m.image.sop_uid,
            slice_index=k,
        )
    return found, missing
