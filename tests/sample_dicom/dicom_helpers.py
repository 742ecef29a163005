"""What a DICOM reader knows, with pydicom only: sort, rescale, pixel <-> LPS.

Uses ImagePositionPatient, ImageOrientationPatient, PixelSpacing and the rescale
attributes, never the generator's formulas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom


def read_series(series_dir: Path) -> list[pydicom.Dataset]:
    """All files of a folder, sorted by position along the slice normal."""
    datasets = [pydicom.dcmread(p) for p in series_dir.iterdir()]

    def along_normal(ds: pydicom.Dataset) -> float:
        iop = np.asarray(ds.ImageOrientationPatient, dtype=float)
        normal = np.cross(iop[:3], iop[3:])
        return float(normal @ np.asarray(ds.ImagePositionPatient, dtype=float))

    return sorted(datasets, key=along_normal)


def hu(ds: pydicom.Dataset) -> np.ndarray:
    return ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(
        ds.RescaleIntercept
    )


def lps_to_rc(ds: pydicom.Dataset, lps: np.ndarray) -> np.ndarray:
    """(row, col) of LPS points (..., 3) in the slice's plane (DICOM C.7.6.2.1.1)."""
    iop = np.asarray(ds.ImageOrientationPatient, dtype=float)
    row_dir, col_dir = iop[:3], iop[3:]  # along a row (columns grow), along a column
    d_row, d_col = (float(v) for v in ds.PixelSpacing)  # between rows, between columns
    rel = np.asarray(lps, dtype=float) - np.asarray(
        ds.ImagePositionPatient, dtype=float
    )
    return np.stack([rel @ col_dir / d_row, rel @ row_dir / d_col], axis=-1)


def rc_to_lps(ds: pydicom.Dataset, rc: np.ndarray) -> np.ndarray:
    iop = np.asarray(ds.ImageOrientationPatient, dtype=float)
    d_row, d_col = (float(v) for v in ds.PixelSpacing)
    rc = np.asarray(rc, dtype=float)
    return (
        np.asarray(ds.ImagePositionPatient, dtype=float)
        + rc[..., 1:2] * d_col * iop[:3]
        + rc[..., 0:1] * d_row * iop[3:]
    )
