"""What `harness run` asks for, as one validated value grouped like its options.

The CLI parses its option groups into a `RunRequest`; Python users build one directly.
Nothing here has a per-kind default filled in yet (None means "the kind's default"):
`harness.run` resolves the request, through the same path as a sweep cell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.answer_limits import AnswerLimits, MaxChars, MaxDepth
from harness.endpoints.local import DEFAULT_CONTEXT
from harness.endpoints.settings import HttpClient, OutputMode
from harness.scoring_names import (
    DEFAULT_ASSIGNMENT,
    DEFAULT_MATCHER,
    Assignment,
    JudgeSettings,
    MatcherName,
)

__all__ = [
    "CacheOptions",
    "CorpusOptions",
    "EndpointOptions",
    "EvaluationOptions",
    "RunRequest",
    "SamplingOptions",
]


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def pick(cls, options: dict[str, Any]) -> dict[str, Any]:
        return {name: options[name] for name in cls.model_fields if name in options}


class EndpointOptions(_Group):
    model: str | None = Field(None, description="None: 'local' unless base_url is given")
    base_url: str | list[str] | None = Field(
        None, description="several (a list, or comma-separated): replicas of one model"
    )
    pool_name: str | None = Field(None, description="cache identity of a pool of replicas")

    @field_validator("base_url", mode="before")
    @classmethod
    def _no_urls_is_none(cls, value: object) -> object:
        """A repeatable flag given no times (the CLI's empty tuple) means no URL."""
        return (list(value) or None) if isinstance(value, tuple | list) else value

    api_key_env: str = "OPENAI_API_KEY"
    api_key_file: Path | None = None
    concurrency: int | None = Field(None, ge=1)
    timeout: float | None = Field(None, gt=0)
    max_attempts: int = Field(4, ge=1)
    backoff_max: float = Field(20.0, ge=0)
    n_ctx: int = Field(DEFAULT_CONTEXT, ge=512)
    http_client: HttpClient | None = Field(None, description="None: aiohttp where installed")


class SamplingOptions(_Group):
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1)
    seed: int | None = None
    top_p: float | None = Field(None, gt=0, le=1)
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    repeat_penalty: float | None = Field(None, gt=0)


class CorpusOptions(_Group):
    docs: Path = Path("seeds")
    gold: Path = Path("gold")
    prompts_dir: Path | None = Field(None, description="None: ./prompts, else the packaged ones")
    limit: int | None = Field(None, ge=1)
    all_docs: bool = False


class EvaluationOptions(_Group):
    prompt: str | None = Field(
        None, description="None: extract@v3 on the embedded model, extract@v2 otherwise"
    )
    reask: int = Field(1, ge=0, le=5)
    output_mode: OutputMode | None = None
    threshold: float | None = Field(None, ge=0, le=1)
    matcher: MatcherName = DEFAULT_MATCHER
    assignment: Assignment = DEFAULT_ASSIGNMENT
    judge_model: str | None = Field(None, description="the judge's model, or 'local'")
    judge_base_url: str | None = Field(None, description="the judge's URL (not for 'local')")
    judge_api_key_env: str = "OPENAI_API_KEY"
    results: Path = Path("results")
    run_id: str | None = None
    resume: Path | None = None
    retry_failed: bool = False
    allow_endpoint_change: bool = False
    max_failure_rate: float | None = Field(
        None, ge=0, le=1, description="None: fail when all failed"
    )
    max_answer_chars: MaxChars = AnswerLimits.model_fields["max_chars"].default
    max_answer_depth: MaxDepth = AnswerLimits.model_fields["max_depth"].default

    def answer_limits(self) -> AnswerLimits:
        return AnswerLimits(max_chars=self.max_answer_chars, max_depth=self.max_answer_depth)

    def judge(self) -> JudgeSettings | None:
        """The judge endpoint these options name, None if none (for `--matcher judge`)."""
        return JudgeSettings.from_flags(
            self.judge_base_url, self.judge_model, self.judge_api_key_env
        )


class CacheOptions(_Group):
    cache_dir: Path | None = None
    no_cache: bool = False
    cache_ttl: float | None = Field(None, gt=0)  # seconds; older cached answers not reused

    def folder(self) -> Path | None:
        """The response cache folder these options name; None: no cache."""
        from harness.endpoints.cache import default_cache_dir

        return None if self.no_cache else (self.cache_dir or default_cache_dir())


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    endpoint: EndpointOptions = EndpointOptions()
    sampling: SamplingOptions = SamplingOptions()
    corpus: CorpusOptions = CorpusOptions()
    evaluation: EvaluationOptions = EvaluationOptions()
    cache: CacheOptions = CacheOptions()

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> RunRequest:
        """From flat option values (the CLI's), each to its group; a name no group has is
        a bug, so an option cannot be declared and then silently dropped."""
        known = {key for group in _GROUPS.values() for key in group.model_fields}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"options without a group: {', '.join(unknown)}")
        return cls.model_validate({name: g.pick(options) for name, g in _GROUPS.items()})


_GROUPS: dict[str, type[_Group]] = {
    "endpoint": EndpointOptions,
    "sampling": SamplingOptions,
    "corpus": CorpusOptions,
    "evaluation": EvaluationOptions,
    "cache": CacheOptions,
}
