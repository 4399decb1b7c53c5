"""One request body to one model, over HTTP: replicas, retries, deadline, classification.

`ChatClient` decides what to ask (the rung, the schema, the cache); this sends a body it
built and gets back a `CallResult` or one classified failure. Every request goes through
the pool (one replica, or several of one model), retried under the run's `RetryPolicy`:
a transient error is retried on another replica, a capability error becomes
`ModeUnsupported` (the caller steps down the ladder), anything else `CallFailed`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import openai
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from harness.endpoints.eager import install_eager_body_writes
from harness.endpoints.pool import PoolMismatch, Replica, ReplicaPool
from harness.endpoints.reply import CallResult, ChatReply, MalformedReply, call_result, parse_reply
from harness.endpoints.retry import (
    DeadlineExceeded,
    RetryPolicy,
    classify,
    is_capability_error,
    is_transient,
)
from harness.endpoints.settings import Endpoint, HttpClient, OutputMode
from harness.failures import Failure, FailureClass

__all__ = ["CallFailed", "ModeUnsupported", "Transport"]


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


class Transport:
    """The endpoint's replicas (one SDK client each) and the retry loop around a POST."""

    def __init__(
        self,
        endpoint: Endpoint,
        api_key: str | None,
        policy: RetryPolicy,
        check_body: dict[str, Any],
    ) -> None:
        """`check_body`: the one-token request that asks a replica which model it serves."""
        self.endpoint, self.api_key, self.policy = endpoint, api_key, policy
        self._check_body = check_body
        self.pool = ReplicaPool.of(endpoint.urls, endpoint.concurrency, self._connect)

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

    async def close(self) -> None:
        await self.pool.close()

    async def send(self, body: dict[str, Any], mode: OutputMode) -> CallResult:
        """POST `body` (asked on rung `mode`) until it is answered or cannot be; a pool
        first checks which model each replica serves."""
        if self.endpoint.http_client is HttpClient.AIOHTTP:  # Python 3.11: see eager.py
            install_eager_body_writes(asyncio.get_running_loop())
        attempts = 0
        replica: Replica | None = None  # the replica of the last attempt
        started = time.perf_counter()
        try:
            await self.pool.check_models(self._served_model)
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.policy.max_attempts),
                wait=self.policy.wait,
                retry=retry_if_exception(is_transient),
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    async with self.pool.lease(avoid=replica) as replica:
                        reply = await self._post(replica.client, body)
                    self.pool.note_model(replica, reply.model)
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
        return replica.url if replica is not None and self.pool.pooled else None

    async def _served_model(self, replica: Replica) -> str | None:
        """The model a replica answers as, from a one-token request (the pool check)."""
        return (await self._post(replica.client, self._check_body)).model

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
