"""The patient's imaging studies, one per time point, ordered by date (no Qt)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from recist.dicom import SeriesInfo, scan
from recist.errors import InvalidInputError

__all__ = ["Study", "find_studies", "parse_dicom_date"]


def parse_dicom_date(value: str) -> dt.date | None:
    """Parse a DICOM DA (``YYYYMMDD``) or ISO date; None when empty or malformed.

    Examples
    --------
    >>> parse_dicom_date("20260105"), parse_dicom_date("2026-01-05")
    (datetime.date(2026, 1, 5), datetime.date(2026, 1, 5))
    >>> parse_dicom_date("") is None
    True
    """
    v = value.strip()
    for fmt in ("%Y%m%d", "%Y-%m-%d", "%Y.%m.%d"):
        try:
            return dt.datetime.strptime(v, fmt).date()
        except ValueError:
            continue
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Study:
    """One imaging study (a time point) and its image series.

    ``series`` is ordered with the default series to read first: CT before other
    modalities, then most images.
    """

    study_uid: str
    date: dt.date | None
    patient_id: str
    series: tuple[SeriesInfo, ...]

    @property
    def default(self) -> SeriesInfo:
        """The series read unless the reader picks another."""
        return self.series[0]

    @property
    def label(self) -> str:
        """Date and description for lists."""
        d = self.date.isoformat() if self.date else "no date"
        return f"{d}  {self.default.modality} {self.default.description}".rstrip()


def _rank(s: SeriesInfo) -> tuple[int, int]:
    return (0 if s.modality == "CT" else 1, -s.n_images)


def group_studies(series: Sequence[SeriesInfo]) -> tuple[Study, ...]:
    """Group series by study, earliest first (undated studies last).

    Raises
    ------
    InvalidInputError
        The series belong to more than one patient.
    """
    patients = sorted({s.patient_id for s in series})
    if len(patients) > 1:
        msg = (
            f"the folder holds images of {len(patients)} patients "
            f"({', '.join(patients)}):"
            " open one patient's studies at a time"
        )
        raise InvalidInputError(msg)
    by_study: dict[str, list[SeriesInfo]] = {}
    for s in series:
        by_study.setdefault(s.study_uid, []).append(s)
    studies = [
        Study(
            study_uid=uid,
            date=parse_dicom_date(ss[0].study_date),
            patient_id=ss[0].patient_id,
            series=tuple(sorted(ss, key=_rank)),
        )
        for uid, ss in by_study.items()
    ]
    far = dt.date.max
    return tuple(sorted(studies, key=lambda s: (s.date or far, s.study_uid)))


def find_studies(path: Path | str) -> tuple[Study, ...]:
    """Scan a folder, zip or file and group its image series into studies."""
    return group_studies(scan(path))


__all__ += ["group_studies"]
