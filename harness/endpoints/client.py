"""The only code that talks to a model: one chat completion, retried, limited, classified.

Structured output degrades along a ladder: `json_schema` (strict) -> `json_object` with
the schema (llama.cpp turns it into a grammar) -> plain prompt. The starting rung is
settled once per run by a one-token probe per rung (or forced by the user) before any
document is requested, and never changed afterwards. Each request owns its own descent:
a capability error steps that request down, and the rung it was answered on comes back
in its result. Concurrent requests share no mode that one of them could move under
another.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import openai
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from harness.endpoints.cache import CacheKey, ResponseCache
from harness.endpoints.pool import PoolMismatch, Replica, ReplicaPool
from harness.endpoints.reply import CallResult, ChatReply, MalformedReply, call_result, parse_reply
from harness.endpoints.retry import (
    DeadlineExceeded,
    RetryPolicy,
    classify,
    is_capability_error,
    is_transient,
)
from harness.endpoints.settings import LADDER, Endpoint, HttpClient, OutputMode, SamplingParams
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
    "cache_entry",
]


_NOT_CACHED = {"mode", "replica"}


def cache_entry(data: object) -> str:
    """What the cache stores for a decoded chat-completion body: the one rule, shared by
    the client and `harness batch collect`, so an answer that came through the Batch API
    replays exactly like one the client received. `MalformedReply` if it is not one."""
    return _entry(call_result(parse_reply(data), 1, 0.0))


def _entry(result: CallResult) -> str:
    return result.model_dump_json(exclude=_NOT_CACHED)


class CallFailed(Exception):
    """Attempts ran out or the error is not retryable; `fatal` ends the whole run."""

    def __init__(
        self,
        failure: Failure,
        http_attempts: int,
        latency_s: float,
        fatal: bool,
        mode: OutputMode | None = None,
        replica: str | None = None,
    ):
        super().__init__(failure.message)
        self.failure, self.http_attempts = failure, http_attempts
        self.latency_s, self.fatal, self.mode = latency_s, fatal, mode
        self.replica = replica  # the pool replica of the last attempt (None: no pool)


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
    cache: ResponseCache | None = None
    repeat: int = 0
    server_model: str | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    _pool: ReplicaPool = field(init=False)

    def __post_init__(self) -> None:
        self.policy = RetryPolicy(
            max_attempts=self.endpoint.max_attempts,
            backoff_base_s=self.policy.backoff_base_s,
            backoff_max_s=min(self.policy.backoff_max_s, self.endpoint.backoff_max_s),
        )
        self._pool = ReplicaPool.of(self.endpoint.urls, self.endpoint.concurrency, self._connect)

    def _connect(self, base_url: str) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            base_url=base_url,
            api_key=self.api_key or "no-key",
            max_retries=0,
            timeout=self.endpoint.timeout_s,
            http_client=(
                openai.DefaultAioHttpClient()
                if self.endpoint.http_client is HttpClient.AIOHTTP
                else None  # the SDK's default httpx client
            ),
        )

    @property
    def capacity(self) -> int:
        """Requests worth keeping in flight: `concurrency` per replica."""
        return self.endpoint.concurrency * len(self._pool.replicas)

    @property
    def _identity(self) -> str:
        return self.endpoint.identity or self.endpoint.base_url

    async def close(self) -> None:
        await self._pool.close()

    def _request(
        self, messages: list[dict[str, str]], mode: OutputMode, max_tokens: int | None = None
    ) -> dict[str, Any]:
        """The JSON body of one chat-completion request, exactly as sent."""
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
        schema = _request_schema()
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

    def cache_key(self, messages: list[dict[str, str]], mode: OutputMode) -> CacheKey:
        """Everything that can change the answer to these messages on this endpoint."""
        return CacheKey.build(
            "response",
            base_url=self._identity,
            model=self.endpoint.model,
            server_model=self.server_model,
            messages=messages,
            mode=str(mode),
            schema_sha256=None if mode is OutputMode.PROMPT else _schema_sha256(),
            params=self.params.model_dump(),
            repeat=self.repeat,
        )

    async def complete(self, messages: list[dict[str, str]], fresh: bool = False) -> CallResult:
        """One answer, from the settled rung down: a capability error moves only this
        request to the next rung; none left is fatal (no document would fare better).
        `fresh` asks the server even when the cache holds an answer (`--retry-failed`: the
        cached one failed), and the new answer replaces it in the cache."""
        start = LADDER.index(self.mode or OutputMode.PROMPT)
        for mode in LADDER[start:]:
            try:
                result = await self._complete_in(messages, mode, fresh)
            except ModeUnsupported as exc:
                refused = exc
                continue
            return result.model_copy(update={"mode": mode})
        failure = Failure.of(FailureClass.REJECTED, str(refused))
        raise CallFailed(failure, 1, 0.0, fatal=True, mode=OutputMode.PROMPT) from refused

    async def _complete_in(
        self, messages: list[dict[str, str]], mode: OutputMode, fresh: bool
    ) -> CallResult:
        if self.cache is None:
            return await self._send(messages, mode)
        key = self.cache_key(messages, mode)
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
        result = await self._send(messages, mode)
        self.cache.put(key, _entry(result))
        return result.model_copy(update={"cache_key": key.digest})

    async def _send(
        self, messages: list[dict[str, str]], mode: OutputMode, max_tokens: int | None = None
    ) -> CallResult:
        body = self._request(messages, mode, max_tokens)
        attempts = 0
        replica: Replica | None = None  # the replica of the last attempt
        started = time.perf_counter()
        try:
            await self._pool.check_models(self._served_model)
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.policy.max_attempts),
                wait=self.policy.wait,
                retry=retry_if_exception(is_transient),
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    async with self._pool.lease(avoid=replica) as replica:
                        reply = await self._post(replica.client, body)
                    self._pool.note_model(replica, reply.model)
        except Exception as exc:
            if is_capability_error(exc):
                raise ModeUnsupported(f"{mode}: {exc}") from exc
            if not isinstance(exc, openai.OpenAIError):
                raise
            failure, fatal = classify(exc, self.api_key)
            if isinstance(exc, PoolMismatch):
                failure, fatal = Failure.of(FailureClass.REJECTED, str(exc)), True
            elapsed = time.perf_counter() - started
            raise CallFailed(failure, attempts, elapsed, fatal, mode, self._named(replica)) from exc
        result = call_result(reply, attempts, time.perf_counter() - started)
        return result.model_copy(update={"replica": self._named(replica)})

    def _named(self, replica: Replica | None) -> str | None:
        """The replica's URL, recorded for pools only (one URL is the manifest's)."""
        return replica.url if replica is not None and self._pool.pooled else None

    async def _served_model(self, replica: Replica) -> str | None:
        """The model a replica answers as, from a one-token request (the pool check)."""
        body = self._request([{"role": "user", "content": "Reply with {}"}], OutputMode.PROMPT, 1)
        return (await self._post(replica.client, body)).model

    async def _post(self, client: openai.AsyncOpenAI, body: dict[str, Any]) -> ChatReply:
        """POST the body through the SDK (auth, base URL, status errors) and take back the
        decoded JSON: the SDK's request transform and response model are skipped, the
        harness validates the few fields it reads (see `reply.py`).

        `timeout_s` bounds the whole attempt (connect, send, every byte of the body): the
        SDK's timeout is per read, so a server trickling a byte a second never hits it."""
        timeout_s = self.endpoint.timeout_s
        try:
            async with asyncio.timeout(timeout_s):
                data = await client.post("/chat/completions", cast_to=object, body=body)
        except TimeoutError as exc:
            raise DeadlineExceeded(f"no complete reply within {timeout_s:g} s") from exc
        except (ValueError, RecursionError) as exc:  # a JSON content type, a body not JSON
            raise MalformedReply(f"reply is not valid JSON: {exc}") from exc
        return parse_reply(data)


@cache
def _request_schema() -> dict[str, Any]:
    """One shared, read-only copy of the strict schema for every request body."""
    return strict_extraction_schema()


@cache
def _schema_sha256() -> str:
    text = json.dumps(strict_extraction_schema(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
