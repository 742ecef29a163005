"""Registration on real CT: LIDC-IDRI-0001 against a copy of itself moved by a
known smooth field (a rotation about z, a shift and a smooth in-plane
antero-posterior displacement), and the nodule found again where the field
puts it.  The CT holds 39 slices of 2.5 mm; the copy is shifted by two whole
slices in z so that no slice is interpolated (which would change the nodule's
sections, and so its long axis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from measurements import Volume, measure_lesion, segment_lesion
from measurements.registration import refine_local, register_rigid
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def lidc():
    root = shared_path("data", "lidc-idri-0001-ct")
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(root / "ct")))
    return Volume.from_sitk(reader.Execute())


ANGLE = math.radians(3.0)  # about z, around the pivot
SHIFT = (9.0, -6.0, 5.0)  # z: two slices, so slices are not interpolated in z
AMPLITUDE_MM = 4.0  # smooth in-plane (antero-posterior) displacement


def _field(x, y, pivot):
    """u(q): AP displacement, largest at the pivot, fading over ~120 mm."""
    w = np.exp(-(((x - pivot[0]) / 120.0) ** 2 + ((y - pivot[1]) / 120.0) ** 2))
    return 0.0 * w, AMPLITUDE_MM * w


def _forward(q, pivot):
    """p = R (q + u(q) - pivot) + pivot + shift (R about z)."""
    ux, uy = _field(q[0], q[1], pivot)
    dx, dy = q[0] + ux - pivot[0], q[1] + uy - pivot[1]
    c, s = math.cos(ANGLE), math.sin(ANGLE)
    return (
        c * dx - s * dy + pivot[0] + SHIFT[0],
        s * dx + c * dy + pivot[1] + SHIFT[1],
        q[2] + SHIFT[2],
    )


def _moved(volume: Volume, pivot) -> Volume:
    """The volume as the moved body is scanned on the same grid (exact in z)."""
    g = volume.geometry
    x = g.origin[0] + g.spacing[0] * np.arange(g.size[0])
    y = g.origin[1] + g.spacing[1] * np.arange(g.size[1])
    px, py = np.meshgrid(x, y)  # (rows, cols)
    c, s = math.cos(ANGLE), math.sin(ANGLE)
    rx = c * (px - pivot[0] - SHIFT[0]) + s * (py - pivot[1] - SHIFT[1]) + pivot[0]
    ry = -s * (px - pivot[0] - SHIFT[0]) + c * (py - pivot[1] - SHIFT[1]) + pivot[1]
    qx, qy = rx, ry
    for _ in range(8):  # q + u(q) = r, a contraction
        ux, uy = _field(qx, qy, pivot)
        qx, qy = rx - ux, ry - uy
    rows = (qy - g.origin[1]) / g.spacing[1]
    cols = (qx - g.origin[0]) / g.spacing[0]
    k = round(SHIFT[2] / g.spacing[2])
    out = np.full(volume.array.shape, -1000.0, dtype=np.float32)
    for z in range(volume.array.shape[0]):
        src = z - k
        if 0 <= src < volume.array.shape[0]:
            out[z] = ndimage.map_coordinates(
                volume.array[src].astype(np.float32),
                [rows, cols],
                order=1,
                mode="constant",
                cval=-1000.0,
            )
    return Volume(array=np.rint(out).astype(np.int16), geometry=g)


def test_lidc_nodule_found_after_a_known_deformation(lidc):
    assert lidc.direction == (1, 0, 0, 0, 1, 0, 0, 0, 1)  # axial, as Motion assumes
    seed = (20, 367, 317)  # the centre of the radiologist SEG mask, rounded
    mask = segment_lesion(lidc, seed)
    before = measure_lesion(mask, lidc)
    centre = tuple(float(v) for v in before.centroid_lps)
    pivot = (0.0, 0.0)
    truth = _forward(centre, pivot)
    moved = _moved(lidc, pivot)
    rigid = register_rigid(lidc, moved)
    local = refine_local(
        lidc, moved, centre, rigid, lesion_radius_mm=before.long_axis_mm / 2
    )
    mapped = local.map_point(centre)
    assert math.dist(mapped, truth) <= 2.0, (mapped, truth)
    zyx = tuple(int(v) for v in np.rint(moved.geometry.lps_to_zyx(mapped)))
    after = measure_lesion(segment_lesion(moved, zyx), moved)
    found = tuple(float(v) for v in after.centroid_lps)
    assert math.dist(found, truth) <= 1.5, (found, truth)
    # the radiologists' long axes of this nodule: 32.0-33.7 mm
    assert 32.0 <= after.long_axis_mm <= 34.0, after.long_axis_mm
