"""``recist export sr --images study.zip``: zips work as folders do (issue #12)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pydicom

from recist.cli import main
from recist.formats.reading import save_reading
from tests.recist.test_sr_roundtrip import sample_reading


def _refs(ds: pydicom.Dataset) -> set[tuple[str, str]]:
    """(SOP class, SOP instance) of every image the SR's evidence lists."""
    return {
        (sop.ReferencedSOPClassUID, sop.ReferencedSOPInstanceUID)
        for study in ds.CurrentRequestedProcedureEvidenceSequence
        for series in study.ReferencedSeriesSequence
        for sop in series.ReferencedSOPSequence
    }


def test_export_sr_reads_images_from_a_zip(tmp_path: Path) -> None:
    from sample_dicom import generate

    sample = tmp_path / "sample"
    generate(sample)
    save_reading(sample_reading(sample), tmp_path / "r.json")
    with zipfile.ZipFile(tmp_path / "study.zip", "w") as zf:
        for p in sorted(sample.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(sample).as_posix())
    args = ["export", "sr", str(tmp_path / "r.json")]
    assert (
        main(
            [
                *args,
                str(tmp_path / "from_zip.dcm"),
                "--images",
                str(tmp_path / "study.zip"),
            ]
        )
        == 0
    )
    assert main([*args, str(tmp_path / "from_dir.dcm"), "--images", str(sample)]) == 0
    from_zip = pydicom.dcmread(tmp_path / "from_zip.dcm")
    from_dir = pydicom.dcmread(tmp_path / "from_dir.dcm")
    # the same images referenced and the same study, whether zipped or not
    assert _refs(from_zip) == _refs(from_dir) != set()
    assert from_zip.StudyInstanceUID == from_dir.StudyInstanceUID
