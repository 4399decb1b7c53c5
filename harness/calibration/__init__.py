"""Measure how well claim matchers agree with human judges (`harness matchers calibrate`)."""

from harness.calibration.calibrate import (
    CalibrationReport,
    MatcherCalibration,
    calibrate,
    pair_scores,
)
from harness.calibration.pairs import CalibrationPair, consensus, load_pairs

__all__ = [
    "CalibrationPair",
    "CalibrationReport",
    "MatcherCalibration",
    "calibrate",
    "consensus",
    "load_pairs",
    "pair_scores",
]
