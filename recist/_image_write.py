"""Write a SimpleITK image so that a short or wrong file never replaces a good one.

ITK's NIfTI and NRRD writers report a full disk only on stderr and leave a
short file behind, which ITK then reads back padded with zeros.  So every image
written here is read back and compared (geometry, pixel type, every voxel)
before it is moved into place.  Header + data pairs (``.mhd`` + ``.raw``,
``.nhdr`` + ``.raw``) get a data file named for the write
(``x.recist-1a2b3c4d.raw``) so the old pair stays whole until the header is
replaced in one step; the old data file is removed after.  A write killed
midway can leave an unreferenced ``x.recist-*.raw`` beside the intact old pair.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import secrets
from pathlib import Path
from typing import Any

from recist._atomic import check_output_file, new_file_mode, replacing
from recist.errors import OutputWriteError

__all__ = ["TWO_FILE_SUFFIXES", "write_image"]

#: Formats whose header names a separate data file.
TWO_FILE_SUFFIXES = (".mhd", ".nhdr")
_DATA_LINE = {
    ".mhd": re.compile(r"^ElementDataFile\s*=\s*(.+?)\s*$", re.MULTILINE),
    ".nhdr": re.compile(r"^data ?file:\s*(.+?)\s*$", re.MULTILINE),
}


def _same_image(sitk: Any, written: Any, expected: Any, out: Path) -> None:
    def fail(what: str) -> None:
        raise OutputWriteError(
            out, f"the written file reads back with {what} (disk full?); old file kept"
        )

    if written.GetSize() != expected.GetSize():
        fail(f"size {written.GetSize()} instead of {expected.GetSize()}")
    if written.GetPixelID() != expected.GetPixelID():
        fail(f"pixel type {written.GetPixelIDTypeAsString()}")
    for name in ("GetSpacing", "GetOrigin", "GetDirection"):
        got, want = getattr(written, name)(), getattr(expected, name)()
        if any(
            abs(a - b) > 1e-4 * max(1.0, abs(b)) for a, b in zip(got, want, strict=True)
        ):
            fail(f"another {name.removeprefix('Get').lower()}")
    a = sitk.GetArrayViewFromImage(written)
    b = sitk.GetArrayViewFromImage(expected)
    if a.shape != b.shape or not (a == b).all():
        fail("other voxel values")


def _cannot_write(out: Path, exc: Exception) -> OutputWriteError:
    lines = [x.strip() for x in str(exc).splitlines() if x.strip()]
    why = lines[-1][:120] if lines else type(exc).__name__
    return OutputWriteError(out, f"cannot write ({why}); the old file is kept")


def _verifier(sitk: Any, image: Any, out: Path) -> Any:
    def verify(tmp: Path) -> None:
        try:
            back = sitk.ReadImage(str(tmp))
        except RuntimeError:
            msg = "the written file cannot be read back (disk full?); old file kept"
            raise OutputWriteError(out, msg) from None
        _same_image(sitk, back, image, out)

    return verify


def _data_file(header: Path) -> str | None:
    pattern = _DATA_LINE.get(header.suffix.lower())
    if pattern is None:
        return None
    try:
        text = header.read_text(encoding="latin-1", errors="replace")[:65536]
    except OSError:
        return None
    found = pattern.search(text)
    return found.group(1) if found else None


def _write_pair(sitk: Any, image: Any, out: Path, compress: bool) -> None:
    stem = out.name[: -len(out.suffix)]
    token = f"{stem}.recist-{secrets.token_hex(4)}"
    header = out.with_name(token + out.suffix)
    old_data = _data_file(out) if out.exists() else None
    new_data: str | None = None
    try:
        try:
            sitk.WriteImage(image, str(header), useCompression=compress)
        except RuntimeError as exc:
            raise _cannot_write(out, exc) from None
        new_data = _data_file(header)
        _verifier(sitk, image, out)(header)
        mode = new_file_mode(out)
        if new_data is not None and "/" not in new_data:
            os.chmod(out.with_name(new_data), mode)
        os.chmod(header, mode)
        os.replace(header, out)  # the one step: new header names new data
    except BaseException:
        for written in out.parent.glob(f"{glob.escape(token)}.*"):  # header, data
            written.unlink(missing_ok=True)
        raise
    if old_data and old_data != new_data and "/" not in old_data:
        old = out.with_name(old_data)
        if old_data.startswith(stem + "."):  # ours: x.raw or x.recist-....raw
            with contextlib.suppress(OSError):
                old.unlink()


def write_image(image: Any, path: str | Path, *, compress: bool | None = None) -> Path:
    """Write a SimpleITK image atomically and check it by reading it back.

    Parameters
    ----------
    image : SimpleITK.Image
    path : str or Path
        ``.nii``, ``.nii.gz``, ``.nrrd``, ``.nhdr``, ``.mha`` or ``.mhd``.
    compress : bool, optional
        Default: for names ending in ``.gz``.

    Raises
    ------
    OutputWriteError
        The written file is short or reads back different (a full disk): the
        previous file (or pair) is kept.
    """
    import SimpleITK as sitk

    out = check_output_file(path)
    if compress is None:
        compress = out.name.endswith(".gz")
    if out.suffix.lower() in TWO_FILE_SUFFIXES:
        _write_pair(sitk, image, out, compress)
        return out
    with replacing(out, verify=_verifier(sitk, image, out)) as tmp:
        try:
            sitk.WriteImage(image, str(tmp), useCompression=compress)
        except RuntimeError as exc:
            raise _cannot_write(out, exc) from None
    return out
