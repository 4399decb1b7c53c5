"""Endpoint spec in, ready endpoint out: the one place that knows the kinds of endpoint.

`harness run` and every sweep cell resolve their endpoint here, so the per-kind defaults,
the cache identity of a local model and the API key lookup exist once. A local model
(`local`, `local:/path.gguf`) gets the embedded llama.cpp server, started on first need
and shared by every cell of the invocation; its identity is the GGUF's sha256 and context
size, because its port is random. A baseline (`baseline:lead-3`) is a rule run in-process:
no server, no key, no URL (`IN_PROCESS_URL` stands in the manifest). Anything else is a
remote OpenAI-compatible URL (the scripted server is one too, and gets the remote defaults).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from harness.baselines import resolve_baseline
from harness.endpoints.local import DEFAULT_CONTEXT, LocalServer, file_sha256, parse_local_model
from harness.endpoints.settings import (
    Endpoint,
    Kind,
    SamplingParams,
    default_http_client,
    kind_of,
)
from harness.errors import UserInputError
from harness.runs.manifest import LocalModel
from harness.secrets import read_api_key
from harness.sweep import EndpointSpec

__all__ = [
    "DEFAULTS",
    "EndpointResolver",
    "KindDefaults",
    "ReadyEndpoint",
    "pool_identity",
    "with_kind_defaults",
]

PLACEHOLDER_URL = "http://127.0.0.1:0/v1"  # a local server not started (dry run)
IN_PROCESS_URL = "in-process"  # a baseline's "endpoint": nothing is called


@dataclass(frozen=True)
class KindDefaults:
    prompt: str
    limit: int | None
    max_tokens: int
    repeat_penalty: float | None
    concurrency: int
    timeout_s: float


# The embedded SmolLM2-135M loops on repeated claims until max_tokens at temperature 0
# (~35 tokens/s on 2 cores): these keep the README's main command within ~5 minutes.
# One llama.cpp slot generates at ~35 tokens/s: a long answer can take minutes, and a
# timed-out request keeps the slot busy, so time out late rather than retry early.
DEFAULTS: dict[Kind, KindDefaults] = {
    # extract@v3 asks for what a 135M model can finish (at most 3 short claims, evidence one
    # of the document's sentences): on the first 8 seeds v2 ran out of tokens (truncated,
    # ~107 s per document) where v3 answered all 8 validly in 168 s (README, "First run").
    Kind.LOCAL: KindDefaults(
        prompt="extract@v3",
        limit=8,
        max_tokens=384,
        repeat_penalty=1.3,
        concurrency=1,
        timeout_s=600.0,
    ),
    Kind.REMOTE: KindDefaults(
        prompt="extract@v2",
        limit=None,
        max_tokens=2048,
        repeat_penalty=None,
        concurrency=4,
        timeout_s=120.0,
    ),
    # A baseline samples nothing (the params are recorded, never used) and takes
    # milliseconds per document: the whole corpus, one document at a time.
    Kind.BASELINE: KindDefaults(
        prompt="extract@v2",
        limit=None,
        max_tokens=2048,
        repeat_penalty=None,
        concurrency=1,
        timeout_s=120.0,
    ),
}


def default_prompt(model: str) -> str:
    """The prompt a run uses when none is given: the one this kind of model can finish."""
    return DEFAULTS[kind_of(model)].prompt


def with_kind_defaults(model: str, chosen: dict[str, object]) -> SamplingParams:
    """Sampling parameters: what the user chose, else the kind's max_tokens and
    repeat_penalty, else the model defaults."""
    defaults = DEFAULTS[kind_of(model)]
    base = {"max_tokens": defaults.max_tokens, "repeat_penalty": defaults.repeat_penalty}
    return SamplingParams.model_validate({**base, **chosen})


def pool_identity(urls: tuple[str, ...], name: str | None) -> str | None:
    """The cache identity of a pool: the name the user gave it, else its sorted URLs, so
    the same replicas listed in another order share every cached answer. One unnamed URL
    keeps its own URL as identity (None), as before pools existed."""
    if name:
        return f"pool:{name}"
    return ",".join(sorted(u.rstrip("/") for u in urls)) if len(urls) > 1 else None


@dataclass(frozen=True)
class ReadyEndpoint:
    """Everything a run needs to call one endpoint; the key is never written anywhere."""

    endpoint: Endpoint
    api_key: str | None
    local_model: LocalModel | None


@dataclass
class EndpointResolver:
    """Resolves specs for one invocation and owns the local servers it starts (on `stack`).

    `where` prefixes errors about a spec's model (`sweep.yaml: $.endpoints.a.model`).
    """

    stack: ExitStack
    _servers: dict[tuple[Path, int, Path], LocalServer] = field(default_factory=dict)
    _hashes: dict[Path, str] = field(default_factory=dict)

    def gguf(self, spec: EndpointSpec, where: str | None = None) -> Path | None:
        try:
            return parse_local_model(spec.model)
        except UserInputError as exc:
            raise UserInputError(f"{where}: {exc}" if where else str(exc)) from exc

    def _sha256(self, gguf: Path) -> str:
        if gguf not in self._hashes:
            self._hashes[gguf] = file_sha256(gguf)
        return self._hashes[gguf]

    def endpoint(
        self, spec: EndpointSpec, base_url: str | None = None, where: str | None = None
    ) -> Endpoint:
        """The endpoint without starting anything (a dry run's view of a local server)."""
        gguf = self.gguf(spec, where)
        defaults = DEFAULTS[kind_of(spec.model)]
        if spec.kind is Kind.BASELINE:
            check_baseline(spec.model, where)
            base_url = IN_PROCESS_URL
        urls = (base_url,) if base_url else spec.urls
        identity = pool_identity(urls, spec.pool_name)
        if gguf is not None:
            identity = f"local:{self._sha256(gguf)}:n_ctx={spec.n_ctx or DEFAULT_CONTEXT}"
        return Endpoint(
            base_url=urls[0] if urls else PLACEHOLDER_URL,
            replicas=urls if len(urls) > 1 else (),
            model=spec.model,
            timeout_s=spec.timeout or defaults.timeout_s,
            concurrency=spec.concurrency or defaults.concurrency,
            max_attempts=spec.max_attempts,
            backoff_max_s=spec.backoff_max,
            identity=identity,
            http_client=spec.http_client or default_http_client(),
        )

    def ready(
        self, spec: EndpointSpec, server_log: Path, where: str | None = None
    ) -> ReadyEndpoint:
        """The endpoint with its server up (a local one is started once per GGUF, context
        and log file, so a sweep endpoint keeps one server) and its API key read (none
        for a local model)."""
        gguf = self.gguf(spec, where)
        if spec.kind is Kind.BASELINE:  # in-process: no server to start, no key to read
            return ReadyEndpoint(self.endpoint(spec, where=where), None, None)
        if gguf is None:
            api_key = read_api_key(spec.api_key_env, spec.api_key_file)
            return ReadyEndpoint(self.endpoint(spec, where=where), api_key, None)
        n_ctx = spec.n_ctx or DEFAULT_CONTEXT
        key = (gguf, n_ctx, server_log)
        if key not in self._servers:
            server = LocalServer(gguf, server_log, n_ctx=n_ctx)
            self._servers[key] = self.stack.enter_context(server)
        server = self._servers[key]
        info = LocalModel(
            path=str(server.model_path),
            sha256=self._sha256(gguf),
            server=f"llama-cpp-python {server.version}",
            n_ctx=server.n_ctx,
            log=server.log_path.name,
            options=" ".join(server.options),
        )
        return ReadyEndpoint(self.endpoint(spec, server.base_url, where), None, info)


def check_baseline(model: str, where: str | None = None) -> None:
    """An unknown baseline name stops the run before anything is written."""
    try:
        resolve_baseline(model)
    except UserInputError as exc:
        raise UserInputError(f"{where}: {exc}" if where else str(exc)) from exc
