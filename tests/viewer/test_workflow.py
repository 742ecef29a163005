"""A reader measures the sample study at the truth positions; the panel shows truth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from recist.formats.reading import load_reading, reading_to_dict
from recist.terms import NonTargetState
from viewer._coords import lps_to_world
from viewer._studies import find_studies
from viewer._widgets import dock_widgets
from viewer._workstation import Workstation


def _lines(entry: dict[str, Any]) -> list[np.ndarray]:
    """World lines of a truth entry: long axis, then short axis (oracle: generator)."""
    return [
        lps_to_world(np.asarray(entry["long_axis_lps"], float)),
        lps_to_world(np.asarray(entry["short_axis_lps"], float)),
    ]


def read_sample(ws: Workstation, truth: dict[str, Any]) -> None:
    dates = sorted({e["date"] for e in truth["lesions"]})
    by = {(e["lesion_id"], e["date"]): e for e in truth["lesions"]}
    base = dates[0]
    ws.show_timepoint(base)
    for lid in ("T01", "T02", "T03", "T04"):
        e = by[(lid, base)]
        ws.draw_lines(_lines(e))
        got = ws.record_target(e["site"], nodal=e["nodal"])
        assert got == lid
    assert ws.record_non_target("BONE") == "NT01"
    for d in dates[1:]:
        ws.show_timepoint(d)
        for lid in ("T01", "T02", "T03", "T04"):
            ws.draw_lines(_lines(by[(lid, d)]))
            ws.record_value(lid)
        ws.set_non_target("NT01", NonTargetState.PRESENT)


@pytest.mark.slow
def test_read_sample_study_gives_truth(
    make_napari_viewer, study, truth, tmp_path: Path
):
    viewer = make_napari_viewer()
    rpath = tmp_path / "reading.json"
    ws = Workstation.open(viewer, study.root, reading=rpath)
    widgets = dock_widgets(viewer, ws)
    read_sample(ws, truth)

    exp = truth["case"]["expected"]
    rows = widgets["response"].rows()
    assert rows[0][1] == f"{exp['baseline_sum_mm']:.1f}"
    for row, tp in zip(rows[1:], exp["timepoints"], strict=True):
        assert row[0] == tp["date"]
        assert abs(float(row[1]) - tp["sum_mm"]) < 0.3
        assert abs(float(row[2]) - tp["pct_from_baseline"]) < 0.5
        assert row[4:8] == (
            tp["target"],
            tp["non_target"],
            tp["new_lesions"],
            tp["overall"],
        )
    assert widgets["response"].best_response == exp["best_overall_response"]

    # every measurement carries its slice's DICOM identity from the truth
    sop = {(e["lesion_id"], e["date"]): e["slice_sop_uid"] for e in truth["lesions"]}
    r = ws.session.reading
    for t in r.baseline.targets:
        assert t.baseline.image.sop_uid == sop[(t.lesion_id, "2026-01-05")]
    for tp in r.followups:
        for lid, m in tp.targets.items():
            assert m.image.sop_uid == sop[(lid, tp.date.isoformat())]

    # save, close, reopen: identical reading and on-image positions
    ws.session.save()
    before = reading_to_dict(ws.session.reading)
    marks = [np.asarray(d).copy() for d in ws.cur.marks.data]
    viewer.close()
    viewer2 = make_napari_viewer()
    ws2 = Workstation.open(viewer2, study.root, reading=rpath)
    assert reading_to_dict(ws2.session.reading) == before
    ws2.show_timepoint("2026-05-11")
    for a, b in zip(marks, ws2.cur.marks.data, strict=True):
        np.testing.assert_array_equal(a, b)
    # the autosave holds the same reading
    assert reading_to_dict(load_reading(Path(str(rpath) + ".autosave.json"))) == before


def test_studies_by_date(study):
    studies = find_studies(study.root)
    assert [s.date for s in studies] == [
        dt.date(2026, 1, 5),
        dt.date(2026, 2, 16),
        dt.date(2026, 3, 30),
        dt.date(2026, 5, 11),
    ]
    assert [s.study_uid for s in studies] == [v.study_uid for v in study.visits]
