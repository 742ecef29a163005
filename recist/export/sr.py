"""Write a reading as DICOM Comprehensive 3D SR, TID 1500 Measurement Reports.

One SR per time point
---------------------
A DICOM SR belongs to one study, and a reading spans several (one per visit),
so each time point is its own SR in the study of the images it was read on:
``recist export sr READING --images DIR OUT/`` writes one file per time point
into the folder ``OUT`` (``YYYY-MM-DD_baseline.dcm``, ``YYYY-MM-DD_fu01.dcm``,
...), and ``recist export sr READING --images DIR OUT.dcm [--timepoint DATE]``
writes the one time point ``DATE`` (``baseline`` or an ISO date; default the
latest).  :func:`recist.export.sr_import.reading_from_srs` merges the SRs of a
reading back into one reading.

Content of one SR (all groups in the Imaging Measurements container)
--------------------------------------------------------------------
1. Per lesion of the time point, a measurement group (TID 1411 "Planar ROI
   Measurements" when the lesion has callipers on an image, else TID 1501):
   tracking identifier (the lesion id, ``"T01"``) and tracking UID
   (``2.25.<uuid5(subject, lesion id)>``, so the same at every visit), finding
   (SCT Neoplasm, or Lymph node when nodal), finding site (SNOMED CT, see
   :mod:`recist.export._codes`), method (the response criteria, CID 6147), the
   time point context (TID 1502), a qualitative evaluation of the lesion role
   (TARGET / NON-TARGET / NEW; coined), for targets its state (MEASURED, TOO
   SMALL TO MEASURE, ...; coined), for non-targets at follow-ups their state
   (SCT Present / Absent, or coined), for new lesions "equivocal" and
   "measurable" (SCT Yes / No); the recorded diameter as a NUM "Long axis" (SCT
   103339001) or, for nodes, "Short axis" (SCT 103340004) in UCUM mm (one per
   fragment of a split lesion); the callipers as the group's image region, a
   POLYLINE SCOORD in the image's pixel coordinates (``(column, row)``, the
   top-left corner of the top-left pixel at ``(0, 0)``, PS3.3 C.18.6.1.2): the
   long axis, the reading's ``endpoints_lps``.  A node measured on both axes
   is a TID 1501 group instead: NUM "Short axis" (the value) and NUM "Long
   axis" (its calliper distance), each INFERRED FROM its own 2-point POLYLINE,
   so viewers draw two lines.
2. A group ``"RECIST time point"`` (TID 1501) with the engine's responses of
   the time point (target, non-target, new lesions, overall; coined codes whose
   meaning is the CDISC term) and one TEXT item "RECIST reading properties"
   holding, as JSON, what DICOM has no place for: subject and case ids,
   description, options, audit trail, the time point's study UIDs and site
   spellings that are not the canonical upper-case words.

Positions are SCOORD ``FL`` (float32) pixel coordinates: about 1e-5 mm at
these scales; the import rounds positions to 1e-4 mm.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recist._atomic import check_output_dir, replacing
from recist.errors import InvalidInputError
from recist.export import _codes as C
from recist.model import (
    Assessment,
    ImageRef,
    Lesion,
    Measurement,
    NewLesion,
    PointLPS,
    Reading,
    TimePoint,
)
from recist.terms import LesionRole, MeasurementKind, NonTargetState

if TYPE_CHECKING:
    from pydicom import Dataset

__all__ = [
    "SegmentRef",
    "SliceGeometry",
    "build_sr",
    "export_sr",
    "image_to_lps",
    "index_images",
    "lps_to_image",
    "timepoint_dates",
    "tracking_uid",
]

logger = logging.getLogger(__name__)

#: Tracking identifier of the per-time-point group (responses, properties).
TIMEPOINT_GROUP_ID = "RECIST time point"
#: Version of the "RECIST reading properties" JSON.
PROPERTIES_VERSION = 1
#: Namespace of recist's tracking UIDs (uuid5).
TRACKING_NAMESPACE = uuid.UUID("6f1c3a52-6d4e-5b8e-9f0a-2c7d1e4b9a10")
#: Points farther than this from the referenced image plane are reported.
OFF_PLANE_TOL_MM = 0.01
#: Decimal places (mm) of positions read back from float32 SCOORDs.
POSITION_DECIMALS = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class SliceGeometry:
    """One image (frame) a measurement can reference, with its plane.

    ``position`` is ImagePositionPatient (centre of the first pixel, LPS mm),
    ``orientation`` ImageOrientationPatient (row cosine, column cosine),
    ``pixel_spacing`` (row spacing, column spacing) mm as in DICOM, ``frame``
    1-based in a multi-frame instance or None, ``study_date`` the image's
    StudyDate (``YYYYMMDD``, may be empty).
    """

    sop_uid: str
    sop_class_uid: str
    study_uid: str
    series_uid: str
    frame: int | None
    position: tuple[float, float, float]
    orientation: tuple[float, float, float, float, float, float]
    pixel_spacing: tuple[float, float]
    path: str
    study_date: str = ""
    patient_id: str = ""


def lps_to_image(
    points_lps: Sequence[PointLPS], plane: SliceGeometry
) -> tuple[list[tuple[float, float]], float]:
    """Map LPS points to SCOORD image coordinates ``(column, row)`` of a plane.

    The top-left corner of the top-left pixel is ``(0, 0)``, so the centre of
    the first pixel (ImagePositionPatient) is ``(0.5, 0.5)`` (PS3.3 C.18.6.1.2).

    Returns
    -------
    coords : list of (column, row)
    off_plane_mm : float
        Largest distance of a point from the plane (points are projected).

    Examples
    --------
    >>> g = SliceGeometry(sop_uid="1", sop_class_uid="1", study_uid="1",
    ...     series_uid="1", frame=None, position=(-100.0, -50.0, 10.0),
    ...     orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0), pixel_spacing=(0.5, 2.0),
    ...     path="")
    >>> lps_to_image([(-100.0, -50.0, 10.0), (-96.0, -49.0, 10.0)], g)
    ([(0.5, 0.5), (2.5, 2.5)], 0.0)
    """
    r = plane.orientation[:3]
    c = plane.orientation[3:]
    n = _cross(r, c)
    out: list[tuple[float, float]] = []
    off = 0.0
    for p in points_lps:
        d = tuple(p[i] - plane.position[i] for i in range(3))
        out.append(
            (
                _dot(d, r) / plane.pixel_spacing[1] + 0.5,
                _dot(d, c) / plane.pixel_spacing[0] + 0.5,
            )
        )
        off = max(off, abs(_dot(d, n)))
    return out, off


def image_to_lps(
    coords: Sequence[Sequence[float]],
    plane: SliceGeometry,
    *,
    decimals: int | None = POSITION_DECIMALS,
) -> tuple[PointLPS, ...]:
    """Map SCOORD image coordinates ``(column, row)`` to LPS points on the plane.

    The inverse of :func:`lps_to_image`; ``decimals`` rounds the result (SCOORD
    data are float32, so digits beyond about 1e-5 mm are noise).

    Examples
    --------
    >>> g = SliceGeometry(sop_uid="1", sop_class_uid="1", study_uid="1",
    ...     series_uid="1", frame=None, position=(-100.0, -50.0, 10.0),
    ...     orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0), pixel_spacing=(0.5, 2.0),
    ...     path="")
    >>> image_to_lps([(2.5, 2.5)], g)
    ((-96.0, -49.0, 10.0),)
    """
    r = plane.orientation[:3]
    c = plane.orientation[3:]
    out: list[PointLPS] = []
    for col, row in coords:
        u = (float(col) - 0.5) * plane.pixel_spacing[1]
        v = (float(row) - 0.5) * plane.pixel_spacing[0]
        xyz = [plane.position[i] + u * r[i] + v * c[i] for i in range(3)]
        if decimals is not None:
            xyz = [round(x, decimals) + 0.0 for x in xyz]
        out.append((xyz[0], xyz[1], xyz[2]))
    return tuple(out)


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return float(a[0] * b[0] + a[1] * b[1] + a[2] * b[2])


def _cross(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    return (
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    )


ImageKey = tuple[str, int | None]


def index_images(path: str | Path) -> dict[ImageKey, SliceGeometry]:
    """Index the image planes under ``path`` by ``(SOP instance UID, frame)``.

    ``frame`` is 1-based for multi-frame instances and None otherwise.
    """
    from recist.dicom import scan_report

    report = scan_report(path)
    out: dict[ImageKey, SliceGeometry] = {}
    for series in report.series:
        for s in series.slices:
            h = s.header
            frame = None if s.frame is None else s.frame + 1
            o = tuple(float(v) for v in s.orientation)
            if len(o) != 6 or len(s.pixel_spacing) != 2:
                continue
            out[(h.sop_instance_uid, frame)] = SliceGeometry(
                sop_uid=h.sop_instance_uid,
                sop_class_uid=h.sop_class_uid,
                study_uid=h.study_uid,
                series_uid=h.series_uid,
                frame=frame,
                position=(s.position[0], s.position[1], s.position[2]),
                orientation=(o[0], o[1], o[2], o[3], o[4], o[5]),
                pixel_spacing=(s.pixel_spacing[0], s.pixel_spacing[1]),
                path=h.where,
                study_date=h.study_date,
                patient_id=h.patient_id,
            )
    return out


def tracking_uid(reading: Reading, lesion_id: str) -> str:
    """Return the tracking UID of a lesion: the same at every time point.

    ``2.25.`` + the integer of ``uuid5(namespace, "<subject>/<lesion id>")``,
    the subject being the reading's ``subject_id`` (else its ``case_id``).

    Examples
    --------
    >>> import datetime as dt
    >>> from recist.model import Baseline
    >>> r = Reading(baseline=Baseline(date=dt.date(2026, 1, 5)), subject_id="S1")
    >>> tracking_uid(r, "T01") == tracking_uid(r, "T01") != tracking_uid(r, "T02")
    True
    >>> tracking_uid(r, "T01").startswith("2.25.")
    True
    """
    subject = reading.subject_id or reading.case_id or ""
    return f"2.25.{uuid.uuid5(TRACKING_NAMESPACE, f'{subject}/{lesion_id}').int}"


def timepoint_dates(reading: Reading) -> list[dt.date]:
    """Dates of the reading's time points: baseline first, then follow-ups."""
    return [reading.baseline.date, *(tp.date for tp in reading.followups)]


def _ds(value: Decimal) -> str:
    """Return the exact decimal as a DS string (at most 16 characters)."""
    text = str(value)
    if "E" in text or "e" in text:
        text = format(value, "f")
    if len(text) > 16:
        msg = f"{value} mm has more digits than a DICOM DS holds (16 characters)"
        raise InvalidInputError(msg)
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class _LesionEntry:
    lesion_id: str
    role: LesionRole
    site: str | None
    nodal: bool
    measurement: Measurement | None = None
    slice_thickness_mm: Decimal | None = None
    non_target_state: NonTargetState | None = None
    new: NewLesion | None = None


def _entries(reading: Reading, index: int) -> list[_LesionEntry]:
    b = reading.baseline
    if index == 0:
        out = [
            _LesionEntry(
                lesion_id=t.lesion_id,
                role=LesionRole.TARGET,
                site=t.site,
                nodal=t.nodal,
                measurement=t.baseline,
                slice_thickness_mm=t.slice_thickness_mm,
            )
            for t in b.targets
        ]
        out += [
            _LesionEntry(
                lesion_id=n.lesion_id,
                role=LesionRole.NON_TARGET,
                site=n.site,
                nodal=n.nodal,
            )
            for n in b.non_targets
        ]
        return out
    tp = reading.followups[index - 1]
    known: dict[str, Lesion] = {x.lesion_id: x for x in (*b.targets, *b.non_targets)}
    out = []
    for lid, m in tp.targets.items():
        les = known.get(lid)
        out.append(
            _LesionEntry(
                lesion_id=lid,
                role=LesionRole.TARGET,
                site=None if les is None else les.site,
                nodal=False if les is None else les.nodal,
                measurement=m,
            )
        )
    for lid, state in tp.non_targets.items():
        les = known.get(lid)
        out.append(
            _LesionEntry(
                lesion_id=lid,
                role=LesionRole.NON_TARGET,
                site=None if les is None else les.site,
                nodal=False if les is None else les.nodal,
                non_target_state=state,
            )
        )
    for n in tp.new_lesions:
        out.append(
            _LesionEntry(
                lesion_id=n.lesion_id,
                role=LesionRole.NEW,
                site=n.site,
                nodal=n.nodal,
                new=n,
            )
        )
    return out


def _where(e: _LesionEntry) -> tuple[ImageRef | None, tuple[PointLPS, ...]]:
    if e.measurement is not None:
        return e.measurement.image, e.measurement.endpoints_lps
    if e.new is not None:
        return e.new.image, e.new.endpoints_lps
    return None, ()


def _lengths(e: _LesionEntry) -> list[Decimal]:
    if e.measurement is not None:
        m = e.measurement
        if m.kind is MeasurementKind.MEASURED and m.diameter_mm is not None:
            return [m.diameter_mm]
        if m.kind is MeasurementKind.SPLIT:
            return list(m.fragments_mm)
        return []
    if e.new is not None and e.new.diameter_mm is not None:
        return [e.new.diameter_mm]
    return []


def build_sr(
    reading: Reading,
    *,
    timepoint: int,
    images: Mapping[ImageKey, SliceGeometry],
    evidence: Sequence[Dataset],
    assessment: Assessment | None = None,
    series_uid: str | None = None,
    instance_number: int = 1,
    notes: list[str] | None = None,
    segments: Mapping[str, SegmentRef] | None = None,
) -> Dataset:
    """Build the TID 1500 SR of one time point of a reading.

    Parameters
    ----------
    reading : Reading
    timepoint : int
        0 for the baseline, ``i`` for ``reading.followups[i - 1]``.
    images : Mapping[(sop_uid, frame), SliceGeometry]
        The planes of every image the time point references (see
        :func:`index_images`).
    evidence : sequence of pydicom.Dataset
        Headers of the referenced images (patient and study are taken from the
        first).  *Permitted values:* at least one.
    assessment : Assessment or None
        The engine's result; its responses at this time point are written.
    series_uid, instance_number
        Of the SR; a new series UID when None.
    notes : list of str, optional
        Receives data problems (points projected onto their plane...).
    segments : Mapping[str, SegmentRef], optional
        Tracking UID -> the SEG segment of that lesion (referenced from its
        group; the SEG must be in ``evidence``).

    Returns
    -------
    highdicom.sr.Comprehensive3DSR

    Raises
    ------
    InvalidInputError
        A referenced image missing from ``images``, no evidence, a value with
        more than 16 characters.
    """
    import highdicom as hd
    from pydicom.sr.codedict import codes

    notes = [] if notes is None else notes
    dates = timepoint_dates(reading)
    date = dates[timepoint]
    tp_context = hd.sr.TimePointContext(
        time_point=date.isoformat(),
        time_point_type=codes.cid6146.Baseline
        if timepoint == 0
        else codes.cid6146.Posttreatment,
        time_point_order=timepoint + 1,
    )
    method = C.CRITERIA_CODES[reading.criteria]
    planar: list[Any] = []
    other: list[Any] = []
    spellings: dict[str, str] = {}
    entries = _entries(reading, timepoint)
    for e in entries:
        if e.site is not None and e.site != C.site_from_code(
            C.site_code(e.site).value, C.site_code(e.site).scheme_designator, e.site
        ):
            spellings[e.lesion_id] = e.site
        group = _lesion_group(
            hd, reading, e, tp_context, method, images, date, notes=notes
        )
        seg = (segments or {}).get(tracking_uid(reading, e.lesion_id))
        if seg is not None:
            _reference_segment(hd, group, seg)
        drawn = all(_where(e))  # an image and callipers: drawn by viewers
        (planar if drawn else other).append(group)
    order = [e.lesion_id for e in entries]
    # groups without coordinates first: OHIF v3's SR loader stops at the first
    # one it meets after the planar groups (it walks them from the end)
    groups = [
        _timepoint_group(
            hd, reading, timepoint, tp_context, method, assessment, spellings, order
        ),
        *other,
        *planar,
    ]
    observer = hd.sr.ObservationContext(
        observer_person_context=None
        if reading.reader is None
        else hd.sr.ObserverContext(
            observer_type=codes.cid270.Person,
            observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
                name=_person_name(reading.reader)
            ),
        ),
        observer_device_context=hd.sr.ObserverContext(
            observer_type=codes.cid270.Device,
            observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
                uid=f"2.25.{uuid.uuid5(TRACKING_NAMESPACE, 'recist').int}",
                name="recist",
            ),
        ),
    )
    if not evidence:
        msg = f"time point {date}: no image to take patient and study from"
        raise InvalidInputError(msg)
    report = hd.sr.MeasurementReport(
        observation_context=observer,
        procedure_reported=codes.SCT.ImagingProcedure,
        imaging_measurements=groups,
        title=codes.cid7021.ImagingMeasurementReport,
        referenced_images=_library(evidence),  # TID 1600 Image Library
    )
    sr = hd.sr.Comprehensive3DSR(
        evidence=list(evidence),
        content=report[0],
        series_instance_uid=series_uid or hd.UID(),
        series_number=7001,
        sop_instance_uid=hd.UID(),
        instance_number=instance_number,
        manufacturer="recist",
        is_complete=True,
        series_description=f"RECIST {reading.criteria.value} measurements",
    )
    _identify_scheme(sr)
    _character_set(sr)
    return sr


def _character_set(sr: Dataset) -> None:
    """Declare UTF-8 (``ISO_IR 192``) when any text is not plain ASCII.

    Without it pydicom writes the default repertoire and every other character
    becomes ``?``.
    """
    found = []

    def visit(ds: Any, elem: Any) -> None:
        if elem.VR in {"LO", "SH", "ST", "LT", "UT", "PN", "UC"} and not found:
            values = elem.value if elem.VM > 1 else [elem.value]
            if any(not str(v).isascii() for v in values if v is not None):
                found.append(elem.tag)

    sr.walk(visit)
    if found:
        sr.SpecificCharacterSet = "ISO_IR 192"


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentRef:
    """One segment of a DICOM SEG, as an SR references it.

    ``header`` is the SEG's dataset without pixel data (for the evidence).
    """

    sop_class_uid: str
    sop_uid: str
    study_uid: str
    source_series_uid: str
    segment_number: int
    header: Any


def _segments(paths: Sequence[str | Path]) -> dict[str, SegmentRef]:
    """Read SEG headers: tracking UID -> segment (refuses what is not a SEG)."""
    from pydicom import dcmread
    from pydicom.errors import InvalidDicomError

    out: dict[str, SegmentRef] = {}
    for p in paths:
        try:
            ds = dcmread(p, stop_before_pixels=True)
        except (InvalidDicomError, OSError, ValueError, EOFError) as exc:
            raise InvalidInputError(f"--seg {p}: not DICOM ({exc})") from None
        if str(ds.get("Modality", "")) != "SEG" or "SegmentSequence" not in ds:
            raise InvalidInputError(f"--seg {p}: not a DICOM SEG")
        series = ds.get("ReferencedSeriesSequence") or [{}]
        source = str(series[0].get("SeriesInstanceUID", ""))
        for item in ds.SegmentSequence:
            uid = str(item.get("TrackingUID", ""))
            if uid:
                out[uid] = SegmentRef(
                    sop_class_uid=str(ds.SOPClassUID),
                    sop_uid=str(ds.SOPInstanceUID),
                    study_uid=str(ds.StudyInstanceUID),
                    source_series_uid=source,
                    segment_number=int(item.SegmentNumber),
                    header=ds,
                )
    return out


def _reference_segment(hd: Any, group: Any, seg: SegmentRef) -> None:
    """Add "Referenced Segment" + "Source series for segmentation" (as dcmqi)."""
    from pydicom.sr.codedict import codes

    item = hd.sr.ImageContentItem(
        name=codes.DCM.ReferencedSegment,
        referenced_sop_class_uid=seg.sop_class_uid,
        referenced_sop_instance_uid=seg.sop_uid,
        relationship_type=hd.sr.RelationshipTypeValues.CONTAINS,
    )
    ref = item.ReferencedSOPSequence[0]
    ref.ReferencedSegmentNumber = seg.segment_number
    group[0].ContentSequence.append(item)
    if seg.source_series_uid:
        group[0].ContentSequence.append(
            hd.sr.UIDRefContentItem(
                name=codes.DCM.SourceSeriesForSegmentation,
                value=seg.source_series_uid,
                relationship_type=hd.sr.RelationshipTypeValues.CONTAINS,
            )
        )


def _library(evidence: Sequence[Dataset]) -> list[Dataset] | None:
    """Return the images of the Image Library (TID 1600): those with a plane.

    Older OHIF versions need the library to place the measurements; highdicom
    describes each entry (modality, position, orientation, spacing).
    """
    out = [
        ds
        for ds in evidence
        if "ImagePositionPatient" in ds and "PixelSpacing" in ds and "Rows" in ds
    ]
    return out or None


def _person_name(name: str) -> str:
    """Return a PN value: a one-part name gets the trailing caret of PS3.5."""
    return name if "^" in name else f"{name}^"


def _identify_scheme(sr: Dataset) -> None:
    from pydicom import Dataset

    item = Dataset()
    item.CodingSchemeDesignator = C.SCHEME
    item.CodingSchemeName = C.CODING_SCHEME_NAME
    item.CodingSchemeResponsibleOrganization = "recist project"
    seq = list(getattr(sr, "CodingSchemeIdentificationSequence", []))
    sr.CodingSchemeIdentificationSequence = [*seq, item]


def _lesion_group(
    hd: Any,
    reading: Reading,
    e: _LesionEntry,
    tp_context: Any,
    method: Any,
    images: Mapping[ImageKey, SliceGeometry],
    date: dt.date,
    *,
    notes: list[str],
) -> Any:
    tracking = hd.sr.TrackingIdentifier(
        uid=tracking_uid(reading, e.lesion_id), identifier=e.lesion_id
    )
    finding = C.LYMPH_NODE if e.nodal else C.NEOPLASM
    site = (e.site or "").strip()
    sites = (
        None if not site else [hd.sr.FindingSite(anatomic_location=C.site_code(site))]
    )
    axis = C.SHORT_AXIS if e.nodal else C.LONG_AXIS
    measurements = []
    for length in _lengths(e):
        num = hd.sr.Measurement(name=axis, value=float(length), unit=C.MM)
        num[0].MeasuredValueSequence[0].NumericValue = _ds(length)
        measurements.append(num)
    if e.slice_thickness_mm is not None:
        num = hd.sr.Measurement(
            name=C.SLICE_THICKNESS, value=float(e.slice_thickness_mm), unit=C.MM
        )
        num[0].MeasuredValueSequence[0].NumericValue = _ds(e.slice_thickness_mm)
        measurements.append(num)
    evals = [hd.sr.QualitativeEvaluation(C.LESION_ROLE, C.ROLE_CODES[e.role])]
    if e.measurement is not None:
        evals.append(
            hd.sr.QualitativeEvaluation(
                C.TARGET_STATE, C.KIND_CODES[e.measurement.kind]
            )
        )
    if e.non_target_state is not None:
        evals.append(
            hd.sr.QualitativeEvaluation(
                C.NON_TARGET_STATE, C.NON_TARGET_STATE_CODES[e.non_target_state]
            )
        )
    if e.new is not None:
        evals.append(
            hd.sr.QualitativeEvaluation(C.EQUIVOCAL, C.YES if e.new.equivocal else C.NO)
        )
        evals.append(
            hd.sr.QualitativeEvaluation(
                C.MEASURABLE, C.YES if e.new.measurable else C.NO
            )
        )
    image, points = _where(e)
    plane = None
    if image is not None:
        plane = images.get((image.sop_uid, image.frame))
        if plane is None:
            msg = (
                f"{e.lesion_id} at {date}: image {image.sop_uid}"
                f"{'' if image.frame is None else f' frame {image.frame}'} "
                "is not among the images given"
            )
            raise InvalidInputError(msg, location=e.lesion_id)
    common: dict[str, Any] = {
        "tracking_identifier": tracking,
        "time_point_context": tp_context,
        "finding_type": finding,
        "method": method,
        "finding_sites": sites,
        "measurements": measurements or None,
        "qualitative_evaluations": evals,
    }
    if plane is not None and points:
        coords, off = lps_to_image(points, plane)
        if off > OFF_PLANE_TOL_MM:
            notes.append(
                f"{e.lesion_id} at {date}: callipers up to {off:.3g} mm off the "
                "image plane were projected onto it"
            )
        frames = None if plane.frame is None else [plane.frame]
        if e.nodal and len(coords) == 4 and len(_lengths(e)) == 1:
            return _node_group(hd, e, common, points, coords, plane, frames)
        region = hd.sr.ImageRegion(
            graphic_type=hd.sr.GraphicTypeValues.POLYLINE
            if len(coords) > 1
            else hd.sr.GraphicTypeValues.POINT,
            graphic_data=_array(coords),
            source_image=hd.sr.SourceImageForRegion(
                referenced_sop_class_uid=plane.sop_class_uid,
                referenced_sop_instance_uid=plane.sop_uid,
                referenced_frame_numbers=frames,
            ),
        )
        group = hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
            referenced_region=region, **common
        )
    else:
        if plane is not None:
            frames = None if plane.frame is None else [plane.frame]
            common["source_images"] = [
                hd.sr.SourceImageForMeasurementGroup(
                    referenced_sop_class_uid=plane.sop_class_uid,
                    referenced_sop_instance_uid=plane.sop_uid,
                    referenced_frame_numbers=frames,
                )
            ]
        group = hd.sr.MeasurementsAndQualitativeEvaluations(**common)
    if site and _site_text_needed(e.site or ""):
        group[0].ContentSequence.append(
            hd.sr.TextContentItem(
                name=C.SITE_TEXT,
                value=e.site,
                relationship_type=hd.sr.RelationshipTypeValues.CONTAINS,
            )
        )
    if e.measurement is not None and e.measurement.coalesced_into is not None:
        group[0].ContentSequence.append(
            hd.sr.TextContentItem(
                name=C.COALESCED_INTO,
                value=e.measurement.coalesced_into,
                relationship_type=hd.sr.RelationshipTypeValues.CONTAINS,
            )
        )
    return group


def _node_group(
    hd: Any,
    e: _LesionEntry,
    common: dict[str, Any],
    points: Sequence[PointLPS],
    coords: list[tuple[float, float]],
    plane: SliceGeometry,
    frames: list[int] | None,
) -> Any:
    """Return a node's group (TID 1501) whose axes are NUMs with their lines.

    A node is measured on both axes: "Short axis" (the RECIST value) and "Long
    axis" (its calliper distance to 0.01 mm), each INFERRED FROM its own
    2-point POLYLINE (TID 300), so viewers draw two lines rather than one
    4-point polyline (which OHIF takes for a rectangle).  TID 1411 allows one
    region and no coordinates under its measurements, hence TID 1501.
    """
    import math

    def line(c: list[tuple[float, float]]) -> Any:
        return hd.sr.CoordinatesForMeasurement(
            graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
            graphic_data=_array(c),
            source_image=hd.sr.SourceImageForRegion(
                referenced_sop_class_uid=plane.sop_class_uid,
                referenced_sop_instance_uid=plane.sop_uid,
                referenced_frame_numbers=frames,
            ),
        )

    def num(concept: Any, value: Decimal, c: list[tuple[float, float]]) -> Any:
        item = hd.sr.Measurement(
            name=concept,
            value=float(value),
            unit=C.MM,
            referenced_coordinates=[line(c)],
        )
        item[0].MeasuredValueSequence[0].NumericValue = _ds(value)
        return item

    (short,) = _lengths(e)
    long_mm = Decimal(f"{math.dist(points[0], points[1]):.2f}")
    rest = [
        m
        for m in common["measurements"] or []
        if m[0].ConceptNameCodeSequence[0].CodeValue != C.SHORT_AXIS.value
    ]
    common = {
        **common,
        "measurements": [
            num(C.SHORT_AXIS, short, coords[2:]),
            num(C.LONG_AXIS, long_mm, coords[:2]),
            *rest,
        ],
        "source_images": [
            hd.sr.SourceImageForMeasurementGroup(
                referenced_sop_class_uid=plane.sop_class_uid,
                referenced_sop_instance_uid=plane.sop_uid,
                referenced_frame_numbers=frames,
            )
        ],
    }
    return hd.sr.MeasurementsAndQualitativeEvaluations(**common)


def _site_text_needed(site: str) -> bool:
    """Whether a site's code does not give it back exactly (case, length, ...)."""
    code = C.site_code(site)
    return site != C.site_from_code(code.value, code.scheme_designator, code.meaning)


def _array(coords: list[tuple[float, float]]) -> Any:
    import numpy as np

    return np.asarray(coords, dtype=np.float32)


def _timepoint_group(
    hd: Any,
    reading: Reading,
    timepoint: int,
    tp_context: Any,
    method: Any,
    assessment: Assessment | None,
    spellings: Mapping[str, str],
    order: Sequence[str] = (),
) -> Any:
    evals = []
    if assessment is not None and timepoint > 0:
        tpa = assessment.timepoints[timepoint - 1]
        evals = [
            hd.sr.QualitativeEvaluation(
                C.TARGET_RESPONSE, C.RESPONSE_CODES[tpa.target.value]
            ),
            hd.sr.QualitativeEvaluation(
                C.NON_TARGET_RESPONSE, C.RESPONSE_CODES[tpa.non_target.value]
            ),
            hd.sr.QualitativeEvaluation(
                C.NEW_LESION_PROGRESSION,
                C.NEW_LESION_STATUS_CODES[tpa.new_lesions.value],
            ),
            hd.sr.QualitativeEvaluation(
                C.OVERALL_RESPONSE, C.RESPONSE_CODES[tpa.overall.value]
            ),
        ]
    group = hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=tracking_uid(reading, f"{TIMEPOINT_GROUP_ID}/{timepoint}"),
            identifier=TIMEPOINT_GROUP_ID,
        ),
        time_point_context=tp_context,
        method=method,
        qualitative_evaluations=evals or None,
    )
    group[0].ContentSequence.append(
        hd.sr.TextContentItem(
            name=C.READING_PROPERTIES,
            value=json.dumps(
                {**_properties(reading, timepoint, spellings), "order": list(order)},
                sort_keys=True,
            ),
            relationship_type=hd.sr.RelationshipTypeValues.CONTAINS,
        )
    )
    return group


def _properties(
    reading: Reading, timepoint: int, spellings: Mapping[str, str]
) -> dict[str, Any]:
    study_uids = (
        reading.baseline.study_uids
        if timepoint == 0
        else reading.followups[timepoint - 1].study_uids
    )
    o = reading.options
    return {
        "version": PROPERTIES_VERSION,
        "criteria": reading.criteria.value,
        "subject_id": reading.subject_id,
        "reader": reading.reader,
        "case_id": reading.case_id,
        "description": reading.description,
        "options": {
            "confirmation": o.confirmation,
            "confirmation_min_days": o.confirmation_min_days,
            "sd_min_days": o.sd_min_days,
        },
        "audit": [
            {"when": a.when, "who": a.who, "what": a.what} for a in reading.audit
        ],
        "study_uids": list(study_uids),
        "sites": dict(spellings),
        "timepoints": len(reading.followups) + 1,
    }


def _timepoint_refs(reading: Reading, timepoint: int) -> list[ImageRef]:
    refs: list[ImageRef] = []
    for e in _entries(reading, timepoint):
        image, _ = _where(e)
        if image is not None:
            refs.append(image)
    return refs


def _study_uids(reading: Reading, timepoint: int) -> tuple[str, ...]:
    if timepoint == 0:
        return reading.baseline.study_uids
    tp: TimePoint = reading.followups[timepoint - 1]
    return tp.study_uids


def export_sr(
    reading: Reading,
    images_dir: str | Path,
    out: str | Path,
    *,
    timepoints: Sequence[int] | None = None,
    notes: list[str] | None = None,
    segs: Sequence[str | Path] = (),
) -> list[Path]:
    """Write the SRs of a reading's time points.

    Parameters
    ----------
    reading : Reading
    images_dir : path
        Folder (or zip) with the images the reading references.
    out : path
        A folder (one ``<date>_<label>.dcm`` per time point) when
        ``timepoints`` lists several or ``out`` is an existing folder; else
        the file to write.
    timepoints : sequence of int, optional
        0 = baseline, i = i-th follow-up; all when None.
    notes : list of str, optional
        Receives data problems.
    segs : sequence of path, optional
        DICOM SEGs of the reading (``recist export seg``): a lesion group of
        the SEG's study whose tracking UID is a segment's gets a "Referenced
        Segment" (DCM 121191) and "Source series for segmentation" (DCM
        121232), as dcmqi writes them, and the SEG joins the evidence.

    Returns
    -------
    list of Path
        The files written.
    """
    import highdicom as hd

    from recist.assessment import assess
    from recist.dicom import read_dataset
    from recist.errors import RecistError

    notes = [] if notes is None else notes
    count = len(reading.followups) + 1
    chosen = list(range(count)) if timepoints is None else list(timepoints)
    out = Path(out)
    as_dir = out.is_dir() or len(chosen) > 1
    images = index_images(images_dir)
    try:
        assessment: Assessment | None = assess(reading)
    except RecistError as exc:  # the reading is written even if it is invalid
        notes.append(f"no responses written: {exc}")
        assessment = None
    segments = _segments(segs)
    series_uids: dict[str, str] = {}  # one SR series per study (a series is in one)
    built: list[tuple[int, Any]] = []
    written: list[Path] = []
    for index in chosen:
        refs = _timepoint_refs(reading, index)
        paths: list[str] = []
        for ref in refs:
            plane = images.get((ref.sop_uid, ref.frame))
            if plane is not None and plane.path not in paths:
                paths.append(plane.path)
        if not paths:  # no callipers: the time point's study from its study UIDs
            studies = set(_study_uids(reading, index))
            paths = [g.path for g in images.values() if g.study_uid in studies][:1]
        if not paths:  # nor study UIDs (a case file): the study of that date
            paths = _study_of_date(reading, index, images)
        evidence = [read_dataset(p) for p in paths]  # a path or zip!member
        study = str(evidence[0].StudyInstanceUID) if evidence else ""
        here = {k: v for k, v in segments.items() if v.study_uid == study}
        evidence += list({id(v.header): v.header for v in here.values()}.values())
        built.append(
            (
                index,
                build_sr(
                    reading,
                    timepoint=index,
                    images=images,
                    evidence=evidence,
                    assessment=assessment,
                    series_uid=series_uids.setdefault(study, hd.UID()),
                    instance_number=index + 1,
                    notes=notes,
                    segments=here,
                ),
            )
        )
    # every SR is built before anything is written: a failure leaves nothing
    created = as_dir and not out.exists()
    try:
        for index, sr in built:
            if as_dir:
                check_output_dir(out)
                label = "baseline" if index == 0 else f"fu{index:02d}"
                name = f"{timepoint_dates(reading)[index].isoformat()}_{label}.dcm"
                target = out / name
            else:
                target = out
            with replacing(target) as tmp:
                sr.save_as(tmp, enforce_file_format=True)
            written.append(target)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise
    return written


def _study_of_date(
    reading: Reading, index: int, images: Mapping[ImageKey, SliceGeometry]
) -> list[str]:
    """Return the one image study of the time point's date (and the reading's subject).

    A case file records neither image references nor study UIDs; its time
    point is the study of ``images`` acquired on that date, of the reading's
    subject when the images name patients.  Several studies that day: refused.
    """
    date = timepoint_dates(reading)[index]
    day = date.strftime("%Y%m%d")
    found = [g for g in images.values() if g.study_date == day]
    subject = reading.subject_id
    patients = {g.patient_id for g in found if g.patient_id}
    if subject and patients:
        found = [g for g in found if g.patient_id == subject]
    studies = sorted({g.study_uid for g in found})
    if len(studies) > 1:
        msg = (
            f"time point {date}: {len(studies)} studies of that date among the "
            f"images ({', '.join(studies)}); give the reading's study UIDs"
        )
        raise InvalidInputError(msg)
    if not studies:
        who = f" of patient {subject!r}" if subject and patients else ""
        msg = (
            f"time point {date}: no image study{who} acquired on {date} among "
            "the images given (the reading has no image references)"
        )
        raise InvalidInputError(msg)
    return sorted({g.path for g in found})[:1]
