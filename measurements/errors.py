"""Exceptions raised by the measurement core."""

from __future__ import annotations

__all__ = ["EmptyMaskError", "MeasurementError", "SegmentationError"]


class MeasurementError(ValueError):
    """A measurement cannot be made from the given input (the reason says why)."""


class EmptyMaskError(MeasurementError):
    """A mask holds no foreground pixel, so there is nothing to measure."""


class SegmentationError(MeasurementError):
    """Click-to-segment could not find a lesion at the seed (outside, on air, ...)."""
