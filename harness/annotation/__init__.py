"""Annotation tooling: gold-folder checks and inter-annotator agreement."""

from harness.annotation.agreement import Agreement, agree, cohen_kappa
from harness.annotation.validate import GoldProblem, validate_gold_folder

__all__ = ["Agreement", "GoldProblem", "agree", "cohen_kappa", "validate_gold_folder"]
