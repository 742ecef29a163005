"""Read a DICOM SEG back onto its source series and measure every segment.

``recist import seg FILE... --images DIR [--json] [--masks OUTDIR]``

:func:`read_seg` places a Segmentation (PS3.3 A.51, any tool's: highdicom,
dcmqi, OHIF, ...) on the grid of its source series, as follows:

1. The file is read with pydicom and checked: a Segmentation Storage object
   (else :class:`~recist.errors.InvalidInputError`), complete (explicit-VR
   files are walked element by element; the pixel data must hold every frame;
   one functional group per frame), then wrapped by highdicom
   (``Segmentation.from_dataset``), which validates it further.
2. Source series: among the image series under ``images``, the one the SEG's
   ReferencedSeriesSequence names, else the one holding the SOP instances of
   the frames' DerivationImageSequence, else (no reference found) a series with
   the SEG's FrameOfReferenceUID whose slice positions hold every frame's.  None
   -> :class:`~recist.errors.DicomReadError` naming the referenced series UID.
   The series is read with :func:`recist.dicom.read_volume`.
3. Each frame is placed by its PlanePositionSequence ImagePositionPatient:
   its distance along the slice normal must be within :data:`SLICE_TOL_MM` of
   an original slice (interpolated slices of a regularised series are never
   used), and its in-plane offset must be a whole number of pixels (within
   :data:`PIXEL_TOL`).  A frame without a position is placed by its source SOP
   instance (same in-plane grid assumed).  Orientation and pixel spacing must
   be the series' (within 1e-3).  Frames that fail are listed in
   :attr:`SegImport.unplaced` with the reason, never dropped silently.
4. BINARY frames: non-zero = inside.  FRACTIONAL frames: value /
   MaximumFractionalValue >= 0.5 (:data:`FRACTION_THRESHOLD`) = inside.
5. Each segment's mask (bool, shaped like ``volume.array``) is measured by
   :func:`measurements.measure_lesion` (long and short axis, volume, 3-D
   diameter, centroid in LPS); an empty segment has ``measurement=None``.

Nothing heavy (highdicom, SimpleITK) is imported at module level.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from recist.errors import DicomReadError, InvalidInputError

if TYPE_CHECKING:
    from measurements.geometry import Volume
    from measurements.lesion import LesionMeasurement
    from recist.dicom import SeriesInfo

__all__ = [
    "FRACTION_THRESHOLD",
    "PIXEL_TOL",
    "SLICE_TOL_MM",
    "ImportedSegment",
    "SegImport",
    "UnplacedFrame",
    "read_seg",
]

#: Largest distance (mm) along the normal between a frame and its slice.
SLICE_TOL_MM = 0.1
#: Largest in-plane offset from a whole pixel (in pixels).
PIXEL_TOL = 0.01
#: A FRACTIONAL pixel is inside when its fraction is at least this.
FRACTION_THRESHOLD = 0.5
#: Largest orientation-cosine / pixel-spacing difference for "the same grid".
_GRID_TOL = 1e-3

_SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
_LABEL_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class UnplacedFrame:
    """A SEG frame that could not be put on the volume grid.

    Parameters
    ----------
    frame : int
        1-based frame number in the SEG.
    segment : int
        Its segment number.
    reason : str
        Why (no slice at that position, off the in-plane grid, ...).
    """

    frame: int
    segment: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ImportedSegment:
    """One segment of a SEG, on the source series' grid.

    Parameters
    ----------
    number : int
        SegmentNumber.
    label : str
        SegmentLabel.
    category, property_type : dict
        SegmentedPropertyCategory / TypeCodeSequence as ``value``, ``scheme``,
        ``meaning``.
    tracking_id, tracking_uid : str or None
        TrackingID / TrackingUID when present.
    frames : int
        Number of SEG frames of this segment (placed or not).
    mask : ndarray of bool, shape (z, y, x)
        Shaped like ``volume.array``.
    measurement : LesionMeasurement or None
        :func:`measurements.measure_lesion` of ``mask``; None when empty.
    """

    number: int
    label: str
    category: dict[str, str]
    property_type: dict[str, str]
    tracking_id: str | None
    tracking_uid: str | None
    frames: int
    mask: npt.NDArray[np.bool_]
    measurement: LesionMeasurement | None

    @property
    def slices(self) -> tuple[int, ...]:
        """Indices (z) of the volume slices holding voxels of the segment."""
        return tuple(int(k) for k in np.flatnonzero(self.mask.any(axis=(1, 2))))

    @property
    def voxels(self) -> int:
        """Number of voxels inside the segment."""
        return int(np.count_nonzero(self.mask))

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready summary (no mask)."""
        m = self.measurement
        out: dict[str, Any] = {
            "number": self.number,
            "label": self.label,
            "category": self.category,
            "property_type": self.property_type,
            "tracking_id": self.tracking_id,
            "tracking_uid": self.tracking_uid,
            "frames": self.frames,
            "slices": list(self.slices),
            "voxels": self.voxels,
        }
        if m is not None:
            out |= {
                "volume_mm3": m.volume_mm3,
                "volume_ml": m.volume_mm3 / 1000.0,
                "long_axis_mm": m.long_axis_mm,
                "long_axis_slice": m.longest.index_z,
                "short_axis_mm": m.short_axis_mm,
                "short_axis_slice": m.node.index_z,
                "diameter_3d_mm": m.diameter_3d_mm,
                "centroid_lps": [float(v) for v in m.centroid_lps],
            }
        return out


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SegImport:
    """What :func:`read_seg` found.

    Parameters
    ----------
    path : Path
        The SEG file.
    sop_instance_uid : str
        The SEG's SOPInstanceUID.
    segmentation_type : str
        ``BINARY`` or ``FRACTIONAL``.
    series_uid : str
        The source series placed on.
    volume : Volume
        That series, as read by :func:`recist.dicom.read_volume`.
    segments : tuple of ImportedSegment
        In SegmentSequence order.
    unplaced : tuple of UnplacedFrame
        Frames not put on the grid, with the reason.
    notes : tuple of str
        How the series was found, disagreements between positions and
        referenced SOP instances, pixels cut off at the grid's edge.
    """

    path: Path
    sop_instance_uid: str
    segmentation_type: str
    series_uid: str
    volume: Volume
    segments: tuple[ImportedSegment, ...]
    unplaced: tuple[UnplacedFrame, ...]
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready summary (no masks)."""
        return {
            "path": str(self.path),
            "sop_instance_uid": self.sop_instance_uid,
            "segmentation_type": self.segmentation_type,
            "series_uid": self.series_uid,
            "segments": [s.to_json() for s in self.segments],
            "unplaced": [
                {"frame": u.frame, "segment": u.segment, "reason": u.reason}
                for u in self.unplaced
            ],
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------
# reading and checking the file


def _code(seq: Any) -> dict[str, str]:
    item = seq[0] if seq else None
    if item is None:
        return {}
    return {
        "value": str(
            getattr(item, "CodeValue", "") or getattr(item, "LongCodeValue", "")
        ),
        "scheme": str(getattr(item, "CodingSchemeDesignator", "")),
        "meaning": str(getattr(item, "CodeMeaning", "")),
    }


def _read_dataset(path: Path) -> Any:
    """Read and check a SEG file; return the highdicom Segmentation."""
    import highdicom as hd
    from pydicom import dcmread
    from pydicom.errors import InvalidDicomError

    from recist.dicom._header import truncation

    if not path.is_file():
        raise DicomReadError(path, "no such file")
    try:
        ds = dcmread(path)
    except (InvalidDicomError, EOFError, ValueError, KeyError) as exc:
        raise DicomReadError(path, f"not readable as DICOM ({exc})") from None
    sop_class = str(ds.get("SOPClassUID", ""))
    if sop_class != _SEG_SOP_CLASS:
        name = getattr(ds.get("SOPClassUID"), "name", "") or "no SOP class"
        msg = f"{path}: not a DICOM Segmentation (SOP class {sop_class} {name})"
        raise InvalidInputError(msg, location=str(path))
    cut = truncation(path, ds)
    if cut is not None:
        raise DicomReadError(path, f"truncated: {cut}")
    if "PixelData" not in ds:
        raise DicomReadError(path, "truncated or invalid: no pixel data")
    n_frames = int(ds.get("NumberOfFrames", 1) or 1)
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") or []
    if len(per_frame) != n_frames:
        raise DicomReadError(
            path,
            f"truncated or invalid: {len(per_frame)} per-frame functional groups "
            f"for {n_frames} frames",
        )
    try:
        pixels = ds.pixel_array
    except (ValueError, RuntimeError, AttributeError, NotImplementedError) as exc:
        raise DicomReadError(path, f"pixel data unreadable ({exc})") from None
    try:
        seg = hd.seg.Segmentation.from_dataset(ds, copy=False)
    except (ValueError, AttributeError, KeyError, TypeError) as exc:
        raise DicomReadError(path, f"not a valid Segmentation ({exc})") from None
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = pixels[np.newaxis]
    return seg, pixels


@dataclass(frozen=True, slots=True)
class _Frame:
    segment: int
    position: tuple[float, float, float] | None
    orientation: tuple[float, ...] | None
    spacing: tuple[float, float] | None  # (row spacing, column spacing)
    sources: tuple[str, ...]


def _group(fg: Any, shared: Any, keyword: str) -> Any:
    for holder in (fg, shared):
        if holder is not None and keyword in holder and holder[keyword].value:
            return holder[keyword].value[0]
    return None


def _frames(ds: Any) -> list[_Frame]:
    shared_seq = ds.get("SharedFunctionalGroupsSequence") or [None]
    shared = shared_seq[0]
    out = []
    for fg in ds.PerFrameFunctionalGroupsSequence:
        ident = _group(fg, shared, "SegmentIdentificationSequence")
        plane = _group(fg, shared, "PlanePositionSequence")
        orient = _group(fg, shared, "PlaneOrientationSequence")
        measures = _group(fg, shared, "PixelMeasuresSequence")
        sources: list[str] = []
        for der in fg.get("DerivationImageSequence") or []:
            for src in der.get("SourceImageSequence") or []:
                uid = src.get("ReferencedSOPInstanceUID")
                if uid:
                    sources.append(str(uid))
        pos = getattr(plane, "ImagePositionPatient", None) if plane else None
        iop = getattr(orient, "ImageOrientationPatient", None) if orient else None
        ps = getattr(measures, "PixelSpacing", None) if measures else None
        out.append(
            _Frame(
                segment=int(ident.ReferencedSegmentNumber) if ident else 0,
                position=(
                    (float(pos[0]), float(pos[1]), float(pos[2])) if pos else None
                ),
                orientation=tuple(float(v) for v in iop) if iop else None,
                spacing=(float(ps[0]), float(ps[1])) if ps else None,
                sources=tuple(sources),
            )
        )
    return out


# --------------------------------------------------------------------------
# finding the source series


def _frame_of_reference(series: SeriesInfo) -> str:
    import zipfile

    from pydicom import dcmread

    header = series.slices[0].header
    try:
        if header.member is None:
            ds = dcmread(header.source, stop_before_pixels=True)
        else:
            with zipfile.ZipFile(header.source) as zf, zf.open(header.member) as fh:
                ds = dcmread(fh, stop_before_pixels=True)
    except (OSError, ValueError, KeyError, EOFError):
        return ""
    return str(ds.get("FrameOfReferenceUID", ""))


def _normal(direction: Sequence[float]) -> npt.NDArray[np.float64]:
    return np.asarray(direction, np.float64).reshape(3, 3)[:, 2]


def _holds_positions(series: SeriesInfo, frames: Iterable[_Frame]) -> bool:
    normal = _normal(series.direction)
    known = np.asarray(series.slice_positions_mm, np.float64)
    for f in frames:
        if f.position is None:
            return False
        d = float(np.dot(f.position, normal))
        if known.size == 0 or np.min(np.abs(known - d)) > SLICE_TOL_MM:
            return False
    return True


def _find_series(
    ds: Any, frames: list[_Frame], images: Any, notes: list[str]
) -> SeriesInfo:
    from recist.dicom import scan_report

    try:
        series_list = scan_report(images).series
    except FileNotFoundError as exc:
        raise DicomReadError(
            str(exc.filename or images), "no such file or folder"
        ) from None
    referenced = [
        str(r.SeriesInstanceUID)
        for r in ds.get("ReferencedSeriesSequence") or []
        if r.get("SeriesInstanceUID")
    ]
    sources = {uid for f in frames for uid in f.sources}

    def score(s: SeriesInfo) -> tuple[int, bool]:
        uids = {sl.header.sop_instance_uid for sl in s.slices}
        return len(uids & sources), _holds_positions(s, frames)

    by_uid = [s for s in series_list if s.series_uid in referenced]
    if by_uid:
        best = max(by_uid, key=score)
        notes.append(f"source series {best.key}: ReferencedSeriesSequence")
        return best
    by_sop = [s for s in series_list if score(s)[0] > 0]
    if by_sop:
        best = max(by_sop, key=score)
        notes.append(f"source series {best.key}: referenced source SOP instances")
        return best
    for_uid = str(ds.get("FrameOfReferenceUID", ""))
    if for_uid:
        for s in series_list:
            if _frame_of_reference(s) == for_uid and _holds_positions(s, frames):
                notes.append(
                    f"source series {s.key}: same frame of reference and positions "
                    f"(the referenced series {', '.join(referenced) or '(none)'} "
                    "is not among the images)"
                )
                return s
    wanted = ", ".join(referenced) or "(no ReferencedSeriesSequence)"
    found = ", ".join(s.series_uid for s in series_list) or "none"
    raise DicomReadError(
        images if isinstance(images, str | Path) else "images",
        f"the SEG's source series {wanted} is not among the images "
        f"(image series found: {found})",
    )


# --------------------------------------------------------------------------
# placing the frames


@dataclass(frozen=True, slots=True)
class _Grid:
    origin: npt.NDArray[np.float64]
    row: npt.NDArray[np.float64]
    col: npt.NDArray[np.float64]
    normal: npt.NDArray[np.float64]
    spacing: tuple[float, float, float]
    shape: tuple[int, int, int]  # z, y, x
    positions: npt.NDArray[np.float64]  # original slices, along the normal
    source_slice: tuple[int | None, ...]  # per grid slice
    sop_index: dict[str, int]  # unique SOP instance UID -> original slice


def _grid(volume: Volume) -> _Grid:
    d = np.asarray(volume.geometry.direction, np.float64).reshape(3, 3)
    uids = list(volume.metadata.get("sop_instance_uids", []))
    counts: dict[str, int] = {}
    for u in uids:
        counts[u] = counts.get(u, 0) + 1
    return _Grid(
        origin=np.asarray(volume.geometry.origin, np.float64),
        row=d[:, 0],
        col=d[:, 1],
        normal=d[:, 2],
        spacing=tuple(float(v) for v in volume.geometry.spacing),  # type: ignore[arg-type]
        shape=tuple(int(v) for v in volume.array.shape),  # type: ignore[arg-type]
        positions=np.asarray(volume.metadata.get("slice_positions_mm", []), np.float64),
        source_slice=tuple(volume.metadata.get("source_slice", [])),
        sop_index={u: i for i, u in enumerate(uids) if counts[u] == 1},
    )


def _grid_slice(grid: _Grid, original: int) -> int | None:
    for k, s in enumerate(grid.source_slice):
        if s == original:
            return k
    return None


def _place(f: _Frame, grid: _Grid) -> tuple[int, int, int] | str:
    """Return (k, row offset, column offset) on the grid, or why not."""
    if f.orientation is not None and not (
        np.allclose(f.orientation[:3], grid.row, atol=_GRID_TOL)
        and np.allclose(f.orientation[3:6], grid.col, atol=_GRID_TOL)
    ):
        return f"orientation {list(f.orientation)} differs from the series'"
    sx, sy, _ = grid.spacing
    if f.spacing is not None and not np.allclose(f.spacing, (sy, sx), atol=_GRID_TOL):
        return f"pixel spacing {list(f.spacing)} differs from the series' {[sy, sx]}"
    by_sop: int | None = None
    for uid in f.sources:
        if uid in grid.sop_index:
            by_sop = grid.sop_index[uid]
            break
    if f.position is None:
        if by_sop is None:
            return "no position and no referenced source image of the series"
        k = _grid_slice(grid, by_sop)
        return "its source image is not on the grid" if k is None else (k, 0, 0)
    p = np.asarray(f.position, np.float64)
    d = float(np.dot(p, grid.normal))
    if grid.positions.size == 0:
        return "the series has no slice positions"
    original = int(np.argmin(np.abs(grid.positions - d)))
    gap = float(abs(grid.positions[original] - d))
    if gap > SLICE_TOL_MM:
        return f"no slice within {SLICE_TOL_MM} mm of its position ({gap:.3g} mm off)"
    k = _grid_slice(grid, original)
    if k is None:
        return "its slice is not on the grid"
    rel = p - grid.origin - k * grid.spacing[2] * grid.normal
    fi, fj = float(rel @ grid.row) / sx, float(rel @ grid.col) / sy
    i0, j0 = round(fi), round(fj)
    if abs(fi - i0) > PIXEL_TOL or abs(fj - j0) > PIXEL_TOL:
        return f"in-plane offset ({fi:.3f}, {fj:.3f}) px is not a whole pixel"
    return k, int(j0), int(i0)


def _paste(
    mask: npt.NDArray[np.bool_], frame: npt.NDArray[np.bool_], k: int, j0: int, i0: int
) -> int:
    """OR ``frame`` into ``mask[k]`` at (j0, i0); return the pixels cut off."""
    _, ny, nx = mask.shape
    rows, cols = frame.shape
    y0, y1 = max(j0, 0), min(j0 + rows, ny)
    x0, x1 = max(i0, 0), min(i0 + cols, nx)
    total = int(np.count_nonzero(frame))
    if y0 >= y1 or x0 >= x1:
        return total
    part = frame[y0 - j0 : y1 - j0, x0 - i0 : x1 - i0]
    mask[k, y0:y1, x0:x1] |= part
    return total - int(np.count_nonzero(part))


def read_seg(
    seg_path: str | Path, images: str | Path | Sequence[str | Path]
) -> SegImport:
    """Read a DICOM SEG onto its source series and measure each segment.

    Parameters
    ----------
    seg_path : path
        The Segmentation file.
    images : path or sequence of paths
        Folder, zip file or files holding the source series (other series and
        the SEG itself may be there too).

    Returns
    -------
    SegImport

    Raises
    ------
    InvalidInputError
        The file is DICOM but not a Segmentation.
    DicomReadError
        Not DICOM, truncated, unreadable pixel data, or the source series is
        not among ``images`` (the message names its series UID).
    """
    from measurements import measure_lesion
    from recist.dicom import read_volume

    path = Path(seg_path)
    seg, pixels = _read_dataset(path)
    frames = _frames(seg)
    notes: list[str] = []
    series = _find_series(seg, frames, images, notes)
    volume = read_volume(series)
    notes.extend(f"series: {r}" for r in volume.metadata.get("resampled", []))
    grid = _grid(volume)
    seg_type = str(seg.get("SegmentationType", "BINARY"))
    if seg_type == "FRACTIONAL":
        top = float(seg.get("MaximumFractionalValue", 255) or 255)
        inside = pixels.astype(np.float64) / top >= FRACTION_THRESHOLD
    else:
        inside = pixels != 0
    descriptions = list(seg.SegmentSequence)
    masks = {int(d.SegmentNumber): np.zeros(grid.shape, bool) for d in descriptions}
    n_frames = dict.fromkeys(masks, 0)
    unplaced: list[UnplacedFrame] = []
    for index, f in enumerate(frames):
        number = f.segment
        if number not in masks:
            reason = f"segment {number} is not in the SegmentSequence"
            unplaced.append(
                UnplacedFrame(frame=index + 1, segment=number, reason=reason)
            )
            continue
        n_frames[number] += 1
        where = _place(f, grid)
        if isinstance(where, str):
            unplaced.append(
                UnplacedFrame(frame=index + 1, segment=number, reason=where)
            )
            continue
        k, j0, i0 = where
        if f.position is not None and f.sources:
            original = grid.source_slice[k]
            if not any(grid.sop_index.get(u) == original for u in f.sources):
                notes.append(
                    f"frame {index + 1}: its position is slice {k}, not the slice "
                    "of its referenced source image (position used)"
                )
        lost = _paste(masks[number], inside[index], k, j0, i0)
        if lost:
            notes.append(f"frame {index + 1}: {lost} pixels outside the grid dropped")
    segments = []
    for d in descriptions:
        number = int(d.SegmentNumber)
        mask = masks[number]
        mask.setflags(write=False)
        segments.append(
            ImportedSegment(
                number=number,
                label=str(d.get("SegmentLabel", "")),
                category=_code(d.get("SegmentedPropertyCategoryCodeSequence")),
                property_type=_code(d.get("SegmentedPropertyTypeCodeSequence")),
                tracking_id=str(d.TrackingID) if d.get("TrackingID") else None,
                tracking_uid=str(d.TrackingUID) if d.get("TrackingUID") else None,
                frames=n_frames[number],
                mask=mask,
                measurement=measure_lesion(mask, volume) if mask.any() else None,
            )
        )
    return SegImport(
        path=path,
        sop_instance_uid=str(seg.SOPInstanceUID),
        segmentation_type=seg_type,
        series_uid=series.series_uid,
        volume=volume,
        segments=tuple(segments),
        unplaced=tuple(unplaced),
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------
# CLI


def mask_file_name(segment: ImportedSegment) -> str:
    """Return ``<number>_<label>.nii.gz`` with the label made file-name safe.

    Examples
    --------
    >>> import numpy as np
    >>> s = ImportedSegment(number=2, label="Nodule 1 / A", category={},
    ...     property_type={}, tracking_id=None, tracking_uid=None, frames=0,
    ...     mask=np.zeros((1, 1, 1), bool), measurement=None)
    >>> mask_file_name(s)
    '2_Nodule_1_A.nii.gz'
    """
    label = _LABEL_SAFE.sub("_", segment.label).strip("_") or "segment"
    return f"{segment.number}_{label}.nii.gz"


def write_masks(result: SegImport, out_dir: str | Path) -> list[Path]:
    """Write each segment as NIfTI (uint8 0/1) on the series grid.

    Parameters
    ----------
    result : SegImport
    out_dir : path
        An existing folder.

    Returns
    -------
    list of Path
    """
    from measurements.geometry import Volume
    from recist._atomic import check_output_dir
    from recist._image_write import write_image

    folder = check_output_dir(out_dir)
    written = []
    for s in result.segments:
        out = folder / mask_file_name(s)
        image = Volume(
            array=s.mask.astype(np.uint8), geometry=result.volume.geometry
        ).to_sitk()
        written.append(write_image(image, out))  # checked by reading it back
    return written


def _write_mask_set(results: list[SegImport], out_dir: Path) -> list[Path]:
    """Write every SEG's masks into ``out_dir`` as one set; return the paths.

    With several SEGs each gets a subfolder; the set is swapped in whole.
    """
    from recist._atomic import replacing_dir

    written: list[Path] = []
    with replacing_dir(out_dir) as tmp:
        for r in results:
            sub = tmp
            if len(results) > 1:
                sub = tmp / _LABEL_SAFE.sub("_", r.path.stem)
                sub.mkdir(exist_ok=True)
            written += [out_dir / p.relative_to(tmp) for p in write_masks(r, sub)]
    return written
