"""Write one visit's HU volume as a CT Image Storage series with pydicom.

Files are Explicit VR Little Endian with file meta, one slice per file; stored
values are ``HU + 1024`` as unsigned 12-bit in 16-bit words (RescaleIntercept
-1024, RescaleSlope 1).  UIDs are derived from the seed and fixed strings with
``pydicom.uid.generate_uid(entropy_srcs=...)``, dates and times are fixed, so the
same seed gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, CTImageStorage, ExplicitVRLittleEndian, generate_uid

from sample_dicom._design import PIXEL_SPACING_MM, SLICE_SPACING_MM

__all__ = ["PATIENT", "SeriesUids", "to_stored", "uid", "write_series"]

MANUFACTURER = "recist sample_dicom"
PATIENT = {
    "PatientName": "SAMPLE^RECIST",
    "PatientBirthDate": "19610314",
    "PatientSex": "F",
}
INTERCEPT = -1024.0
MAX_STORED = 4095  # 12 bits stored


def uid(seed: int, *parts: str) -> str:
    """Return a UID fixed by the seed and ``parts`` (SHA-512 under pydicom's root)."""
    return str(generate_uid(entropy_srcs=["recist sample_dicom", str(seed), *parts]))


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesUids:
    """The UIDs of one visit: study, series, frame of reference and per slice."""

    study: str
    series: str
    frame_of_reference: str
    sop: tuple[str, ...]  # by slice index (increasing z)

    @classmethod
    def derive(cls, seed: int, label: str, n_slices: int) -> SeriesUids:
        """UIDs of visit ``label`` for ``seed``."""
        return cls(
            study=uid(seed, label, "study"),
            series=uid(seed, label, "series"),
            frame_of_reference=uid(seed, label, "frame-of-reference"),
            sop=tuple(uid(seed, label, "sop", str(k)) for k in range(n_slices)),
        )


def to_stored(hu: npt.NDArray[np.float32]) -> npt.NDArray[np.uint16]:
    """HU to stored values (round half to even, clip to 0 ... 4095)."""
    stored = np.rint(hu - np.float32(INTERCEPT))
    out: npt.NDArray[np.uint16] = np.clip(stored, 0, MAX_STORED).astype(np.uint16)
    return out


def _age(birth: str, on: date) -> str:
    b = date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    years = on.year - b.year - ((on.month, on.day) < (b.month, b.day))
    return f"{years:03d}Y"


def _series_dataset(
    *,
    seed: int,
    visit_number: int,
    label: str,
    study_date: date,
    uids: SeriesUids,
    shape: tuple[int, int, int],
    pixel_spacing_mm: float = PIXEL_SPACING_MM,
    slice_spacing_mm: float = SLICE_SPACING_MM,
) -> Dataset:
    """Everything that is the same for every slice of the series."""
    da = study_date.strftime("%Y%m%d")
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = CTImageStorage
    for tag in ("Study", "Series", "Acquisition", "Content"):
        setattr(ds, f"{tag}Date", da)
    ds.StudyTime, ds.SeriesTime = "093000", "093512"
    ds.AcquisitionTime, ds.ContentTime = "093520", "093540"
    ds.AccessionNumber = f"S{seed % 10000:04d}{da}"
    ds.Modality = "CT"
    ds.Manufacturer = MANUFACTURER
    ds.InstitutionName = "recist synthetic hospital"
    ds.ReferringPhysicianName = ""
    ds.StationName = "SAMPLECT"
    ds.StudyDescription = f"CT CHEST ABDOMEN WITH CONTRAST ({label})"
    ds.SeriesDescription = f"AXIAL {slice_spacing_mm:g} mm SOFT TISSUE"
    ds.ManufacturerModelName = "sample_dicom phantom"
    ds.PatientName = PATIENT["PatientName"]
    ds.PatientID = f"RECIST-SAMPLE-{seed}"
    ds.PatientBirthDate = PATIENT["PatientBirthDate"]
    ds.PatientSex = PATIENT["PatientSex"]
    ds.PatientAge = _age(PATIENT["PatientBirthDate"], study_date)
    ds.ContrastBolusAgent = "IOHEXOL"
    ds.ContrastBolusRoute = "IV"
    ds.BodyPartExamined = "CHESTABDOMEN"
    ds.SliceThickness = slice_spacing_mm
    ds.KVP = "120"
    ds.SpacingBetweenSlices = slice_spacing_mm
    ds.DataCollectionDiameter = "500"
    ds.SoftwareVersions = "sample_dicom 1"
    ds.ReconstructionDiameter = f"{pixel_spacing_mm * shape[2]:.4g}"
    ds.GantryDetectorTilt = "0"
    ds.TableHeight = "160"
    ds.RotationDirection = "CW"
    ds.XRayTubeCurrent = 200
    ds.ConvolutionKernel = "STANDARD"
    ds.PatientPosition = "HFS"
    ds.StudyInstanceUID = uids.study
    ds.SeriesInstanceUID = uids.series
    ds.StudyID = str(visit_number)
    ds.SeriesNumber = 2
    ds.AcquisitionNumber = 1
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.FrameOfReferenceUID = uids.frame_of_reference
    ds.PositionReferenceIndicator = ""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = shape[1], shape[2]
    ds.PixelSpacing = [pixel_spacing_mm, pixel_spacing_mm]
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.WindowCenter = "40"
    ds.WindowWidth = "400"
    ds.RescaleIntercept = f"{INTERCEPT:.0f}"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.WindowCenterWidthExplanation = "SOFT TISSUE"
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    return ds


def write_series(
    series_dir: Path,
    stored: npt.NDArray[np.uint16],
    *,
    seed: int,
    visit_number: int,
    label: str,
    study_date: date,
    origin_mm: tuple[float, float, float],
    slice_z_mm: tuple[float, ...],
    uids: SeriesUids,
    pixel_spacing_mm: float = PIXEL_SPACING_MM,
    slice_spacing_mm: float = SLICE_SPACING_MM,
) -> tuple[Path, ...]:
    """Write ``stored`` (z, y, x) as ``series_dir/IM0001.dcm`` ... (increasing z).

    ``pixel_spacing_mm`` and ``slice_spacing_mm`` default to the sample study's
    grid; the tracking study (``_moved.py``) scans some visits on other grids.
    Returns the paths in slice order.
    """
    series_dir.mkdir(parents=True, exist_ok=True)
    ds = _series_dataset(
        seed=seed,
        visit_number=visit_number,
        label=label,
        study_date=study_date,
        uids=uids,
        shape=(stored.shape[0], stored.shape[1], stored.shape[2]),
        pixel_spacing_mm=pixel_spacing_mm,
        slice_spacing_mm=slice_spacing_mm,
    )
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    paths = []
    for k, z in enumerate(slice_z_mm):
        sop = UID(uids.sop[k])
        meta.MediaStorageSOPInstanceUID = sop
        ds.SOPInstanceUID = sop
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [origin_mm[0], origin_mm[1], z]
        ds.SliceLocation = z
        ds.PixelData = stored[k].astype("<u2").tobytes()
        path = series_dir / f"IM{k + 1:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return tuple(paths)
