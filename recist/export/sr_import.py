"""Read TID 1500 Measurement Reports: any tool's as JSON, recist's as a reading.

The work is split by concern: :mod:`recist.export._tid1500` reads any TID 1500
into a JSON-ready dict (:func:`describe_sr`); :mod:`recist.export._sr_own`
rebuilds a reading from recist's own SRs (from their coded content);
:mod:`recist.export._sr_foreign` from other tools' SRs; the byte-level check
for files cut short is :func:`recist.dicom._header.truncation`.  This module
holds the entry points (:func:`reading_from_srs`, :func:`sr_files`).

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

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recist.dicom._header import truncation
from recist.errors import InvalidInputError
from recist.export._sr_foreign import (
    _foreign_reading,
    calliper_endpoints,
    ucum_to_mm,
)
from recist.export._sr_own import (
    _is_ours,
    _merge,
    _properties,
    _timepoint,
    _Visit,
)
from recist.export._tid1500 import (
    describe_sr,
)
from recist.model import Reading

if TYPE_CHECKING:
    from pydicom import Dataset

    from recist.export.sr import SliceGeometry

__all__ = [
    "SrImport",
    "calliper_endpoints",
    "describe_sr",
    "reading_from_srs",
    "sr_files",
    "ucum_to_mm",
]

logger = logging.getLogger(__name__)


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
