"""Find DICOM files by content in a folder, a zip file or a list of files.

Every file ends up in exactly one of three lists of :class:`ScanResult`:
image series, non-image objects (SR, SEG, PR, KO, RT...), or skipped (with the
reason).  Nothing raises for a bad file and nothing is dropped silently.
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from recist.dicom._header import FileHeader, _NeedPydicom, parse_header
from recist.dicom._series import SeriesInfo, build_series
from recist.errors import DicomReadError

__all__ = [
    "NonImageObject",
    "PathLike",
    "ScanResult",
    "SkippedFile",
    "scan",
    "scan_report",
]

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]
_PREFIX = 64 * 1024  # bytes read first; almost every header fits

# SOP Class UID prefixes of objects that are not images to measure on, with the
# short type shown to users (DICOM modality terms where one exists).
_NON_IMAGE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("1.2.840.10008.5.1.4.1.1.88.59", "KO"),
    ("1.2.840.10008.5.1.4.1.1.88.", "SR"),
    ("1.2.840.10008.5.1.4.1.1.66.4", "SEG"),
    ("1.2.840.10008.5.1.4.1.1.66.1", "REG"),
    ("1.2.840.10008.5.1.4.1.1.66.3", "REG"),
    ("1.2.840.10008.5.1.4.1.1.66.2", "FID"),
    ("1.2.840.10008.5.1.4.1.1.66", "RAW"),
    ("1.2.840.10008.5.1.4.1.1.11.", "PR"),
    ("1.2.840.10008.5.1.4.1.1.481.", "RT"),
    ("1.2.840.10008.5.1.4.1.1.104.", "DOC"),
    ("1.2.840.10008.5.1.4.1.1.9.", "ECG"),
    ("1.2.840.10008.1.3.10", "DICOMDIR"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class NonImageObject:
    """A DICOM object that is not an image to measure on (SR, SEG, PR, KO, RT...)."""

    path: str
    type: (
        str  # "SR", "SEG", "PR", "KO", "RTSTRUCT", ... (Modality, else from SOP class)
    )
    sop_class_uid: str
    sop_class_name: str
    modality: str
    series_uid: str
    study_uid: str
    patient_id: str

    def to_json(self) -> dict[str, str]:
        """Return the JSON object ``recist info --json`` prints for this object."""
        return {
            "path": self.path,
            "type": self.type,
            "sop_class_uid": self.sop_class_uid,
            "sop_class_name": self.sop_class_name,
            "modality": self.modality,
            "series_uid": self.series_uid,
            "study_uid": self.study_uid,
            "patient_id": self.patient_id,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedFile:
    """A file that could not be used, with the reason."""

    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        """``{"path": ..., "reason": ...}``."""
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanResult:
    """Everything a scan found: image series, non-image objects, skipped files."""

    series: tuple[SeriesInfo, ...]
    non_image: tuple[NonImageObject, ...]
    skipped: tuple[SkippedFile, ...]

    def to_json(self) -> dict[str, object]:
        """Return the one JSON object ``recist info --json`` prints."""
        return {
            "series": [s.to_json() for s in self.series],
            "non_image": [o.to_json() for o in self.non_image],
            "skipped": [s.to_json() for s in self.skipped],
        }


def sop_class_name(uid: str) -> str:
    """Return the SOP class's name from pydicom's dictionary, or the UID."""
    from pydicom.uid import UID

    name = UID(uid).name if uid else ""
    return name if name and name != uid else (uid or "unknown")


def _non_image_type(h: FileHeader) -> str | None:
    """Return the short type of a non-image object, or None for an image."""
    for prefix, label in _NON_IMAGE_PREFIXES:
        if h.sop_class_uid.startswith(prefix):
            if label == "RT" and h.modality:
                return h.modality
            return label
    if h.pixel_keyword is None and h.rows is None:
        return h.modality or "OTHER"
    return None


@dataclass(frozen=True, slots=True)
class _Source:
    path: str
    member: str | None = None


def _walk(
    path: PathLike | Sequence[PathLike],
) -> tuple[list[_Source], list[SkippedFile]]:
    """List candidate files; a zip contributes its members."""
    if isinstance(path, str | os.PathLike):
        roots = [Path(path)]
        top_is_list = False
    else:
        roots = [Path(p) for p in path]
        top_is_list = True
    out: list[_Source] = []
    skipped: list[SkippedFile] = []
    for root in roots:
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames.sort()
                for name in sorted(filenames):
                    full = os.path.join(dirpath, name)
                    if zipfile.is_zipfile(full):
                        skipped.append(
                            SkippedFile(
                                path=full,
                                reason="zip archive inside a folder: scan it directly",
                            )
                        )
                    else:
                        out.append(_Source(full))
        elif (
            root.is_file()
            and zipfile.is_zipfile(root)
            and (not top_is_list or len(roots) == 1)
        ):
            try:
                with zipfile.ZipFile(root) as zf:
                    out.extend(
                        _Source(str(root), info.filename)
                        for info in zf.infolist()
                        if not info.is_dir()
                    )
            except (zipfile.BadZipFile, OSError) as exc:
                skipped.append(
                    SkippedFile(path=str(root), reason=f"bad zip file: {exc}")
                )
        elif root.is_file():
            out.append(_Source(str(root)))
        elif not root.exists():
            raise FileNotFoundError(2, "No such file or directory", str(root))
        else:
            skipped.append(SkippedFile(path=str(root), reason="not a regular file"))
    return out, skipped


def _read_header(src: _Source, zf: zipfile.ZipFile | None) -> FileHeader:
    if src.member is not None and zf is not None:
        data = zf.read(src.member)
        return parse_header(data, source=src.path, member=src.member)
    with open(src.path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        prefix = fh.read(_PREFIX)
        try:
            return parse_header(prefix, source=src.path, total=size)
        except _NeedPydicom:
            data = prefix + fh.read()
    return parse_header(data, source=src.path, total=size)


def _headers(sources: list[_Source]) -> Iterator[FileHeader | SkippedFile]:
    zips: dict[str, zipfile.ZipFile] = {}
    try:
        for src in sources:
            where = src.path if src.member is None else f"{src.path}!{src.member}"
            try:
                zf = None
                if src.member is not None:
                    zf = zips.get(src.path) or zips.setdefault(
                        src.path, zipfile.ZipFile(src.path)
                    )
                yield _read_header(src, zf)
            except DicomReadError as exc:
                yield SkippedFile(path=where, reason=exc.reason)
            except (OSError, zipfile.BadZipFile, RuntimeError, ValueError) as exc:
                yield SkippedFile(
                    path=where, reason=f"cannot read: {type(exc).__name__}: {exc}"
                )
    finally:
        for zf in zips.values():
            zf.close()


def _image_problem(h: FileHeader) -> str | None:
    """Why an image file cannot be used, or None."""
    if h.pixel_keyword is None:
        return f"{sop_class_name(h.sop_class_uid)} without pixel data"
    if not h.rows or not h.columns:
        return "image without Rows/Columns"
    if not h.series_uid:
        return "image without SeriesInstanceUID"
    if (
        h.pixel_offset is not None
        and h.pixel_length is not None
        and h.file_size is not None
    ):
        if h.pixel_offset + h.pixel_length > h.file_size:
            have = h.file_size - h.pixel_offset
            return (
                f"truncated: pixel data needs {h.pixel_length} bytes, file holds {have}"
            )
        frames = h.number_of_frames or 1
        need = (
            h.rows
            * h.columns
            * (h.samples_per_pixel or 1)
            * (h.bits_allocated or 16)
            * frames
            + 7
        ) // 8
        if h.pixel_length < need:
            return f"pixel data too short: {h.pixel_length} bytes for {need} expected"
    return None


def scan_report(path: PathLike | Sequence[PathLike]) -> ScanResult:
    """Scan a folder (recursively), a zip file or a list of files for DICOM.

    Files are recognised by content (Part 10 preamble, or a dataset pydicom can
    parse that has a SOP Class UID), never by name.

    Parameters
    ----------
    path : path or sequence of paths
        A folder, a zip file, one file, or a list of files.

    Returns
    -------
    ScanResult
        ``series`` (image series, see :class:`SeriesInfo`), ``non_image``
        (SR, SEG, PR, KO, RT... listed apart), ``skipped`` (path and reason).

    Raises
    ------
    FileNotFoundError
        ``path`` (or a listed file) does not exist.
    """
    sources, skipped = _walk(path)
    images: list[FileHeader] = []
    non_image: list[NonImageObject] = []
    for item in _headers(sources):
        if isinstance(item, SkippedFile):
            skipped.append(item)
            continue
        kind = _non_image_type(item)
        if kind is not None:
            non_image.append(
                NonImageObject(
                    path=item.where,
                    type=kind,
                    sop_class_uid=item.sop_class_uid,
                    sop_class_name=sop_class_name(item.sop_class_uid),
                    modality=item.modality,
                    series_uid=item.series_uid,
                    study_uid=item.study_uid,
                    patient_id=item.patient_id,
                )
            )
            continue
        why = _image_problem(item)
        if why is not None:
            skipped.append(SkippedFile(path=item.where, reason=why))
            continue
        images.append(item)
    for s in skipped:
        log.info("skipped %s: %s", s.path, s.reason)
    return ScanResult(
        series=tuple(build_series(images)),
        non_image=tuple(non_image),
        skipped=tuple(skipped),
    )


def scan(path: PathLike | Sequence[PathLike]) -> list[SeriesInfo]:
    """Return the image series found in ``path`` (see :func:`scan_report`).

    Non-image objects and skipped files are in :func:`scan_report`'s result.

    Parameters
    ----------
    path : path or sequence of paths
        A folder (searched recursively), a zip file, or a list of files.

    Returns
    -------
    list of SeriesInfo
    """
    return list(scan_report(path).series)
