"""Find subjects and their time points: a folder of DICOM studies or a DICOMweb server.

A subject is a DICOM PatientID (its USUBJID in the store); a time point is a
study date (the studies of one patient on one day are one time point).  From a
folder, a time point's images are the folder holding its series; from DICOMweb,
its StudyInstanceUID (retrieved when the reader opens it).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from pathlib import Path

from recist.store._errors import StoreInputError
from recist.store._workflow import TimePointSpec

__all__ = ["subjects_from_dicomweb", "subjects_from_folder"]


def _dicom_date(text: str, where: str) -> dt.date:
    try:
        return dt.datetime.strptime(text[:8], "%Y%m%d").date()
    except ValueError as exc:
        raise StoreInputError(f"{where}: no usable study date ({text!r})") from exc


def subjects_from_folder(folder: str | Path) -> dict[str, list[TimePointSpec]]:
    """Scan a folder of DICOM studies; return USUBJID -> time points by date.

    Raises
    ------
    StoreInputError
        No image series, or a study without a date or patient ID.
    """
    from recist.dicom import scan

    series = scan(folder)
    if not series:
        raise StoreInputError(f"{folder}: no DICOM image series found")
    by_day: dict[str, dict[dt.date, list[str]]] = defaultdict(lambda: defaultdict(list))
    for s in series:
        if not s.patient_id:
            raise StoreInputError(f"series {s.series_uid}: no PatientID")
        day = _dicom_date(s.study_date, f"series {s.series_uid}")
        by_day[s.patient_id][day].extend(s.files)
    out: dict[str, list[TimePointSpec]] = {}
    for patient, days in sorted(by_day.items()):
        out[patient] = [
            TimePointSpec(
                date=day,
                image_path=os.path.commonpath([str(Path(f).parent) for f in files]),
            )
            for day, files in sorted(days.items())
        ]
    return out


def subjects_from_dicomweb(
    url: str, patient_id: str | None = None
) -> dict[str, list[TimePointSpec]]:
    """List a DICOMweb server's studies; return USUBJID -> time points (study UIDs).

    Two studies of one patient on one day: the first listed is kept as the
    time point's reference (the other is still on the server).
    """
    from recist.dicom import DicomWebSource

    studies = DicomWebSource(url=url).studies(patient_id=patient_id)
    by_day: dict[str, dict[dt.date, str]] = defaultdict(dict)
    for st in studies:
        if not st["patient_id"]:
            raise StoreInputError(f"study {st['study_uid']}: no PatientID")
        day = _dicom_date(st["date"], f"study {st['study_uid']}")
        by_day[st["patient_id"]].setdefault(day, st["study_uid"])
    return {
        patient: [
            TimePointSpec(date=day, study_uid=uid) for day, uid in sorted(days.items())
        ]
        for patient, days in sorted(by_day.items())
    }
