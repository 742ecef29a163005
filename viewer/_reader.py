"""napari reader: DICOM folders, zip files and single files -> CT image layers.

:func:`get_reader` returns None for anything that is not DICOM, so napari can try
other readers.  Each study's default series becomes one image layer placed in
patient millimetres (:func:`viewer._coords.layer_affine`), in HU, with the
soft-tissue window.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from measurements import Volume
from recist.dicom import read_volume
from recist.errors import RecistError
from viewer._coords import layer_affine
from viewer._display import PRESETS, limits
from viewer._studies import Study, find_studies

__all__ = ["get_reader", "image_layer_data", "read_dicom"]

LayerData = tuple[Any, dict[str, Any], str]


def _is_dicom_file(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    if head[128:132] == b"DICM":
        return True
    # preamble-less files start with a (0008,xxxx) group tag, little endian
    return len(head) >= 8 and head[:2] == b"\x08\x00" and head[4:6].isalpha()


def _looks_like_dicom(path: Path) -> bool:
    if path.is_dir():
        for i, p in enumerate(path.rglob("*")):
            if i > 2000:
                return False
            if p.is_file() and (_is_dicom_file(p) or p.name == "DICOMDIR"):
                return True
        return False
    if zipfile.is_zipfile(path):
        return True  # scanned by content; an empty result means "not ours"
    return path.is_file() and _is_dicom_file(path)


def get_reader(path: str | list[str]) -> Callable[[Any], list[LayerData]] | None:
    """Return :func:`read_dicom` if ``path`` holds DICOM images, else None."""
    first = Path(path[0] if isinstance(path, list) else path)
    if not first.exists() or not _looks_like_dicom(first):
        return None
    return read_dicom


def image_layer_data(volume: Volume, study: Study | None = None) -> LayerData:
    """Layer data of a CT volume: HU values placed in world mm by its geometry."""
    md = volume.metadata
    date = (
        study.date.isoformat()
        if study and study.date
        else str(md.get("study_date", ""))
    )
    name = f"{date} {md.get('modality', '')} {md.get('description', '')}".strip()
    kwargs: dict[str, Any] = {
        "name": name or "image",
        "affine": layer_affine(volume.geometry),
        "colormap": "gray",
        "contrast_limits": limits(*PRESETS["soft tissue"]),
        "interpolation2d": "linear",
        "metadata": {"recist_volume": volume, "recist_series_key": md.get("key")},
    }
    return (volume.array, kwargs, "image")


def read_dicom(path: str | list[str]) -> list[LayerData]:
    """Read every study under ``path`` (its default series) as image layers.

    Returns an empty list when no image series is found (napari then says the
    file could not be read).
    """
    first = path[0] if isinstance(path, list) else path
    try:
        studies = find_studies(first)
    except RecistError:
        return []
    out = []
    for study in studies:
        vol = read_volume(study.default)
        out.append(image_layer_data(vol, study))
    for layer in out[:-1]:
        layer[1]["visible"] = False
    return out
