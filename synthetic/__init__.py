"""Synthetic landing zone with ground truth, for tests, demos and the matching benchmark."""

from synthetic.zone import build_zone, generate_zone

__all__ = ["generate_zone", "build_zone"]
