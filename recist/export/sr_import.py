"""Read TID 1500 Measurement Reports: any tool's as JSON, recist's as a reading.

:func:`describe_sr` turns any TID 1500 SR into a JSON-ready dict: the
document's identity, observer and other root context, procedure reported, the
image library, the evidence, and every measurement group (tracking identifier
and UID, finding, finding sites, method, time point context, each measurement
with its concept, value, unit and modifiers, each qualitative evaluation, each
region with graphic type, graphic data and referenced SOP instance).  Every
content item also appears in full (``content``), so nothing in the SR is left
out.

:func:`reading_from_srs` rebuilds a :class:`~recist.model.Reading` from the
SRs :mod:`recist.export.sr` writes (one per time point, merged by date), or
from other tools' TID 1500 SRs (highdicom, dcmqi, OHIF, ...) as follows:

1. Each measurement group of a lesion with a linear measurement (CID 7470:
   Long axis, Major Axis, Diameter, Length, ..., Short axis; any UCUM length
   unit, in mm) is a TARGET at the SR's time point; a group without one
   (volume, mean HU, histogram, SUV) is listed in ``skipped`` with what it
   held, and so is a group that is not of a lesion: finding category
   Anatomical structure, Tissue, Substance or Physical object (CID 7150), or,
   without a category, a finding that is an organ (an aorta diameter is not a
   target).
2. Lesion id = tracking identifier, kept as written (the audit trail records
   it with its UID); site = finding site (SNOMED -> TULOC word, unknown ->
   the code meaning upper-cased; none -> the finding's meaning); nodal when
   the finding or a site is a lymph node (short axis preferred, else long).
3. Date = the time point context if it is a date, else the referenced images'
   StudyDate (``images``), else the SR's StudyDate, else ContentDate (the
   date the report was written, last because it is not the imaging date).
4. SRs are merged by date; the SR typed baseline (TID 1502), else the
   earliest date with a lesion, is the baseline.  Across dates, the same
   tracking UID is the same lesion; a baseline target missing at a later date
   is NOT EVALUATED there; a group never tracked at baseline is an EQUIVOCAL
   new lesion (the reader confirms).  Other patients' SRs are skipped.
5. Positions: see :func:`calliper_endpoints` (POLYLINE, ELLIPSE, CIRCLE);
   SCOORD3D points are LPS already.  The recorded length is always the value
   used; endpoints that disagree with it by more than 1 mm are noted.

Calliper positions of SCOORDs need the referenced images (``images``):
without them, or for an image not among them, the image reference is kept and
the positions are listed as skipped.

Only pydicom is used (decoding tolerates others' files, as highdicom's
guidelines ask); nothing heavy is imported at module level.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recist.dicom._header import _LONG_VRS
from recist.errors import InvalidInputError, RecistError
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
    from pydicom import Dataset

    from recist.export.sr import SliceGeometry

__all__ = [
    "SrImport",
    "add_arguments",
    "calliper_endpoints",
    "describe_sr",
    "import_command",
    "reading_from_srs",
    "sr_files",
    "ucum_to_mm",
]

logger = logging.getLogger(__name__)

# Concept codes (value, scheme) the structured view recognises (PS3.16).
_MEASUREMENT_REPORT = ("126000", "DCM")
_IMAGING_MEASUREMENTS = ("126010", "DCM")
_MEASUREMENT_GROUP = ("125007", "DCM")
_IMAGE_LIBRARY = ("111028", "DCM")
_PROCEDURE_REPORTED = ("121058", "DCM")
_TRACKING_ID = ("112039", "DCM")
_TRACKING_UID = ("112040", "DCM")
_FINDING = ("121071", "DCM")
_FINDING_SITE = ("363698007", "SCT")
_FINDING_SITE_SRT = ("G-C0E3", "SRT")  # the retired SNOMED RT code (dcmqi)
_FINDING_CATEGORY = ("276214006", "SCT")
_METHOD = ("370129005", "SCT")
_METHOD_SRT = ("G-C036", "SRT")
_SESSION = ("C67447", "NCIt")
_TIME_POINT = ("C2348792", "UMLS")
_TIME_POINT_TYPE = ("126072", "DCM")
_TIME_POINT_ORDER = ("126073", "DCM")
_TIME_POINT_CONTEXT = {
    _TIME_POINT: "time_point",
    _TIME_POINT_TYPE: "time_point_type",
    _TIME_POINT_ORDER: "time_point_order",
    ("126070", "DCM"): "subject_time_point_identifier",
    ("126071", "DCM"): "protocol_time_point_identifier",
    ("128740", "DCM"): "temporal_offset_from_event",
}
_BASELINE_TYPES = {("C1442488", "UMLS"), ("121079", "DCM")}
_DERIVATION = ("121401", "DCM")
_REFERENCED_SEGMENT = ("121191", "DCM")
_SEGMENTATION_FRAME = ("121214", "DCM")


def _code(item: Any) -> dict[str, str] | None:
    if item is None:
        return None
    out = {
        "value": str(
            getattr(item, "CodeValue", "")
            or getattr(item, "LongCodeValue", "")
            or getattr(item, "URNCodeValue", "")
        ),
        "scheme": str(getattr(item, "CodingSchemeDesignator", "")),
        "meaning": str(getattr(item, "CodeMeaning", "")),
    }
    version = getattr(item, "CodingSchemeVersion", None)
    if version:
        out["scheme_version"] = str(version)
    return out


def _first(ds: Any, keyword: str) -> Any:
    seq = getattr(ds, keyword, None)
    return seq[0] if seq else None


def _key(code: Mapping[str, str] | None) -> tuple[str, str]:
    return ("", "") if code is None else (code["value"], code["scheme"])


def _number(text: Any) -> Decimal | str:
    raw = getattr(text, "original_string", None) or str(text)
    try:
        return Decimal(str(raw).strip())
    except InvalidOperation:
        return str(raw)


def _references(items: Any) -> list[dict[str, Any]]:
    out = []
    for ref in items or []:
        entry: dict[str, Any] = {
            "sop_class_uid": str(getattr(ref, "ReferencedSOPClassUID", "")),
            "sop_instance_uid": str(getattr(ref, "ReferencedSOPInstanceUID", "")),
        }
        frames = getattr(ref, "ReferencedFrameNumber", None)
        if frames is not None:
            entry["frames"] = [int(f) for f in _as_list(frames)]
        segs = getattr(ref, "ReferencedSegmentNumber", None)
        if segs is not None:
            entry["segments"] = [int(s) for s in _as_list(segs)]
        out.append(entry)
    return out


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str | bytes | int | float):
        return [value]
    return list(value)


def content_item(ds: Any) -> dict[str, Any]:
    """Return one SR content item and its descendants as a JSON-ready dict."""
    vt = str(getattr(ds, "ValueType", ""))
    out: dict[str, Any] = {
        "relationship": str(getattr(ds, "RelationshipType", "")),
        "value_type": vt,
        "concept": _code(_first(ds, "ConceptNameCodeSequence")),
    }
    if vt == "CODE":
        out["value"] = _code(_first(ds, "ConceptCodeSequence"))
    elif vt == "NUM":
        mv = _first(ds, "MeasuredValueSequence")
        if mv is not None:
            out["value"] = _number(mv.NumericValue)
            out["unit"] = _code(_first(mv, "MeasurementUnitsCodeSequence"))
            if "FloatingPointValue" in mv:
                out["float_value"] = float(mv.FloatingPointValue)
        else:
            out["value"] = None
        qual = _first(ds, "NumericValueQualifierCodeSequence")
        if qual is not None:
            out["qualifier"] = _code(qual)
    elif vt in ("TEXT", "UIDREF", "DATETIME", "DATE", "TIME", "PNAME"):
        keyword = {
            "TEXT": "TextValue",
            "UIDREF": "UID",
            "DATETIME": "DateTime",
            "DATE": "Date",
            "TIME": "Time",
            "PNAME": "PersonName",
        }[vt]
        out["value"] = str(getattr(ds, keyword, ""))
    elif vt in ("IMAGE", "COMPOSITE", "WAVEFORM"):
        out["references"] = _references(getattr(ds, "ReferencedSOPSequence", None))
    elif vt == "SCOORD":
        out["graphic_type"] = str(getattr(ds, "GraphicType", ""))
        out["graphic_data"] = [float(v) for v in getattr(ds, "GraphicData", [])]
        if "PixelOriginInterpretation" in ds:
            out["pixel_origin_interpretation"] = str(ds.PixelOriginInterpretation)
    elif vt == "SCOORD3D":
        out["graphic_type"] = str(getattr(ds, "GraphicType", ""))
        out["graphic_data"] = [float(v) for v in getattr(ds, "GraphicData", [])]
        out["frame_of_reference_uid"] = str(
            getattr(ds, "ReferencedFrameOfReferenceUID", "")
        )
    elif vt == "TCOORD":
        out["temporal_range_type"] = str(getattr(ds, "TemporalRangeType", ""))
    elif vt == "CONTAINER":
        out["continuity"] = str(getattr(ds, "ContinuityOfContent", ""))
        template = _first(ds, "ContentTemplateSequence")
        if template is not None:
            out["template"] = str(getattr(template, "TemplateIdentifier", ""))
    if "ReferencedContentItemIdentifier" in ds:
        out["referenced_content_item"] = [
            int(v) for v in _as_list(ds.ReferencedContentItemIdentifier)
        ]
    children = getattr(ds, "ContentSequence", None)
    if children:
        out["children"] = [content_item(c) for c in children]
    return out


def _region(item: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "concept": item["concept"],
        "value_type": item["value_type"],
        "graphic_type": item.get("graphic_type"),
        "graphic_data": item.get("graphic_data"),
    }
    if "frame_of_reference_uid" in item:
        out["frame_of_reference_uid"] = item["frame_of_reference_uid"]
    refs = [r for c in item.get("children", []) for r in c.get("references", [])]
    out["references"] = refs
    return out


def _measurement(item: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "concept": item["concept"],
        "value": item.get("value"),
        "unit": item.get("unit"),
    }
    if "qualifier" in item:
        out["qualifier"] = item["qualifier"]
    mods = []
    for c in item.get("children", []):
        mods.append(
            {
                "relationship": c["relationship"],
                "concept": c["concept"],
                "value_type": c["value_type"],
                "value": c.get("value"),
                **({"unit": c["unit"]} if "unit" in c else {}),
                **({"references": c["references"]} if "references" in c else {}),
                **(
                    {
                        "graphic_type": c["graphic_type"],
                        "graphic_data": c["graphic_data"],
                    }
                    if "graphic_type" in c
                    else {}
                ),
                **({"children": c["children"]} if "children" in c else {}),
            }
        )
    out["modifiers"] = mods
    derivation = [m["value"] for m in mods if _key(m["concept"]) == _DERIVATION]
    if derivation:
        out["derivation"] = derivation[0]
    return out


def _group(item: Mapping[str, Any]) -> dict[str, Any]:
    g: dict[str, Any] = {
        "template": item.get("template"),
        "tracking_identifier": None,
        "tracking_uid": None,
        "finding": None,
        "finding_category": None,
        "finding_sites": [],
        "method": None,
        "session": None,
        "time_point_context": {},
        "measurements": [],
        "qualitative_evaluations": [],
        "regions": [],
        "source_images": [],
        "other": [],
    }
    for c in item.get("children", []):
        k = _key(c["concept"])
        vt = c["value_type"]
        if k == _TRACKING_ID:
            g["tracking_identifier"] = c.get("value")
        elif k == _TRACKING_UID:
            g["tracking_uid"] = c.get("value")
        elif k == _FINDING:
            g["finding"] = c.get("value")
        elif k == _FINDING_CATEGORY:
            g["finding_category"] = c.get("value")
        elif k in (_FINDING_SITE, _FINDING_SITE_SRT):
            site = {"value": c.get("value")}
            if "children" in c:
                site["modifiers"] = c["children"]
            g["finding_sites"].append(site)
        elif k in (_METHOD, _METHOD_SRT):
            g["method"] = c.get("value")
        elif k == _SESSION:
            g["session"] = c.get("value")
        elif k in _TIME_POINT_CONTEXT:
            g["time_point_context"][_TIME_POINT_CONTEXT[k]] = c.get("value")
        elif vt == "NUM" and c["relationship"] == "CONTAINS":
            g["measurements"].append(_measurement(c))
        elif vt == "CODE" and c["relationship"] == "CONTAINS":
            g["qualitative_evaluations"].append(
                {"concept": c["concept"], "value": c.get("value")}
            )
        elif vt in ("SCOORD", "SCOORD3D"):
            g["regions"].append(_region(c))
        elif vt == "IMAGE":
            g["source_images"].append(
                {"concept": c["concept"], "references": c.get("references", [])}
            )
        else:
            g["other"].append(c)
    return g


def _evidence(ds: Any) -> list[dict[str, Any]]:
    out = []
    for keyword in (
        "CurrentRequestedProcedureEvidenceSequence",
        "PertinentOtherEvidenceSequence",
    ):
        for study in getattr(ds, keyword, None) or []:
            for series in getattr(study, "ReferencedSeriesSequence", None) or []:
                out.append(
                    {
                        "kind": keyword.removesuffix("Sequence"),
                        "study_uid": str(getattr(study, "StudyInstanceUID", "")),
                        "series_uid": str(getattr(series, "SeriesInstanceUID", "")),
                        "instances": _references(
                            getattr(series, "ReferencedSOPSequence", None)
                        ),
                    }
                )
    return out


def is_tid1500(ds: Any) -> bool:
    """Whether a dataset is an SR whose root is a TID 1500 Measurement Report."""
    template = _first(ds, "ContentTemplateSequence")
    if (
        template is not None
        and str(getattr(template, "TemplateIdentifier", "")) == "1500"
    ):
        return True
    return _key(_code(_first(ds, "ConceptNameCodeSequence"))) == _MEASUREMENT_REPORT


def describe_sr(ds: Dataset, *, source: str = "") -> dict[str, Any]:
    """Describe a TID 1500 SR completely, as a JSON-ready dict.

    Raises
    ------
    InvalidInputError
        Not an SR, or not a TID 1500 Measurement Report.
    """
    if str(getattr(ds, "Modality", "")) != "SR" or "ContentSequence" not in ds:
        raise InvalidInputError(f"{source}: not a DICOM SR document", location=source)
    if not is_tid1500(ds):
        title = _code(_first(ds, "ConceptNameCodeSequence"))
        what = title["meaning"] if title else "no title"
        msg = f"{source}: an SR but not a TID 1500 Measurement Report ({what})"
        raise InvalidInputError(msg, location=source)
    doc: dict[str, Any] = {
        "source": source,
        "sop_class_uid": str(getattr(ds, "SOPClassUID", "")),
        "sop_instance_uid": str(getattr(ds, "SOPInstanceUID", "")),
        "study_uid": str(getattr(ds, "StudyInstanceUID", "")),
        "series_uid": str(getattr(ds, "SeriesInstanceUID", "")),
        "patient_id": str(getattr(ds, "PatientID", "")),
        "patient_name": str(getattr(ds, "PatientName", "")),
        "study_date": str(getattr(ds, "StudyDate", "")),
        "content_date": str(getattr(ds, "ContentDate", "")),
        "content_time": str(getattr(ds, "ContentTime", "")),
        "manufacturer": str(getattr(ds, "Manufacturer", "")),
        "completion": str(getattr(ds, "CompletionFlag", "")),
        "verification": str(getattr(ds, "VerificationFlag", "")),
        "title": _code(_first(ds, "ConceptNameCodeSequence")),
        "evidence": _evidence(ds),
        "context": [],
        "procedure_reported": [],
        "image_library": [],
        "measurement_groups": [],
        "other": [],
    }
    for raw in ds.ContentSequence:
        item = content_item(raw)
        k = _key(item["concept"])
        if item["relationship"] in ("HAS OBS CONTEXT", "HAS CONCEPT MOD") and (
            k != _PROCEDURE_REPORTED
        ):
            doc["context"].append(item)
        elif k == _PROCEDURE_REPORTED:
            doc["procedure_reported"].append(item.get("value"))
        elif k == _IMAGE_LIBRARY:
            doc["image_library"].append(item)
        elif k == _IMAGING_MEASUREMENTS:
            for child in item.get("children", []):
                if _key(child["concept"]) == _MEASUREMENT_GROUP:
                    doc["measurement_groups"].append(_group(child))
                else:
                    doc["other"].append(child)
        else:
            doc["other"].append(item)
    return doc


# --- rebuilding a reading from recist's own SRs ---------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SrImport:
    """What :func:`reading_from_srs` made of some SR files.

    ``reading`` is None when nothing usable was found; ``documents`` are the
    :func:`describe_sr` dicts of the TID 1500 SRs read; ``skipped`` lists each
    file, group or detail left out, with the reason; ``notes`` list how other
    tools' content was interpreted (dates, ids, endpoints derived from shapes);
    ``reason`` says in one line why ``reading`` is None.
    """

    reading: Reading | None
    documents: tuple[dict[str, Any], ...] = ()
    skipped: tuple[str, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)
    reason: str = ""


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


@dataclass(slots=True)
class _Ctx:
    sop_to_series: dict[str, tuple[str, str]]
    images: Mapping[tuple[str, int | None], SliceGeometry] | None
    skipped: list[str]
    where: str
    notes: list[str] = field(default_factory=list)


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
    out = []
    for m in group["measurements"]:
        k = _key(m["concept"])
        if k in {
            (C.LONG_AXIS.value, C.LONG_AXIS.scheme_designator),
            (C.SHORT_AXIS.value, C.SHORT_AXIS.scheme_designator),
        } and isinstance(m["value"], Decimal):
            out.append(m["value"])
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
_UNDEFINED = 0xFFFFFFFF


def _elements_end(buf: bytes, pos: int, stop: int, *, in_item: bool) -> int:
    """Walk explicit-VR little-endian elements; return the end or raise EOFError."""
    import struct

    while pos < stop:
        if pos + 8 > len(buf):
            raise EOFError(f"element header cut at byte {pos}")
        group, elem = struct.unpack_from("<HH", buf, pos)
        if (group, elem) == (0xFFFE, 0xE00D):  # item delimiter
            if not in_item:
                raise EOFError(f"stray item delimiter at byte {pos}")
            return pos + 8
        vr = buf[pos + 4 : pos + 6]
        if vr in _LONG_VRS:
            if pos + 12 > len(buf):
                raise EOFError(f"element header cut at byte {pos}")
            (length,) = struct.unpack_from("<I", buf, pos + 8)
            pos += 12
        else:
            (length,) = struct.unpack_from("<H", buf, pos + 6)
            pos += 8
        if vr == b"SQ":
            pos = _sequence_end(buf, pos, length)
        elif length == _UNDEFINED:
            raise EOFError(f"undefined length outside a sequence at byte {pos}")
        else:
            pos += length
            if pos > len(buf):
                raise EOFError(f"value cut at byte {len(buf)} (needs {pos})")
    if in_item and stop == len(buf):
        raise EOFError("item without its delimiter at the end of the file")
    return pos


def _sequence_end(buf: bytes, pos: int, length: int) -> int:
    import struct

    stop = len(buf) if length == _UNDEFINED else pos + length
    if stop > len(buf):
        raise EOFError(f"sequence cut at byte {len(buf)} (needs {stop})")
    while pos < stop:
        if pos + 8 > len(buf):
            raise EOFError(f"item header cut at byte {pos}")
        group, elem, item_len = struct.unpack_from("<HHI", buf, pos)
        pos += 8
        if (group, elem) == (0xFFFE, 0xE0DD):  # sequence delimiter
            return pos
        if (group, elem) != (0xFFFE, 0xE000):
            raise EOFError(f"expected an item at byte {pos - 8}")
        if item_len == _UNDEFINED:
            pos = _elements_end(buf, pos, len(buf), in_item=True)
        else:
            pos = _elements_end(buf, pos, pos + item_len, in_item=False)
    if length == _UNDEFINED:
        raise EOFError("sequence without its delimiter at the end of the file")
    return pos


def truncation(path: str | Path, ds: Dataset) -> str | None:
    """Say where an explicit-VR little-endian file is cut short, else None.

    pydicom reads a file cut inside a sequence without complaint (it keeps the
    items it got), so the encoded lengths are checked here.
    """
    from pydicom.uid import ExplicitVRLittleEndian

    meta = getattr(ds, "file_meta", None)
    if meta is None or meta.get("TransferSyntaxUID") != ExplicitVRLittleEndian:
        return None
    buf = Path(path).read_bytes()
    start = 132  # preamble + "DICM"
    group_length = meta.get("FileMetaInformationGroupLength")
    if group_length is None:
        return None
    start += 12 + int(group_length)
    try:
        _elements_end(buf, start, len(buf), in_item=False)
    except EOFError as exc:
        return str(exc)
    return None


def _read(path: Path, skipped: list[str]) -> Dataset | None:
    from pydicom import dcmread
    from pydicom.errors import InvalidDicomError

    try:
        ds = dcmread(path)
    except (InvalidDicomError, OSError, EOFError, ValueError, KeyError) as exc:
        skipped.append(f"{path}: unreadable ({type(exc).__name__}: {exc})")
        return None
    cut = truncation(path, ds)
    if cut is not None:
        skipped.append(f"{path}: truncated ({cut}); its complete items are read")
    return ds


def reading_from_srs(
    paths: Sequence[str | Path],
    *,
    images: Mapping[tuple[str, int | None], SliceGeometry] | None = None,
) -> SrImport:
    """Rebuild a reading from TID 1500 SRs (one per time point).

    Parameters
    ----------
    paths : sequence of path
        SR files; any order.  recist's own SRs are rebuilt exactly; other
        tools' TID 1500 SRs as the module docstring says (not both at once:
        another tool's SR among recist's is skipped).
    images : Mapping[(sop_uid, frame), SliceGeometry], optional
        The referenced images' planes (:func:`recist.export.sr.index_images`),
        needed for calliper positions.

    Returns
    -------
    SrImport
    """
    skipped: list[str] = []
    notes: list[str] = []
    docs: list[dict[str, Any]] = []
    foreign: list[dict[str, Any]] = []
    visits: list[_Visit] = []
    for p in paths:
        path = Path(p)
        ds = _read(path, skipped)
        if ds is None:
            continue
        try:
            doc = describe_sr(ds, source=str(path))
        except InvalidInputError as exc:
            skipped.append(str(exc))
            continue
        except (AttributeError, KeyError, ValueError, TypeError, IndexError) as exc:
            skipped.append(f"{path}: damaged SR content ({type(exc).__name__}: {exc})")
            continue
        docs.append(doc)
        when = _timepoint(doc)
        if not _is_ours(doc) or when is None:
            foreign.append(doc)
            continue
        props = _properties(doc)
        if props is None:
            notes.append(
                f"{path}: no 'RECIST reading properties' item (re-saved by another "
                "tool?): the reading is rebuilt from the coded content"
            )
            props = {}
        visits.append(_Visit(date=when[0], baseline=when[1], doc=doc, props=props))
    reason = ""
    if visits:
        for doc in foreign:
            skipped.append(
                f"{doc['source']}: another tool's SR among recist's (not merged)"
            )
        reading = _merge(visits, images, skipped)
        if reading is None and not any(v.baseline for v in visits):
            reason = (
                f"no baseline SR among the {len(visits)} recist SR(s) given "
                "(follow-ups only): give the baseline SR too"
            )
        elif reading is None:
            reason = "the SRs do not make a valid reading (see above)"
    elif foreign:
        reading = _foreign_reading(foreign, images, skipped, notes)
        if reading is None:
            reason = "no measurement group with a length (see above)"
    else:
        reading = None
        reason = "no TID 1500 SR could be read"
    return SrImport(
        reading=reading,
        documents=tuple(docs),
        skipped=tuple(skipped),
        notes=tuple(notes),
        reason=reason,
    )


def sr_files(paths: Sequence[str | Path], skipped: list[str]) -> list[Path]:
    """Expand folders (e.g. the output of ``recist fetch``) into their SR files.

    A file given by name is kept as it is (so that what it is gets reported);
    under a folder, only regular files whose Modality is ``SR`` are taken
    (other DICOM and non-DICOM files are passed over silently; unreadable
    sub-folders are listed in ``skipped``).
    """
    from pydicom import dcmread

    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if not path.is_dir():
            out.append(path)
            continue
        found: list[Path] = []

        def fail(exc: OSError) -> None:
            skipped.append(f"{exc.filename}: unreadable folder ({exc.strerror})")

        for root, dirs, files in os.walk(path, onerror=fail):
            dirs.sort()
            for name in sorted(files):
                f = Path(root) / name
                if f.is_symlink() or not f.is_file():
                    continue
                try:
                    ds = dcmread(f, stop_before_pixels=True, specific_tags=["Modality"])
                except Exception:  # anything that is not DICOM
                    continue
                if str(ds.get("Modality", "")) == "SR":
                    found.append(f)
        if not found:
            skipped.append(f"{path}: no SR file in the folder")
        out.extend(found)
    return out


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


def _parse_date(text: Any) -> dt.date | None:
    s = str(text or "").strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(s[:10] if "-" in s else s[:8], fmt).date()
        except ValueError:
            continue
    return None


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


def _observer(doc: Mapping[str, Any]) -> str | None:
    for c in doc["context"]:
        if _key(c["concept"]) == ("121008", "DCM") and c.get("value"):
            return str(c["value"])
    return None


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


def _ctx_of(
    doc: Mapping[str, Any],
    images: Mapping[tuple[str, int | None], SliceGeometry] | None,
    skipped: list[str],
    notes: list[str],
) -> _Ctx:
    sop_map = {
        inst["sop_instance_uid"]: (e["study_uid"], e["series_uid"])
        for e in doc["evidence"]
        for inst in e["instances"]
    }
    return _Ctx(sop_map, images, skipped, str(doc["source"]), notes)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return obj
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    return obj


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``recist import sr``."""
    parser.add_argument(
        "files", nargs="+", help="TID 1500 SR files, or folders holding them"
    )
    parser.add_argument(
        "--json", action="store_true", help="print every SR's content as JSON"
    )
    parser.add_argument("--out", help="write the rebuilt reading (JSON) here")
    parser.add_argument(
        "--images", help="folder or zip with the referenced images (for positions)"
    )


def import_command(args: argparse.Namespace) -> int:
    """Run ``recist import sr``; return the exit status.

    Exit 2 when no TID 1500 SR could be read, or when a reading was asked for
    (``--out``, or no ``--json``) and none could be rebuilt (no measurement
    group with a length, e.g. dcmqi's volumetric SRs).  ``--json`` alone exits
    0 whenever an SR was described, with ``skipped`` saying why no reading.
    """
    import sys

    from recist.export.sr import index_images
    from recist.formats.reading import dumps_exact, reading_to_dict, save_reading

    images = None if args.images is None else index_images(args.images)
    found: list[str] = []
    files = sr_files(args.files, found)
    result = reading_from_srs(files, images=images)
    for line in (*found, *result.skipped):
        print(f"skipped: {line}", file=sys.stderr)  # noqa: T201
    for line in result.notes:
        print(f"note: {line}", file=sys.stderr)  # noqa: T201
    if not result.documents:
        print("error: no TID 1500 SR could be read", file=sys.stderr)  # noqa: T201
        return 2
    if args.json:
        out: dict[str, Any] = {
            "documents": _jsonable(list(result.documents)),
            "skipped": list(result.skipped),
            "notes": list(result.notes),
        }
        if result.reading is not None:
            out["reading"] = reading_to_dict(result.reading)
        sys.stdout.write(dumps_exact(out))
    if result.reading is None and (args.out or not args.json):
        msg = (
            f"error: no reading could be rebuilt: {result.reason}; "
            "--json describes the SRs"
        )
        print(msg, file=sys.stderr)  # noqa: T201
        return 2
    if args.out and result.reading is not None:
        save_reading(result.reading, args.out)
        print(args.out)  # noqa: T201
    elif not args.json and result.reading is not None:
        sys.stdout.write(dumps_exact(reading_to_dict(result.reading)))
    return 0
