"""measure_lesion against hand-derived values and brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from measurements import (
    EmptyMaskError,
    ImageGeometry,
    MeasurementError,
    Volume,
    measure_lesion,
)

IDENTITY = tuple(np.eye(3).ravel())


def _volume(shape=(12, 30, 30), spacing=(0.5, 0.5, 2.0), direction=IDENTITY):
    g = ImageGeometry(
        origin=(10, -20, 5), spacing=spacing, direction=direction, size=shape[::-1]
    )
    return Volume(array=np.zeros(shape, np.int16), geometry=g)


def test_box_by_hand():
    v = _volume()
    m = np.zeros(v.array.shape, bool)
    m[3:6, 5:15, 10:14] = True  # 3 slices x 10 rows x 4 cols
    r = measure_lesion(m, v)
    assert r.volume_mm3 == pytest.approx(3 * 10 * 4 * 0.5 * 0.5 * 2.0)
    # slice outline: rows 4.5..14.5 cols 9.5..13.5 with cut corners; longest chord
    # (14, 9.5)-(5, 13.5) or (14.5, 10)-(4.5, 13): max(hypot(9, 4), hypot(10, 3)) px
    assert r.long_axis_mm == pytest.approx(
        0.5 * max(math.hypot(9, 4), math.hypot(10, 3))
    )
    assert [s.index_z for s in r.slices] == [3, 4, 5]
    assert r.longest.index_z == 3  # all equal: the first
    # centroid: voxel centre (z, y, x) = (4, 9.5, 11.5) -> origin + spacing * ijk
    np.testing.assert_allclose(
        r.centroid_lps, [10 + 11.5 * 0.5, -20 + 9.5 * 0.5, 5 + 8.0]
    )
    # 3-D: surface from z 2.5..5.5 (6 mm), rows/cols as above: brute force below
    assert r.diameter_3d_mm >= r.long_axis_mm


def test_diameter_3d_brute_force_and_lps_endpoints():
    rot = Rotation.from_euler("xyz", [20, -10, 35], degrees=True).as_matrix()
    v = _volume(direction=rot.ravel())
    rng = np.random.default_rng(3)
    m = np.zeros(v.array.shape, bool)
    m[4:9, 8:20, 6:22] = rng.random((5, 12, 16)) < 0.6
    r = measure_lesion(m, v)
    from skimage.measure import marching_cubes

    verts = marching_cubes(np.pad(m, 1).astype(float), 0.5)[0] - 1
    lps = v.geometry.zyx_to_lps(verts)  # independent path: through LPS
    d2 = ((lps[:, None] - lps[None]) ** 2).sum(-1)
    assert r.diameter_3d_mm == pytest.approx(math.sqrt(d2.max()), rel=1e-9)
    e = r.diameter_3d_endpoints_lps
    assert np.linalg.norm(e[1] - e[0]) == pytest.approx(r.diameter_3d_mm)
    s = r.longest
    assert np.linalg.norm(np.diff(s.long_endpoints_lps, axis=0)) == pytest.approx(
        s.long_axis_mm
    )
    assert np.linalg.norm(np.diff(s.short_endpoints_lps, axis=0)) == pytest.approx(
        s.short_axis_mm
    )
    assert r.node.short_axis_mm == max(x.short_axis_mm for x in r.slices)
    assert r.longest.long_axis_mm == max(x.long_axis_mm for x in r.slices)


def test_bad_input():
    v = _volume()
    with pytest.raises(EmptyMaskError):
        measure_lesion(np.zeros(v.array.shape, bool), v)
    with pytest.raises(MeasurementError, match="shape"):
        measure_lesion(np.ones((2, 2, 2), bool), v)
