"""Grounding, matching, attribution checks and corpus metrics."""

from harness.scoring.document import DocScore, ScoringConfig, score_document
from harness.scoring.metrics import Metrics, MetricValue, aggregate

__all__ = ["DocScore", "MetricValue", "Metrics", "ScoringConfig", "aggregate", "score_document"]
