"""Semi-automatic reading: one seed point per lesion and visit becomes a measurement.

A reader (or a previous reading's carry-forward) gives, for each lesion, a point
inside it at each visit, in patient LPS mm.  :func:`read_from_seeds` finds the
visit's series, segments the lesion under the point
(:func:`measurements.segment_lesion`), measures it (:func:`measurements.measure_lesion`)
and records the RECIST value with the slice it was measured on and the calliper
endpoints, so every number can be traced back to its image.

The RECIST value is the longest axial diameter for non-nodal lesions and the
short axis on the node's own best slice for lymph nodes.  Values are rounded to
0.1 mm, as a reader records them (the engine then works on those decimals).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np

from measurements import (
    MeasurementError,
    SegmentationError,
    Volume,
    measure_lesion,
    segment_lesion,
)
from recist.dicom import SeriesInfo, read_volume, scan
from recist.errors import InvalidInputError
from recist.model import (
    AuditEntry,
    Baseline,
    ImageRef,
    Lesion,
    Measurement,
    Options,
    Reading,
    TimePoint,
)
from recist.terms import Criteria, LesionRole, NonTargetState

__all__ = ["LesionSeed", "load_seeds", "measure_at_seed", "read_from_seeds"]

log = logging.getLogger(__name__)

PointLPS = tuple[float, float, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class LesionSeed:
    """A lesion to read, with a point inside it at each visit.

    Parameters
    ----------
    lesion_id : str
        TULNKID (``T01``, ``NT01``).
    role : LesionRole
        TARGET or NON-TARGET.
    site : str
        Organ (``LIVER``, ``LYMPH NODE``...).
    nodal : bool
        Lymph node (measured by its short axis).
    hint : str or None
        Surroundings for the segmentation (``"liver"``, ``"lung"``, ``"node"``,
        ``"soft tissue"``), see :func:`measurements.segment_lesion`.
    seeds_lps : mapping of date to (x, y, z)
        A point inside the lesion at each visit (LPS mm). Targets only.
    states : mapping of date to NonTargetState
        Non-target state at each follow-up.
    """

    lesion_id: str
    role: LesionRole
    site: str
    nodal: bool = False
    hint: str | None = None
    seeds_lps: Mapping[dt.date, PointLPS] = field(default_factory=dict)
    states: Mapping[dt.date, NonTargetState] = field(default_factory=dict)


def _decimal_mm(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def measure_at_seed(
    volume: Volume, seed_lps: Sequence[float], *, nodal: bool, hint: str | None = None
) -> Measurement:
    """Segment and measure the lesion under ``seed_lps`` on ``volume``.

    Parameters
    ----------
    volume : Volume
        A series read by :func:`recist.dicom.read_volume` (its metadata gives the
        slice identities).
    seed_lps : sequence of 3 float
        A point inside the lesion, LPS mm.
    nodal : bool
        Measure the short axis (lymph node) instead of the long axis.
    hint : str, optional
        Passed to :func:`measurements.segment_lesion`.

    Returns
    -------
    Measurement
        The RECIST value (0.1 mm), the slice it was measured on and the endpoints
        of the measured axis in LPS.

    Raises
    ------
    SegmentationError
        The seed is outside the volume or no lesion is found under it.
    """
    seed = np.asarray(seed_lps, dtype=float)
    if seed.shape != (3,) or not np.isfinite(seed).all():
        raise SegmentationError(f"seed {tuple(seed_lps)} is not a finite LPS point")
    where = np.asarray(volume.geometry.lps_to_zyx(seed), dtype=float)
    shape = np.asarray(volume.array.shape)
    # compare as floats before any int cast: 1e300 mm must not wrap around
    if (
        not np.isfinite(where).all()
        or (where < -0.5).any()
        or (where >= shape - 0.5).any()
    ):
        msg = f"seed {tuple(seed_lps)} mm is outside the volume"
        raise SegmentationError(msg)
    zyx = np.rint(where).astype(int)
    mask = segment_lesion(volume, tuple(int(v) for v in zyx), hint)
    found = measure_lesion(mask, volume)
    best = found.node if nodal else found.longest
    length = best.short_axis_mm if nodal else best.long_axis_mm
    ends = best.short_endpoints_lps if nodal else best.long_endpoints_lps
    meta = volume.metadata
    image = None
    sources = meta.get("source_slice")
    src = sources[best.index_z] if sources is not None else best.index_z
    if src is not None and meta.get("sop_instance_uids"):
        image = ImageRef(
            study_uid=str(meta["study_uid"]),
            series_uid=str(meta["series_uid"]),
            sop_uid=str(meta["sop_instance_uids"][src]),
        )
    points = tuple(
        (float(p[0]), float(p[1]), float(p[2])) for p in np.asarray(ends, dtype=float)
    )
    return Measurement.of_mm(_decimal_mm(length), image=image, endpoints_lps=points)


def _series_by_date(study_path: str | Path) -> dict[dt.date, SeriesInfo]:
    out: dict[dt.date, SeriesInfo] = {}
    for series in scan(study_path):
        if not series.study_date:
            continue
        day = dt.date.fromisoformat(_iso(series.study_date))
        if day in out and out[day].n_images >= series.n_images:
            continue  # keep the largest series of a day (a localizer is smaller)
        out[day] = series
    return out


def _iso(dicom_date: str) -> str:
    d = dicom_date.replace("-", "")
    return f"{d[:4]}-{d[4:6]}-{d[6:8]}"


def read_from_seeds(
    study_path: str | Path,
    lesions: Sequence[LesionSeed],
    *,
    subject_id: str | None = None,
    reader: str = "recist autoread",
    criteria: Criteria = Criteria.RECIST_1_1,
    options: Options | None = None,
) -> Reading:
    """Build a reading by segmenting and measuring every lesion at every visit.

    Parameters
    ----------
    study_path : str or Path
        Folder (or zip) holding one CT series per visit; visits are matched to
        the seeds' dates by StudyDate.
    lesions : sequence of LesionSeed
        What to read. The earliest date is the baseline.
    subject_id, reader : str
        Written into the reading (USUBJID, RSEVALID).
    criteria : Criteria
    options : Options, optional

    Returns
    -------
    Reading
        With every target measurement referenced to its slice; an audit entry
        per measurement says it was made from a seed point.

    Raises
    ------
    InvalidInputError
        A seed date has no series in ``study_path``.
    """
    series = _series_by_date(study_path)
    dates = sorted(
        {d for les in lesions for d in les.seeds_lps}
        | {d for les in lesions for d in les.states}
    )
    if not dates:
        raise InvalidInputError("no seed points or states given")
    missing = [d.isoformat() for d in dates if d not in series]
    if missing:
        msg = f"no DICOM series dated {', '.join(missing)} in {study_path}"
        raise InvalidInputError(msg)
    volumes = {d: read_volume(series[d]) for d in dates}
    if subject_id is None:
        subject_id = str(volumes[dates[0]].metadata.get("patient_id") or "") or None
    base_date, follow_dates = dates[0], dates[1:]
    audit: list[AuditEntry] = []
    values: dict[tuple[str, dt.date], Measurement] = {}
    for les in lesions:
        if les.role is not LesionRole.TARGET:
            continue
        for day, point in les.seeds_lps.items():
            try:
                m = measure_at_seed(volumes[day], point, nodal=les.nodal, hint=les.hint)
            except MeasurementError as exc:  # seed outside, nothing found there
                msg = f"{les.lesion_id} on {day}: {exc}"
                raise InvalidInputError(msg, location=les.lesion_id) from None
            values[les.lesion_id, day] = m
            axis = "short axis" if les.nodal else "long axis"
            audit.append(
                AuditEntry(
                    when=day.isoformat(),
                    who=reader,
                    what=f"{les.lesion_id} {axis} {m.diameter_mm} mm from seed {point}",
                )
            )
    targets = tuple(
        Lesion(
            lesion_id=les.lesion_id,
            role=LesionRole.TARGET,
            site=les.site,
            nodal=les.nodal,
            baseline=values.get((les.lesion_id, base_date)),
            slice_thickness_mm=_thickness(volumes[base_date]),
        )
        for les in lesions
        if les.role is LesionRole.TARGET
    )
    non_targets = tuple(
        Lesion(
            lesion_id=les.lesion_id,
            role=LesionRole.NON_TARGET,
            site=les.site,
            nodal=les.nodal,
        )
        for les in lesions
        if les.role is LesionRole.NON_TARGET
    )
    followups = tuple(
        TimePoint(
            date=day,
            targets={
                les.lesion_id: values.get(
                    (les.lesion_id, day), Measurement.not_evaluated()
                )
                for les in lesions
                if les.role is LesionRole.TARGET
            },
            non_targets={
                les.lesion_id: les.states.get(day, NonTargetState.NOT_EVALUATED)
                for les in lesions
                if les.role is LesionRole.NON_TARGET
            },
            study_uids=(str(volumes[day].metadata["study_uid"]),),
        )
        for day in follow_dates
    )
    baseline = Baseline(
        date=base_date,
        targets=targets,
        non_targets=non_targets,
        study_uids=(str(volumes[base_date].metadata["study_uid"]),),
    )
    return Reading(
        baseline=baseline,
        followups=followups,
        criteria=criteria,
        options=options or Options(),
        subject_id=subject_id,
        reader=reader,
        audit=tuple(audit),
    )


def _thickness(volume: Volume) -> Decimal | None:
    t = volume.metadata.get("slice_thickness")
    return None if t in (None, "") else Decimal(str(t))


def _flag(item: Any, key: str, path: str | Path) -> bool:
    """Read an optional JSON boolean; refuse ``"false"``, 0, null and the like."""
    value = item.get(key, False)
    if not isinstance(value, bool):
        lesion = item.get("id", "?")
        msg = (
            f"{path}: lesion {lesion}: {key!r} must be true or false (a JSON "
            f"boolean), got {json.dumps(value)}"
        )
        raise InvalidInputError(msg, location=f"{path}: {lesion}.{key}")
    return value


def load_seeds(path: str | Path) -> list[LesionSeed]:
    """Read seed points from JSON.

    The file holds ``{"lesions": [{"id", "role", "site", "nodal", "hint",
    "seeds_lps": {"YYYY-MM-DD": [x, y, z]}, "states": {"YYYY-MM-DD": STATE}}]}``.
    """
    try:
        from recist.formats.case import parse_json_text

        text = Path(path).read_text(encoding="utf-8")
        doc: Any = parse_json_text(text, str(path))  # bounded depth and numbers
        return [
            LesionSeed(
                lesion_id=str(item["id"]),
                role=LesionRole(item["role"]),
                site=str(item["site"]),
                nodal=_flag(item, "nodal", path),
                hint=item.get("hint"),
                seeds_lps={
                    dt.date.fromisoformat(k): (float(v[0]), float(v[1]), float(v[2]))
                    for k, v in item.get("seeds_lps", {}).items()
                },
                states={
                    dt.date.fromisoformat(k): NonTargetState(v)
                    for k, v in item.get("states", {}).items()
                },
            )
            for item in doc["lesions"]
        ]
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        msg = f"{path}: not a seed file ({exc})"
        raise InvalidInputError(msg, location=str(path)) from exc
