"""Rebuild a reading from the SRs recist writes (one per time point).

The coded content is read (lesion role, target state, non-target state, new
lesion flags, finding, site, method, lengths, callipers); the private
"RECIST reading properties" item only adds what DICOM has no place for
(subject/case ids, description, options, audit trail, lesion order) and is
cross-checked against the coded method.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from recist.errors import RecistError
from recist.export import _codes as C
from recist.model import (
    AuditEntry,
    Baseline,
    ImageRef,
    Lesion,
    Measurement,
    NewLesion,
    Options,
    PointLPS,
    Reading,
    TimePoint,
)
from recist.terms import Criteria, LesionRole, MeasurementKind, NonTargetState

if TYPE_CHECKING:
    from recist.export.sr import SliceGeometry
from recist.export._tid1500 import (
    _BASELINE_TYPES,
    _REFERENCED_SEGMENT,
    _SEGMENTATION_FRAME,
    _Ctx,
    _key,
    _observer,
)


def _eval(group: Mapping[str, Any], concept: Any) -> tuple[str, str] | None:
    for q in group["qualitative_evaluations"]:
        if _key(q["concept"]) == (concept.value, concept.scheme_designator):
            return _key(q["value"])
    return None


def _decode(table: Mapping[Any, Any], key: tuple[str, str] | None) -> Any:
    for term, code in table.items():
        if key == (code.value, code.scheme_designator):
            return term
    return None


def _properties(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    for g in doc["measurement_groups"]:
        for o in g["other"]:
            if _key(o["concept"]) == (
                C.READING_PROPERTIES.value,
                C.READING_PROPERTIES.scheme_designator,
            ):
                value = json.loads(o["value"])
                return value if isinstance(value, dict) else None
    return None


def _is_ours(doc: Mapping[str, Any]) -> bool:
    """Whether an SR holds recist's coded content (a group with a lesion role)."""
    return any(_eval(g, C.LESION_ROLE) is not None for g in doc["measurement_groups"])


def _criteria(visits: Sequence[_Visit]) -> Criteria | None:
    """Return the response criteria coded as the groups' method (CID 6147 or coined)."""
    for v in visits:
        for g in v.doc["measurement_groups"]:
            found = _decode(C.CRITERIA_CODES, _key(g["method"]))
            if found is not None:
                return found
    return None


def _timepoint(doc: Mapping[str, Any]) -> tuple[dt.date, bool] | None:
    for g in doc["measurement_groups"]:
        tpc = g["time_point_context"]
        if "time_point" in tpc:
            try:
                date = dt.date.fromisoformat(str(tpc["time_point"]))
            except ValueError:
                return None
            return date, _key(tpc.get("time_point_type")) in _BASELINE_TYPES
    return None


def _place(
    group: Mapping[str, Any], ctx: _Ctx, lesion: str
) -> tuple[ImageRef | None, tuple[PointLPS, ...]]:
    from recist.export.sr import image_to_lps

    refs: list[dict[str, Any]] = []
    data: list[float] = []
    if group["regions"]:
        region = group["regions"][0]
        refs = region["references"]
        if region["value_type"] != "SCOORD":
            ctx.skipped.append(
                f"{ctx.where} {lesion}: 3-D region not read as callipers"
            )
            refs = []
        data = region["graphic_data"] or []
    else:
        images = [
            i
            for i in group["source_images"]
            if _key(i["concept"]) not in {_REFERENCED_SEGMENT, _SEGMENTATION_FRAME}
        ]
        refs = images[0]["references"] if images else []
        data = _axis_lines(group)  # a node: its axes' lines under the NUMs
    if not refs:
        return None, ()
    ref = refs[0]
    sop = ref["sop_instance_uid"]
    frames = ref.get("frames") or [None]
    frame = frames[0]
    study, series = ctx.sop_to_series.get(sop, ("", ""))
    if not study:
        ctx.skipped.append(f"{ctx.where} {lesion}: image {sop} is not in the evidence")
    image = ImageRef(study_uid=study, series_uid=series, sop_uid=sop, frame=frame)
    if not data:
        return image, ()
    if ctx.images is None:
        ctx.skipped.append(f"{ctx.where} {lesion}: positions (no images given)")
        return image, ()
    plane = ctx.images.get((sop, frame))
    if plane is None:
        ctx.skipped.append(
            f"{ctx.where} {lesion}: positions (image {sop} is not among the images)"
        )
        return image, ()
    pairs = [(data[i], data[i + 1]) for i in range(0, len(data) - 1, 2)]
    return image, image_to_lps(pairs, plane)


def _lengths(group: Mapping[str, Any]) -> list[Decimal]:
    """Return the recorded diameters: short axes of a node, else long axes."""
    axis = C.SHORT_AXIS if _nodal(group) else C.LONG_AXIS
    return [
        m["value"]
        for m in group["measurements"]
        if _key(m["concept"]) == (axis.value, axis.scheme_designator)
        and isinstance(m["value"], Decimal)
    ]


def _axis_lines(group: Mapping[str, Any]) -> list[float]:
    """Graphic data of the long- then short-axis lines under the group's NUMs.

    A node measured on both axes is written as NUMs each INFERRED FROM its
    own 2-point POLYLINE (see :mod:`recist.export.sr`).
    """
    out: list[float] = []
    for axis in (C.LONG_AXIS, C.SHORT_AXIS):
        for m in group["measurements"]:
            if _key(m["concept"]) != (axis.value, axis.scheme_designator):
                continue
            for mod in m.get("modifiers", []):
                if mod.get("graphic_type") == "POLYLINE" and mod.get("graphic_data"):
                    out += list(mod["graphic_data"])
                    break
    return out


def _slice_thickness(group: Mapping[str, Any]) -> Decimal | None:
    for m in group["measurements"]:
        key = (C.SLICE_THICKNESS.value, C.SLICE_THICKNESS.scheme_designator)
        if _key(m["concept"]) == key and isinstance(m["value"], Decimal):
            return m["value"]
    return None


def _text(group: Mapping[str, Any], concept: Any) -> str | None:
    for o in group["other"]:
        if _key(o["concept"]) == (concept.value, concept.scheme_designator):
            return str(o.get("value"))
    return None


def _measurement_of(group: Mapping[str, Any], ctx: _Ctx, lesion: str) -> Measurement:
    kind = _decode(C.KIND_CODES, _eval(group, C.TARGET_STATE))
    if kind is None:
        kind = (
            MeasurementKind.MEASURED
            if _lengths(group)
            else MeasurementKind.NOT_EVALUATED
        )
    image, points = _place(group, ctx, lesion)
    lengths = _lengths(group)
    kw: dict[str, Any] = {"image": image, "endpoints_lps": points}
    if kind is MeasurementKind.MEASURED:
        if not lengths:
            ctx.skipped.append(f"{ctx.where} {lesion}: MEASURED without a length")
            return Measurement.not_evaluated(**kw)
        return Measurement(kind=kind, diameter_mm=lengths[0], **kw)
    if kind is MeasurementKind.SPLIT:
        return Measurement(kind=kind, fragments_mm=tuple(lengths), **kw)
    if kind is MeasurementKind.COALESCED:
        into = _text(group, C.COALESCED_INTO) or ""
        return Measurement(kind=kind, coalesced_into=into, **kw)
    return Measurement(kind=kind, **kw)


def _site(group: Mapping[str, Any], props: Mapping[str, Any], lesion: str) -> str:
    written = _text(group, C.SITE_TEXT)
    if written:
        return written
    spelled = (props.get("sites") or {}).get(lesion)
    if spelled:
        return str(spelled)
    if group["finding_sites"]:
        code = group["finding_sites"][0]["value"] or {}
        return C.site_from_code(
            code.get("value", ""), code.get("scheme", ""), code.get("meaning", "")
        )
    return ""


def _nodal(group: Mapping[str, Any]) -> bool:
    return _key(group["finding"]) == (
        C.LYMPH_NODE.value,
        C.LYMPH_NODE.scheme_designator,
    )


@dataclass(slots=True)
class _Visit:
    date: dt.date
    baseline: bool
    doc: dict[str, Any]
    props: dict[str, Any]


def _lesion_groups(v: _Visit) -> list[dict[str, Any]]:
    """Return the lesion groups of a visit, in the reading's order if recorded.

    The groups are written without coordinates first (for OHIF); the
    properties item's ``order`` restores the reading's lesion order, else the
    document order is kept.
    """
    from recist.export.sr import TIMEPOINT_GROUP_ID

    groups = [
        g
        for g in v.doc["measurement_groups"]
        if g["tracking_identifier"] != TIMEPOINT_GROUP_ID
    ]
    order = {lid: i for i, lid in enumerate(v.props.get("order") or ())}
    return sorted(
        groups, key=lambda g: order.get(str(g["tracking_identifier"]), len(order))
    )


def _baseline(v: _Visit, ctx: _Ctx) -> Baseline:
    targets, non_targets = [], []
    for g in _lesion_groups(v):
        lid = str(g["tracking_identifier"] or "")
        role = _decode(C.ROLE_CODES, _eval(g, C.LESION_ROLE))
        site, nodal = _site(g, v.props, lid), _nodal(g)
        if role is LesionRole.TARGET:
            targets.append(
                Lesion(
                    lesion_id=lid,
                    role=role,
                    site=site,
                    nodal=nodal,
                    baseline=_measurement_of(g, ctx, lid),
                    slice_thickness_mm=_slice_thickness(g),
                )
            )
        elif role is LesionRole.NON_TARGET:
            non_targets.append(Lesion(lesion_id=lid, role=role, site=site, nodal=nodal))
        else:
            ctx.skipped.append(f"{ctx.where} group {lid!r}: no RECIST lesion role")
    return Baseline(
        date=v.date,
        targets=tuple(targets),
        non_targets=tuple(non_targets),
        study_uids=_visit_studies(v),
    )


def _visit_studies(v: _Visit) -> tuple[str, ...]:
    """Return the time point's studies: the properties' list, else the SR's study."""
    if "study_uids" in v.props:
        return tuple(v.props["study_uids"])
    return (v.doc["study_uid"],) if v.doc["study_uid"] else ()


def _followup(v: _Visit, ctx: _Ctx) -> TimePoint:
    targets: dict[str, Measurement] = {}
    non_targets: dict[str, NonTargetState] = {}
    new: list[NewLesion] = []
    for g in _lesion_groups(v):
        lid = str(g["tracking_identifier"] or "")
        role = _decode(C.ROLE_CODES, _eval(g, C.LESION_ROLE))
        if role is LesionRole.TARGET:
            targets[lid] = _measurement_of(g, ctx, lid)
        elif role is LesionRole.NON_TARGET:
            state = _decode(C.NON_TARGET_STATE_CODES, _eval(g, C.NON_TARGET_STATE))
            non_targets[lid] = state or NonTargetState.NOT_EVALUATED
        elif role is LesionRole.NEW:
            image, points = _place(g, ctx, lid)
            lengths = _lengths(g)
            new.append(
                NewLesion(
                    lesion_id=lid,
                    site=_site(g, v.props, lid),
                    equivocal=_eval(g, C.EQUIVOCAL) == _key(_yes()),
                    measurable=_eval(g, C.MEASURABLE) == _key(_yes()),
                    nodal=_nodal(g),
                    diameter_mm=lengths[0] if lengths else None,
                    image=image,
                    endpoints_lps=points,
                )
            )
        else:
            ctx.skipped.append(f"{ctx.where} group {lid!r}: no RECIST lesion role")
    return TimePoint(
        date=v.date,
        targets=targets,
        non_targets=non_targets,
        new_lesions=tuple(new),
        study_uids=_visit_studies(v),
    )


def _yes() -> dict[str, str]:
    return {"value": C.YES.value, "scheme": C.YES.scheme_designator}


# explicit-VR elements with a 2-byte pad and a 4-byte length (PS3.5 7.1.2)


def _merge(
    visits: list[_Visit],
    images: Mapping[tuple[str, int | None], SliceGeometry] | None,
    skipped: list[str],
) -> Reading | None:
    if not visits:
        return None
    bases = [v for v in visits if v.baseline]
    if not bases:
        skipped.append("no baseline SR among the files: no reading rebuilt")
        return None
    base = bases[0]
    for extra in bases[1:]:
        skipped.append(f"{extra.doc['source']}: a second baseline SR (ignored)")
    followups: dict[dt.date, _Visit] = {}
    for v in visits:
        if v.baseline:
            continue
        if v.date in followups:
            skipped.append(f"{v.doc['source']}: a second SR of {v.date} (ignored)")
            continue
        followups[v.date] = v

    def ctx(v: _Visit) -> _Ctx:
        sop_map = {
            inst["sop_instance_uid"]: (e["study_uid"], e["series_uid"])
            for e in v.doc["evidence"]
            for inst in e["instances"]
        }
        return _Ctx(sop_map, images, skipped, v.doc["source"])

    props = base.props
    coded = _criteria(visits)
    try:
        written = props.get("criteria")
        if written is not None and coded is not None and Criteria(written) != coded:
            skipped.append(
                f"{base.doc['source']}: the properties say {written}, the coded "
                f"method {coded.value}: the coded method is used"
            )
        criteria = coded or Criteria(written or Criteria.RECIST_1_1.value)
        baseline = _baseline(base, ctx(base))
        tps = tuple(_followup(v, ctx(v)) for _, v in sorted(followups.items()))
        o = props.get("options") or {}
        if props:
            subject, reader = props.get("subject_id"), props.get("reader")
        else:  # coded content only: the patient and the person observer
            subject = base.doc["patient_id"] or None
            reader = (_observer(base.doc) or "").rstrip("^") or None
        return Reading(
            baseline=baseline,
            followups=tps,
            criteria=criteria,
            options=Options(**o),
            subject_id=subject,
            reader=reader,
            case_id=props.get("case_id"),
            description=props.get("description"),
            audit=tuple(AuditEntry(**a) for a in props.get("audit", [])),
        )
    except (RecistError, ValueError, TypeError) as exc:
        skipped.append(f"reading not rebuilt: {exc}")
        return None
