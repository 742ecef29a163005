"""Proposals by registration in the workstation: pick, then one key to accept,
adjust or reject (real Qt clicks on the table and key presses on the canvas).

The proposals are written from the sample study's truth (truth.lesions.json: the
long axis, or a node's short axis, at week 6), as ``recist propagate`` would
write them; what is checked is what the reading records and the canvas shows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from qtpy.QtCore import Qt
from qtpy.QtTest import QTest

from recist.formats.reading import load_reading, save_reading
from recist.model import Measurement, Proposal
from tests.viewer.test_habits import _canvas, _click_row, _green, _settle, _shot
from viewer._coords import lps_to_world
from viewer._widgets import dock_widgets
from viewer._workstation import Workstation

pytestmark = pytest.mark.gui

WEEK6 = dt.date(2026, 2, 16)


@pytest.fixture(scope="module")
def baseline_reading(study, truth, tmp_path_factory) -> Path:
    """The sample baseline read at the truth; proposals for week 6 from the truth."""
    from napari.components import ViewerModel

    from tests.viewer.test_workflow import read_sample

    path = tmp_path_factory.mktemp("proposals") / "reading.json"
    ws = Workstation.open(ViewerModel(), study.root, reading=path)
    read_sample(ws, truth)
    reading = ws.session.reading
    by = {(e["lesion_id"], e["date"]): e for e in truth["lesions"]}
    proposals = []
    for lid in ("T01", "T02", "T03", "T04"):
        e = by[(lid, WEEK6.isoformat())]
        ends = e["short_axis_lps"] if e["nodal"] else e["long_axis_lps"]
        proposals.append(
            Proposal(
                lesion_id=lid,
                date=WEEK6,
                role="TARGET",
                found=True,
                source_date=reading.baseline.date,
                measurement=Measurement.of_mm(
                    Decimal(str(e["diameter_mm"])),
                    endpoints_lps=tuple(tuple(p) for p in ends),
                ),
                center_lps=tuple(e["center_lps"]),
                residual_mm=0.4,
                similarity=0.98,
                reason="from the truth",
            )
        )
    reading = dataclasses.replace(reading, followups=(), proposals=tuple(proposals))
    save_reading(reading, path)
    return path


@pytest.fixture
def shown(make_napari_viewer, study, baseline_reading, tmp_path):
    reading = tmp_path / "reading.json"
    shutil.copy(baseline_reading, reading)
    viewer = make_napari_viewer(show=True)
    ws = Workstation.open(viewer, study.root, reading=reading, timepoint="2026-02-16")
    widgets = dock_widgets(viewer, ws)
    viewer.window._qt_window.resize(1400, 800)
    ws.set_side_by_side(True)
    _settle()
    return viewer, ws, widgets


def _key(viewer, key) -> None:
    QTest.keyClick(_canvas(viewer), key)
    _settle()


def test_pick_accept_adjust_reject_undo(shown, truth):
    viewer, ws, widgets = shown
    panel = widgets["proposals"]
    assert [panel.table.item(i, 0).text() for i in range(4)] == [
        "T01",
        "T02",
        "T03",
        "T04",
    ]
    by = {(e["lesion_id"], e["date"]): e for e in truth["lesions"]}

    # pick T01: the current pane goes to its slice and shows the proposed calliper
    _click_row(panel.table, 0)
    t01 = by[("T01", "2026-02-16")]
    assert abs(viewer.dims.point[0] - lps_to_world(t01["center_lps"])[0]) < 1.3
    assert _green(_shot(viewer)).sum() > 20  # the draft calliper is drawn
    _key(viewer, Qt.Key.Key_A)
    tp = ws.session.followup(WEEK6)
    assert tp.targets["T01"].diameter_mm == Decimal(str(t01["diameter_mm"]))
    last = ws.session.reading.audit[-1].what
    assert "proposed by registration, accepted by" in last
    assert [p.lesion_id for p in ws.session.proposals_at(WEEK6)] == [
        "T02",
        "T03",
        "T04",
    ]

    # T02: the reader lengthens the calliper by 4 mm, then A records theirs
    _click_row(panel.table, 0)
    t02 = by[("T02", "2026-02-16")]
    a, b = (np.asarray(p, dtype=float) for p in t02["long_axis_lps"])
    unit = (b - a) / np.linalg.norm(b - a)
    ws.draw_lines(
        [np.asarray([lps_to_world(a - 2 * unit), lps_to_world(b + 2 * unit)])]
    )
    _key(viewer, Qt.Key.Key_A)
    got = ws.session.followup(WEEK6).targets["T02"].diameter_mm
    assert abs(float(got) - (t02["diameter_mm"] + 4.0)) <= 0.2, got
    assert "adjusted by" in ws.session.reading.audit[-1].what

    # T03: rejected; nothing measured
    _click_row(panel.table, 0)
    _key(viewer, Qt.Key.Key_R)
    assert "T03" not in ws.session.followup(WEEK6).targets
    assert "rejected by" in ws.session.reading.audit[-1].what
    assert [p.lesion_id for p in ws.session.proposals_at(WEEK6)] == ["T04"]

    # one undo brings the T03 proposal back
    ws.session.undo()
    _settle()
    assert [p.lesion_id for p in ws.session.proposals_at(WEEK6)] == ["T03", "T04"]
    assert panel.table.rowCount() == 2

    # saved and reopened: the accepted values and the pending proposals
    ws.session.save()
    back = load_reading(ws.session.path)
    assert set(back.followups[0].targets) == {"T01", "T02"}
    assert {p.lesion_id for p in back.proposals} == {"T03", "T04"}
