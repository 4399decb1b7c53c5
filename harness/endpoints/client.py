"""The only code that talks to a model: one chat completion, retried, limited, classified
(the HTTP side, replicas and retries, is `transport.py`).

Structured output degrades along a ladder: `json_schema` (strict) -> `json_object` with
the schema (llama.cpp turns it into a grammar) -> plain prompt. The starting rung is
settled once per run by a one-token probe per rung (or forced by the user) before any
document is requested, and never changed afterwards. Each request owns its own descent:
a capability error steps that request down, and the rung it was answered on comes back
in its result. Concurrent requests share no mode that one of them could move under
another.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from harness.endpoints.cache import CacheKey, ResponseCache
from harness.endpoints.reply import CallResult, call_result, parse_reply
from harness.endpoints.retry import RetryPolicy
from harness.endpoints.settings import LADDER, Endpoint, OutputMode, SamplingParams
from harness.endpoints.transport import CallFailed, ModeUnsupported, Transport
from harness.failures import Failure, FailureClass
from harness.schemas import strict_extraction_schema
from harness.schemas.request import JsonSchema, RequestSchema
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
    "cache_entry",
]


_NOT_CACHED = {"mode", "replica", "grounded", "schema_note"}


def cache_entry(data: object) -> str:
    """What the cache stores for a decoded chat-completion body: the one rule, shared by
    the client and `harness batch collect`, so an answer that came through the Batch API
    replays exactly like one the client received. `MalformedReply` if it is not one."""
    return _entry(call_result(parse_reply(data), 1, 0.0))


def _entry(result: CallResult) -> str:
    return result.model_dump_json(exclude=_NOT_CACHED)


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
    cache: ResponseCache | None = None
    repeat: int = 0
    server_model: str | None = None
    model_asked_live: bool = False  # server_model came from the server in this invocation
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    _transport: Transport = field(init=False)

    def __post_init__(self) -> None:
        self.policy = RetryPolicy(
            max_attempts=self.endpoint.max_attempts,
            backoff_base_s=self.policy.backoff_base_s,
            backoff_max_s=min(self.policy.backoff_max_s, self.endpoint.backoff_max_s),
        )
        check = self._request([{"role": "user", "content": "Reply with {}"}], OutputMode.PROMPT, 1)
        self._transport = Transport(self.endpoint, self.api_key, self.policy, check)

    @property
    def capacity(self) -> int:
        """Requests worth keeping in flight: `concurrency` per replica."""
        return self.endpoint.concurrency * len(self._transport.pool.replicas)

    @property
    def _identity(self) -> str:
        return self.endpoint.identity or self.endpoint.base_url

    async def close(self) -> None:
        await self._transport.close()

    def _request(
        self,
        messages: list[dict[str, str]],
        mode: OutputMode,
        max_tokens: int | None = None,
        schema: JsonSchema | None = None,
    ) -> dict[str, Any]:
        """The JSON body of one chat-completion request, exactly as sent (`schema`: the
        document's request schema; None for the full strict one)."""
        p = self.params
        body: dict[str, Any] = {
            "model": self.endpoint.model,
            "messages": messages,
            "temperature": p.temperature,
            "max_tokens": max_tokens or p.max_tokens,
        }
        for name in ("top_p", "seed", "frequency_penalty", "presence_penalty", "repeat_penalty"):
            if getattr(p, name) is not None:
                body[name] = getattr(p, name)
        schema = _request_schema() if schema is None else schema
        if mode is OutputMode.JSON_SCHEMA:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "extraction", "strict": True, "schema": schema},
            }
        elif mode is OutputMode.JSON_OBJECT:
            body["response_format"] = {"type": "json_object", "schema": schema}
        return body

    async def probe(self) -> list[ProbeStep]:
        """Try each rung with a one-token request; settle on the first one accepted."""
        steps: list[ProbeStep] = []
        for mode in LADDER:
            step, server_model = await self._probe_mode(mode)
            steps.append(step)
            if step.accepted:
                self.mode, self.server_model = mode, server_model
                return steps
        self.mode = OutputMode.PROMPT
        return steps

    def probe_key(self, mode: OutputMode) -> CacheKey:
        """The cache key of one rung's probe on this endpoint (a dry run reads it too)."""
        return CacheKey.build(
            "probe", base_url=self._identity, model=self.endpoint.model, mode=str(mode)
        )

    async def _probe_mode(self, mode: OutputMode) -> tuple[ProbeStep, str | None]:
        """One rung's verdict, cached per endpoint so an identical re-run sends nothing."""
        key = self.probe_key(mode)
        stored = self.cache.get(key) if self.cache else None
        self.model_asked_live = stored is None
        if stored is not None:
            data = json.loads(stored)
            return ProbeStep(mode, data["accepted"], data["error"]), data["server_model"]
        messages = [{"role": "user", "content": 'Reply with {"claims": []}'}]
        try:
            result = await self._send(messages, mode, max_tokens=1)
            step, server_model = ProbeStep(mode, True, None), result.server_model
        except ModeUnsupported as exc:
            step, server_model = ProbeStep(mode, False, redact(str(exc), self.api_key)), None
        if self.cache:
            self.cache.put(
                key,
                json.dumps(
                    {"accepted": step.accepted, "error": step.error, "server_model": server_model}
                ),
            )
        return step, server_model

    async def served_model(self) -> str | None:
        """The model the server answers as now: one uncached one-token request (a cached
        probe says what it served when the probe was cached)."""
        result = await self._send(
            [{"role": "user", "content": "Reply with {}"}], OutputMode.PROMPT, 1
        )
        return result.server_model

    def cache_key(
        self, messages: list[dict[str, str]], mode: OutputMode, schema: JsonSchema | None = None
    ) -> CacheKey:
        """Everything that can change the answer to these messages on this endpoint,
        including the hash of the request schema actually sent."""
        return CacheKey.build(
            "response",
            base_url=self._identity,
            model=self.endpoint.model,
            server_model=self.server_model,
            messages=messages,
            mode=str(mode),
            schema_sha256=None if mode is OutputMode.PROMPT else _schema_sha256(schema),
            params=self.params.model_dump(),
            repeat=self.repeat,
        )

    async def complete(
        self,
        messages: list[dict[str, str]],
        shaped: RequestSchema | None = None,
        fresh: bool = False,
    ) -> CallResult:
        """One answer, from the settled rung down: a capability error moves only this
        request to the next rung; none left is fatal (no document would fare better).
        `shaped` is the document's request schema (caps, evidence enum), if the prompt asks
        for one. `fresh` asks the server even when the cache holds an answer
        (`--retry-failed`: the cached one failed), and the new answer replaces it in the cache."""
        start = LADDER.index(self.mode or OutputMode.PROMPT)
        for mode in LADDER[start:]:
            try:
                return await self._complete_shaped(messages, mode, shaped, fresh)
            except ModeUnsupported as exc:
                refused = exc
        failure = Failure.of(FailureClass.REJECTED, str(refused))
        raise CallFailed(failure, 1, 0.0, fatal=True, mode=OutputMode.PROMPT) from refused

    async def _complete_shaped(
        self,
        messages: list[dict[str, str]],
        mode: OutputMode,
        shaped: RequestSchema | None,
        fresh: bool,
    ) -> CallResult:
        """One rung: the document's request schema first; if the endpoint refuses it, the
        full strict schema on the same rung (the step down the record notes) before the
        caller moves to the next rung."""
        note = None
        if shaped is not None and mode is OutputMode.PROMPT:
            note = "prompt mode: no request schema sent"
        elif shaped is not None:
            try:
                result = await self._complete_in(messages, mode, shaped.schema, fresh)
            except ModeUnsupported as exc:
                refusal = redact(str(exc), self.api_key)
                note = f"endpoint refused the document's schema ({refusal}); sent the full schema"
            else:
                update = {"mode": mode, "grounded": shaped.grounded, "schema_note": shaped.note}
                return result.model_copy(update=update)
        result = await self._complete_in(messages, mode, fresh=fresh)
        return result.model_copy(update={"mode": mode, "schema_note": note})

    async def _complete_in(
        self,
        messages: list[dict[str, str]],
        mode: OutputMode,
        schema: JsonSchema | None = None,
        fresh: bool = False,
    ) -> CallResult:
        if self.cache is None:
            return await self._send(messages, mode, schema=schema)
        key = self.cache_key(messages, mode, schema)
        stored = None if fresh else self.cache.get(key)
        if stored is not None:
            return CallResult.model_validate_json(stored).model_copy(
                update={
                    "cached": True,
                    "http_attempts": 0,
                    "latency_s": 0.0,
                    "cache_key": key.digest,
                }
            )
        result = await self._send(messages, mode, schema=schema)
        self.cache.put(key, _entry(result))
        return result.model_copy(update={"cache_key": key.digest})

    async def _send(
        self,
        messages: list[dict[str, str]],
        mode: OutputMode,
        max_tokens: int | None = None,
        schema: JsonSchema | None = None,
    ) -> CallResult:
        return await self._transport.send(self._request(messages, mode, max_tokens, schema), mode)


@cache
def _request_schema() -> dict[str, Any]:
    """One shared, read-only copy of the strict schema for every request body."""
    return strict_extraction_schema()


@cache
def _strict_sha256() -> str:
    return _sha256(strict_extraction_schema())


def _sha256(schema: JsonSchema) -> str:
    return hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()[:16]


def _schema_sha256(schema: JsonSchema | None = None) -> str:
    """The hash of the schema sent (the full strict schema when None), for cache keys."""
    return _strict_sha256() if schema is None else _sha256(schema)
