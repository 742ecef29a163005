"""Load DICOM: find series by content, read them with exact geometry.

Public API
----------
- :func:`scan` / :func:`scan_report`: a folder (recursive), zip file or list of
  files -> image series (:class:`SeriesInfo`), non-image objects
  (:class:`NonImageObject`: SR, SEG, PR, KO, RT...) and skipped files
  (:class:`SkippedFile`, with the reason).
- :class:`DicomWebSource`: a PACS over DICOMweb: ``.studies()``, ``.series()``
  (QIDO-RS) and ``.retrieve()`` (WADO-RS) into a cache folder that :func:`scan`
  reads.
- :func:`read_dataset`: one file a scan listed (a path or ``zip!member``) with
  pydicom, e.g. for SR evidence.
- :func:`read_volume`: one series -> :class:`measurements.Volume` (HU for CT,
  SimpleITK geometry conventions, tilt corrected, uneven spacing regularised).
"""

from recist.dicom._scan import (
    NonImageObject,
    ScanResult,
    SkippedFile,
    read_dataset,
    scan,
    scan_report,
)
from recist.dicom._series import Problem, SeriesInfo, SliceRef
from recist.dicom._volume import read_volume
from recist.dicom._web import (
    DicomWebSource,
    RetrieveResult,
    SeriesRecord,
    StudyRecord,
)

__all__ = [
    "DicomWebSource",
    "NonImageObject",
    "Problem",
    "RetrieveResult",
    "ScanResult",
    "SeriesInfo",
    "SeriesRecord",
    "SkippedFile",
    "SliceRef",
    "StudyRecord",
    "read_dataset",
    "read_volume",
    "scan",
    "scan_report",
]
