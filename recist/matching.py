"""Does a reading belong to these images? One rule for every consumer.

The viewer, the report and the SR export all open a reading together with a
folder of DICOM images; a reading made on another patient's images must be
refused before anything is drawn, measured or written.

Rule (in this order):

1. If the reading records the studies it was read on and the images have study
   UIDs, at least one must be shared; when one is, the reading belongs, whatever
   the identifiers say (trial subject ids, USUBJID, are often not the DICOM
   PatientID).
2. Otherwise, if both a subject id and patient ids are known, the subject id must
   be one of the patient ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from recist.errors import ReadingMismatchError
from recist.model import Reading

__all__ = ["check_images", "check_images_in", "reading_study_uids"]


def reading_study_uids(reading: Reading) -> set[str]:
    """Return the study UIDs a reading records (baseline, follow-ups, image refs)."""
    uids = set(reading.baseline.study_uids)
    for tp in reading.followups:
        uids |= set(tp.study_uids)
        uids |= {m.image.study_uid for m in tp.targets.values() if m.image is not None}
    for lesion in reading.baseline.targets:
        m = lesion.baseline
        if m is not None and m.image is not None:
            uids.add(m.image.study_uid)
    return {u for u in uids if u}


def check_images(
    reading: Reading,
    *,
    patient_id: str | Iterable[str] | None,
    study_uids: Iterable[str] | None,
) -> None:
    """Refuse a reading made on other images (see the module rule).

    Parameters
    ----------
    reading : Reading
    patient_id : str or iterable of str or None
        The images' PatientID(s); None when unknown.
    study_uids : iterable of str or None
        The images' StudyInstanceUIDs; None when unknown.

    Raises
    ------
    ReadingMismatchError
        With a message naming the subject and patients, or the studies.

    Examples
    --------
    >>> import datetime as dt
    >>> from recist.model import Baseline
    >>> r = Reading(baseline=Baseline(date=dt.date(2026, 1, 5)), subject_id="A")
    >>> check_images(r, patient_id="A", study_uids=None)
    >>> check_images(r, patient_id="B", study_uids=None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    recist.errors.ReadingMismatchError: this reading is of subject 'A' but ...
    """
    mine = reading_study_uids(reading)
    have = {u for u in (study_uids or ()) if u}
    if mine and have:
        if mine & have:
            return
        msg = (
            f"none of the {len(mine)} studies this reading was made on is among the "
            f"{len(have)} studies given: wrong patient or wrong folder"
        )
        raise ReadingMismatchError(msg)
    patients = {patient_id} if isinstance(patient_id, str) else set(patient_id or ())
    patients = {p.strip() for p in patients if p and p.strip()}
    sid = (reading.subject_id or "").strip()
    if sid and patients and sid not in patients:
        shown = ", ".join(repr(p) for p in sorted(patients))
        msg = (
            f"this reading is of subject {sid!r} but the images are of patient "
            f"{shown}: open the reading with that patient's images"
        )
        raise ReadingMismatchError(msg)


def check_images_in(reading: Reading, images: str | Path) -> None:
    """Scan a DICOM folder (or zip) and :func:`check_images` the reading against it.

    Raises
    ------
    ReadingMismatchError
        The reading was made on other images.
    """
    from recist.dicom import scan_report

    found = scan_report(images)
    series = list(found.series)
    check_images(
        reading,
        patient_id=[s.patient_id for s in series if s.patient_id],
        study_uids=[s.study_uid for s in series]
        + [o.study_uid for o in found.non_image if o.study_uid],
    )
