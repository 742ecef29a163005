"""Write tiny DICOM files with pydicom for loader tests (geometry by construction)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def ct_dataset(
    pixels: np.ndarray,
    *,
    position: Sequence[float],
    series_uid: str,
    study_uid: str = "1.2.826.0.1.3680043.8.498.1",
    orientation: Sequence[float] = AXIAL,
    spacing: Sequence[float] = (0.5, 0.5),
    thickness: float = 2.5,
    slope: float = 1.0,
    intercept: float = -1024.0,
    instance: int = 1,
    image_type: Sequence[str] = ("ORIGINAL", "PRIMARY", "AXIAL"),
    echo: int | None = None,
    acquisition: int | None = None,
    tilt: float | None = None,
    description: str = "test series",
) -> Dataset:
    """A CT Image Storage dataset holding ``pixels`` (stored values, uint16/int16)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.PatientName = "Test^Patient"
    ds.PatientID = "P001"
    ds.StudyDate = "20240101"
    ds.Modality = "CT"
    ds.SeriesDescription = description
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.InstanceNumber = instance
    ds.ImageType = list(image_type)
    if echo is not None:
        ds.EchoNumbers = echo
    if acquisition is not None:
        ds.AcquisitionNumber = acquisition
    if tilt is not None:
        ds.GantryDetectorTilt = tilt
    ds.ImagePositionPatient = [f"{v:.6g}" for v in position]
    ds.ImageOrientationPatient = [f"{v:.6g}" for v in orientation]
    ds.PixelSpacing = [f"{v:g}" for v in spacing]
    ds.SliceThickness = thickness
    ds.RescaleSlope = f"{slope:g}"
    ds.RescaleIntercept = f"{intercept:g}"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = pixels.shape
    ds.BitsAllocated = 16
    signed = pixels.dtype == np.int16
    ds.BitsStored = 16 if signed else 12
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = int(signed)
    ds.WindowCenter = 40
    ds.WindowWidth = 400
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    return ds


def write_series(
    folder: Path,
    z_positions: Sequence[float],
    *,
    rows: int = 8,
    cols: int = 6,
    series_uid: str | None = None,
    names: Sequence[str] | None = None,
    seed: int = 0,
    **kw: object,
) -> tuple[str, np.ndarray, list[Path]]:
    """Write an axial series; return (series UID, stored pixels z-y-x, paths).

    Pixels are random 12-bit values (stored); slice k is at z_positions[k].
    """
    folder.mkdir(parents=True, exist_ok=True)
    uid = series_uid or generate_uid()
    rng = np.random.default_rng(seed)
    stack = rng.integers(0, 4096, size=(len(z_positions), rows, cols), dtype=np.uint16)
    paths = []
    for k, z in enumerate(z_positions):
        ds = ct_dataset(
            stack[k], position=(-10.0, -20.0, z), series_uid=uid, instance=k + 1, **kw
        )
        name = names[k] if names is not None else f"im{k:03d}.dcm"
        path = folder / name
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return uid, stack, paths
