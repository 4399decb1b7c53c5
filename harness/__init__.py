"""claim-harness: evaluate how well language models extract claims and their attribution.

The public API; the CLI (`harness ...`) is a thin layer over these names. Names load on
first use (PEP 562), so `import harness` and `harness --help` stay fast: the openai SDK,
scipy and datasets are imported only by the code paths that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Claim": "harness.claims",
    "Document": "harness.claims",
    "Extraction": "harness.claims",
    "GoldClaim": "harness.claims",
    "GoldDocument": "harness.claims",
    "QuoteType": "harness.claims",
    "SpeakerType": "harness.claims",
    "load_documents": "harness.corpus",
    "load_gold": "harness.corpus",
    "Endpoint": "harness.endpoints.settings",
    "OutputMode": "harness.endpoints.settings",
    "SamplingParams": "harness.endpoints.settings",
    "load_prompt": "harness.prompts",
    "init_project": "harness.project",
    "RunRequest": "harness.request",
    "EndpointOptions": "harness.request",
    "SamplingOptions": "harness.request",
    "CorpusOptions": "harness.request",
    "EvaluationOptions": "harness.request",
    "CacheOptions": "harness.request",
    "run": "harness._eval.api",
    "run_sweep": "harness._eval.api",
    "run_baseline_beside": "harness._eval.api",
    "plan_sweep": "harness._eval.api",
    "run_sweep_shard": "harness._eval.api",
    "summarize_sweep": "harness._eval.api",
    "ShardResult": "harness._eval.fanout",
    "Shard": "harness.shard",
    "merge_caches": "harness.endpoints.cache_merge",
    "rescore": "harness._eval.api",
    "load_sweep": "harness._eval.expand",
    "expand_cells": "harness._eval.expand",
    "CellPlan": "harness._eval.sweep",
    "CellOutcome": "harness._eval.sweep",
    "check_cell_failures": "harness._eval.sweep",
    "SweepFile": "harness.sweep",
    "Cell": "harness.sweep",
    "RunFolder": "harness.runs",
    "SweepFolder": "harness.runs",
    "Manifest": "harness.runs",
    "compare_runs": "harness.compare",
    "runs_to_compare": "harness.compare",
    "regressions": "harness.compare",
    "Comparison": "harness.compare",
    "RunConfig": "harness._eval.config",
    "RunOutcome": "harness._eval.run",
    "evaluate": "harness._eval.evaluate",
    "aevaluate": "harness._eval.evaluate",
    "arun": "harness._eval.api",
    "write_report": "harness.report",
    "ReportOptions": "harness.report",
    "export_run": "harness.export",
    "ExportFormat": "harness.export",
    "run_evaluation": "harness._eval.run",
    "score_run": "harness._eval.run",
    "ScoringConfig": "harness.scoring.document",
    "JudgeSettings": "harness.scoring_names",
    "score_document": "harness.scoring.document",
    "Metrics": "harness.scoring.metrics",
    "aggregate": "harness.scoring.metrics",
    "submit_batch": "harness._eval.batch",
    "SubmitReport": "harness._eval.batch",
    "collect_batch": "harness.batch",
    "CollectReport": "harness.batch",
    "export_vllm_batch": "harness.batch",
    "import_batch_results": "harness.batch",
}

__all__ = [
    "CacheOptions",
    "Cell",
    "CellOutcome",
    "CellPlan",
    "Claim",
    "CollectReport",
    "Comparison",
    "CorpusOptions",
    "Document",
    "Endpoint",
    "EndpointOptions",
    "EvaluationOptions",
    "ExportFormat",
    "Extraction",
    "GoldClaim",
    "GoldDocument",
    "JudgeSettings",
    "Manifest",
    "Metrics",
    "OutputMode",
    "QuoteType",
    "ReportOptions",
    "RunConfig",
    "RunFolder",
    "RunOutcome",
    "RunRequest",
    "SamplingOptions",
    "SamplingParams",
    "ScoringConfig",
    "Shard",
    "ShardResult",
    "SpeakerType",
    "SubmitReport",
    "SweepFile",
    "SweepFolder",
    "__version__",
    "aevaluate",
    "aggregate",
    "arun",
    "check_cell_failures",
    "collect_batch",
    "compare_runs",
    "evaluate",
    "expand_cells",
    "export_run",
    "export_vllm_batch",
    "import_batch_results",
    "init_project",
    "load_documents",
    "load_gold",
    "load_prompt",
    "load_sweep",
    "merge_caches",
    "plan_sweep",
    "regressions",
    "rescore",
    "run",
    "run_baseline_beside",
    "run_evaluation",
    "run_sweep",
    "run_sweep_shard",
    "runs_to_compare",
    "score_document",
    "score_run",
    "submit_batch",
    "summarize_sweep",
    "write_report",
]

if TYPE_CHECKING:
    from harness._eval.api import (
        arun,
        plan_sweep,
        rescore,
        run,
        run_baseline_beside,
        run_sweep,
        run_sweep_shard,
        summarize_sweep,
    )
    from harness._eval.batch import SubmitReport, submit_batch
    from harness._eval.config import RunConfig
    from harness._eval.evaluate import aevaluate, evaluate
    from harness._eval.expand import expand_cells, load_sweep
    from harness._eval.fanout import ShardResult
    from harness._eval.run import RunOutcome, run_evaluation, score_run
    from harness._eval.sweep import CellOutcome, CellPlan, check_cell_failures
    from harness.batch import (
        CollectReport,
        collect_batch,
        export_vllm_batch,
        import_batch_results,
    )
    from harness.claims import (
        Claim,
        Document,
        Extraction,
        GoldClaim,
        GoldDocument,
        QuoteType,
        SpeakerType,
    )
    from harness.compare import Comparison, compare_runs, regressions, runs_to_compare
    from harness.corpus import load_documents, load_gold
    from harness.endpoints.cache_merge import merge_caches
    from harness.endpoints.settings import Endpoint, OutputMode, SamplingParams
    from harness.export import ExportFormat, export_run
    from harness.project import init_project
    from harness.prompts import load_prompt
    from harness.report import ReportOptions, write_report
    from harness.request import (
        CacheOptions,
        CorpusOptions,
        EndpointOptions,
        EvaluationOptions,
        RunRequest,
        SamplingOptions,
    )
    from harness.runs import Manifest, RunFolder, SweepFolder
    from harness.scoring.document import ScoringConfig, score_document
    from harness.scoring.metrics import Metrics, aggregate
    from harness.scoring_names import JudgeSettings
    from harness.shard import Shard
    from harness.sweep import Cell, SweepFile


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
