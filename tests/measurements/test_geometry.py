"""ImageGeometry against SimpleITK's own index <-> physical point transforms."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from scipy.spatial.transform import Rotation

from measurements import ImageGeometry, Volume

ROTATIONS = Rotation.random(8, random_state=20260401).as_matrix()


def _image(direction, spacing=(0.7, 0.9, 2.5), origin=(-120.5, 33.0, 410.25)):
    img = sitk.Image(16, 12, 5, sitk.sitkInt16)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    img.SetDirection(tuple(np.asarray(direction, float).reshape(-1)))
    return img


@pytest.mark.parametrize("k", range(len(ROTATIONS)))
def test_ijk_to_lps_matches_simpleitk(k):
    img = _image(ROTATIONS[k])
    g = Volume.from_sitk(img).geometry
    rng = np.random.default_rng(k)
    ijk = rng.uniform(-3, 20, size=(50, 3))
    expected = np.array(
        [img.TransformContinuousIndexToPhysicalPoint(p.tolist()) for p in ijk]
    )
    np.testing.assert_allclose(g.ijk_to_lps(ijk), expected, atol=1e-6, rtol=0)
    back = np.array(
        [img.TransformPhysicalPointToContinuousIndex(p.tolist()) for p in expected]
    )
    np.testing.assert_allclose(g.lps_to_ijk(expected), back, atol=1e-6, rtol=0)
    np.testing.assert_allclose(g.lps_to_ijk(g.ijk_to_lps(ijk)), ijk, atol=1e-9)
    # numpy (z, y, x) order is the same transform with the axes reversed
    np.testing.assert_allclose(g.zyx_to_lps(ijk[:, ::-1]), expected, atol=1e-6, rtol=0)
    np.testing.assert_allclose(g.lps_to_zyx(expected), ijk[:, ::-1], atol=1e-6)


def test_vectorised_shapes():
    g = ImageGeometry(
        origin=(1, 2, 3), spacing=(1, 2, 3), direction=np.eye(3).ravel(), size=(4, 5, 6)
    )
    assert g.ijk_to_lps([0, 0, 0]).shape == (3,)
    assert g.ijk_to_lps(np.zeros((7, 3))).shape == (7, 3)
    assert g.ijk_to_lps(np.zeros((2, 7, 3))).shape == (2, 7, 3)
    assert g.lps_to_ijk(np.zeros((2, 7, 3))).shape == (2, 7, 3)
    # hand-checked: origin + spacing * ijk for identity direction
    assert g.ijk_to_lps([1, 1, 1]).tolist() == [2.0, 4.0, 6.0]


def test_voxel_centre_matches_simpleitk_integer_index():
    img = _image(ROTATIONS[0])
    g = Volume.from_sitk(img).geometry
    for idx in [(0, 0, 0), (15, 11, 4), (3, 7, 2)]:
        np.testing.assert_allclose(
            g.ijk_to_lps(idx), img.TransformIndexToPhysicalPoint(idx), atol=1e-6
        )


def test_volume_round_trip_through_simpleitk():
    img = _image(ROTATIONS[3])
    arr = np.arange(16 * 12 * 5, dtype=np.int16).reshape(5, 12, 16)
    img2 = sitk.GetImageFromArray(arr)
    img2.CopyInformation(img)
    v = Volume.from_sitk(img2)
    assert v.array.shape == (5, 12, 16)
    back = v.to_sitk()
    assert np.array_equal(sitk.GetArrayFromImage(back), arr)
    np.testing.assert_allclose(back.GetDirection(), img.GetDirection(), atol=1e-12)
    np.testing.assert_allclose(back.GetOrigin(), img.GetOrigin(), atol=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"spacing": (1, 0, 1)},
        {"spacing": (1, np.nan, 1)},
        {"direction": (1, 0, 0, 0, 2, 0, 0, 0, 1)},
        {"size": (0, 1, 1)},
        {"origin": (0, 0)},
    ],
)
def test_invalid_geometry_rejected(kwargs):
    base = {
        "origin": (0, 0, 0),
        "spacing": (1, 1, 1),
        "direction": np.eye(3).ravel(),
        "size": (2, 2, 2),
    }
    with pytest.raises(ValueError, match="must"):
        ImageGeometry(**{**base, **kwargs})
