"""The series splitter's duplicate-position tolerance (recist/dicom/_series.py).

Positions closer than 0.01 mm along the slice normal are "the same position":
such a slice is reported DUPLICATE_POSITION (and read_volume keeps the first), and
repeated positions are what lets differing echo numbers split a series. Each
side of the tolerance is pinned with real files written by pydicom.
"""

from __future__ import annotations

import pytest
from pydicom.uid import generate_uid

from recist.dicom import scan
from tests.recist.test_dicom_fixtures import write_series


@pytest.mark.parametrize(
    ("z", "codes", "n_grid"),
    [
        # 2.5 and 2.509: 0.009 mm apart < 0.01 -> one duplicate; steps kept 2.5 and
        # 2.491 (median 2.4955, both within 1 %): regular, 3 slices on the grid
        pytest.param([0.0, 2.5, 2.509, 5.0], {"DUPLICATE_POSITION"}, 3, id="0.009mm"),
        # 2.5 and 2.511: 0.011 mm >= 0.01 -> two slices; steps 2.5, 0.011, 2.489
        # (median 2.489): 0.011 is far from it -> uneven, no duplicate
        pytest.param([0.0, 2.5, 2.511, 5.0], {"UNEVEN_SPACING"}, None, id="0.011mm"),
    ],
)
def test_duplicate_position_tolerance(tmp_path, z, codes, n_grid):
    write_series(tmp_path, z)
    (series,) = scan(tmp_path)
    assert set(series.problem_codes) == codes
    assert series.n_images == 4
    if n_grid is not None:
        assert series.size[2] == n_grid  # the duplicate is not a grid slice
        assert series.spacing[2] == pytest.approx(2.5)  # extent 5.0 / 2 steps


@pytest.mark.parametrize(
    ("offset", "sizes"),
    [
        # echo 2 at +0.009 mm: the positions repeat (within 0.01) -> split by echo
        pytest.param(0.009, [5, 5], id="repeat-split"),
        # echo 2 at +0.011 mm: distinct positions -> one series of 10 slices
        pytest.param(0.011, [10], id="distinct-one-series"),
    ],
)
def test_echo_split_needs_repeated_positions(tmp_path, offset, sizes):
    uid = generate_uid()
    z = [0.0, 2.5, 5.0, 7.5, 10.0]
    write_series(tmp_path / "e1", z, series_uid=uid, echo=1, seed=1)
    write_series(tmp_path / "e2", [v + offset for v in z], series_uid=uid, echo=2)
    assert [p.n_images for p in scan(tmp_path)] == sizes
