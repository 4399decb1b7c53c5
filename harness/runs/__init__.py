"""Run folders (manifest, predictions, scores, metrics of one evaluation) and sweep
folders (one run folder per cell, and a summary): the only code that knows their layout."""

from harness.runs.folder import RunFolder, write_atomic
from harness.runs.manifest import Manifest, TokenTotals
from harness.runs.records import AttemptRecord, PredictionRecord
from harness.runs.sweep_folder import SummaryCell, SweepFolder, SweepSummary

__all__ = [
    "AttemptRecord",
    "Manifest",
    "PredictionRecord",
    "RunFolder",
    "SummaryCell",
    "SweepFolder",
    "SweepSummary",
    "TokenTotals",
    "write_atomic",
]
