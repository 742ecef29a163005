"""Rebuild a reading from other tools' TID 1500 SRs (highdicom, dcmqi, OHIF, ...).

See :mod:`recist.export.sr_import` for the rules (lesion groups, lengths,
ids, dates, merging, calliper positions).
"""

from __future__ import annotations

import datetime as dt
import re
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
    PointLPS,
    Reading,
    TimePoint,
)
from recist.terms import LesionRole, MeasurementKind

if TYPE_CHECKING:
    from recist.export.sr import SliceGeometry
from recist.export._tid1500 import (
    _BASELINE_TYPES,
    _Ctx,
    _ctx_of,
    _key,
    _observer,
    _parse_date,
)

# --- rebuilding a reading from other tools' TID 1500 SRs -------------------------

#: Linear concepts (CID 7470 Linear Measurements) read as a lesion's diameter,
#: in order of preference for a non-nodal lesion (long axis first).
_LONG_LENGTHS: tuple[tuple[str, str], ...] = (
    ("103339001", "SCT"),  # Long axis
    ("131187009", "SCT"),  # Major Axis
    ("81827009", "SCT"),  # Diameter
    ("131192006", "SCT"),  # Diameter of circumscribed circle
    ("410668003", "SCT"),  # Length
    ("121227", "DCM"),  # Line segment length
    ("121206", "DCM"),  # Distance
    ("L0JK", "IBSI"),  # Maximum 3D Diameter of a Mesh
    ("TDIC", "IBSI"),  # Major Axis in 3D Length
    ("103355008", "SCT"),  # Width
    ("121207", "DCM"),  # Height
)
#: Linear concepts read as a short axis (preferred for a lymph node).
_SHORT_LENGTHS: tuple[tuple[str, str], ...] = (
    ("103340004", "SCT"),  # Short axis
    ("131188004", "SCT"),  # Minor Axis
    ("131189007", "SCT"),  # Perpendicular Axis
    ("P9VJ", "IBSI"),  # Minor Axis in 3D Length
    ("7J51", "IBSI"),  # Least Axis in 3D Length
)
#: UCUM length units and their factor to mm (exact).
_UCUM_TO_MM: dict[str, Decimal] = {
    "mm": Decimal(1),
    "cm": Decimal(10),
    "m": Decimal(1000),
    "um": Decimal("0.001"),
}
_LYMPH_NODE = ("59441001", "SCT")
_OUR_ID = re.compile(r"^(T|NT|NEW)\d+$")
#: Endpoints farther apart than this from the recorded length are reported.
_DISAGREE_MM = Decimal(1)


def ucum_to_mm(value: Decimal, unit: Mapping[str, str] | None) -> Decimal | None:
    """Convert a length in a UCUM unit to mm, or None if the unit is not a length.

    Examples
    --------
    >>> ucum_to_mm(Decimal("1.25"), {"value": "cm", "scheme": "UCUM"})
    Decimal('12.50')
    >>> ucum_to_mm(Decimal("3"), {"value": "[hnsf'U]", "scheme": "UCUM"}) is None
    True
    """
    if unit is None or unit.get("scheme") not in ("UCUM", "UCUM1.4"):
        return None
    factor = _UCUM_TO_MM.get(unit.get("value", ""))
    return None if factor is None else value * factor


@dataclass(slots=True)
class _Found:
    """One usable group of a foreign SR: a lesion with a length."""

    key: str  # tracking UID, else tracking identifier
    lesion_id: str
    site: str
    nodal: bool
    measurement: Measurement
    source: str
    uid: str


@dataclass(slots=True)
class _Foreign:
    doc: dict[str, Any]
    date: dt.date
    baseline: bool
    found: list[_Found]


def _describe_measurement(m: Mapping[str, Any]) -> str:
    unit = (m.get("unit") or {}).get("value", "")
    concept = (m.get("concept") or {}).get("meaning", "?")
    return f"{concept} {m.get('value')} {unit}".strip()


def _pick_length(
    group: Mapping[str, Any], *, nodal: bool, why: list[str]
) -> tuple[Decimal, str] | None:
    """Return the group's diameter in mm and its concept, or None (reasons in why)."""
    ranked: list[tuple[int, Decimal, str]] = []
    order = (
        [*_SHORT_LENGTHS, *_LONG_LENGTHS]
        if nodal
        else [*_LONG_LENGTHS, *_SHORT_LENGTHS]
    )
    for m in group["measurements"]:
        k = _key(m["concept"])
        if k not in order:
            continue
        value = m["value"]
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            why.append(f"{_describe_measurement(m)}: no usable value")
            continue
        length = ucum_to_mm(value, m.get("unit"))
        if length is None:
            why.append(f"{_describe_measurement(m)}: the unit is not a length")
            continue
        ranked.append((order.index(k), length, m["concept"]["meaning"]))
    if not ranked:
        return None
    _, length, concept = min(ranked, key=lambda t: t[0])
    return length, concept


def _is_node(code: Mapping[str, str] | None) -> bool:
    if code is None:
        return False
    return _key(code) == _LYMPH_NODE or "lymph node" in code.get("meaning", "").lower()


def _foreign_site(group: Mapping[str, Any]) -> str:
    for s in group["finding_sites"]:
        code = s["value"] or {}
        word = C.site_from_code(
            code.get("value", ""), code.get("scheme", ""), code.get("meaning", "")
        )
        return word.upper()
    finding = group["finding"]
    if finding is not None:
        return str(finding.get("meaning", "")).upper()
    return ""


def _lps_points(
    region: Mapping[str, Any], ctx: _Ctx, lesion: str
) -> tuple[ImageRef | None, list[PointLPS], tuple[float, float, float] | None]:
    """Return the region's image, its points in LPS and the image's row direction."""
    from recist.export.sr import image_to_lps

    data = region["graphic_data"] or []
    if region["value_type"] == "SCOORD3D":
        pts = [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data) - 2, 3)]
        return None, pts, None
    refs = region["references"]
    if not refs:
        ctx.skipped.append(f"{ctx.where} {lesion}: region without a source image")
        return None, [], None
    ref = refs[0]
    sop = ref["sop_instance_uid"]
    frame = (ref.get("frames") or [None])[0]
    study, series = ctx.sop_to_series.get(sop, ("", ""))
    if not study:
        ctx.skipped.append(f"{ctx.where} {lesion}: image {sop} is not in the evidence")
    image = ImageRef(study_uid=study, series_uid=series, sop_uid=sop, frame=frame)
    if ctx.images is None:
        ctx.skipped.append(f"{ctx.where} {lesion}: positions (no images given)")
        return image, [], None
    plane = ctx.images.get((sop, frame))
    if plane is None:
        ctx.skipped.append(
            f"{ctx.where} {lesion}: positions (image {sop} is not among the images)"
        )
        return image, [], None
    if not study:
        image = ImageRef(
            study_uid=plane.study_uid,
            series_uid=plane.series_uid,
            sop_uid=sop,
            frame=frame,
        )
    pairs = [(data[i], data[i + 1]) for i in range(0, len(data) - 1, 2)]
    row = plane.orientation[:3]
    return image, list(image_to_lps(pairs, plane)), (row[0], row[1], row[2])


def _dist(a: PointLPS, b: PointLPS) -> float:
    return float(sum((a[i] - b[i]) ** 2 for i in range(3)) ** 0.5)


def calliper_endpoints(
    graphic_type: str,
    points_lps: Sequence[PointLPS],
    *,
    row_direction: Sequence[float] | None = None,
    nodal: bool = False,
) -> tuple[PointLPS, ...]:
    """Derive calliper endpoints (LPS) from an SR region's points.

    Parameters
    ----------
    graphic_type : str
        The SCOORD / SCOORD3D Graphic Type.
    points_lps : sequence of (x, y, z)
        The region's points, already in LPS mm.
    row_direction : sequence of float, optional
        The image's row direction cosine (ImageOrientationPatient[:3]); needed
        for a CIRCLE.
    nodal : bool
        For an ELLIPSE(OID), also return the minor axis (long, then short axis).

    Returns
    -------
    tuple of (x, y, z)
        Empty when the region has no calliper reading (POINT, MULTIPOINT).

    Notes
    -----
    1. POLYLINE of 2 points: the two points (a calliper line).
    2. POLYLINE / POLYGON of more points (an outline): the farthest pair of
       vertices, as :func:`measurements.diameters.long_axis` on a contour.
    3. ELLIPSE / ELLIPSOID: the first two points (major axis); nodal: the
       first four (major, then minor axis), as PS3.3 C.18.6.1.2 orders them.
    4. CIRCLE (centre, a point on the circle): centre +/- radius along the
       image's row direction, radius measured in mm.

    Examples
    --------
    >>> calliper_endpoints("CIRCLE", [(0.0, 0.0, 0.0), (0.0, 3.0, 0.0)],
    ...                    row_direction=(1.0, 0.0, 0.0))
    ((-3.0, 0.0, 0.0), (3.0, 0.0, 0.0))
    >>> calliper_endpoints("POLYLINE", [(0.0, 0.0, 0.0), (4.0, 0.0, 0.0),
    ...                    (4.0, 3.0, 0.0)])
    ((0.0, 0.0, 0.0), (4.0, 3.0, 0.0))
    """
    pts = list(points_lps)
    if graphic_type in ("POLYLINE", "POLYGON") and len(pts) >= 2:
        if len(pts) == 2:
            return (pts[0], pts[1])
        pairs = [(a, b) for i, a in enumerate(pts) for b in pts[i + 1 :]]
        a, b = max(pairs, key=lambda p: _dist(*p))
        return (a, b)
    if graphic_type in ("ELLIPSE", "ELLIPSOID") and len(pts) >= 4:
        return tuple(pts[:4]) if nodal else (pts[0], pts[1])
    if graphic_type == "CIRCLE" and len(pts) == 2 and row_direction is not None:
        centre, radius = pts[0], _dist(pts[0], pts[1])
        r = row_direction
        ends = [
            tuple(round(centre[i] + s * radius * r[i], 4) + 0.0 for i in range(3))
            for s in (-1, 1)
        ]
        return (
            (ends[0][0], ends[0][1], ends[0][2]),
            (ends[1][0], ends[1][1], ends[1][2]),
        )
    return ()


def _foreign_place(
    group: Mapping[str, Any], ctx: _Ctx, lesion: str, *, nodal: bool, length: Decimal
) -> tuple[ImageRef | None, tuple[PointLPS, ...]]:
    if not group["regions"]:
        for src in group["source_images"]:
            for ref in src["references"]:
                sop = ref["sop_instance_uid"]
                study, series = ctx.sop_to_series.get(sop, ("", ""))
                frame = (ref.get("frames") or [None])[0]
                return ImageRef(
                    study_uid=study, series_uid=series, sop_uid=sop, frame=frame
                ), ()
        return None, ()
    region = group["regions"][0]
    gtype = str(region["graphic_type"])
    image, pts, row = _lps_points(region, ctx, lesion)
    if not pts:
        return image, ()
    ends = calliper_endpoints(gtype, pts, row_direction=row, nodal=nodal)
    if not ends:
        ctx.skipped.append(f"{ctx.where} {lesion}: a {gtype} region has no callipers")
        return image, ()
    apart = Decimal(repr(round(_dist(ends[0], ends[1]), 2)))
    how = {
        "CIRCLE": "circle centre +/- radius along the row direction",
        "POLYLINE": "the polyline's two points"
        if len(pts) == 2
        else f"the farthest pair of the outline's {len(pts)} points",
    }.get(gtype, f"the {gtype}'s axis")
    ctx.notes.append(f"{ctx.where} {lesion}: endpoints from {how} ({apart} mm apart)")
    if abs(apart - length) > _DISAGREE_MM:
        ctx.notes.append(
            f"{ctx.where} {lesion}: the endpoints are {apart} mm apart but the SR "
            f"records {length} mm; the recorded value is used"
        )
    return image, ends


#: Finding categories (CID 7150) of groups that are not lesions: normal anatomy.
_NOT_LESION_CATEGORIES = {
    ("91723000", "SCT"),  # Anatomical structure
    ("T-D000A", "SRT"),  # its retired SNOMED RT code
    ("85756007", "SCT"),  # Tissue
    ("91720002", "SCT"),  # Body substance
    ("105590001", "SCT"),  # Substance
    ("260787004", "SCT"),  # Physical object (devices, markers)
}


def _not_a_lesion(group: Mapping[str, Any]) -> str | None:
    """Say why a group is not a lesion (its finding category/type), else None.

    A group is taken as a lesion unless its finding category is normal anatomy,
    a tissue, a substance or an object (CID 7150), or, without a category, its
    finding type is an organ (a finding site, e.g. SCT Liver).
    """
    g_cat = category = group["finding_category"]
    finding = group["finding"] or {}
    if g_cat and _key(category) in _NOT_LESION_CATEGORIES:
        what = finding.get("meaning") or "?"
        return f"finding category {category.get('meaning')!r} ({what}): not a lesion"
    if not g_cat and finding:
        for code in C.SITE_CODES.values():
            lymph = (code.value, code.scheme_designator) == _LYMPH_NODE
            if not lymph and _key(finding) == (code.value, code.scheme_designator):
                return f"finding {finding.get('meaning')!r} is an organ: not a lesion"
    return None


def _foreign_groups(doc: Mapping[str, Any], ctx: _Ctx) -> list[_Found]:
    found: list[_Found] = []
    for n, g in enumerate(doc["measurement_groups"], start=1):
        tid = str(g["tracking_identifier"] or "")
        uid = str(g["tracking_uid"] or "")
        name = tid or f"group {n}"
        excluded = _not_a_lesion(g)
        if excluded is not None:
            ms = "; ".join(_describe_measurement(m) for m in g["measurements"][:3])
            ctx.skipped.append(
                f"{ctx.where} {name!r}: {excluded}" + (f" ({ms})" if ms else "")
            )
            continue
        nodal = _is_node(g["finding"]) or any(
            _is_node(s["value"]) for s in g["finding_sites"]
        )
        why: list[str] = []
        picked = _pick_length(g, nodal=nodal, why=why)
        if picked is None:
            ms = g["measurements"]
            if len(ms) <= 3:
                has = "; ".join(_describe_measurement(m) for m in ms)
            else:
                kinds = dict.fromkeys(
                    f"{(m.get('concept') or {}).get('meaning', '?')}"
                    f" [{(m.get('unit') or {}).get('value', '')}]"
                    for m in ms
                )
                has = f"{len(ms)} measurements: {', '.join(kinds)}"
            what = f"only {has}" if has else "no measurement"
            reasons = f" ({'; '.join(why)})" if why else ""
            ctx.skipped.append(
                f"{ctx.where} {name!r}: no length, not a lesion ({what}){reasons}"
            )
            continue
        length, concept = picked
        lesion_id = tid or f"G{n:02d}"
        if not tid:
            ctx.notes.append(
                f"{ctx.where} group {n}: no tracking identifier; id {lesion_id!r}"
            )
        image, ends = _foreign_place(g, ctx, lesion_id, nodal=nodal, length=length)
        found.append(
            _Found(
                key=uid or f"id:{lesion_id}",
                lesion_id=lesion_id,
                site=_foreign_site(g),
                nodal=nodal,
                measurement=Measurement(
                    kind=MeasurementKind.MEASURED,
                    diameter_mm=length,
                    image=image,
                    endpoints_lps=ends,
                ),
                source=f"{concept} {length} mm",
                uid=uid,
            )
        )
    return found


def _foreign_date(
    doc: Mapping[str, Any], ctx: _Ctx
) -> tuple[dt.date | None, bool, str]:
    """Return the SR's time point date, whether it is the baseline, and the source."""
    contexts = [g["time_point_context"] for g in doc["measurement_groups"]]
    baseline = any(_key(t.get("time_point_type")) in _BASELINE_TYPES for t in contexts)
    for t in contexts:
        when = _parse_date(t.get("time_point"))
        if when is not None:
            return when, baseline, "the time point context"
    if ctx.images is not None:
        for g in doc["measurement_groups"]:
            for r in [*g["regions"], *g["source_images"]]:
                for ref in r.get("references", []):
                    frame = (ref.get("frames") or [None])[0]
                    plane = ctx.images.get((ref["sop_instance_uid"], frame))
                    when = None if plane is None else _parse_date(plane.study_date)
                    if when is not None:
                        return when, baseline, "the referenced images' StudyDate"
    for field_name, label in (
        ("study_date", "StudyDate"),
        ("content_date", "ContentDate"),
    ):
        when = _parse_date(doc.get(field_name))
        if when is not None:
            return when, baseline, f"the SR's {label}"
    return None, baseline, ""


def _foreign_reading(
    docs: Sequence[dict[str, Any]],
    images: Mapping[tuple[str, int | None], SliceGeometry] | None,
    skipped: list[str],
    notes: list[str],
) -> Reading | None:
    visits: list[_Foreign] = []
    patient: str | None = None
    for doc in docs:
        ctx = _ctx_of(doc, images, skipped, notes)
        found = _foreign_groups(doc, ctx)
        pid = doc["patient_id"]
        patient = pid if patient is None else patient
        if pid != patient:
            listed = "".join(f", {f.lesion_id}" for f in found)
            msg = f"{ctx.where}: patient {pid!r}, not {patient!r} (ignored{listed})"
            skipped.append(msg)
            continue
        when, is_base, how = _foreign_date(doc, ctx)
        if when is None:
            skipped.append(f"{ctx.where}: no date (time point, StudyDate, ContentDate)")
            continue
        notes.append(f"{ctx.where}: time point {when} from {how}")
        visits.append(_Foreign(doc, when, is_base, found))
    usable = [v for v in visits if v.found]
    if not usable:
        skipped.append("no measurement group with a length: no reading rebuilt")
        return None
    flagged = [v.date for v in visits if v.baseline]
    base_date = min(flagged) if flagged else min(v.date for v in usable)
    by_date: dict[dt.date, list[_Found]] = {}
    for v in visits:
        if v.date < base_date:
            skipped.append(f"{v.doc['source']}: dated {v.date}, before the baseline")
            continue
        by_date.setdefault(v.date, []).extend(v.found)
    ids: dict[str, str] = {}  # key -> lesion id
    targets: list[Lesion] = []
    audit: list[AuditEntry] = []
    when_text = _audit_when(visits[0].doc)
    who = _observer(visits[0].doc) or visits[0].doc["manufacturer"] or "unknown"
    for f in by_date.get(base_date, []):
        if f.key in ids:
            skipped.append(f"{base_date} {f.lesion_id}: a second group of the lesion")
            continue
        lid = f.lesion_id
        if lid in ids.values():
            lid = f"{lid}-{sum(v.startswith(f.lesion_id) for v in ids.values()) + 1}"
            notes.append(
                f"{f.lesion_id}: another lesion has this identifier; id {lid!r}"
            )
        ids[f.key] = lid
        targets.append(
            Lesion(
                lesion_id=lid,
                role=LesionRole.TARGET,
                site=f.site,
                nodal=f.nodal,
                baseline=f.measurement,
            )
        )
        what = f"target {lid} from tracking identifier {f.lesion_id!r}"
        if f.uid:
            what += f" (UID {f.uid})"
        what += f": {f.source}"
        if not _OUR_ID.match(lid):
            what += "; the identifier is kept as the lesion id (not T../NT.. style)"
        audit.append(AuditEntry(when=when_text, who=who, what=what))
    followups: list[TimePoint] = []
    for date in sorted(d for d in by_date if d != base_date):
        measured: dict[str, Measurement] = {}
        new: list[NewLesion] = []
        for f in by_date[date]:
            known = ids.get(f.key)
            if known is None and f.lesion_id in {n.lesion_id for n in new}:
                skipped.append(f"{date} {f.lesion_id}: a second new lesion of this id")
            elif known is None:
                new.append(
                    NewLesion(
                        lesion_id=f.lesion_id,
                        site=f.site,
                        equivocal=True,
                        measurable=True,
                        nodal=f.nodal,
                        diameter_mm=f.measurement.diameter_mm,
                        image=f.measurement.image,
                        endpoints_lps=f.measurement.endpoints_lps,
                    )
                )
                notes.append(
                    f"{date} {f.lesion_id}: not tracked at baseline; an EQUIVOCAL "
                    "new lesion until the reader confirms it"
                )
            elif known in measured:
                skipped.append(f"{date} {known}: a second group of the lesion")
            else:
                measured[known] = f.measurement
        for t in targets:
            if t.lesion_id not in measured:
                measured[t.lesion_id] = Measurement.not_evaluated()
                notes.append(f"{date} {t.lesion_id}: not in this time point's SRs: NE")
        followups.append(TimePoint(date=date, targets=measured, new_lesions=tuple(new)))
    makers = sorted({v.doc["manufacturer"] or "unknown" for v in visits})
    description = (
        f"Imported by recist from {len(visits)} TID 1500 SR(s) of other tools "
        f"({', '.join(makers)}): every measurement group with a length is a target; "
        "lesion ids are the SRs' tracking identifiers"
    )
    try:
        return Reading(
            baseline=Baseline(date=base_date, targets=tuple(targets)),
            followups=tuple(followups),
            subject_id=patient or None,
            reader=_observer(visits[0].doc),
            description=description,
            audit=tuple(audit),
        )
    except (RecistError, ValueError, TypeError) as exc:
        skipped.append(f"reading not rebuilt: {exc}")
        return None


def _audit_when(doc: Mapping[str, Any]) -> str:
    day = _parse_date(doc.get("content_date"))
    if day is None:
        return ""
    t = str(doc.get("content_time") or "")
    if len(t) >= 6 and t[:6].isdigit():
        return f"{day.isoformat()}T{t[:2]}:{t[2:4]}:{t[4:6]}"
    return day.isoformat()
