"""A hostile DICOM corpus, generated into a folder (nothing of it is committed).

Each :class:`Case` builds, in its own folder, a small good CT series beside one
hostile thing (a header value, a special file, a zip bomb, a lying size, an
impossible geometry, ...) and says what a correct scan must show: the good
series whole, the hostile thing reported (skipped with a reason, or a series
problem), and every file accounted for.  The tests in ``test_dicom_hostile.py``
run every case through ``recist.dicom``; ``python -m tests.recist.hostile_dicom
PYTHONPATH_ROOT`` runs them all through ``recist info --json`` and
``read_volume`` in child processes (with a time and memory limit) and counts
tracebacks, hangs, out-of-memory and silent drops, so the same corpus measures
any revision of the code (issue #12).
"""

from __future__ import annotations

import io
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    RLELossless,
    generate_uid,
)

from tests.recist.test_dicom_fixtures import ct_dataset, write_series

Z3 = [0.0, 2.5, 5.0]


@dataclass
class Expect:
    """What a correct scan of ``path`` shows."""

    path: Path
    good: dict[str, int] = field(default_factory=dict)  # series UID -> images
    reported: dict[str, str] = field(default_factory=dict)  # path part -> reason part
    problems: dict[str, str] = field(default_factory=dict)  # series UID -> code
    non_image: dict[str, str] = field(default_factory=dict)  # path part -> type
    volume_refused: str | None = None  # read_volume must raise, saying this
    volume_equals: np.ndarray | None = None  # read_volume's array must equal this


@dataclass(frozen=True)
class Case:
    name: str
    kind: str
    build: Callable[[Path], Expect]


# --- helpers -------------------------------------------------------------------


def good(folder: Path, n: int = 3) -> tuple[str, int]:
    """A good 3-slice series in ``folder/good``; (series UID, slices)."""
    uid, _, _ = write_series(folder / "good", [2.5 * k for k in range(n)])
    return uid, n


def _bytes(ds: Dataset, *, implicit: bool = False, little: bool = True) -> bytes:
    if not little:
        ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
    elif implicit:
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    buf = io.BytesIO()
    ds.save_as(
        buf, enforce_file_format=True, implicit_vr=implicit, little_endian=little
    )
    return buf.getvalue()


def patch(
    data: bytes, tag: int, value: bytes, *, implicit: bool = False, little: bool = True
) -> bytes:
    """Replace the value of the first element ``tag`` (top level) with ``value``.

    pydicom validates what it writes, so invalid values are patched into the
    bytes afterwards; the length field follows the new value (padded to even).
    """
    if len(value) % 2:
        value += b" "
    order = "<" if little else ">"
    head = struct.pack(order + "HH", tag >> 16, tag & 0xFFFF)
    at = data.index(head, 132)
    if implicit:
        (old,) = struct.unpack_from(order + "I", data, at + 4)
        return (
            data[:at]
            + head
            + struct.pack(order + "I", len(value))
            + value
            + data[at + 8 + old :]
        )
    vr = data[at + 4 : at + 6]
    (old,) = struct.unpack_from(order + "H", data, at + 6)
    return (
        data[:at]
        + head
        + vr
        + struct.pack(order + "H", len(value))
        + value
        + data[at + 8 + old :]
    )


def hostile_slice(
    folder: Path,
    *,
    series_uid: str | None = None,
    z: float = 0.0,
    pixels: np.ndarray | None = None,
    **kw: object,
) -> Dataset:
    """A one-slice dataset of its own series (not yet written)."""
    folder.mkdir(parents=True, exist_ok=True)
    px = np.full((8, 6), 1064, np.uint16) if pixels is None else pixels
    return ct_dataset(
        px, position=(-10.0, -20.0, z), series_uid=series_uid or generate_uid(), **kw
    )


def _is_case(
    keyword_tag: int, value: bytes, *, implicit: bool = False, little: bool = True
) -> Callable[[Path], Expect]:
    def build(root: Path) -> Expect:
        uid, n = good(root)
        ds = hostile_slice(root)
        if keyword_tag == 0x00280008:
            ds.NumberOfFrames = 1
        ds.EchoNumbers = ds.AcquisitionNumber = 1
        data = patch(
            _bytes(ds, implicit=implicit, little=little),
            keyword_tag,
            value,
            implicit=implicit,
            little=little,
        )
        (root / "bad.dcm").write_bytes(data)
        return Expect(
            path=root, good={uid: n}, reported={"bad.dcm": "malformed header"}
        )

    return build


# --- zip building (entries written by hand: a bomb is not compressed for real) --


def _zeros_deflate(n_mib: int) -> bytes:
    """Raw deflate of ``n_mib`` MiB of zeros, built from one flushed 1 MiB block.

    A full flush aligns to a byte and forgets the history, so the block can be
    repeated: 1 MiB of zeros is about 1 KiB compressed.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = c.compress(bytes(1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    return chunk * n_mib + b"\x03\x00"  # final empty fixed-Huffman block


def write_zip(path: Path, entries: list[tuple[str, bytes, int, int]]) -> None:
    """Write a zip64 archive; entries are (name, deflate data, size, crc32).

    Sizes may be anything (a bomb declares what it inflates to).
    """
    out = bytearray()
    central = bytearray()
    for name, data, size, crc in entries:
        offset = len(out)
        bname = name.encode()
        extra = struct.pack("<HHQQ", 1, 16, size, len(data))
        out += struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            45,
            0,
            8,
            0,
            0x21,
            crc,
            0xFFFFFFFF,
            0xFFFFFFFF,
            len(bname),
            len(extra),
        )
        out += bname + extra + data
        cextra = struct.pack("<HHQQQ", 1, 24, size, len(data), offset)
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            45,
            45,
            0,
            8,
            0,
            0x21,
            crc,
            0xFFFFFFFF,
            0xFFFFFFFF,
            len(bname),
            len(cextra),
            0,
            0,
            0,
            0,
            0xFFFFFFFF,
        )
        central += bname + cextra
    cd_offset = len(out)
    out += central
    eocd64 = len(out)
    n = len(entries)
    out += struct.pack(
        "<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(central), cd_offset
    )
    out += struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1)
    out += struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0
    )
    path.write_bytes(bytes(out))


def _zeros_crc(n_mib: int) -> int:
    crc, block = 0, bytes(1 << 20)
    for _ in range(n_mib):
        crc = zlib.crc32(block, crc)
    return crc


# --- the cases -----------------------------------------------------------------


def _fifo(root: Path) -> Expect:
    uid, n = good(root)
    os.mkfifo(root / "pipe")
    return Expect(path=root, good={uid: n}, reported={"pipe": "named pipe"})


def _dev_zero(root: Path) -> Expect:
    uid, n = good(root)
    (root / "zero.dcm").symlink_to("/dev/zero")
    return Expect(path=root, good={uid: n}, reported={"zero.dcm": "character device"})


def _dangling(root: Path) -> Expect:
    uid, n = good(root)
    (root / "gone.dcm").symlink_to(root / "nowhere")
    return Expect(
        path=root, good={uid: n}, reported={"gone.dcm": "broken symbolic link"}
    )


def _loop(root: Path) -> Expect:
    uid, n = good(root)
    (root / "good" / "again").symlink_to(root, target_is_directory=True)
    return Expect(
        path=root, good={uid: n}, reported={"again": "symbolic link to a folder"}
    )


def _socket(root: Path) -> Expect:
    uid, n = good(root)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    short = Path(tempfile.mkdtemp(prefix="sk"))  # AF_UNIX paths are short
    s.bind(str(short / "s"))
    s.close()
    os.replace(short / "s", root / "sock")
    short.rmdir()
    return Expect(path=root, good={uid: n}, reported={"sock": "socket"})


def _file_link(root: Path) -> Expect:
    uid, _, paths = write_series(root / "elsewhere", [0.0, 2.5, 5.0, 7.5])
    (root / "scan").mkdir()
    for p in paths:
        (root / "scan" / p.name).symlink_to(p)
    return Expect(path=root / "scan", good={uid: 4})


def _large_non_dicom(root: Path) -> Expect:
    uid, n = good(root)
    with open(root / "video.bin", "wb") as fh:
        fh.write(np.random.default_rng(3).bytes(1 << 20) * 48)  # 48 MiB
    return Expect(path=root, good={uid: n}, reported={"video.bin": "not DICOM"})


def _zip_bomb(root: Path) -> Expect:
    uid, _, paths = write_series(root / "src", Z3)
    entries = [
        (
            p.name,
            zlib.compress(p.read_bytes())[2:-4],
            p.stat().st_size,
            zlib.crc32(p.read_bytes()),
        )
        for p in paths
    ]
    entries.append(
        ("bomb.dcm", _zeros_deflate(4200), 4200 << 20, 0)
    )  # CRC not computed
    write_zip(root / "study.zip", entries)
    return Expect(
        path=root / "study.zip", good={uid: 3}, reported={"bomb.dcm": "expands to"}
    )


def _zip_total(root: Path) -> Expect:
    uid, _, paths = write_series(root / "src", Z3)
    entries = [
        (
            p.name,
            zlib.compress(p.read_bytes())[2:-4],
            p.stat().st_size,
            zlib.crc32(p.read_bytes()),
        )
        for p in paths
    ]
    block = _zeros_deflate(1000)
    entries += [(f"z{k:02d}", block, 1000 << 20, 0) for k in range(18)]  # 17.6 GiB
    write_zip(root / "study.zip", entries)
    return Expect(path=root / "study.zip", good={uid: 3}, reported={"z17": "in total"})


def _deflated_bomb(root: Path) -> Expect:
    """Deflated Explicit VR Little Endian whose dataset inflates to 1.2 GiB."""
    from pydicom.filewriter import write_file_meta_info

    uid, n = good(root)
    fm = FileMetaDataset()
    fm.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    fm.MediaStorageSOPInstanceUID = generate_uid()
    fm.TransferSyntaxUID = "1.2.840.10008.1.2.1.99"
    buf = io.BytesIO()
    buf.write(b"\x00" * 128 + b"DICM")
    write_file_meta_info(buf, fm, enforce_standard=True)
    private = struct.pack("<HH2sHI", 0x0009, 0x1001, b"OB", 0, 1200 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    lead = c.compress(private) + c.flush(zlib.Z_FULL_FLUSH)
    data = buf.getvalue() + lead + _zeros_deflate(1200)
    (root / "deflated.dcm").write_bytes(data)
    return Expect(
        path=root, good={uid: n}, reported={"deflated.dcm": "inflates to more than"}
    )


def _outlier(root: Path) -> Expect:
    z = [0.0, 2.5, 5.0, 7.5, 10.0, 1e6, 12.5]  # 512 x 512: a 1 km grid is 190 GiB
    uid, _, _ = write_series(root / "s", z, rows=512, cols=512)
    return Expect(path=root, good={uid: 6}, problems={uid: "OUTLIER_SLICE"})


def _outliers_both_sides(root: Path) -> Expect:
    z = [-5e5, -4.99e5, 0.0, 1.0, 2.0, 3.5, 4.0, 7e5]
    uid, _, _ = write_series(root / "s", z)
    return Expect(path=root, good={uid: 5}, problems={uid: "OUTLIER_SLICE"})


def _huge_frames_native(root: Path) -> Expect:
    uid, n = good(root)
    ds = hostile_slice(root)
    ds.NumberOfFrames = 2000
    ds.Rows = ds.Columns = 65535
    (root / "huge.dcm").write_bytes(_bytes(ds))
    return Expect(path=root, good={uid: n}, reported={"huge.dcm": "allowed"})


def _many_frames_native(root: Path) -> Expect:
    uid, n = good(root)
    ds = hostile_slice(root)
    ds.NumberOfFrames = 2000  # 8 x 6 pixels, data for one frame
    (root / "frames.dcm").write_bytes(_bytes(ds))
    return Expect(path=root, good={uid: n}, reported={"frames.dcm": "too short"})


def _many_frames_encapsulated(root: Path) -> Expect:
    from pydicom.encaps import encapsulate

    uid, n = good(root)
    ds = hostile_slice(root)
    ds.NumberOfFrames = 2000
    ds.Rows = ds.Columns = 512  # 1 GB decoded: under the size bound
    ds.file_meta.TransferSyntaxUID = RLELossless
    ds.PixelData = encapsulate([b"\x01\x00\x00\x00" + b"\x00" * 60])
    ds["PixelData"].VR = "OB"
    (root / "rle.dcm").write_bytes(_bytes(ds))
    return Expect(path=root, good={uid: n}, reported={"rle.dcm": "too short"})


def _geometry(what: str) -> Callable[[Path], Expect]:
    def build(root: Path) -> Expect:
        uid = generate_uid()
        for k, z in enumerate(Z3):
            ds = hostile_slice(root / "s", series_uid=uid, z=z, instance=k + 1)
            data = _bytes(ds)
            if what == "spacing-nan":
                data = patch(data, 0x00280030, b"nan\\0.5")
            elif what == "spacing-zero":
                data = patch(data, 0x00280030, b"0\\0")
            elif what == "spacing-negative":
                data = patch(data, 0x00280030, b"-0.5\\-0.5")
            elif what == "orientation-nan":
                data = patch(data, 0x00200037, b"nan\\0\\0\\0\\1\\0")
            elif what == "orientation-zero":
                data = patch(data, 0x00200037, b"0\\0\\0\\0\\0\\0")
            elif what == "orientation-skew":
                data = patch(data, 0x00200037, b"1\\0\\0\\0.5\\0.866\\0")
            elif what == "position-inf":
                data = patch(data, 0x00200032, b"-10\\-20\\1e400")
            elif what == "slope-nan":
                data = patch(data, 0x00281053, b"nan")
            (root / "s" / f"{k}.dcm").write_bytes(data)
        return Expect(
            path=root,
            good={uid: 3},
            problems={uid: "INVALID_GEOMETRY"},
            volume_refused="invalid geometry",
        )

    return build


def _high_bits(signed: bool) -> Callable[[Path], Expect]:
    def build(root: Path) -> Expect:
        import pydicom
        from pydicom.pixels import apply_modality_lut

        uid = generate_uid()
        raw = np.array(
            [[0x9C40, 0x0C40, 0xF000, 5], [0x8000, 0x07FF, 0x0800, 0xFFFF]], np.uint16
        )
        expected = []
        for k, z in enumerate(Z3):
            ds = hostile_slice(
                root / "s", series_uid=uid, z=z, pixels=raw, instance=k + 1
            )
            if signed:
                ds.PixelRepresentation = 1
            ds.BitsStored, ds.HighBit = 12, 11
            path = root / "s" / f"{k}.dcm"
            ds.save_as(path, enforce_file_format=True)
            ref = pydicom.dcmread(path)
            expected.append(apply_modality_lut(ref.pixel_array, ref))  # the oracle
        return Expect(path=root, good={uid: 3}, volume_equals=np.stack(expected))

    return build


def _rle_corrupt(root: Path) -> Expect:
    """An RLE series whose middle slice's segment offset points past its data."""
    from pydicom.encaps import encapsulate

    uid = generate_uid()
    for k, z in enumerate(Z3):
        ds = hostile_slice(root / "s", series_uid=uid, z=z, instance=k + 1)
        ds.compress(RLELossless, encoding_plugin="pydicom")
        if k == 1:  # RLE header: 1 segment at offset 64, then 8 bytes only
            header = struct.pack("<16I", 2, 64, 5000, *([0] * 13))
            ds.PixelData = encapsulate([header + b"\x00" * 8])
        ds.save_as(root / "s" / f"{k}.dcm", enforce_file_format=True)
    return Expect(path=root, good={uid: 3}, volume_refused="RLE")


def _uid_from_other_series(root: Path) -> Expect:
    uid_a, _, paths_a = write_series(root / "a", Z3)
    ds = hostile_slice(root / "b", z=0.0)
    import pydicom

    ds.SOPInstanceUID = pydicom.dcmread(paths_a[0]).SOPInstanceUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(root / "b" / "0.dcm", enforce_file_format=True)
    return Expect(
        path=root,
        good={uid_a: 3, ds.SeriesInstanceUID: 1},
        problems={uid_a: "DUPLICATE_UID"},
    )


def _anonymised_uids(root: Path) -> Expect:
    uid = generate_uid()
    same = generate_uid()
    for k, z in enumerate(Z3):
        ds = hostile_slice(root / "s", series_uid=uid, z=z, instance=k + 1)
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = same
        ds.save_as(root / "s" / f"{k}.dcm", enforce_file_format=True)
    return Expect(path=root, good={uid: 3}, problems={uid: "DUPLICATE_UID"})


def _frames_value(value: int) -> Callable[[Path], Expect]:
    def build(root: Path) -> Expect:
        uid, n = good(root)
        ds = hostile_slice(root)
        ds.NumberOfFrames = 1
        data = patch(_bytes(ds), 0x00280008, str(value).encode())
        (root / "frames.dcm").write_bytes(data)
        return Expect(
            path=root, good={uid: n}, reported={"frames.dcm": "NumberOfFrames"}
        )

    return build


def _unreadable_folder(root: Path) -> Expect:
    uid, n = good(root)
    locked = root / "locked"
    write_series(locked, [0.0])
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads it anyway: then its slice must be found
        return Expect(path=root, good={uid: n})
    return Expect(path=root, good={uid: n}, reported={"locked": "cannot list folder"})


def _name_too_long(root: Path) -> Expect:
    """A folder whose path passes PATH_MAX (4096): os.walk drops it silently."""
    uid, n = good(root)
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(20):  # 20 x 250 characters
            name = "d" * 250
            os.mkdir(name, dir_fd=fd)
            new = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new
        with os.fdopen(
            os.open("deep.dcm", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb"
        ) as fh:
            fh.write(_bytes(hostile_slice(root)))
    finally:
        os.close(fd)
    return Expect(path=root, good={uid: n}, reported={"d" * 250: "File name too long"})


def _zip_same_names(root: Path) -> Expect:
    import zipfile

    uid, _, paths = write_series(root / "src", [0.0, 2.5, 5.0, 7.5])
    with (
        zipfile.ZipFile(root / "study.zip", "w") as zf,
        __import__("warnings").catch_warnings(),
    ):
        __import__("warnings").simplefilter("ignore")  # "Duplicate name" is the point
        for p in paths:
            zf.write(p, "IMG.dcm")
    return Expect(path=root / "study.zip", good={uid: 4})


def _zip_trailer_pixels(root: Path) -> Expect:
    uid = generate_uid()
    px = np.zeros((8, 6), np.uint16)
    tail = np.frombuffer(
        b"PK\x05\x06" + b"\x00" * 18, np.uint16
    )  # an empty zip's trailer
    for k, z in enumerate(Z3):
        p = px.copy().reshape(-1)
        p[-11:] = tail
        ds = hostile_slice(
            root / "s",
            series_uid=uid,
            z=z,
            pixels=p.reshape(8, 6),
            instance=k + 1,
        )
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.save_as(root / "s" / f"{k}.dcm", enforce_file_format=True)
    return Expect(path=root, good={uid: 3})


def _truncated(where: str) -> Callable[[Path], Expect]:
    def build(root: Path) -> Expect:
        uid, n = good(root)
        ds = hostile_slice(root)
        implicit = where == "implicit"
        data = _bytes(ds, implicit=implicit)
        if where == "meta":
            cut = data[:160]
        elif where == "sop-class":
            at = data.index(b"\x08\x00\x16\x00", 132)
            cut = data[: at + 14]
        elif where == "boundary":
            cut = data[: data.index(b"\x28\x00\x02\x00", 132)]  # before SamplesPerPixel
        elif where == "garbage":
            cut = data[:132] + np.random.default_rng(5).bytes(4000)
        elif where == "preamble":
            cut = data[:132]
        else:  # implicit VR, cut inside the patient name
            cut = data[: data.index(b"Test^Pat") + 4]
        (root / "cut.dcm").write_bytes(cut)
        return Expect(path=root, good={uid: n}, reported={"cut.dcm": ""})

    return build


def nested_sr(depth: int) -> bytes:
    """A Comprehensive SR whose content items nest ``depth`` deep (undefined length)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.33"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.33"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "SR"
    ds.SeriesInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    seq = struct.pack("<HH2sHI", 0x0040, 0xA730, b"SQ", 0, 0xFFFFFFFF)
    item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    rel = struct.pack("<HH2sH", 0x0040, 0xA010, b"CS", 8) + b"CONTAINS"
    end_item = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    end_seq = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    body = (seq + item + rel) * depth + (end_item + end_seq) * depth
    return buf.getvalue() + body


def _deep_sr(root: Path) -> Expect:
    uid, n = good(root)
    (root / "deep_sr.dcm").write_bytes(nested_sr(5000))
    return Expect(path=root, good={uid: n}, non_image={"deep_sr.dcm": "SR"})


def _escapes(root: Path) -> Expect:
    uid = generate_uid()
    for k, z in enumerate(Z3):
        ds = hostile_slice(
            root / "s",
            series_uid=uid,
            z=z,
            instance=k + 1,
            description="\x1b]0;owned\x07\x1b[2J\x1b[31mRED",
        )
        ds.PatientID = "P\x1b[1A\rX"
        ds.save_as(root / "s" / f"{k}.dcm", enforce_file_format=True)
    (root / "s" / "note\x1b[2J.txt").write_text("x")
    return Expect(path=root, good={uid: 3}, reported={"note": "not DICOM"})


CASES: list[Case] = [
    Case("instance-1e400", "is-overflow", _is_case(0x00200013, b"1e400")),
    Case("instance-inf", "is-overflow", _is_case(0x00200013, b"inf")),
    Case("instance-nan", "is-overflow", _is_case(0x00200013, b"nan")),
    Case("instance-5000-digits", "is-overflow", _is_case(0x00200013, b"9" * 5000)),
    Case("echo-1e400", "is-overflow", _is_case(0x00180086, b"1e400")),
    Case("acquisition-minus-1e400", "is-overflow", _is_case(0x00200012, b"-1e400")),
    Case("frames-inf", "is-overflow", _is_case(0x00280008, b"inf")),
    Case(
        "instance-1e400-implicit-vr",
        "is-overflow",
        _is_case(0x00200013, b"1e400", implicit=True),
    ),
    Case(
        "instance-1e400-big-endian",
        "is-overflow",
        _is_case(0x00200013, b"1e400", little=False),
    ),
    Case(
        "frames-1e400-big-endian",
        "is-overflow",
        _is_case(0x00280008, b"1e400", little=False),
    ),
    Case("named-pipe", "special-file", _fifo),
    Case("symlink-to-dev-zero", "special-file", _dev_zero),
    Case("dangling-symlink", "special-file", _dangling),
    Case("symlink-loop-folder", "special-file", _loop),
    Case("unix-socket", "special-file", _socket),
    Case("symlinked-slices", "special-file", _file_link),
    Case("large-non-dicom", "special-file", _large_non_dicom),
    Case("zip-bomb-4.2GB-entry", "bomb", _zip_bomb),
    Case("zip-17.6GiB-total", "bomb", _zip_total),
    Case("deflated-dataset-bomb", "bomb", _deflated_bomb),
    Case("outlier-slice-1km", "size", _outlier),
    Case("outliers-both-sides", "size", _outliers_both_sides),
    Case("65535x65535x2000-native", "size", _huge_frames_native),
    Case("2000-frames-native-one-frame-data", "size", _many_frames_native),
    Case("2000-frames-rle-one-fragment", "size", _many_frames_encapsulated),
    *(
        Case(f"geometry-{w}", "geometry", _geometry(w))
        for w in (
            "spacing-nan",
            "spacing-zero",
            "spacing-negative",
            "orientation-nan",
            "orientation-zero",
            "orientation-skew",
            "position-inf",
            "slope-nan",
        )
    ),
    Case("unsigned-12bit-high-bits", "pixels", _high_bits(signed=False)),
    Case("signed-12bit-high-bits", "pixels", _high_bits(signed=True)),
    Case("rle-corrupt-segment", "pixels", _rle_corrupt),
    Case("sop-uid-from-other-series", "silent-drop", _uid_from_other_series),
    Case("one-sop-uid-for-all-slices", "silent-drop", _anonymised_uids),
    Case("frames-minus-1", "silent-drop", _frames_value(-1)),
    Case("frames-zero", "silent-drop", _frames_value(0)),
    Case("unreadable-subfolder", "silent-drop", _unreadable_folder),
    Case("path-too-long-subfolder", "silent-drop", _name_too_long),
    Case("zip-same-entry-names", "silent-drop", _zip_same_names),
    Case("pixels-ending-like-zip-trailer", "silent-drop", _zip_trailer_pixels),
    Case("cut-in-file-meta", "truncated", _truncated("meta")),
    Case("cut-in-sop-class-value", "truncated", _truncated("sop-class")),
    Case("cut-at-element-boundary", "truncated", _truncated("boundary")),
    Case("garbage-after-dicm", "truncated", _truncated("garbage")),
    Case("preamble-only", "truncated", _truncated("preamble")),
    Case("implicit-vr-cut", "truncated", _truncated("implicit")),
    Case("sr-nested-5000-deep", "nesting", _deep_sr),
    Case("terminal-escapes", "escapes", _escapes),
]


def by_name(name: str) -> Case:
    """The case called ``name``."""
    return next(c for c in CASES if c.name == name)


# --- judging a scan (shared by the tests and the runner) --------------------------


def judge(expect: Expect, report: dict[str, object]) -> list[str]:
    """List what a scan's JSON (``recist info --json``) gets wrong; [] if right."""
    wrong: list[str] = []
    series = report["series"]
    skipped = report["skipped"]
    non_image = report["non_image"]
    assert isinstance(series, list)
    assert isinstance(skipped, list)
    assert isinstance(non_image, list)
    found = {}
    for s in series:
        found[s["series_uid"]] = found.get(s["series_uid"], 0) + s["n_images"]
    for uid, n in expect.good.items():
        if found.get(uid, 0) != n:
            wrong.append(f"series {uid[-8:]}: {found.get(uid, 0)} images, expected {n}")
    for part, reason in expect.reported.items():
        hits = [s for s in skipped if part in s["path"]]
        if not hits:
            wrong.append(f"{part!r} not reported")
        elif reason and not any(reason in s["reason"] for s in hits):
            wrong.append(f"{part!r} reported as {hits[0]['reason']!r}, not {reason!r}")
    for uid, code in expect.problems.items():
        codes = [
            p["code"] for s in series if s["series_uid"] == uid for p in s["problems"]
        ]
        if code not in codes:
            wrong.append(f"series {uid[-8:]}: no {code} problem (has {codes})")
    for part, kind in expect.non_image.items():
        if not any(part in o["path"] and o["type"] == kind for o in non_image):
            wrong.append(f"{part!r} not listed as {kind}")
    return wrong


# --- the runner: any revision of the code, through the command line --------------

_CLI = "import sys; from recist.cli import main; sys.exit(main(sys.argv[1:]))"
# read every series; only recist's own clear error (DicomReadError) is caught
_VOLUME = """
import sys, json
from recist.dicom import read_volume, scan
from recist.errors import DicomReadError
out = {"volumes": []}
for s in scan(sys.argv[1]):
    try:
        out["volumes"].append(read_volume(s).array[:8].tolist())
    except DicomReadError as exc:
        out["error"] = str(exc)
print(json.dumps(out))
"""


def _run(cmd: list[str], root: str, timeout: float) -> tuple[str, str]:
    """(outcome, stdout): outcome is ok, traceback, hang, memory or exit N."""
    import resource

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    env = {**os.environ, "PYTHONPATH": root}
    try:
        p = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=root,
            preexec_fn=limits,
        )
    except subprocess.TimeoutExpired:
        return "hang", ""
    if "MemoryError" in p.stderr or p.returncode in (-9, 137):
        return "memory", p.stdout
    if "Traceback" in p.stderr:
        return "traceback", p.stdout
    if p.returncode:
        return f"exit {p.returncode}", p.stdout
    return "ok", p.stdout


def _verdict(wrong: list[str]) -> str:
    lost = [w for w in wrong if "not reported" in w or "not listed" in w]
    for w in wrong:
        if " images, expected " in w:
            got, want = w.split(": ")[1].split(" images, expected ")
            if int(got) < int(want):
                lost.append(w)
    return "silent drop" if lost else ("wrong" if wrong else "ok")


def run_all(code_root: str, timeout: float = 60.0) -> dict[str, int]:
    """Build the corpus, run every case against ``code_root``; print and count.

    Each case runs ``recist info --json`` (and, for cases about volumes,
    ``read_volume`` of every series) in a child process limited to 3 GiB of
    address space and ``timeout`` seconds.  The worst outcome counts: hang,
    memory, traceback, then silent drop (a good slice or the hostile file
    missing without a word), then wrong (anything else the case expects).
    """
    counts = dict.fromkeys(
        ("cases", "ok", "traceback", "hang", "memory", "silent drop", "wrong"), 0
    )
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        for case in CASES:
            root = Path(tmp) / case.name
            root.mkdir()
            expect = case.build(root)
            counts["cases"] += 1
            cmd = [py, "-c", _CLI, "info", "--json", str(expect.path)]
            outcome, out = _run(cmd, code_root, timeout)
            verdict, detail = outcome, ""
            if outcome == "ok":
                wrong = judge(expect, json.loads(out))
                verdict, detail = _verdict(wrong), "; ".join(wrong)
            volumes = expect.volume_refused or expect.volume_equals is not None
            if outcome == "ok" and (volumes or case.kind == "size"):
                outcome, out = _run(
                    [py, "-c", _VOLUME, str(expect.path)], code_root, timeout
                )
                if outcome != "ok":
                    verdict, detail = outcome, "read_volume"
                else:
                    got = json.loads(out)
                    error = got.get("error", "")
                    if expect.volume_refused and expect.volume_refused not in error:
                        verdict = "wrong" if verdict == "ok" else verdict
                        detail += f"; read_volume: {error or 'no error'}"
                    if expect.volume_equals is not None and (
                        error
                        or not np.array_equal(
                            np.asarray(got["volumes"][0]), expect.volume_equals
                        )
                    ):
                        verdict = "wrong" if verdict == "ok" else verdict
                        detail += "; voxels differ from pydicom's"
            counts[verdict if verdict in counts else "wrong"] += 1
            print(f"{case.kind:<13} {case.name:<36} {verdict:<11} {detail[:120]}")
            if (root / "locked").exists():
                (root / "locked").chmod(0o755)
    return counts


if __name__ == "__main__":
    totals = run_all(
        sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).parents[2])
    )
    print(json.dumps(totals))
