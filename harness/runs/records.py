"""What a run writes per document: one prediction record, with every attempt.

Raw responses are kept verbatim so any score can be recomputed (or disputed) later
without calling the model again.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from harness.claims import Claim
from harness.failures import Failure

__all__ = ["AttemptRecord", "PredictionRecord"]


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
    replica: str | None = None  # the base URL that answered, for a pool of replicas


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
    # Under a prompt with `grounding: sentences`: was the evidence enum sent (so grounding is
    # guaranteed, not measured), and if not, why. None for prompts without the option.
    grounded: bool | None = None
    grounding_note: str | None = None

    @property
    def raw(self) -> str | None:
        return self.attempts[-1].raw if self.attempts else None
