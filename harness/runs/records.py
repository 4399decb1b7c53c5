"""What a run writes: the manifest and one prediction record per document.

Raw responses are kept verbatim so any score can be recomputed (or disputed) later
without calling the model again.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from harness.claims import Claim
from harness.failures import Failure

__all__ = ["AttemptRecord", "Manifest", "PredictionRecord", "ProbeRecord", "TokenTotals"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AttemptRecord(_Record):
    """One model turn (the first request or a re-ask), after its HTTP retries."""

    kind: str  # "request" | "reask"
    mode: str
    http_attempts: int
    latency_s: float
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    raw: str | None = None
    failure: Failure | None = None
    cached: bool = False
    cache_key: str | None = None


class PredictionRecord(_Record):
    """A line of predictions.jsonl: everything that happened for one document."""

    doc_id: str
    mode: str | None
    claims: list[Claim] | None
    failure: Failure | None
    repairs: list[str] = Field(default_factory=list)
    valid_first_attempt: bool = False
    attempts: list[AttemptRecord] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    server_model: str | None = None

    @property
    def raw(self) -> str | None:
        return self.attempts[-1].raw if self.attempts else None


class ProbeRecord(_Record):
    mode: str
    accepted: bool
    error: str | None


class TokenTotals(_Record):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    http_attempts: int = 0
    cached: int = 0


class Manifest(_Record):
    """manifest.json: what was run, on what, by which code; never the API key."""

    run_id: str
    status: str  # running | completed | failed | interrupted
    error: str | None = None
    harness_version: str
    git_commit: str | None
    prompt: str
    prompt_hash: str
    prompt_description: str
    base_url: str
    model: str
    server_model: str | None = None
    local_model: dict[str, str] | None = None
    endpoint: dict[str, float | int | str | None]
    params: dict[str, float | int | str | None]
    output_mode: str | None = None
    output_mode_probe: list[ProbeRecord] = Field(default_factory=list)
    reask: int
    repeat: int = 0
    cache: dict[str, str | int] | None = None
    scoring: dict[str, float | str]  # thresholds, matcher and assignment names
    documents_source: str
    documents_hash: str
    n_documents: int
    gold_source: str
    gold_hash: str
    n_gold_documents: int
    started_at: str
    finished_at: str | None = None
    duration_s: float | None = None
    tokens: TokenTotals = Field(default_factory=TokenTotals)
