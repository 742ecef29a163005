"""OHIF v3 reads our SRs: its published SR loader, run under node (issue 14, defect 2).

The oracle is OHIF's own code (npm @ohif/extension-cornerstone-dicom-sr, with
dcmjs and cornerstone's imageToWorldCoords; see benchmarks/ohif/ohif_sr.js):
every calliper we write must be handed to cornerstone on its image, at the
reading's LPS endpoints, and the report must carry an Image Library.

Needs node and npm (the Debian packages nodejs, npm) and the npm registry on
first use (the packages are cached, about 30 s once).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks import ohif_harness as oh
from recist.export.sr import export_sr
from tests.conftest import missing
from tests.recist.test_sr_roundtrip import _every_state, sample_reading


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sample_dicom import generate

    root = tmp_path_factory.mktemp("sample")
    generate(root)
    return root


def _callipers(reading, index: int) -> dict[str, tuple]:
    """Lesion id -> (SOP UID, LPS endpoints drawn) of the time point's callipers.

    A node's region is its short axis (the RECIST value): the last two points.
    """
    if index == 0:
        items = [(t.lesion_id, t.baseline) for t in reading.baseline.targets]
    else:
        tp = reading.followups[index - 1]
        items = list(tp.targets.items()) + [(n.lesion_id, n) for n in tp.new_lesions]
    return {
        lid: (m.image.sop_uid, m.endpoints_lps[-2:])
        for lid, m in items
        if m is not None and m.image is not None and m.endpoints_lps
    }


@pytest.mark.slow  # node + (once) npm install
@pytest.mark.parametrize("which", ["sample", "every-state"])
def test_ohif_draws_every_calliper(sample: Path, tmp_path: Path, which: str) -> None:
    from recist.export.sr import tracking_uid

    why = oh.missing()
    if why:
        missing(f"OHIF harness: {why}")  # fails under RECIST_REQUIRE_SHARED=1 (CI)
    reading = sample_reading(sample) if which == "sample" else _every_state(sample)
    srs = export_sr(reading, sample, tmp_path)
    found = oh.run(srs, sample)
    assert len(found) == len(srs)
    for index, result in enumerate(found):
        want = _callipers(reading, index)
        assert want  # every time point of both readings has callipers
        assert result["is_measurement_report"] is True
        # TID 1600: one library entry per image the callipers are on
        assert result["image_library"] == len({sop for sop, _ in want.values()})
        drawn = {a["tracking_uid"]: a for a in result["annotations"]}
        for lid, (sop, ends) in want.items():
            a = drawn[tracking_uid(reading, lid)]  # KeyError: OHIF did not draw it
            assert a["image"] == f"sop:{sop}:1"
            assert a["graphic_type"] == "POLYLINE"
            np.testing.assert_allclose(a["world"], ends, atol=1e-3)
            nodal = lid in {"T04"}  # the sample's node: both axes, two lines
            assert a["lines"] == (2 if nodal else 1)
        assert len(drawn) == len(want)
        for m in result["measurements"]:  # a calliper is a line, not a rectangle
            assert "RectangleROI" not in m["tools"], m
