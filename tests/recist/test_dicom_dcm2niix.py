"""The gantry-tilted GE series against dcm2niix's own tilt-corrected output.

dcm2niix (Debian package, installed by scripts/_setup.sh) is run on the shared GE
series; its ``_Tilt_Eq_1`` volume (tilt corrected, spacing equalised) is resampled
onto our grid by SimpleITK and compared voxel by voxel.  Skips when dcm2niix or the
data is absent.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import SimpleITK as sitk

from recist.dicom import read_volume
from tests.conftest import require_tool, shared_path


@pytest.fixture(scope="module")
def volumes(tmp_path_factory):
    exe = require_tool("dcm2niix", package="dcm2niix")
    series = shared_path("data", "dcm-qa-ct-gantry-tilt", "GE")
    out = tmp_path_factory.mktemp("dcm2niix")
    subprocess.run(
        [exe, "-z", "n", "-o", str(out), "-f", "ge", str(series)],
        check=True,
        capture_output=True,
    )
    corrected = sorted(out.glob("ge_Tilt*.nii"))
    assert corrected, "dcm2niix wrote no tilt-corrected volume"
    sitk.ProcessObject.SetGlobalWarningDisplay(False)  # NIfTI sform scale notice
    ref = sitk.Cast(sitk.ReadImage(str(corrected[-1])), sitk.sitkFloat32)
    ours = read_volume(series)
    return ours, ref


# the central 256 x 256 columns and rows (the head), every slice: 4x faster
CROP = (slice(None), slice(128, 384), slice(128, 384))


def _resampled(ref, ours, shift_zyx=(0, 0, 0)):
    grid = ours.to_sitk()[128:384, 128:384, :]  # SimpleITK slices x, y, z
    offset = np.asarray(ours.direction).reshape(3, 3) @ (
        np.asarray(shift_zyx[::-1], float) * np.asarray(ours.spacing)
    )
    move = sitk.TranslationTransform(3, offset.tolist())
    res = sitk.Resample(ref, grid, move, sitk.sitkLinear, -5000.0)
    return sitk.GetArrayFromImage(res)


def test_tilt_corrected_voxels_agree_with_dcm2niix(volumes):
    ours, ref = volumes
    theirs = _resampled(ref, ours)
    inside = theirs > -4000  # where dcm2niix's volume covers ours
    assert inside.mean() > 0.6
    a, b = theirs[inside], ours.array[CROP].astype(np.float32)[inside]
    assert np.corrcoef(a, b)[0, 1] > 0.998  # 0.9989 seen (bone edges interpolated)
    assert np.abs(a - b).mean() < 10.0  # HU; interpolation differences only


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_no_shift_of_a_voxel_matches_better(volumes, axis):
    # within a voxel: moving dcm2niix's volume by one voxel along any axis makes
    # the agreement worse, in both directions
    ours, ref = volumes
    b = ours.array[CROP].astype(np.float32)

    def mad(shift):
        theirs = _resampled(ref, ours, shift)
        inside = theirs > -4000
        return float(np.abs(theirs[inside] - b[inside]).mean())

    still = mad((0, 0, 0))
    for step in (-1, 1):
        shift = [0, 0, 0]
        shift[axis] = step
        assert mad(tuple(shift)) > still
