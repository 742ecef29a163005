"""``recist view PATH --reading R --timepoint D --screenshot OUT`` (virtual display)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from skimage.io import imread

from tests.viewer.test_workflow import read_sample
from viewer._workstation import Workstation


@pytest.mark.slow
def test_view_screenshot_of_measured_followup(
    make_napari_viewer, study, truth, tmp_path
):
    reading = tmp_path / "r.json"
    viewer = make_napari_viewer()
    ws = Workstation.open(viewer, study.root, reading=reading)
    read_sample(ws, truth)
    ws.session.save()
    viewer.close()
    out = tmp_path / "shot.png"
    env = {
        k: v for k, v in os.environ.items() if k != "DISPLAY"
    }  # it starts Xvfb itself
    env["RECIST_HOME"] = str(tmp_path)
    cmd = [
        sys.executable,
        "-m",
        "recist.cli",
        "view",
        str(study.root),
        "--reading",
        str(reading),
        "--timepoint",
        "2026-05-11",
        "--side-by-side",
        "--screenshot",
        str(out),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    img = imread(out)
    assert img.shape[0] >= 800
    assert img.shape[1] >= 1200
    assert img[..., :3].mean() > 20  # not black
    # the canvas region (middle) holds CT: many distinct grey levels
    mid = img[
        img.shape[0] // 4 : 3 * img.shape[0] // 4,
        img.shape[1] // 3 : 2 * img.shape[1] // 3,
        0,
    ]
    assert len(np.unique(mid)) > 50


def test_view_refuses_other_patients_reading(study, tmp_path, capsys):
    import dataclasses

    from recist.formats.reading import load_case, save_reading

    r = dataclasses.replace(
        load_case(Path(study.root) / "truth.case.json"), subject_id="SOMEONE-ELSE"
    )
    save_reading(r, tmp_path / "other.json")
    from viewer._session import ReadingMismatchError, ReadingSession
    from viewer._studies import find_studies

    studies = find_studies(study.root)
    with pytest.raises(ReadingMismatchError, match="SOMEONE-ELSE"):
        ReadingSession.open(
            tmp_path / "other.json",
            patient_id=studies[0].patient_id,
            study_uids=[s.study_uid for s in studies],
        )


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--preset", "abdomen", "unknown --preset 'abdomen'"),
        ("--timepoint", "2026-13-45", "--timepoint '2026-13-45' is not a date"),
        ("--timepoint", "16/02/2026", "is not a date (YYYY-MM-DD)"),
    ],
)
def test_view_refuses_bad_preset_or_timepoint(study, capsys, flag, value, says):
    from recist.cli import main

    code = main(["view", str(study.root), flag, value, "--screenshot", "x.png"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1  # one line, no traceback
    assert err.startswith("recist view: ")
    assert says in err


@pytest.mark.slow
def test_view_says_on_stderr_that_an_autosave_is_newer(study, tmp_path):
    import dataclasses

    from recist.formats.reading import load_case, save_reading
    from recist.terms import Criteria
    from viewer._studies import find_studies

    studies = find_studies(study.root)
    r = load_case(Path(study.root) / "truth.case.json")
    r = dataclasses.replace(
        r,
        subject_id=studies[0].patient_id,
        baseline=dataclasses.replace(r.baseline, study_uids=(studies[0].study_uid,)),
    )
    reading = tmp_path / "r.json"
    save_reading(r, reading)
    autosave = tmp_path / "r.json.autosave.json"  # a later, unsaved edit
    save_reading(dataclasses.replace(r, criteria=Criteria.IRECIST), autosave)
    t = reading.stat().st_mtime
    os.utime(autosave, (t + 60, t + 60))
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["RECIST_HOME"] = str(tmp_path)
    cmd = [sys.executable, "-m", "recist.cli", "view", str(study.root)]
    cmd += ["--reading", str(reading), "--screenshot", str(tmp_path / "s.png")]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "unsaved edits from" in done.stderr
    assert str(autosave) in done.stderr
    assert autosave.exists()  # a screenshot reads nothing back and moves nothing
