"""Lesion propagation: find each known lesion again at a new time point.

For a time point being read, every target, non-target with a recorded location
and earlier new lesion is looked for where it should be:

1. its source: the latest earlier time point where it was measured (calliper
   endpoints, or a non-target's location), so a lesion is followed from the
   visit most like the one being read;
2. the source visit is registered to the new one, whole body then locally
   (:func:`measurements.registration.register_rigid`, :func:`refine_local`), and
   the lesion centre mapped;
3. the lesion is segmented at the mapped point (:func:`measurements.segment_lesion`)
   and measured (:func:`measurements.measure_lesion`): long and short axis on its
   best slice, the RECIST value (short axis for a node);
4. the result is checked against the source lesion (centre near the mapped point,
   similar density, no leak): anything else is "not found", never an invented
   lesion, with the reason as a flag.

Each result is a :class:`~recist.model.Proposal` kept in ``Reading.proposals``:
the engine never counts it until a reader accepts it (:func:`accept_proposal`,
which records "proposed by registration, accepted by R" in the audit trail).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np

from recist.errors import InvalidInputError
from recist.model import (
    AuditEntry,
    ImageRef,
    Measurement,
    NewLesion,
    PointLPS,
    Proposal,
    Reading,
    TimePoint,
)
from recist.terms import MeasurementKind

__all__ = [
    "PropagationResult",
    "accept_proposal",
    "propose",
    "reject_proposal",
    "with_proposals",
]

log = logging.getLogger(__name__)

#: below this local correlation the neighbourhood matched poorly
LOW_SIMILARITY = 0.80
#: a local step larger than this from the whole-body map is suspicious (mm)
LARGE_LOCAL_SHIFT_MM = 15.0
#: segmented densities further than this from the source lesion's are another thing
MAX_HU_DIFFERENCE = 60.0
#: a segmentation this many times the source volume is a leak
MAX_VOLUME_RATIO = 8.0
HINTS = {"LIVER": "liver", "LUNG": "lung", "LYMPH NODE": "node"}


@dataclass(frozen=True, slots=True)
class PropagationResult:
    """What :func:`propose` found.

    Attributes
    ----------
    proposals : tuple of Proposal
        One per lesion followed (found or not).
    skipped : tuple of (str, str)
        Lesions that could not be followed, with the reason (e.g. a non-target
        without a recorded location).
    registrations : dict
        Per source date: the whole-body rigid rotation (deg), translation (mm)
        and metric, for the record.
    """

    proposals: tuple[Proposal, ...]
    skipped: tuple[tuple[str, str], ...]
    registrations: dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Expect:
    """What the lesion looked like at its source visit."""

    hint: str | None  # segmentation hint of its site
    band: tuple[float, float] | None  # its HU band (half-way to its rim)
    radius_mm: float
    hu: float | None  # median density
    ml: float | None  # volume


@dataclass(frozen=True, slots=True)
class _Source:
    lesion_id: str
    role: str
    site: str
    nodal: bool
    date: dt.date
    center_lps: PointLPS
    half_length_mm: float


def _mm(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _midpoint(points: Sequence[PointLPS]) -> PointLPS:
    a = np.asarray(points, dtype=float)
    c = a.mean(axis=0)
    return (float(c[0]), float(c[1]), float(c[2]))


def _half_length(points: Sequence[PointLPS]) -> float:
    a = np.asarray(points, dtype=float)
    if len(a) < 2:
        return 5.0
    return max(float(np.linalg.norm(a[1] - a[0])) / 2, 2.5)


def _sources(
    reading: Reading, day: dt.date
) -> tuple[list[_Source], list[tuple[str, str]]]:
    """Return the latest earlier positioned measurement of every lesion to follow."""
    found: dict[str, _Source] = {}
    skipped: dict[str, str] = {}
    b = reading.baseline
    for t in b.targets:
        m = t.baseline
        if m is not None and len(m.endpoints_lps) >= 2:
            found[t.lesion_id] = _Source(
                t.lesion_id,
                "TARGET",
                t.site,
                t.nodal,
                b.date,
                _midpoint(m.endpoints_lps),
                _half_length(m.endpoints_lps),
            )
        else:
            skipped[t.lesion_id] = "no calliper endpoints at baseline"
    for n in b.non_targets:
        location = getattr(n, "location_lps", None)
        if location:
            pts = tuple(location) if isinstance(location[0], Sequence) else (location,)
            found[n.lesion_id] = _Source(
                n.lesion_id,
                "NON-TARGET",
                n.site,
                n.nodal,
                b.date,
                _midpoint(pts),
                _half_length(pts) if len(pts) > 1 else 7.5,
            )
        else:
            skipped[n.lesion_id] = "non-target without a recorded location"
    roles = {t.lesion_id: t for t in b.targets}
    for tp in reading.followups:
        if tp.date >= day:
            continue
        for lesion_id, m in tp.targets.items():
            if (
                m.kind is MeasurementKind.MEASURED
                and len(m.endpoints_lps) >= 2
                and lesion_id in roles
            ):
                t = roles[lesion_id]
                found[lesion_id] = _Source(
                    lesion_id,
                    "TARGET",
                    t.site,
                    t.nodal,
                    tp.date,
                    _midpoint(m.endpoints_lps),
                    _half_length(m.endpoints_lps),
                )
                skipped.pop(lesion_id, None)
        for n in tp.new_lesions:
            if len(n.endpoints_lps) >= 2:
                found[n.lesion_id] = _Source(
                    n.lesion_id,
                    "NEW",
                    n.site,
                    n.nodal,
                    tp.date,
                    _midpoint(n.endpoints_lps),
                    _half_length(n.endpoints_lps),
                )
                skipped.pop(n.lesion_id, None)
            elif n.lesion_id not in found:
                skipped[n.lesion_id] = f"new lesion of {tp.date} without endpoints"
    order = list(found.values())
    return order, sorted(skipped.items())


def _volumes_by_date(images: str | Path) -> dict[dt.date, Any]:
    from recist.autoread import _series_by_date

    return _series_by_date(images)


def propose(
    reading: Reading,
    images: str | Path,
    day: dt.date,
    *,
    deformable: bool = False,
) -> PropagationResult:
    """Find every followed lesion of ``reading`` at time point ``day``.

    Parameters
    ----------
    reading : Reading
        The reading so far (baseline measured with calliper endpoints).
    images : str or Path
        Folder or zip with one CT series per visit (dates from StudyDate).
    day : datetime.date
        The time point to propose measurements for. *Permitted values:* a date
        with a series in ``images``, after the baseline.
    deformable : bool, optional
        Add a local B-spline step after the local translation (slower; on the
        generated tracking study it did not improve the centres).

    Returns
    -------
    PropagationResult

    Raises
    ------
    InvalidInputError
        No series on ``day`` or on a source date, or ``day`` not after baseline.
    """
    from measurements import SegmentationError, measure_lesion
    from measurements.registration import refine_local, register_rigid
    from recist.dicom import read_volume

    if day <= reading.baseline.date:
        msg = f"time point {day} is not after the baseline {reading.baseline.date}"
        raise InvalidInputError(msg)
    series = _volumes_by_date(images)
    if day not in series:
        have = ", ".join(str(d) for d in sorted(series)) or "none"
        msg = f"no series of {day} in {images} (dates: {have})"
        raise InvalidInputError(msg)
    sources, skipped = _sources(reading, day)
    target_volume = read_volume(series[day])
    volumes: dict[dt.date, Any] = {}
    rigid: dict[dt.date, Any] = {}
    proposals: list[Proposal] = []
    for src in sources:
        if src.date not in series:
            skipped.append((src.lesion_id, f"no series of its source date {src.date}"))
            continue
        if src.date not in volumes:
            volumes[src.date] = read_volume(series[src.date])
            rigid[src.date] = register_rigid(volumes[src.date], target_volume)
        source_volume = volumes[src.date]
        hint = HINTS.get(src.site.upper())
        flags: list[str] = []
        # the source lesion as segmented: its size and density
        src_zyx = np.rint(source_volume.geometry.lps_to_zyx(src.center_lps)).astype(int)
        radius, src_hu, src_ml, band = src.half_length_mm, None, None, None
        try:
            src_mask, src_box, _ = _segment_cropped(
                source_volume, tuple(int(v) for v in src_zyx), hint
            )
            src_found = measure_lesion(src_mask, src_box)
            radius = max(radius, src_found.long_axis_mm / 2)
            src_hu = float(np.median(src_box.array[src_mask]))
            src_ml = src_found.volume_mm3 / 1000
            band = _band_of(src_box.array, src_mask, src_hu)
        except (SegmentationError, ValueError) as exc:
            log.info("%s: source segmentation failed: %s", src.lesion_id, exc)
        try:
            local = refine_local(
                source_volume,
                target_volume,
                src.center_lps,
                rigid[src.date],
                lesion_radius_mm=radius,
                deformable=deformable,
            )
            mapped = local.map_point(src.center_lps)
            similarity: float | None = local.similarity
            if local.similarity < LOW_SIMILARITY:
                flags.append("LOW_SIMILARITY")
            if local.box_fraction_inside < 1:
                flags.append("NEAR_EDGE")
            if local.shift_from_rigid_mm > LARGE_LOCAL_SHIFT_MM:
                flags.append("LARGE_LOCAL_SHIFT")
        except (RuntimeError, ValueError) as exc:  # box outside, ITK failure
            log.info("%s: local registration failed: %s", src.lesion_id, exc)
            mapped = rigid[src.date].map_point(src.center_lps)
            similarity = None
            flags.append("LOCAL_REGISTRATION_FAILED")
        if src.role == "NON-TARGET":  # a location to look at; its state is read
            where = ", ".join(f"{v:.1f}" for v in mapped)
            proposals.append(
                Proposal(
                    lesion_id=src.lesion_id,
                    date=day,
                    role=src.role,
                    found=True,
                    source_date=src.date,
                    center_lps=mapped,
                    similarity=None if similarity is None else round(similarity, 4),
                    flags=tuple(flags),
                    reason=(
                        f"non-target located at ({where}) mm by registration from "
                        f"{src.date}: its state is the reader's to judge"
                    ),
                )
            )
            continue
        proposals.append(
            _segment_at(
                src,
                day,
                target_volume,
                mapped,
                _Expect(hint, band, radius, src_hu, src_ml),
                similarity,
                flags,
            )
        )
    regs = {
        str(d): {
            "rotation_deg": [round(v, 3) for v in r.rotation_deg],
            "translation_mm": [round(v, 3) for v in r.translation_mm],
            "mattes_mi": round(r.metric, 5),
        }
        for d, r in rigid.items()
    }
    return PropagationResult(tuple(proposals), tuple(skipped), regs)


def _segment_at(
    src: _Source,
    day: dt.date,
    volume: Any,
    mapped: PointLPS,
    expect: _Expect,
    similarity: float | None,
    flags: list[str],
) -> Proposal:
    """Segment at the mapped point; a proposal, or 'not found' with the reason."""
    from measurements import SegmentationError, measure_lesion

    radius, src_hu, src_ml = expect.radius_mm, expect.hu, expect.ml
    common: dict[str, Any] = {
        "lesion_id": src.lesion_id,
        "date": day,
        "role": src.role,
        "source_date": src.date,
        "similarity": None if similarity is None else round(similarity, 4),
    }
    where = ", ".join(f"{v:.1f}" for v in mapped)
    zyx = np.rint(volume.geometry.lps_to_zyx(mapped)).astype(int)
    if np.any(zyx < 0) or np.any(zyx >= np.asarray(volume.array.shape)):
        return Proposal(
            found=False,
            center_lps=mapped,
            flags=(*flags, "OUTSIDE_SCAN"),
            reason=f"mapped to ({where}) mm, outside the scan of {day}",
            **common,
        )
    seed = tuple(int(v) for v in zyx)
    hint, band = expect.hint, expect.band
    errors = []
    mask, box, corner = None, volume, (0, 0, 0)
    for how in (hint, band):  # the site's hint, then the lesion's own densities
        if how is None and errors:
            break
        try:
            mask, box, corner = _segment_cropped(volume, seed, how)
            break
        except (SegmentationError, ValueError) as exc:
            errors.append(str(exc))
    if mask is None:
        return Proposal(
            found=False,
            center_lps=mapped,
            flags=(*flags, "SEGMENTATION_FAILED"),
            reason=f"nothing segmented at ({where}) mm: {'; '.join(errors)}",
            **common,
        )
    if errors:
        flags.append("SOURCE_BAND")
    found = measure_lesion(mask, box)
    centre = np.asarray(found.centroid_lps, dtype=float)
    residual = float(np.linalg.norm(centre - np.asarray(mapped)))
    hu = float(np.median(box.array[mask]))
    ml = found.volume_mm3 / 1000
    problem = None
    if residual > max(10.0, radius):
        problem = ("FAR_FROM_MAPPED", f"what was segmented is {residual:.1f} mm away")
    elif src_hu is not None and abs(hu - src_hu) > MAX_HU_DIFFERENCE:
        problem = ("OTHER_DENSITY", f"{hu:.0f} HU there vs {src_hu:.0f} HU before")
    elif src_ml is not None and ml > MAX_VOLUME_RATIO * max(src_ml, 0.05):
        problem = ("LEAK", f"{ml:.1f} ml there vs {src_ml:.1f} ml before")
    if problem is not None:
        return Proposal(
            found=False,
            center_lps=mapped,
            residual_mm=round(residual, 2),
            flags=(*flags, problem[0]),
            reason=f"not found at ({where}) mm: {problem[1]}",
            **common,
        )
    best = found.node if src.nodal else found.longest
    length = best.short_axis_mm if src.nodal else best.long_axis_mm
    ends = best.short_endpoints_lps if src.nodal else best.long_endpoints_lps
    meta = volume.metadata
    image = None
    sources = meta.get("source_slice")
    z = best.index_z + corner[0]  # the crop's slice in the series
    sop_index = sources[z] if sources is not None else z
    if sop_index is not None and meta.get("sop_instance_uids"):
        image = ImageRef(
            study_uid=str(meta["study_uid"]),
            series_uid=str(meta["series_uid"]),
            sop_uid=str(meta["sop_instance_uids"][sop_index]),
        )
    points = tuple((float(p[0]), float(p[1]), float(p[2])) for p in np.asarray(ends))
    value = _mm(length)
    kind = "short axis" if src.nodal else "long axis"
    return Proposal(
        found=True,
        measurement=Measurement.of_mm(value, image=image, endpoints_lps=points),
        long_axis_mm=_mm(best.long_axis_mm),
        short_axis_mm=_mm(best.short_axis_mm),
        center_lps=(float(centre[0]), float(centre[1]), float(centre[2])),
        residual_mm=round(residual, 2),
        flags=tuple(flags),
        reason=(
            f"{kind} {value} mm, segmented {residual:.1f} mm from where registration "
            f"put the lesion of {src.date}"
        ),
        **common,
    )


def _segment_cropped(
    volume: Any, seed: tuple[int, ...], hint: Any, margin: int = 3
) -> tuple[Any, Any, tuple[int, int, int]]:
    """Segment at ``seed``; the mask on a crop of ``volume`` (its box + margin).

    Returns the mask, the cropped volume it lies on (same patient coordinates)
    and the crop's corner index ``(z, y, x)`` in ``volume``.
    """
    from measurements import Volume
    from measurements.segment import segment_lesion_box

    found, at = segment_lesion_box(volume, seed, hint)
    shape = np.asarray(volume.array.shape)
    lo = np.maximum(np.asarray(at) - margin, 0)
    hi = np.minimum(np.asarray(at) + np.asarray(found.shape) + margin, shape)
    arr = volume.array[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    mask = np.zeros(arr.shape, dtype=bool)
    off = np.asarray(at) - lo
    mask[
        off[0] : off[0] + found.shape[0],
        off[1] : off[1] + found.shape[1],
        off[2] : off[2] + found.shape[2],
    ] = found
    g = volume.geometry
    geometry = type(g)(
        origin=tuple(float(v) for v in g.zyx_to_lps(lo)),
        spacing=g.spacing,
        direction=g.direction,
        size=(int(arr.shape[2]), int(arr.shape[1]), int(arr.shape[0])),
    )
    corner = (int(lo[0]), int(lo[1]), int(lo[2]))
    return mask, Volume(array=arr, geometry=geometry), corner


def _band_of(array: Any, mask: Any, lesion_hu: float) -> tuple[float, float]:
    """HU band of a lesion from its source segmentation: half-way to its rim.

    The rim is a 2-voxel shell around the mask (in-plane and through-plane).
    """
    from scipy import ndimage

    idx = np.argwhere(mask)
    lo = np.maximum(idx.min(0) - 3, 0)
    hi = np.minimum(idx.max(0) + 4, mask.shape)
    box = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True))
    m = mask[box]
    rim = ndimage.binary_dilation(m, iterations=2) & ~m
    rim_hu = float(np.median(array[box][rim])) if rim.any() else lesion_hu
    half = (lesion_hu + rim_hu) / 2
    reach = max(2 * abs(rim_hu - lesion_hu), 60.0)
    if lesion_hu <= rim_hu:
        return (lesion_hu - reach, half)
    return (half, lesion_hu + reach)


def with_proposals(reading: Reading, proposals: Sequence[Proposal]) -> Reading:
    """Return the reading with ``proposals`` replacing earlier ones of their dates."""
    days = {p.date for p in proposals}
    kept = tuple(p for p in reading.proposals if p.date not in days)
    return replace(reading, proposals=kept + tuple(proposals))


def _take(reading: Reading, lesion_id: str, day: dt.date) -> tuple[Proposal, Reading]:
    for p in reading.proposals:
        if p.lesion_id == lesion_id and p.date == day:
            rest = tuple(q for q in reading.proposals if q is not p)
            return p, replace(reading, proposals=rest)
    msg = f"no proposal for {lesion_id} at {day}"
    raise InvalidInputError(msg, location=lesion_id)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def accept_proposal(
    reading: Reading,
    lesion_id: str,
    day: dt.date,
    *,
    reader: str,
    measurement: Measurement | None = None,
    when: str | None = None,
) -> Reading:
    """Record a proposal as the reader's measurement (or the reader's adjustment).

    Parameters
    ----------
    reading : Reading
    lesion_id : str
    day : datetime.date
        The proposal's time point (created in the reading if absent).
    reader : str
        Who accepted (audit trail).
    measurement : Measurement, optional
        The reader's adjusted measurement instead of the proposed one.
    when : str, optional
        ISO 8601 time for the audit entry (default: now, UTC).

    Returns
    -------
    Reading
        The proposal removed, the value recorded at ``day`` (a target value, a
        non-target PRESENT, or the new lesion measured again), and an audit entry
        "proposed by registration, accepted by R" (or "adjusted by R").

    Raises
    ------
    InvalidInputError
        No such proposal, or "not found" accepted without a measurement.
    """
    proposal, rest = _take(reading, lesion_id, day)
    value = measurement if measurement is not None else proposal.measurement
    if value is None and proposal.role != "NON-TARGET":
        msg = f"{lesion_id} was not found at {day}: measure it or reject the proposal"
        raise InvalidInputError(msg, location=lesion_id)
    tps = list(rest.followups)
    index = next((i for i, tp in enumerate(tps) if tp.date == day), None)
    tp = tps[index] if index is not None else TimePoint(date=day)
    if proposal.role == "TARGET":
        assert value is not None
        tp = replace(tp, targets={**tp.targets, lesion_id: value})
    elif proposal.role == "NON-TARGET":
        from recist.terms import NonTargetState

        tp = replace(
            tp, non_targets={**tp.non_targets, lesion_id: NonTargetState.PRESENT}
        )
    else:
        assert value is not None
        earlier = _earlier_new(rest, lesion_id, day)
        new = NewLesion(
            lesion_id=lesion_id,
            site=earlier.site,
            equivocal=earlier.equivocal,
            measurable=earlier.measurable,
            nodal=earlier.nodal,
            diameter_mm=value.diameter_mm,
            image=value.image,
            endpoints_lps=value.endpoints_lps,
        )
        others = tuple(n for n in tp.new_lesions if n.lesion_id != lesion_id)
        tp = replace(tp, new_lesions=(*others, new))
    if index is None:
        tps.append(tp)
        tps.sort(key=lambda t: t.date)
    else:
        tps[index] = tp
    how = "adjusted" if measurement is not None else "accepted"
    shown = "" if value is None else f" {value.diameter_mm} mm"
    what = f"{lesion_id} at {day}:{shown} proposed by registration, {how} by {reader}"
    entry = AuditEntry(when=when or _now(), who=reader, what=what)
    return replace(rest, followups=tuple(tps), audit=(*rest.audit, entry))


def _earlier_new(reading: Reading, lesion_id: str, day: dt.date) -> NewLesion:
    for tp in reversed(reading.followups):
        if tp.date < day:
            for n in tp.new_lesions:
                if n.lesion_id == lesion_id:
                    return n
    msg = f"new lesion {lesion_id} has no earlier record before {day}"
    raise InvalidInputError(msg, location=lesion_id)


def reject_proposal(
    reading: Reading,
    lesion_id: str,
    day: dt.date,
    *,
    reader: str,
    when: str | None = None,
) -> Reading:
    """Drop a proposal, recording who rejected it (nothing is measured)."""
    _proposal, rest = _take(reading, lesion_id, day)
    what = f"{lesion_id} at {day}: proposal by registration rejected by {reader}"
    entry = AuditEntry(when=when or _now(), who=reader, what=what)
    return replace(rest, audit=(*rest.audit, entry))


def centre_errors(
    proposals: Sequence[Proposal], truth: dict[str, PointLPS]
) -> dict[str, float]:
    """Distance (mm) from each found proposal's centre to a known true centre."""
    out = {}
    for p in proposals:
        if p.found and p.center_lps is not None and p.lesion_id in truth:
            out[p.lesion_id] = math.dist(p.center_lps, truth[p.lesion_id])
    return out
