"""A reading opened with another patient's images is refused, by one rule."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from recist.cli import main
from recist.errors import ReadingMismatchError
from recist.formats.reading import load_case, save_reading
from recist.matching import check_images, check_images_in
from recist.model import Baseline, ImageRef, Lesion, Measurement, Reading, TimePoint


def reading(subject=None, studies=(), ref_study=None):
    m = Measurement.of_mm("20.0")
    if ref_study:
        m = Measurement.of_mm(
            "20.0", image=ImageRef(study_uid=ref_study, series_uid="9", sop_uid="9.1")
        )
    t = Lesion(lesion_id="T01", role="TARGET", site="LIVER", baseline=m)
    return Reading(
        baseline=Baseline(
            date=dt.date(2026, 1, 5), targets=(t,), study_uids=tuple(studies)
        ),
        followups=(
            TimePoint(
                date=dt.date(2026, 2, 16), targets={"T01": Measurement.of_mm("18")}
            ),
        ),
        subject_id=subject,
    )


@pytest.mark.parametrize(
    ("r", "patients", "studies", "refused"),
    [
        # a shared study settles it, whatever the ids say (USUBJID is not PatientID)
        (reading("SUBJ-001", ["1.1"]), ["PAT-9"], ["1.1", "1.2"], False),
        (reading("SUBJ-001", ["1.1"]), ["SUBJ-001"], ["2.1"], True),
        # a study known only through a measurement's image reference counts too
        (reading("SUBJ-001", ref_study="1.2"), ["PAT-9"], ["1.2"], False),
        (reading("SUBJ-001", ref_study="1.2"), ["SUBJ-001"], ["3.3"], True),
        # no study to compare: the subject id must be a patient id
        (reading("A"), ["A"], ["1.1"], False),
        (reading("A"), ["B", "C"], ["1.1"], True),
        (reading(None), ["B"], ["1.1"], False),  # nothing to compare
        (reading("A"), [], [], False),
    ],
)
def test_rule(r, patients, studies, refused):
    if refused:
        with pytest.raises(ReadingMismatchError):
            check_images(r, patient_id=patients, study_uids=studies)
    else:
        check_images(r, patient_id=patients, study_uids=studies)


@pytest.fixture(scope="module")
def other_patients_reading(sample_study_dir, tmp_path_factory):
    r = load_case(sample_study_dir / "truth.case.json")
    other = dataclasses.replace(
        r,
        subject_id="SOMEONE-ELSE",
        baseline=dataclasses.replace(r.baseline, study_uids=("1.2.3.4.5",)),
    )
    path = tmp_path_factory.mktemp("other") / "other.json"
    save_reading(other, path)
    return path


def test_scan_and_check(sample_study_dir, other_patients_reading):
    from recist.formats.reading import load_reading

    with pytest.raises(ReadingMismatchError, match="wrong patient or wrong folder"):
        check_images_in(load_reading(other_patients_reading), sample_study_dir)


@pytest.mark.parametrize("command", ["report", "export sr"])
def test_commands_refuse_other_patients_reading(
    command, sample_study_dir, other_patients_reading, tmp_path, capsys
):
    out = tmp_path / ("r.pdf" if command == "report" else "r.dcm")
    argv = [*command.split(), str(other_patients_reading)]
    argv += ["--images", str(sample_study_dir)]
    argv += ["--pdf", str(out)] if command == "report" else [str(out)]
    assert main(argv) == 2
    assert "wrong patient or wrong folder" in capsys.readouterr().err
    assert not out.exists()
