"""Endpoint and sampling settings: plain validated values, no network code.

Kept apart from `client.py` so that commands which only read or write these values (and
`harness --help`) do not pay for importing the openai SDK.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from importlib.util import find_spec

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "BASELINE_PREFIX",
    "LADDER",
    "Endpoint",
    "HttpClient",
    "Kind",
    "OutputMode",
    "SamplingParams",
    "default_http_client",
    "kind_of",
    "replica_urls",
]


class OutputMode(StrEnum):
    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"
    PROMPT = "prompt"


LADDER = (OutputMode.JSON_SCHEMA, OutputMode.JSON_OBJECT, OutputMode.PROMPT)


class Kind(StrEnum):
    """Local: the harness starts a llama.cpp server; remote: any OpenAI-compatible URL;
    baseline: a rule run in-process (`harness.baselines`), no server, no tokens."""

    LOCAL = "local"
    REMOTE = "remote"
    BASELINE = "baseline"

    @property
    def takes_url(self) -> bool:
        """Only a remote model is reached at a URL; a URL given with another is a mistake."""
        return self is Kind.REMOTE


BASELINE_PREFIX = "baseline:"


def kind_of(model: str) -> Kind:
    """`local` and `local:/path.gguf` name the embedded server, `baseline:NAME` a baseline;
    anything else a remote model."""
    if model == "local" or model.startswith("local:"):
        return Kind.LOCAL
    return Kind.BASELINE if model.startswith(BASELINE_PREFIX) else Kind.REMOTE


class HttpClient(StrEnum):
    """The HTTP transport under the openai SDK; auth, base URL, timeouts and errors are the
    SDK's either way. aiohttp (`openai[aiohttp]`) answers the same server several times
    faster than httpx at high concurrency (bench/overhead.py)."""

    AIOHTTP = "aiohttp"
    HTTPX = "httpx"


def default_http_client() -> HttpClient:
    """aiohttp where it is installed, else the SDK's own httpx transport."""
    return HttpClient.AIOHTTP if find_spec("aiohttp") is not None else HttpClient.HTTPX


def replica_urls(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """The base URLs of one logical model, in the order given: one URL, a comma-separated
    list, or a list (each item may itself be comma-separated, as `--base-url A,B` is).
    More than one makes a pool of replicas; a URL listed twice is refused (ValueError),
    since it would silently double that replica's share of the load."""
    items = [value] if isinstance(value, str) else list(value or ())
    urls = tuple(url.strip() for item in items for url in item.split(",") if url.strip())
    seen: set[str] = set()
    for url in urls:
        if url.rstrip("/") in seen:
            raise ValueError(f"{url} is listed twice")
        seen.add(url.rstrip("/"))
    return urls


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
    timeout_s: float = Field(
        120.0, gt=0, description="total deadline of one HTTP attempt, the whole reply read"
    )
    concurrency: int = Field(4, ge=1)
    max_attempts: int = Field(4, ge=1)
    backoff_max_s: float = Field(20.0, ge=0, description="cap of one backoff sleep")
    identity: str | None = Field(
        None,
        description="stable name for cache keys when base_url is not (a local server's "
        "random port): e.g. 'local:<gguf sha256>'",
    )
    http_client: HttpClient = Field(
        default_factory=default_http_client, description="the SDK's HTTP transport"
    )
    replicas: tuple[str, ...] = Field(
        (),
        description="every base URL of a pool of replicas serving this model (base_url is "
        "the first); empty for one URL. `concurrency` is per replica",
    )

    @property
    def urls(self) -> tuple[str, ...]:
        """The URLs requests go to: the pool's replicas, or the one base URL."""
        return self.replicas or (self.base_url,)
