"""Write segmented lesions as a DICOM SEG referencing their source series.

``recist export seg READING --images DIR --mask T01=t01.nii.gz [--mask ...] OUT.dcm``
writes one binary segment per lesion (label = lesion id, tracking UID = the
SR's, category SCT "Morphologically abnormal structure", type SCT Neoplasm or
Lymph node, anatomic region = the lesion's finding site).  Each mask is a
NIfTI/NRRD (anything SimpleITK reads) on the grid of one image series under
``DIR``: same size, and origin/spacing/direction within 1e-3 mm; all masks
of one SEG must be on the same series.  Resampling is out of scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from recist._atomic import check_output_file, replacing
from recist.errors import InvalidInputError
from recist.export import _codes as C
from recist.model import Lesion, NewLesion, Reading

__all__ = ["GRID_TOL", "SEGMENT_COLOURS", "export_seg"]

#: Largest origin/spacing/direction difference (mm) for "the same grid".
GRID_TOL = 1e-3

#: Recommended display colours of the segments, in order (RGB 0-255): the
#: Okabe-Ito colour-blind-safe palette, then repeated.
SEGMENT_COLOURS: tuple[tuple[int, int, int], ...] = (
    (230, 159, 0),
    (86, 180, 233),
    (0, 158, 115),
    (240, 228, 66),
    (0, 114, 178),
    (213, 94, 0),
    (204, 121, 167),
    (153, 153, 153),
)


def _lesion(reading: Reading, lesion_id: str) -> Lesion | NewLesion:
    b = reading.baseline
    for les in (*b.targets, *b.non_targets):
        if les.lesion_id == lesion_id:
            return les
    for tp in reading.followups:
        for n in tp.new_lesions:
            if n.lesion_id == lesion_id:
                return n
    raise InvalidInputError(f"--mask names {lesion_id!r}, not a lesion of the reading")


def _same_grid(mask: Any, volume: Any) -> bool:
    import numpy as np

    g = volume.geometry
    return (
        tuple(mask.GetSize()) == tuple(g.size)
        and np.allclose(mask.GetOrigin(), g.origin, atol=GRID_TOL)
        and np.allclose(mask.GetSpacing(), g.spacing, atol=GRID_TOL)
        and np.allclose(mask.GetDirection(), g.direction, atol=GRID_TOL)
    )


def _read_mask(sitk: Any, lesion_id: str, path: str | Path) -> Any:
    """Read a mask image; a missing or unreadable file is invalid input."""
    if not Path(path).is_file():
        msg = f"{lesion_id}: mask {path}: no such file"
        raise InvalidInputError(msg, location=lesion_id)
    try:
        return sitk.ReadImage(str(path))
    except RuntimeError as exc:  # SimpleITK reports every I/O failure so
        reason = str(exc).strip().splitlines()[-1].removeprefix("sitk::ERROR: ")
        msg = f"{lesion_id}: mask {path} is not an image SimpleITK reads ({reason})"
        raise InvalidInputError(msg, location=lesion_id) from None


def export_seg(
    reading: Reading,
    images_dir: str | Path,
    masks: Mapping[str, str | Path],
    out: str | Path,
    *,
    series_uid: str | None = None,
) -> Path:
    """Write a DICOM SEG with one binary segment per masked lesion.

    Parameters
    ----------
    reading : Reading
    images_dir : path
        Folder or zip with the source series.
    masks : Mapping[str, path]
        Lesion id -> mask file (non-zero = lesion) on a source series' grid.
    out : path
        The SEG file.
    series_uid : str, optional
        The source series; needed when the masks are on the grid of several.

    Returns
    -------
    Path

    Raises
    ------
    InvalidInputError
        An unknown lesion, an empty mask, a mask on no series' grid (or on
        several and no ``series_uid``), masks on different series.
    ReadingMismatchError
        The series is of another patient or study than the reading
        (:mod:`recist.matching`).
    """
    import highdicom as hd
    import numpy as np
    import SimpleITK as sitk
    from pydicom import dcmread
    from pydicom.sr.codedict import codes

    from recist.dicom import read_volume, scan_report
    from recist.export.sr import tracking_uid
    from recist.matching import check_images

    if not masks:
        raise InvalidInputError("no --mask given")
    check_output_file(out)
    series_list = list(scan_report(images_dir).series)
    if series_uid is not None:
        series_list = [s for s in series_list if s.series_uid == series_uid]
        if not series_list:
            msg = f"--series {series_uid}: no such image series in {images_dir}"
            raise InvalidInputError(msg, location="--series")
    volumes: dict[str, Any] = {}
    chosen: str | None = None
    arrays: list[Any] = []
    descriptions = []
    for number, (lesion_id, path) in enumerate(masks.items(), start=1):
        lesion = _lesion(reading, lesion_id)
        image = _read_mask(sitk, lesion_id, path)
        found = []
        for s in series_list:
            if tuple(s.size) != tuple(image.GetSize()):
                continue
            if s.key not in volumes:
                volumes[s.key] = read_volume(s)
            if _same_grid(image, volumes[s.key]):
                found.append(s)
        if not found:
            msg = f"{lesion_id}: mask {path} is not on the grid of any series"
            raise InvalidInputError(msg, location=lesion_id)
        if len(found) > 1:
            uids = ", ".join(s.series_uid for s in found)
            msg = (
                f"{lesion_id}: mask {path} is on the grid of {len(found)} series "
                f"({uids}): name one with --series UID"
            )
            raise InvalidInputError(msg, location=lesion_id)
        match = found[0].key
        if chosen is not None and match != chosen:
            raise InvalidInputError("all masks of one SEG must be on one series")
        chosen = match
        array = sitk.GetArrayFromImage(image) != 0
        if not array.any():
            raise InvalidInputError(f"{lesion_id}: mask {path} is empty")
        arrays.append(array)
        descriptions.append(
            hd.seg.SegmentDescription(
                segment_number=number,
                segment_label=lesion_id,
                segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
                segmented_property_type=C.LYMPH_NODE if lesion.nodal else C.NEOPLASM,
                algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
                tracking_uid=tracking_uid(reading, lesion_id),
                tracking_id=lesion_id,
                anatomic_regions=[C.site_code(lesion.site)]
                if (lesion.site or "").strip()
                else None,
                display_color=hd.color.CIELabColor.from_rgb(
                    *SEGMENT_COLOURS[(number - 1) % len(SEGMENT_COLOURS)]
                ),
            )
        )
    assert chosen is not None
    series = next(s for s in series_list if s.key == chosen)
    check_images(  # another patient's or study's series: refused, nothing written
        reading,
        patient_id=series.patient_id or None,
        study_uids=[series.study_uid] if series.study_uid else None,
    )
    volume = volumes[chosen]
    if volume.metadata.get("resampled"):
        raise InvalidInputError("the series was resampled; SEG needs original slices")
    files = volume.metadata["files"]
    sources = [dcmread(f) for f in files]
    pixel = np.stack(arrays, axis=-1).astype(np.uint8)  # (slices, rows, cols, seg)
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=pixel,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions,
        series_instance_uid=hd.UID(),
        series_number=7002,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="recist",
        manufacturer_model_name="recist",
        software_versions="recist",
        device_serial_number="0",
        series_description="RECIST lesion segmentations",
    )
    out = Path(out)
    with replacing(out) as tmp:
        seg.save_as(tmp)
    return out
