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

__all__ = [
    "MAX_RETRY_AFTER_S",
    "DeadlineExceeded",
    "RetryPolicy",
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
