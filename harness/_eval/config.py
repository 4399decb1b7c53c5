"""RunConfig: everything one evaluation needs, as one validated value."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from harness.answer_limits import AnswerLimits
from harness.endpoints.settings import Endpoint, OutputMode, SamplingParams
from harness.prompts import default_prompts_dir
from harness.runs.manifest import LocalModel
from harness.scoring.document import ScoringConfig

__all__ = ["RunConfig"]


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    prompt: str = "extract@v2"
    prompts_dir: Path = Field(default_factory=default_prompts_dir)
    docs: Path = Path("seeds")
    gold: Path = Path("gold")
    results_dir: Path = Path("results")
    endpoint: Endpoint
    params: SamplingParams = SamplingParams()
    output_mode: OutputMode | None = Field(None, description="force a rung; None = probe")
    reask: int = Field(1, ge=0, le=5)
    answer_limits: AnswerLimits = AnswerLimits()
    scoring: ScoringConfig = ScoringConfig()
    limit: int | None = Field(None, ge=1, description="only the first N documents")
    run_id: str | None = None
    local_model: LocalModel | None = None
    cache_dir: Path | None = Field(None, description="response cache folder; None = no cache")
    cache_ttl: float | None = Field(None, gt=0, description="seconds; older answers not reused")
    repeat: int = Field(0, ge=0, description="repeat index (sweeps); part of the cache key")
