"""The only code that talks to a model: one chat completion, retried, limited, classified.

Structured output degrades along a ladder per endpoint: `json_schema` (strict) ->
`json_object` with the schema (llama.cpp turns it into a grammar) -> plain prompt. The
rung is chosen by a one-token probe per rung (or forced by the user), remembered for the
endpoint, and stepped down again if a real request reports a capability error.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import openai
from pydantic import BaseModel, ConfigDict, Field
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from harness.endpoints.limiter import AdaptiveLimiter
from harness.endpoints.retry import RetryPolicy, is_capability_error, is_transient
from harness.failures import Failure, FailureClass
from harness.schemas import strict_extraction_schema
from harness.secrets import redact

__all__ = [
    "CallFailed",
    "CallResult",
    "ChatClient",
    "Endpoint",
    "ModeUnsupported",
    "OutputMode",
    "ProbeStep",
    "SamplingParams",
]

_CONTEXT_MARKERS = (
    "context length",
    "context_length",
    "context window",
    "maximum context",
    "too many tokens",
    "exceed context",
)


class OutputMode(StrEnum):
    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"
    PROMPT = "prompt"


LADDER = (OutputMode.JSON_SCHEMA, OutputMode.JSON_OBJECT, OutputMode.PROMPT)


class SamplingParams(BaseModel):
    """Everything sent to the model that can change its answer (and so the cache key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int = Field(1024, ge=1)
    top_p: float | None = Field(None, gt=0, le=1)
    seed: int | None = None
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    repeat_penalty: float | None = Field(None, gt=0, description="llama.cpp extension")


class Endpoint(BaseModel):
    """Where and how to reach a model; never holds the API key."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    base_url: str
    model: str
    timeout_s: float = Field(120.0, gt=0)
    concurrency: int = Field(4, ge=1)
    max_attempts: int = Field(4, ge=1)
    backoff_max_s: float = Field(20.0, ge=0, description="cap of one backoff sleep")


class CallResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    content: str | None
    finish_reason: str | None
    refusal: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    http_attempts: int
    server_model: str | None


class CallFailed(Exception):
    """Attempts ran out or the error is not retryable; `fatal` ends the whole run."""

    def __init__(self, failure: Failure, http_attempts: int, latency_s: float, fatal: bool):
        super().__init__(failure.message)
        self.failure, self.http_attempts = failure, http_attempts
        self.latency_s, self.fatal = latency_s, fatal


class ModeUnsupported(Exception):
    """The endpoint rejected the output mode; the caller steps down the ladder."""


@dataclass(frozen=True, slots=True)
class ProbeStep:
    mode: OutputMode
    accepted: bool
    error: str | None


@dataclass
class ChatClient:
    endpoint: Endpoint
    api_key: str | None
    params: SamplingParams
    mode: OutputMode | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    limiter: AdaptiveLimiter = field(init=False)
    _client: openai.AsyncOpenAI = field(init=False)

    def __post_init__(self) -> None:
        self.policy = RetryPolicy(
            max_attempts=self.endpoint.max_attempts,
            backoff_base_s=self.policy.backoff_base_s,
            backoff_max_s=min(self.policy.backoff_max_s, self.endpoint.backoff_max_s),
        )
        self.limiter = AdaptiveLimiter(self.endpoint.concurrency)
        self._client = openai.AsyncOpenAI(
            base_url=self.endpoint.base_url,
            api_key=self.api_key or "no-key",
            max_retries=0,
            timeout=self.endpoint.timeout_s,
        )

    async def close(self) -> None:
        await self._client.close()

    def _request(
        self, messages: list[dict[str, str]], mode: OutputMode, max_tokens: int | None = None
    ) -> dict[str, Any]:
        p = self.params
        kwargs: dict[str, Any] = {
            "model": self.endpoint.model,
            "messages": messages,
            "temperature": p.temperature,
            "max_tokens": max_tokens or p.max_tokens,
        }
        for name in ("top_p", "seed", "frequency_penalty", "presence_penalty"):
            if getattr(p, name) is not None:
                kwargs[name] = getattr(p, name)
        if p.repeat_penalty is not None:
            kwargs["extra_body"] = {"repeat_penalty": p.repeat_penalty}
        schema = strict_extraction_schema()
        if mode is OutputMode.JSON_SCHEMA:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "extraction", "strict": True, "schema": schema},
            }
        elif mode is OutputMode.JSON_OBJECT:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        return kwargs

    async def probe(self) -> list[ProbeStep]:
        """Try each rung with a one-token request; settle on the first one accepted."""
        steps: list[ProbeStep] = []
        messages = [{"role": "user", "content": 'Reply with {"claims": []}'}]
        for mode in LADDER:
            try:
                await self._send(messages, mode, max_tokens=1)
            except ModeUnsupported as exc:
                steps.append(ProbeStep(mode, False, redact(str(exc), self.api_key)))
                continue
            steps.append(ProbeStep(mode, True, None))
            self.mode = mode
            return steps
        self.mode = OutputMode.PROMPT
        return steps

    def step_down(self) -> bool:
        """Move to the next rung after a capability error; False when none is left."""
        current = LADDER.index(self.mode or OutputMode.JSON_SCHEMA)
        if current + 1 >= len(LADDER):
            return False
        self.mode = LADDER[current + 1]
        return True

    async def complete(self, messages: list[dict[str, str]]) -> CallResult:
        return await self._send(messages, self.mode or OutputMode.PROMPT)

    async def _send(
        self, messages: list[dict[str, str]], mode: OutputMode, max_tokens: int | None = None
    ) -> CallResult:
        kwargs = self._request(messages, mode, max_tokens)
        attempts = 0
        started = time.perf_counter()
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.policy.max_attempts),
                wait=self.policy.wait,
                retry=retry_if_exception(is_transient),
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    async with self.limiter.slot():
                        try:
                            response = await self._client.chat.completions.create(**kwargs)
                        except openai.RateLimitError:
                            await self.limiter.record(rate_limited=True)
                            raise
                    await self.limiter.record(rate_limited=False)
        except Exception as exc:
            if is_capability_error(exc):
                raise ModeUnsupported(f"{mode}: {exc}") from exc
            if not isinstance(exc, openai.OpenAIError):
                raise
            failure, fatal = _classify(exc, self.api_key)
            raise CallFailed(failure, attempts, time.perf_counter() - started, fatal) from exc
        return _result(response, attempts, time.perf_counter() - started)


def _result(response: Any, attempts: int, latency: float) -> CallResult:
    choice = response.choices[0] if response.choices else None
    usage = response.usage
    message = choice.message if choice else None
    return CallResult(
        content=message.content if message else None,
        finish_reason=choice.finish_reason if choice else None,
        refusal=getattr(message, "refusal", None) if message else None,
        prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
        completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
        latency_s=round(latency, 4),
        http_attempts=attempts,
        server_model=response.model,
    )


def _classify(exc: openai.OpenAIError, api_key: str | None) -> tuple[Failure, bool]:
    message = redact(" ".join(str(exc).split()), api_key)
    if isinstance(exc, openai.APITimeoutError):
        return Failure.of(FailureClass.TIMEOUT, message or "request timed out"), False
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return Failure.of(FailureClass.TRANSPORT, f"{message}: {type(cause).__name__}"), False
    status = exc.status_code if isinstance(exc, openai.APIStatusError) else 0
    if status == 429:
        return Failure.of(FailureClass.RATE_LIMITED, message), False
    if status >= 500:
        return Failure.of(FailureClass.SERVER_ERROR, message), False
    if any(marker in message.lower() for marker in _CONTEXT_MARKERS):
        return Failure.of(FailureClass.CONTEXT_OVERFLOW, message), False
    return Failure.of(FailureClass.REJECTED, message), status in (401, 403, 404)
