"""The run folder: manifest, predictions, scores and metrics of one evaluation."""

from harness.runs.folder import RunFolder, write_atomic
from harness.runs.records import AttemptRecord, Manifest, PredictionRecord, TokenTotals

__all__ = [
    "AttemptRecord",
    "Manifest",
    "PredictionRecord",
    "RunFolder",
    "TokenTotals",
    "write_atomic",
]
