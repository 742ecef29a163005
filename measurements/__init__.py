"""Pure image geometry and lesion measurement in millimetres.

No GUI and no RECIST rules here.
"""

from measurements.diameters import (
    Bidirectional,
    LongAxis,
    ShortAxis,
    bidirectional,
    caliper_mm,
    long_axis,
    long_axis_of_polygon,
    outline,
    short_axis,
)
from measurements.errors import EmptyMaskError, MeasurementError, SegmentationError
from measurements.geometry import ImageGeometry, Volume

__all__ = [
    "Bidirectional",
    "EmptyMaskError",
    "ImageGeometry",
    "LongAxis",
    "MeasurementError",
    "SegmentationError",
    "ShortAxis",
    "Volume",
    "bidirectional",
    "caliper_mm",
    "long_axis",
    "long_axis_of_polygon",
    "outline",
    "short_axis",
]
