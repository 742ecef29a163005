"""Read any TID 1500 Measurement Report into a JSON-ready dict (any tool's SR).

:func:`describe_sr` turns a TID 1500 SR into the document's identity, observer
and other root context, procedure reported, image library, evidence, and every
measurement group (tracking identifier and UID, finding, finding sites, method,
time point context, each measurement with its concept, value, unit and
modifiers, each qualitative evaluation, each region with graphic type, graphic
data and referenced SOP instance).  Every content item also appears in full
(``content``), so nothing in the SR is left out.  Only pydicom is used, and
decoding tolerates others' files, as highdicom's guidelines ask.

The shared reading context (:class:`_Ctx`) of :mod:`recist.export._sr_own` and
:mod:`recist.export._sr_foreign` lives here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from recist.errors import InvalidInputError

if TYPE_CHECKING:
    from pydicom import Dataset

    from recist.export.sr import SliceGeometry

__all__ = ["content_item", "describe_sr", "is_tid1500"]


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


@dataclass(slots=True)
class _Ctx:
    sop_to_series: dict[str, tuple[str, str]]
    images: Mapping[tuple[str, int | None], SliceGeometry] | None
    skipped: list[str]
    where: str
    notes: list[str] = field(default_factory=list)


def _parse_date(text: Any) -> dt.date | None:
    s = str(text or "").strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(s[:10] if "-" in s else s[:8], fmt).date()
        except ValueError:
            continue
    return None


def _observer(doc: Mapping[str, Any]) -> str | None:
    for c in doc["context"]:
        if _key(c["concept"]) == ("121008", "DCM") and c.get("value"):
            return str(c["value"])
    return None


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
