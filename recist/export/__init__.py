"""Readings out to, and back from, others' formats: DICOM SR/SEG, CDISC SDTM/ADaM.

The public API, each name loaded from its module on first use (so
``import recist.export`` loads neither pydicom nor highdicom nor pandas):

- DICOM SR (TID 1500), :mod:`recist.export.sr`: :func:`export_sr`,
  :func:`build_sr`, :func:`index_images`, :class:`SliceGeometry`,
  :func:`tracking_uid`, :func:`timepoint_dates`, :func:`lps_to_image`,
  :func:`image_to_lps`; back, :mod:`recist.export.sr_import`:
  :func:`reading_from_srs`, :class:`SrImport`, :func:`describe_sr`,
  :func:`sr_files`, :func:`calliper_endpoints`, :func:`ucum_to_mm`.
- DICOM SEG, :mod:`recist.export.seg`: :func:`export_seg`; back,
  :mod:`recist.export.seg_import`: :func:`read_seg`, :class:`SegImport`,
  :class:`ImportedSegment`.
- CDISC, :mod:`recist.export.sdtm`: :func:`to_sdtm`, :func:`write_sdtm`,
  :class:`SdtmExport`, :func:`reading_from_sdtm`; :mod:`recist.export.adam`:
  :func:`to_adam`, :func:`write_adam`, :class:`AdamExport`;
  :mod:`recist.export.adtte`: :func:`to_adtte`.

The command lines (``recist export ...``, ``recist import ...``) live in
:mod:`recist.commands`.

Examples
--------
>>> import recist.export
>>> recist.export.export_sr.__module__
'recist.export.sr'
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE: dict[str, str] = {
    **dict.fromkeys(
        (
            "SliceGeometry",
            "build_sr",
            "export_sr",
            "image_to_lps",
            "index_images",
            "lps_to_image",
            "timepoint_dates",
            "tracking_uid",
        ),
        "recist.export.sr",
    ),
    **dict.fromkeys(
        (
            "SrImport",
            "calliper_endpoints",
            "describe_sr",
            "reading_from_srs",
            "sr_files",
            "ucum_to_mm",
        ),
        "recist.export.sr_import",
    ),
    "export_seg": "recist.export.seg",
    **dict.fromkeys(
        ("ImportedSegment", "SegImport", "read_seg"), "recist.export.seg_import"
    ),
    **dict.fromkeys(
        ("SdtmExport", "reading_from_sdtm", "to_sdtm", "write_sdtm"),
        "recist.export.sdtm",
    ),
    **dict.fromkeys(("AdamExport", "to_adam", "write_adam"), "recist.export.adam"),
    "to_adtte": "recist.export.adtte",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use (PEP 562)."""
    module = _WHERE.get(name)
    if module is None:
        msg = f"module 'recist.export' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
