"""Pure image geometry and lesion measurement in millimetres (no GUI, no RECIST rules)."""

from measurements.errors import EmptyMaskError, MeasurementError, SegmentationError
from measurements.geometry import ImageGeometry, Volume

__all__ = [
    "EmptyMaskError",
    "ImageGeometry",
    "MeasurementError",
    "SegmentationError",
    "Volume",
]
