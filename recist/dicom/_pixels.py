"""Decode the pixels of a series straight into one preallocated array.

Fast path (uncompressed little-endian files on disk): the pixel bytes of each
file are read with ``readinto`` directly into the slice of the output array, so
the only copy of the volume is the result.  Everything else (compressed
transfer syntaxes, multi-frame objects, zip members) goes through pydicom's
decoders (pylibjpeg, pyjpegls), except Deflated Image Frame Compression
(1.2.840.10008.1.2.8.1), which pydicom 3.0 does not know: each frame is raw
deflate (RFC 1951) of the native frame bytes, decoded here with :mod:`zlib`.

Rescale to modality values (HU for CT) is applied per slice.  The output is
``int16`` when every slope is 1, every intercept is an integer and the rescaled
values fit in int16 (the usual CT case: no copy, no rounding), else ``float32``.
"""

from __future__ import annotations

import io
import warnings
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from recist.dicom._header import (
    DEFLATED_IMAGE_FRAME,
    EXPLICIT_LE,
    IMPLICIT_LE,
    FileHeader,
)
from recist.dicom._series import SliceRef
from recist.errors import DicomReadError

__all__ = ["output_dtype", "read_pixels"]

_NATIVE = {EXPLICIT_LE, IMPLICIT_LE}
RLE_LOSSLESS = "1.2.840.10008.1.2.5"


def _add_intercept_int16(slice_: npt.NDArray[Any], intercept: float) -> None:
    """Add an integral rescale intercept in place, modulo 2**16.

    Stored uint16 values viewed as int16 plus the intercept wrap to the exact HU
    whenever the result fits int16 (the callers check the range first).
    """
    if intercept:
        np.add(slice_, _int16(intercept), out=slice_, casting="unsafe")


def _int16(value: float) -> np.int16:
    """Return an integral value modulo 2**16 as int16 (-40000 -> 25536)."""
    return np.int16((int(value) + 32768) % 65536 - 32768)


def _mask_high_bits(stored: npt.NDArray[Any], h: FileHeader) -> None:
    """Keep only the BitsStored low bits of each value, in place.

    Bits above BitsStored (up to BitsAllocated) are not part of the value (PS3.5
    8.1.1): pydicom's ``pixel_array`` and dcm2niix ignore them, and so does this;
    signed values are sign-extended from bit BitsStored - 1.  Unsigned 12-bit
    0x9C40 is 0xC40 = 3136, not 40000 (nor -25536 as int16).

    Examples
    --------
    >>> from recist.dicom._header import FileHeader
    >>> a = np.array([0x9C40, 0x0C40], np.uint16)
    >>> _mask_high_bits(a, FileHeader(source="x", bits_stored=12))
    >>> a.tolist()
    [3136, 3136]
    >>> b = np.array([0xF800, 0x1001], np.uint16).view(np.int16)
    >>> h = FileHeader(source="x", bits_stored=12, pixel_representation=1)
    >>> _mask_high_bits(b, h)
    >>> b.tolist()
    [-2048, 1]
    """
    bits = h.bits_stored
    size = stored.dtype.itemsize
    if not bits or bits >= 8 * size or stored.dtype.kind not in "iu":
        return
    u = stored.view(np.dtype(f"u{size}").newbyteorder(stored.dtype.byteorder))
    np.bitwise_and(u, (1 << bits) - 1, out=u)
    if h.pixel_representation == 1:  # sign-extend: (v ^ sign) - sign, modular
        sign = 1 << (bits - 1)
        np.bitwise_xor(u, sign, out=u)
        np.subtract(u, u.dtype.type(sign), out=u)


def _stored_dtype(h: FileHeader) -> np.dtype[Any]:
    bits = h.bits_allocated or 16
    signed = h.pixel_representation == 1
    if h.pixel_keyword == "FloatPixelData":
        return np.dtype("<f4")
    if h.pixel_keyword == "DoubleFloatPixelData":
        return np.dtype("<f8")
    if bits == 8:
        return np.dtype("i1" if signed else "u1")
    if bits == 16:
        return np.dtype("<i2" if signed else "<u2")
    if bits == 32:
        return np.dtype("<i4" if signed else "<u4")
    msg = f"BitsAllocated {bits} is not supported"
    raise DicomReadError(h.where, msg)


def _stored_range(h: FileHeader) -> tuple[int, int]:
    bits = h.bits_stored or h.bits_allocated or 16
    if h.pixel_representation == 1:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def output_dtype(slices: Sequence[SliceRef]) -> tuple[np.dtype[Any], bool]:
    """Choose int16 or float32 for the rescaled volume.

    Returns
    -------
    (dtype, needs_range_check)
        ``needs_range_check`` is True when int16 is possible only if the actual
        stored values (not just their declared bit depth) fit after rescale.
    """
    integral = all(
        s.rescale_slope == 1.0
        and float(s.rescale_intercept).is_integer()
        and (s.header.bits_allocated or 16) <= 16
        and s.header.pixel_keyword == "PixelData"
        for s in slices
    )
    if not integral:
        return np.dtype(np.float32), False
    lo = min(_stored_range(s.header)[0] + int(s.rescale_intercept) for s in slices)
    hi = max(_stored_range(s.header)[1] + int(s.rescale_intercept) for s in slices)
    return np.dtype(np.int16), not (lo >= -32768 and hi <= 32767)


def _fast_ok(h: FileHeader) -> bool:
    return (
        h.member is None
        and h.transfer_syntax in _NATIVE
        and h.pixel_offset is not None
        and (h.samples_per_pixel or 1) == 1
        and (h.number_of_frames or 1) == 1
        and (h.bits_allocated or 0) in (8, 16, 32)
    )


def _read_native_into(h: FileHeader, out: npt.NDArray[Any]) -> None:
    """Read one native frame's bytes straight into ``out`` (a C-contiguous slice)."""
    assert h.pixel_offset is not None  # checked by _fast_ok
    view = memoryview(out).cast("B")  # type: ignore[arg-type]
    with open(h.source, "rb", buffering=0) as fh:
        fh.seek(h.pixel_offset)
        got = fh.readinto(view)
    if got != view.nbytes:
        raise DicomReadError(
            h.where, f"truncated pixel data: {got} of {view.nbytes} bytes"
        )


def _file_bytes(h: FileHeader) -> bytes:
    if h.member is not None:
        with zipfile.ZipFile(h.source) as zf:
            if h.member_index is None:
                return zf.read(h.member)
            return zf.read(zf.infolist()[h.member_index])  # names may repeat
    with open(h.source, "rb") as fh:
        return fh.read()


def _rle_decoder() -> Any:
    """pylibjpeg-rle's frame decoder (extra ``pixeldata``), or None."""
    try:
        from rle.utils import decode_pixel_data
    except ImportError:
        return None
    return decode_pixel_data


def _decode_rle(h: FileHeader, decode: Any) -> npt.NDArray[Any]:
    """Decode an RLE Lossless file's frames straight from its pixel data item(s).

    pylibjpeg-rle (Rust) decodes each frame; no pydicom dataset is built, which
    is most of pydicom's time on a small frame.  Stored values, as pydicom's
    ``pixel_array`` gives them (tests compare the two on every RLE fixture).
    """
    from pydicom.encaps import generate_frames

    assert h.pixel_start is not None  # checked by the caller
    with open(h.source, "rb") as fh:
        fh.seek(h.pixel_start)
        data = fh.read()
    nframes = h.number_of_frames or 1
    rows, cols = h.rows or 0, h.columns or 0
    dtype = _stored_dtype(h)
    decoded = []
    for frame in generate_frames(data, number_of_frames=nframes):
        if len(decoded) == nframes:
            break
        raw = decode(
            frame,
            version=2,
            rows=rows,
            columns=cols,
            bits_allocated=h.bits_allocated or 16,
        )
        arr = np.frombuffer(raw, dtype)  # a bytearray: writable, no copy
        if arr.size != rows * cols:
            msg = f"RLE frame {len(decoded) + 1} decodes to {arr.size} values"
            raise DicomReadError(h.where, f"{msg}, not {rows} x {cols}")
        _mask_high_bits(arr, h)
        decoded.append(arr.reshape(rows, cols))
    if len(decoded) != nframes:
        reason = f"pixel data holds {len(decoded)} of {nframes} RLE frames"
        raise DicomReadError(h.where, reason)
    return decoded[0][None] if nframes == 1 else np.stack(decoded)


def _decode_file(h: FileHeader) -> npt.NDArray[Any]:
    """All frames of one file as an array (frames, rows, columns), stored values."""
    import pydicom

    decode = _rle_decoder() if h.transfer_syntax == RLE_LOSSLESS else None
    if (
        decode is not None
        and h.member is None
        and h.pixel_start is not None
        and (h.samples_per_pixel or 1) == 1
        and (h.bits_allocated or 0) in (8, 16, 32)
    ):
        try:
            return _decode_rle(h, decode)
        except DicomReadError:
            raise
        except Exception as exc:  # the decoder raises ValueError and others
            what = f"{type(exc).__name__}: {exc}"
            raise DicomReadError(
                h.where, f"cannot decode RLE pixel data: {what}"
            ) from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(io.BytesIO(_file_bytes(h)), force=True)
            if h.transfer_syntax == DEFLATED_IMAGE_FRAME:
                arr = _inflate_frames(ds, h)
            else:
                arr = np.asarray(ds.pixel_array)
    except DicomReadError:
        raise
    except Exception as exc:  # decoders raise many kinds
        what = f"{type(exc).__name__}: {exc}"
        reason = f"cannot decode pixel data ({h.transfer_syntax}): {what}"
        raise DicomReadError(h.where, reason) from exc
    frames = h.number_of_frames or 1
    return arr.reshape(frames, h.rows or 0, h.columns or 0)


def _inflate_frames(ds: Any, h: FileHeader) -> npt.NDArray[Any]:
    """Decode Deflated Image Frame Compression: raw deflate per frame."""
    from pydicom.encaps import generate_frames

    nframes = h.number_of_frames or 1
    rows, cols = h.rows or 0, h.columns or 0
    bits = h.bits_allocated or 16
    frames = []
    for frame in generate_frames(ds.PixelData, number_of_frames=nframes):
        raw = zlib.decompress(frame, -15)
        if bits == 1:
            bits_arr = np.unpackbits(np.frombuffer(raw, np.uint8), bitorder="little")
            frames.append(bits_arr[: rows * cols].reshape(rows, cols))
        else:
            frame = np.frombuffer(raw, _stored_dtype(h))[: rows * cols].copy()
            _mask_high_bits(frame, h)
            frames.append(frame.reshape(rows, cols))
    return np.stack(frames)


def read_pixels(slices: Sequence[SliceRef]) -> npt.NDArray[Any]:
    """Read and rescale the given slices into one (z, y, x) array.

    Parameters
    ----------
    slices : sequence of SliceRef
        In output order, all with the same rows and columns.

    Returns
    -------
    ndarray, int16 or float32, shape (len(slices), rows, columns)
        Modality values (HU for CT): ``stored * slope + intercept`` per slice.
    """
    first = slices[0].header
    rows, cols = int(first.rows or 0), int(first.columns or 0)
    dtype, check = output_dtype(slices)
    try:
        return _read_pixels(slices, rows, cols, dtype, check)
    except MemoryError:
        n = len(slices)
        reason = f"not enough memory for {n} x {rows} x {cols} {dtype} voxels"
        raise DicomReadError(first.where, reason) from None


def _read_pixels(
    slices: Sequence[SliceRef], rows: int, cols: int, dtype: np.dtype[Any], check: bool
) -> npt.NDArray[Any]:
    if check:  # int16 only if the actual values fit: read stored values first
        stored = _read_stored(slices, rows, cols)
        lo = hi = 0.0
        for k, s in enumerate(slices):
            lo = min(lo, float(stored[k].min()) + s.rescale_intercept)
            hi = max(hi, float(stored[k].max()) + s.rescale_intercept)
        if lo >= -32768 and hi <= 32767 and stored.dtype.itemsize == 2:
            out = stored.view(np.int16)  # modular int16 addition is exact here
            for k, s in enumerate(slices):
                _add_intercept_int16(out[k], s.rescale_intercept)
            return out
        result = np.empty((len(slices), rows, cols), np.float32)
        for k, s in enumerate(slices):
            np.multiply(stored[k], s.rescale_slope, out=result[k], casting="unsafe")
            result[k] += s.rescale_intercept
        return result
    out = np.empty((len(slices), rows, cols), dtype)
    _fill(slices, out)
    return out


def _read_stored(slices: Sequence[SliceRef], rows: int, cols: int) -> npt.NDArray[Any]:
    """Read 16-bit slices without rescale (for the int16 range check)."""
    dt = _stored_dtype(slices[0].header)
    out = np.empty((len(slices), rows, cols), dt)
    by_file: dict[str, list[tuple[int, SliceRef]]] = defaultdict(list)
    for k, s in enumerate(slices):
        if _fast_ok(s.header) and _stored_dtype(s.header) == dt:
            _read_native_into(s.header, out[k])
            _mask_high_bits(out[k], s.header)
        else:
            by_file[s.header.where].append((k, s))
    for items in by_file.values():
        arr = _decode_file(items[0][1].header)
        for k, s in items:
            out[k] = arr[s.frame or 0]
    return out


def _fill(slices: Sequence[SliceRef], out: npt.NDArray[Any]) -> None:
    """Decode and rescale each slice into ``out[k]``."""
    by_file: dict[str, list[tuple[int, SliceRef]]] = defaultdict(list)
    scratch: dict[np.dtype[Any], npt.NDArray[Any]] = {}
    for k, s in enumerate(slices):
        h = s.header
        if not _fast_ok(h):
            by_file[h.where].append((k, s))
            continue
        dt = _stored_dtype(h)
        if dt == out.dtype or (out.dtype == np.int16 and dt.itemsize == 2):
            # int16 output: stored bytes go straight in; uint16 values are
            # reinterpreted and the modular addition below gives the exact result
            _read_native_into(h, out[k].view(dt))
            _mask_high_bits(out[k].view(dt), h)
            _add_intercept_int16(out[k], s.rescale_intercept)
            continue
        buf = scratch.get(dt)
        if buf is None:
            buf = scratch.setdefault(dt, np.empty(out.shape[1:], dt))
        _read_native_into(h, buf)
        _mask_high_bits(buf, h)
        _rescale_into(buf, s, out[k])
    for items in by_file.values():
        arr = _decode_file(items[0][1].header)
        for k, s in items:
            _rescale_into(arr[s.frame or 0], s, out[k])


def _rescale_into(stored: npt.NDArray[Any], s: SliceRef, out: npt.NDArray[Any]) -> None:
    if out.dtype == np.int16 and stored.dtype.itemsize == 2 and stored.dtype.isnative:
        # one same-type pass (mixed uint16 + int32 -> int16 is 5x slower); the
        # modular int16 sum is exact because output_dtype checked the range
        np.add(stored.view(np.int16), _int16(s.rescale_intercept), out=out)
        return
    if out.dtype == np.int16:
        np.add(stored, np.int32(int(s.rescale_intercept)), out=out, casting="unsafe")
        return
    np.multiply(stored, s.rescale_slope, out=out, casting="unsafe")
    out += s.rescale_intercept
