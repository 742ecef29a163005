"""Generate the whole sample study: images of every visit and the ground truth."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from sample_dicom._design import (
    COLUMNS,
    LESIONS,
    NOISE_SIGMA_HU,
    PIXEL_SPACING_MM,
    ROWS,
    SLICE_SPACING_MM,
    SLICES,
    VISITS,
)
from sample_dicom._phantom import HU as TISSUE_HU
from sample_dicom._phantom import Grid, add_noise, render_anatomy, render_lesions
from sample_dicom._truth import LesionTruth, case_document, lesion_truth
from sample_dicom._writer import SeriesUids, to_stored, write_series

__all__ = ["SampleStudy", "Visit", "generate"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Visit:
    """One time point of the sample study as written.

    Attributes
    ----------
    label : str
        ``baseline``, ``week06``, ``week12`` or ``week18``.
    date : str
        Study date, ISO ``YYYY-MM-DD``.
    study_uid, series_uid, frame_of_reference_uid : str
        The visit's UIDs (one study with one axial CT series).
    series_dir : Path
        ``OUT/<YYYYMMDD>_<label>/CT``.
    files : tuple of Path
        The slice files, in increasing z (``IM0001.dcm`` is the lowest).
    origin_lps : tuple of 3 float
        Centre of the first voxel (mm); follow-ups are shifted against baseline.
    spacing_mm : tuple of 3 float
        Column, row and slice spacing (mm).
    size : tuple of 3 int
        Columns, rows, slices.
    slice_z_mm : tuple of float
        z of every slice, increasing.
    """

    label: str
    date: str
    study_uid: str
    series_uid: str
    frame_of_reference_uid: str
    series_dir: Path
    files: tuple[Path, ...]
    origin_lps: tuple[float, float, float]
    spacing_mm: tuple[float, float, float]
    size: tuple[int, int, int]
    slice_z_mm: tuple[float, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleStudy:
    """What :func:`generate` wrote: the visits, the truth files and the truth.

    Attributes
    ----------
    root : Path
        The output folder.
    seed : int
        The seed used (noise and UIDs).
    visits : tuple of Visit
        In date order.
    case_path : Path
        ``root/truth.case.json``, the study as a response case with expected answers.
    lesions_path : Path
        ``root/truth.lesions.json``, geometry of every lesion at every visit.
    case : dict
        The content of ``case_path``.
    lesions : tuple of LesionTruth
        The content of ``lesions_path`` (lesion-major, then visit order).
    seeds_path : Path
        ``root/seeds.json``: a point inside each target at each visit and each
        non-target's state (the seed file of ``recist autoread``).
    """

    root: Path
    seed: int
    visits: tuple[Visit, ...]
    case_path: Path
    lesions_path: Path
    case: dict[str, Any]
    lesions: tuple[LesionTruth, ...]
    seeds_path: Path


def _write_json(path: Path, doc: Any) -> None:
    """Indented JSON with lists of numbers kept on one line."""
    text = json.dumps(doc, indent=2)
    text = _FLAT_LIST.sub(_one_line, text)
    path.write_text(text + "\n", encoding="utf-8")


_FLAT_LIST = re.compile(r"\[\s*([-+0-9.eE,\s]*?)\s*\]")


def _one_line(match: re.Match[str]) -> str:
    items = [item.strip() for item in match[1].split(",")]
    return "[" + ", ".join(item for item in items if item) + "]"


def generate(out_dir: Path | str, *, seed: int = 0) -> SampleStudy:
    """Write the synthetic four-visit CT study and its ground truth to ``out_dir``.

    Parameters
    ----------
    out_dir : Path or str
        Output folder, created if needed; files of an earlier run are overwritten.
    seed : int
        Seeds the image noise and the UIDs. *Permitted values:* >= 0. Anatomy,
        lesion sizes, dates and the expected responses do not depend on it.

    Returns
    -------
    SampleStudy
        Paths and truth.

    Notes
    -----
    1. Layout: ``out_dir/<YYYYMMDD>_<label>/CT/IM0001.dcm`` ... (64 slices of
       320 x 320, 1.2 mm pixels, 2.5 mm slices) for baseline, week06, week12 and
       week18, plus ``truth.case.json`` and ``truth.lesions.json``.
    2. The same seed gives byte-identical files.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:  # doctest: +SKIP
    ...     study = generate(tmp)
    ...     study.case["expected"]["best_overall_response"]
    'PR'
    """
    if seed < 0:
        msg = f"seed must be >= 0, got {seed}"
        raise ValueError(msg)
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    spacing = (PIXEL_SPACING_MM, PIXEL_SPACING_MM, SLICE_SPACING_MM)
    size = (COLUMNS, ROWS, SLICES)
    visits: list[Visit] = []
    truth: dict[str, list[LesionTruth]] = {les.lesion_id: [] for les in LESIONS}
    for v, design in enumerate(VISITS):
        grid = Grid.regular(design.origin_mm, spacing, size)
        slice_z = tuple(float(z) for z in np.round(grid.z.astype(np.float64), 4))
        hu = render_anatomy(grid)
        render_lesions(hu, grid, v)
        add_noise(hu, np.random.default_rng([seed, v]))
        uids = SeriesUids.derive(seed, design.label, SLICES)
        study_date = date.fromisoformat(design.date)
        series_dir = root / f"{study_date:%Y%m%d}_{design.label}" / "CT"
        files = write_series(
            series_dir,
            to_stored(hu),
            seed=seed,
            visit_number=v + 1,
            label=design.label,
            study_date=study_date,
            origin_mm=design.origin_mm,
            slice_z_mm=slice_z,
            uids=uids,
        )
        logger.info("wrote %d slices to %s", len(files), series_dir)
        visits.append(
            Visit(
                label=design.label,
                date=design.date,
                study_uid=uids.study,
                series_uid=uids.series,
                frame_of_reference_uid=uids.frame_of_reference,
                series_dir=series_dir,
                files=files,
                origin_lps=design.origin_mm,
                spacing_mm=spacing,
                size=size,
                slice_z_mm=slice_z,
            )
        )
        for les in LESIONS:
            truth[les.lesion_id].append(
                lesion_truth(
                    les,
                    v,
                    slice_z_mm=slice_z,
                    study_uid=uids.study,
                    series_uid=uids.series,
                    sop_uids=uids.sop,
                )
            )
    lesions = tuple(t for per_lesion in truth.values() for t in per_lesion)
    case = case_document()
    case_path = root / "truth.case.json"
    lesions_path = root / "truth.lesions.json"
    _write_json(case_path, case)
    _write_json(lesions_path, _lesions_document(seed, visits, lesions))
    seeds_path = root / "seeds.json"
    _write_json(seeds_path, _seeds_document(lesions))
    return SampleStudy(
        root=root,
        seed=seed,
        visits=tuple(visits),
        case_path=case_path,
        lesions_path=lesions_path,
        case=case,
        lesions=lesions,
        seeds_path=seeds_path,
    )


_HINTS = {"LIVER": "liver", "LUNG": "lung", "LYMPH NODE": "node"}


def _seeds_document(lesions: tuple[LesionTruth, ...]) -> dict[str, Any]:
    """Return what a reader would click: a point in each target at each visit.

    The format is the seed file of ``recist.autoread.load_seeds``; non-targets get
    their state at each follow-up instead of a point.
    """
    out: dict[str, dict[str, Any]] = {}
    for t in lesions:
        item = out.setdefault(
            t.lesion_id,
            {
                "id": t.lesion_id,
                "role": "TARGET" if t.role == "target" else "NON-TARGET",
                "site": t.site,
                "nodal": t.nodal,
                "hint": _HINTS.get(t.site),
                "seeds_lps": {},
                "states": {},
            },
        )
        if t.role == "target":
            item["seeds_lps"][t.date] = list(t.center_lps)
        else:
            item["states"][t.date] = "PRESENT"
    for item in out.values():  # the baseline has no non-target state
        first = min(item["states"], default=None)
        if first is not None:
            del item["states"][first]
    return {"lesions": list(out.values())}


def _lesions_document(
    seed: int, visits: list[Visit], lesions: tuple[LesionTruth, ...]
) -> dict[str, Any]:
    return {
        "generator": "sample_dicom",
        "seed": seed,
        "coordinates": "DICOM patient (LPS), mm",
        "noise_sigma_hu": NOISE_SIGMA_HU,
        "tissue_hu": dict(TISSUE_HU),
        "visits": [
            {
                "label": v.label,
                "date": v.date,
                "study_uid": v.study_uid,
                "series_uid": v.series_uid,
                "frame_of_reference_uid": v.frame_of_reference_uid,
                "series_dir": v.series_dir.relative_to(
                    v.series_dir.parents[1]
                ).as_posix(),
                "origin_lps": list(v.origin_lps),
                "spacing_mm": list(v.spacing_mm),
                "size": list(v.size),
                "direction": [1, 0, 0, 0, 1, 0, 0, 0, 1],
            }
            for v in visits
        ],
        "lesions": [t.as_json() for t in lesions],
    }
