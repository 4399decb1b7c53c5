"""manifest.json: what was run, on what, by which code; never the API key.

The manifest is typed all the way down (endpoint, sampling, scoring, cache statistics,
local model), so a reader never guesses what a key holds, and it carries a
`schema_version`. Version 1 (every manifest written before issue 17) had the same keys
with untyped values and no version; it still reads, as version 1, and is written back
as the current version. The top-level keys stay flat because reports, exports and users'
scripts read them.

A run writes its manifest at known points only: when it starts (status `running`), when it
stops (completed, failed or interrupted, with totals), and when `rescore` changes its
scoring or gold. Each write is atomic (`RunFolder.write_manifest`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.answer_limits import AnswerLimits
from harness.endpoints.settings import Endpoint, SamplingParams
from harness.schemas.request import Grounding, RequestCaps
from harness.scoring.document import ScoringConfig

__all__ = [
    "SCHEMA_VERSION",
    "CacheStats",
    "EndpointSettings",
    "JudgeUsage",
    "LocalModel",
    "Manifest",
    "ProbeRecord",
    "TokenTotals",
]

SCHEMA_VERSION = 2


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EndpointSettings(_Part):
    """How the endpoint was called (its URL and model are top-level keys)."""

    timeout_s: float = Endpoint.model_fields["timeout_s"].default
    concurrency: int = Endpoint.model_fields["concurrency"].default
    max_attempts: int = Endpoint.model_fields["max_attempts"].default
    backoff_max_s: float = Endpoint.model_fields["backoff_max_s"].default
    identity: str | None = None
    http_client: str | None = None  # the SDK's transport; None in manifests before it was kept
    replicas: list[str] = Field(default_factory=list)  # a pool's base URLs; [] for one URL

    @classmethod
    def of(cls, endpoint: Endpoint) -> EndpointSettings:
        return cls.model_validate(endpoint.model_dump(exclude={"base_url", "model"}))


class LocalModel(_Part):
    """The embedded model's file and server, for a run that started one."""

    path: str
    sha256: str
    server: str
    n_ctx: int
    log: str
    options: str = ""  # extra server options ("--logits_all False"); "" in older manifests


class CacheStats(_Part):
    path: str
    hits: int
    misses: int


class ProbeRecord(_Part):
    mode: str
    accepted: bool
    error: str | None


class TokenTotals(_Part):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0
    http_attempts: int = 0
    cached: int = 0


class JudgeUsage(_Part):
    """What the LLM judge did the last time this run was scored with it (`scoring.judge`
    says which judge): its endpoint, requests and tokens, failures by class, the pairs
    that fell back to the lexical score for want of a verdict, and position bias."""

    base_url: str
    model: str
    identity: str | None = None
    pairs: int = 0
    requests: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    failures: dict[str, int] = Field(default_factory=dict)
    fallback_pairs: int = 0
    position_bias: float | None = None


class Manifest(_Part):
    schema_version: int = Field(SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION)
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
    local_model: LocalModel | None = None
    endpoint: EndpointSettings
    params: SamplingParams
    output_mode: str | None = None
    forced_output_mode: str | None = None  # --output-mode, so a resume forces it again
    output_mode_probe: list[ProbeRecord] = Field(default_factory=list)
    request_caps: RequestCaps | None = None  # the caps sent (prompt.yaml request_caps)
    grounding: Grounding | None = None  # the prompt's grounding option; None: not asked
    reask: int
    repeat: int = 0
    # How answers were validated; manifests before it was kept used the defaults.
    answer_limits: AnswerLimits = AnswerLimits()
    cache: CacheStats | None = None
    scoring: ScoringConfig  # a new scoring setting (e.g. the matcher) is recorded with it
    prompts_dir: str | None = None  # absolute; None in manifests before resume read it
    documents_source: str
    documents_hash: str
    n_documents: int
    gold_source: str
    gold_hash: str
    n_gold_documents: int
    started_at: str
    finished_at: str | None = None
    duration_s: float | None = None
    tokens: TokenTotals = Field(default_factory=TokenTotals)  # extraction only
    judge: JudgeUsage | None = None  # a run scored with `--matcher judge`

    @model_validator(mode="before")
    @classmethod
    def _version_1(cls, data: Any) -> Any:
        """A manifest without `schema_version` was written before versions: it is 1."""
        if isinstance(data, dict) and "schema_version" not in data:
            return {"schema_version": 1, **data}
        return data
