"""Deterministic synthetic CT study with known lesions (an independent oracle).

Imports nothing from recist, measurements or viewer, so its ground truth is
independent of the code it tests.  ``python -m sample_dicom OUT`` or
:func:`generate` writes four visits (baseline, week 6, 12, 18) of one patient and
the truth: ``truth.case.json`` (response case with the expected confirmed PR) and
``truth.lesions.json`` (every lesion's position and axes at every visit).
:func:`generate_tracking` (``--tracking``) writes a study for lesion propagation:
follow-ups where the body is moved and deformed by a known transform.
"""

from sample_dicom._moved import TrackingStudy, generate_tracking
from sample_dicom._study import SampleStudy, Visit, generate
from sample_dicom._truth import LesionTruth

__all__ = [
    "LesionTruth",
    "SampleStudy",
    "TrackingStudy",
    "Visit",
    "generate",
    "generate_tracking",
]
