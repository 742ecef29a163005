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
from measurements.lesion import LesionMeasurement, SliceMeasurement, measure_lesion
from measurements.segment import segment_lesion, segment_lesion_box

__all__ = [
    "Bidirectional",
    "EmptyMaskError",
    "ImageGeometry",
    "LesionMeasurement",
    "LongAxis",
    "MeasurementError",
    "SegmentationError",
    "ShortAxis",
    "SliceMeasurement",
    "Volume",
    "bidirectional",
    "caliper_mm",
    "long_axis",
    "long_axis_of_polygon",
    "measure_lesion",
    "outline",
    "segment_lesion",
    "segment_lesion_box",
    "short_axis",
]
