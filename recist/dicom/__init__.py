"""Load DICOM: find series by content, read them with exact geometry.

Public API
----------
- :func:`scan` / :func:`scan_report`: a folder (recursive), zip file or list of
  files -> image series (:class:`SeriesInfo`), non-image objects
  (:class:`NonImageObject`: SR, SEG, PR, KO, RT...) and skipped files
  (:class:`SkippedFile`, with the reason).
- :func:`read_volume`: one series -> :class:`measurements.Volume` (HU for CT,
  SimpleITK geometry conventions, tilt corrected, uneven spacing regularised).
"""

from recist.dicom._scan import (
    NonImageObject,
    ScanResult,
    SkippedFile,
    scan,
    scan_report,
)
from recist.dicom._series import Problem, SeriesInfo, SliceRef
from recist.dicom._volume import read_volume

__all__ = [
    "NonImageObject",
    "Problem",
    "ScanResult",
    "SeriesInfo",
    "SkippedFile",
    "SliceRef",
    "read_volume",
    "scan",
    "scan_report",
]
