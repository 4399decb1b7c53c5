"""The one retry layer: transient failures only, exponential backoff with jitter.

The openai client is built with `max_retries=0` so retries never multiply. Transient
means connection errors, timeouts (the SDK's per read, or the whole attempt's deadline),
408, 409, 429 and 5xx; a server's `Retry-After` or `retry-after-ms` header overrides the
backoff. 400/401/403/404/422 are never retried, and neither is a 5xx that is really a
capability error (llama.cpp answers an unsupported `response_format` with HTTP 500), so
the output-mode ladder steps down without waste.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import openai
from tenacity import RetryCallState

from harness.endpoints.reply import MalformedReply
from harness.failures import Failure, FailureClass
from harness.secrets import redact

__all__ = [
    "MAX_RETRY_AFTER_S",
    "DeadlineExceeded",
    "RetryPolicy",
    "classify",
    "is_capability_error",
    "is_transient",
    "retry_after_seconds",
]

MAX_RETRY_AFTER_S = 60.0
_CAPABILITY_MARKERS = ("response_format", "json_schema")


class DeadlineExceeded(openai.OpenAIError):
    """One HTTP attempt outlived its total deadline (`--timeout`); transient, like the
    SDK's own per-read timeout."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 4
    backoff_base_s: float = 0.5
    backoff_max_s: float = 20.0

    def wait(self, state: RetryCallState) -> float:
        """tenacity `wait` callable: Retry-After when given, else full-jitter exponential."""
        exc = state.outcome.exception() if state.outcome else None
        hinted = retry_after_seconds(exc) if exc else None
        if hinted is not None:
            return hinted
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** (state.attempt_number - 1))
        return random.uniform(0, ceiling)


def _status(exc: BaseException) -> int | None:
    return exc.status_code if isinstance(exc, openai.APIStatusError) else None


def is_capability_error(exc: BaseException) -> bool:
    """The endpoint refused the requested output mode (not a transient fault)."""
    status = _status(exc)
    if status not in (400, 422, 500, 501):
        return False
    text = str(exc).lower()
    return any(marker in text for marker in _CAPABILITY_MARKERS)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIConnectionError | DeadlineExceeded):  # incl. APITimeoutError
        return True
    status = _status(exc)
    if status is None or is_capability_error(exc):
        return False
    return status in (408, 409, 429) or status >= 500


def retry_after_seconds(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait, from `retry-after-ms` or `Retry-After`."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue  # an HTTP date: fall back to our own backoff
        if seconds >= 0:
            return min(seconds, MAX_RETRY_AFTER_S)
    return None


_CONTEXT_MARKERS = (
    "context length",
    "context_length",
    "context window",
    "maximum context",
    "too many tokens",
    "exceed context",
)


def _socket_error(exc: BaseException) -> OSError | None:
    """The socket error (not a timeout) under an SDK error, if any.

    The SDK's aiohttp transport reports every aiohttp connection error, a reset or a
    refused connection too, as a connect *timeout*; the OSError it chains says what
    really happened, so both transports classify a dropped connection as `transport`.
    """
    cause = exc.__cause__
    while cause is not None:
        if isinstance(cause, OSError) and not isinstance(cause, TimeoutError):
            return cause
        cause = cause.__cause__
    return None


def _named(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def classify(exc: openai.OpenAIError, api_key: str | None) -> tuple[Failure, bool]:
    """The failure class of an error that ended a request, and whether it is fatal (a
    401/403/404 no other document would escape); server words are redacted."""
    message = redact(" ".join(str(exc).split()), api_key)
    if isinstance(exc, MalformedReply):
        return Failure.of(FailureClass.SERVER_ERROR, message), False
    if isinstance(exc, openai.APITimeoutError | DeadlineExceeded):
        broken = _socket_error(exc)
        if broken is None:
            return Failure.of(FailureClass.TIMEOUT, message or "request timed out"), False
        return Failure.of(FailureClass.TRANSPORT, f"Connection error.: {_named(broken)}"), False
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
