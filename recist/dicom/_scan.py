"""Find DICOM files by content in a folder, a zip file or a list of files.

Every file ends up in one of three lists of :class:`ScanResult`: image series,
non-image objects (SR, SEG, PR, KO, RT...), or skipped (with the reason); a
slice left out of its series (a copy, an outlier) is named in a series problem.
Nothing raises for a bad file and nothing is dropped silently.

Input is hostile (issue #12): only regular files are opened (never a pipe or a
device), each is judged from a 64 KiB prefix before more is read, pydicom reads
headers up to the pixel data only, zip entries are bounded
(:data:`MAX_MEMBER_BYTES`, :data:`MAX_ZIP_TOTAL_BYTES`) and declared image sizes
are checked against the pixel data a file holds before anything is allocated.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from recist.dicom._header import FileHeader, looks_like_dicom, read_header
from recist.dicom._series import SeriesInfo, build_series
from recist.errors import DicomReadError

__all__ = [
    "NonImageObject",
    "PathLike",
    "ScanResult",
    "SkippedFile",
    "read_dataset",
    "scan",
    "scan_report",
]

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]

#: A zip entry that declares more than this uncompressed is not read (bomb).
MAX_MEMBER_BYTES = 1 << 30
#: A zip whose entries declare more than this in total is read up to it only.
MAX_ZIP_TOTAL_BYTES = 1 << 34
#: Native pixel data larger than this per file is refused (declared sizes).
MAX_DECODED_BYTES = 1 << 32
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # local file header, empty archive

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
        if "Image Storage" in sop_class_name(h.sop_class_uid):
            return None  # an image without pixels: skipped with the reason
        return h.modality or "OTHER"
    return None


@dataclass(frozen=True, slots=True)
class _Source:
    path: str
    member: str | None = None
    index: int | None = None  # position in the zip's entry list
    copy: int = 1  # k-th entry of that name in the zip
    size: int = 0  # declared uncompressed size of a zip entry


def _kind(mode: int) -> str:
    """Name a file type that is not a regular file or folder."""
    for test, name in (
        (stat.S_ISFIFO, "named pipe"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _walk_folder(root: str, out: list[_Source], skipped: list[SkippedFile]) -> None:
    """List the regular files under ``root``; report everything else.

    Folders are walked with an explicit stack (no recursion); a folder that
    cannot be listed, a dangling link, a special file (pipe, device, socket) and
    a symbolic link to a folder (not followed: it may lead anywhere, or loop)
    each become a :class:`SkippedFile` with the reason.  Regular files are only
    listed here, never opened.
    """
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            skipped.append(
                SkippedFile(path=folder, reason=f"cannot list folder: {_why(exc)}")
            )
            continue
        subfolders = []
        for entry in entries:
            try:
                st = os.stat(entry.path)  # follows a symbolic link
                is_link = entry.is_symlink()
            except OSError as exc:
                reason = (
                    f"broken symbolic link: {_why(exc)}"
                    if os.path.islink(entry.path)
                    else f"cannot read: {_why(exc)}"
                )
                skipped.append(SkippedFile(path=entry.path, reason=reason))
                continue
            if stat.S_ISDIR(st.st_mode):
                if is_link:
                    skipped.append(
                        SkippedFile(
                            path=entry.path,
                            reason="symbolic link to a folder: not followed "
                            "(scan that folder itself)",
                        )
                    )
                else:
                    subfolders.append(entry.path)
            elif stat.S_ISREG(st.st_mode):
                out.append(_Source(entry.path))
            else:
                skipped.append(
                    SkippedFile(
                        path=entry.path,
                        reason=f"not a regular file ({_kind(st.st_mode)})",
                    )
                )
        stack.extend(reversed(subfolders))


def _zip_members(root: Path, out: list[_Source], skipped: list[SkippedFile]) -> None:
    """List a zip's entries, each by its position (names may repeat)."""
    try:
        with zipfile.ZipFile(root) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        skipped.append(SkippedFile(path=str(root), reason=f"bad zip file: {exc}"))
        return
    seen: Counter[str] = Counter()
    total = 0
    for index, info in enumerate(infos):
        if info.is_dir():
            continue
        seen[info.filename] += 1
        src = _Source(
            str(root), info.filename, index, seen[info.filename], info.file_size
        )
        where = _where(src)
        if info.file_size > MAX_MEMBER_BYTES:
            skipped.append(
                SkippedFile(
                    path=where,
                    reason=f"zip entry expands to {info.file_size} bytes, more than "
                    f"the {MAX_MEMBER_BYTES} allowed: not read",
                )
            )
            continue
        total += info.file_size
        if total > MAX_ZIP_TOTAL_BYTES:
            skipped.append(
                SkippedFile(
                    path=where,
                    reason=f"the zip expands to more than {MAX_ZIP_TOTAL_BYTES} "
                    "bytes in total: entry not read",
                )
            )
            continue
        out.append(src)


def _is_zip(path: str) -> bool:
    with open(path, "rb") as fh:
        if fh.read(4) not in _ZIP_MAGIC:
            return False
    return zipfile.is_zipfile(path)


def _walk(
    path: PathLike | Sequence[PathLike],
) -> tuple[list[_Source], list[SkippedFile]]:
    """List candidate files; a zip contributes its entries."""
    if isinstance(path, str | os.PathLike):
        roots = [Path(path)]
        top_is_list = False
    else:
        roots = [Path(p) for p in path]
        top_is_list = True
    out: list[_Source] = []
    skipped: list[SkippedFile] = []
    for root in roots:
        try:
            st = os.stat(root)
        except FileNotFoundError:
            raise FileNotFoundError(2, "No such file or directory", str(root)) from None
        except OSError as exc:
            why = f"cannot read: {_why(exc)}"
            skipped.append(SkippedFile(path=str(root), reason=why))
            continue
        if stat.S_ISDIR(st.st_mode):
            _walk_folder(str(root), out, skipped)
        elif not stat.S_ISREG(st.st_mode):
            skipped.append(
                SkippedFile(
                    path=str(root), reason=f"not a regular file ({_kind(st.st_mode)})"
                )
            )
        elif (not top_is_list or len(roots) == 1) and _is_zip(str(root)):
            _zip_members(root, out, skipped)
        else:
            out.append(_Source(str(root)))
    return out, skipped


def _where(src: _Source) -> str:
    if src.member is None:
        return src.path
    copy = f" [{src.copy}]" if src.copy > 1 else ""
    return f"{src.path}!{src.member}{copy}"


def _open_regular(path: str) -> IO[bytes]:
    """Open a regular file for reading; never block on a pipe or read a device."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            msg = f"not a regular file ({_kind(st.st_mode)})"
            raise DicomReadError(path, msg)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_header(src: _Source, zf: zipfile.ZipFile | None) -> FileHeader:
    where = _where(src)
    if src.member is not None and zf is not None and src.index is not None:
        info = zf.infolist()[src.index]
        with zf.open(info) as fh:
            h = read_header(fh, size=info.file_size, source=src.path, member=src.member)
        return dataclasses.replace(h, member_index=src.index, member_copy=src.copy)
    with _open_regular(src.path) as fh:
        size = os.fstat(fh.fileno()).st_size
        try:
            return read_header(fh, size=size, source=src.path)
        except DicomReadError:
            fh.seek(0)
            prefix = fh.read(132)
            zipped = prefix[:4] in _ZIP_MAGIC and not looks_like_dicom(prefix)
            if zipped and _is_zip(src.path):
                reason = "zip archive inside a folder: scan it directly"
                raise DicomReadError(where, reason) from None
            raise


def _headers(sources: list[_Source]) -> Iterator[FileHeader | SkippedFile]:
    zips: dict[str, zipfile.ZipFile] = {}
    try:
        for src in sources:
            where = _where(src)
            try:
                zf = None
                if src.member is not None:
                    zf = zips.get(src.path) or zips.setdefault(
                        src.path, zipfile.ZipFile(src.path)
                    )
                yield _read_header(src, zf)
            except DicomReadError as exc:
                yield SkippedFile(path=where, reason=exc.reason)
            except OSError as exc:
                yield SkippedFile(path=where, reason=f"cannot read: {_why(exc)}")
            except Exception as exc:  # one bad file never stops the scan
                yield SkippedFile(
                    path=where, reason=f"cannot read: {type(exc).__name__}: {exc}"
                )
    finally:
        for zf in zips.values():
            zf.close()


def _image_problem(h: FileHeader) -> str | None:
    """Why an image file cannot be used, or None.

    Declared sizes are checked against the pixel data the file holds before
    anything is allocated: native data must hold every declared frame, and
    encapsulated data at least one 8-byte item per frame.
    """
    if h.pixel_keyword is None:
        return f"{sop_class_name(h.sop_class_uid)} without pixel data"
    if not h.rows or not h.columns:
        return "image without Rows/Columns"
    if not h.series_uid:
        return "image without SeriesInstanceUID"
    frames = 1 if h.number_of_frames is None else h.number_of_frames
    if frames < 1:
        return f"NumberOfFrames {h.number_of_frames} is not a positive number"
    if h.frames and len(h.frames) != frames:
        return (
            f"{len(h.frames)} per-frame functional group items for "
            f"NumberOfFrames {frames}"
        )
    bits = h.bits_allocated or 16
    need = (h.rows * h.columns * (h.samples_per_pixel or 1) * bits * frames + 7) // 8
    if need > MAX_DECODED_BYTES:
        return (
            f"declares {frames} frame(s) of {h.rows} x {h.columns} "
            f"({need} bytes decoded), more than the {MAX_DECODED_BYTES} allowed"
        )
    if h.pixel_length is not None and h.file_size is not None:
        start = h.pixel_start if h.pixel_start is not None else h.pixel_offset
        if start is not None and start + h.pixel_length > h.file_size:
            have = h.file_size - start
            return (
                f"truncated: pixel data needs {h.pixel_length} bytes, file holds {have}"
            )
        if h.pixel_length < need:
            return (
                f"pixel data too short: {h.pixel_length} bytes for {need} expected "
                f"({frames} frame(s) of {h.rows} x {h.columns}, {bits} bits)"
            )
    elif h.pixel_start is not None and h.file_size is not None:
        have = h.file_size - h.pixel_start  # encapsulated: items of >= 8 bytes each
        if 8 * frames > have:
            return (
                f"pixel data too short: {have} bytes cannot hold {frames} "
                "compressed frame(s)"
            )
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
        if not item.sop_class_uid:
            skipped.append(
                SkippedFile(
                    path=item.where,
                    reason="no SOP Class UID: truncated or corrupt header",
                )
            )
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


def _split_where(where: str) -> tuple[str, str, int] | None:
    """Split ``zip!member [k]`` into (zip path, member, k); None for a plain path."""
    at = where.find("!")
    while at != -1:
        left = where[:at]
        if os.path.isfile(left) and _is_zip(left):
            member, copy = where[at + 1 :], 1
            if member.endswith("]") and " [" in member:
                name, _, k = member[:-1].rpartition(" [")
                if k.isdigit():
                    member, copy = name, int(k)
            return left, member, copy
        at = where.find("!", at + 1)
    return None


def read_dataset(where: str, *, stop_before_pixels: bool = True) -> Any:
    """Read one file a scan listed, by its ``where`` (a path or ``zip!member``).

    Parameters
    ----------
    where : str
        :attr:`FileHeader.where` / :attr:`SliceRef.where` without ``#frame``: a
        file path, or ``path.zip!member`` (``!member [k]`` for the k-th entry of
        a name a zip repeats).
    stop_before_pixels : bool, default True
        Leave the pixel data out.

    Returns
    -------
    pydicom.Dataset

    Raises
    ------
    DicomReadError
        The file or zip entry is missing, too large or not DICOM, or its
        sequences nest too deeply for pydicom (which recurses per level).
    """
    import io

    if os.path.isfile(where) or "!" not in where:
        with _open_regular(where) as fh:
            return _dcmread(fh, where, stop_before_pixels)
    parts = _split_where(where)
    if parts is None:
        raise DicomReadError(where, "no such file or zip entry")
    path, member, copy = parts
    with zipfile.ZipFile(path) as zf:
        infos = [i for i in zf.infolist() if i.filename == member]
        if len(infos) < copy:
            raise DicomReadError(where, "no such entry in the zip file")
        info = infos[copy - 1]
        if info.file_size > MAX_MEMBER_BYTES:
            reason = f"zip entry expands to {info.file_size} bytes: not read"
            raise DicomReadError(where, reason)
        data = zf.read(info)
    return _dcmread(io.BytesIO(data), where, stop_before_pixels)


def _dcmread(fh: IO[bytes], where: str, stop_before_pixels: bool) -> Any:
    import pydicom

    try:
        return pydicom.dcmread(fh, stop_before_pixels=stop_before_pixels)
    except RecursionError:  # pydicom recurses once per nested sequence
        raise DicomReadError(where, "sequences nested too deeply to read") from None
    except Exception as exc:  # pydicom raises many kinds
        raise DicomReadError(where, f"unreadable DICOM: {exc}") from exc
