"""The LLM judge as a claim matcher, opened from `JudgeSettings` through the endpoint layer.

`harness run` (each sweep cell), `harness rescore`, `harness matchers calibrate` and
`harness gold agree` all open their judge here, so a judge is resolved like an extraction
endpoint (`local` starts the embedded server; a URL reads its key from `api_key_env`),
answers through the same `ChatClient` (response cache, retries, failure classes, token
counts) and is closed when the command is done with it. `OpenJudge.usage()` is what the
manifest records.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness.endpoints.cache import open_cache
from harness.endpoints.client import ChatClient
from harness.endpoints.resolve import EndpointResolver
from harness.endpoints.settings import Endpoint, OutputMode, SamplingParams
from harness.runs.manifest import JudgeUsage
from harness.scoring.document import ScoringConfig
from harness.scoring.matchers import Matcher, get_matcher
from harness.scoring.matchers.guards import GuardedMatcher
from harness.scoring.matchers.judge import JudgeMatcher
from harness.scoring_names import JudgeSettings, is_judge
from harness.sweep import EndpointSpec

__all__ = [
    "JUDGE_PARAMS",
    "OpenJudge",
    "describe_judge",
    "open_judge",
    "open_matcher",
    "open_scoring_judge",
]

JUDGE_PARAMS = SamplingParams(temperature=0.0, max_tokens=32)
"""A verdict is one short JSON object; greedy decoding keeps it reproducible."""


@dataclass(frozen=True)
class OpenJudge:
    """A judge ready to score: `matcher` is what scoring calls (the judge, or the judge
    behind the guards for `judge+guards`); `judge` keeps the statistics."""

    settings: JudgeSettings
    endpoint: Endpoint
    judge: JudgeMatcher
    matcher: Matcher

    def usage(self) -> JudgeUsage:
        stats = self.judge.stats
        bias = stats.position_bias
        return JudgeUsage(
            base_url=self.endpoint.base_url,
            model=self.settings.model,
            identity=self.endpoint.identity,
            pairs=stats.pairs,
            requests=stats.requests,
            cached=stats.cached,
            prompt_tokens=stats.prompt_tokens,
            completion_tokens=stats.completion_tokens,
            failures=dict(stats.failures),
            fallback_pairs=stats.fallback_pairs,
            position_bias=None if bias is None else round(bias, 6),
        )


def describe_judge(usage: JudgeUsage) -> str:
    """One line for the terminal: cost, failures, fallbacks and position bias."""
    u = usage
    bias = "-" if u.position_bias is None else f"{u.position_bias:.3f}"
    return (
        f"judge {u.model}: {u.pairs} pairs asked in both orders, {u.requests} answers "
        f"({u.cached} cached), tokens {u.prompt_tokens}+{u.completion_tokens}, "
        f"failures {u.failures or 0}, {u.fallback_pairs} pairs fell back to lexical, "
        f"orders disagree on {bias} of pairs"
    )


@contextmanager
def open_judge(
    name: str,
    settings: JudgeSettings,
    resolver: EndpointResolver,
    server_log: Path,
    cache_dir: Path | None,
    cache_ttl: float | None = None,
) -> Iterator[OpenJudge]:
    """The judge matcher `name` (`judge` or `judge+guards`) on the endpoint `settings`
    name, with the response cache in `cache_dir` (None: no cache). A local judge's server
    is started by `resolver` (and shared with extraction when it is the same model and
    `server_log`); the judge's client is closed on exit."""
    if not is_judge(name):
        raise ValueError(f"{name!r} is not a judge matcher")
    spec = EndpointSpec(
        base_url=settings.base_url, model=settings.model, api_key_env=settings.api_key_env
    )
    ready = resolver.ready(spec, server_log, where="--judge-model")

    def client() -> ChatClient:
        cache = open_cache(cache_dir, cache_ttl) if cache_dir is not None else None
        return ChatClient(
            ready.endpoint, ready.api_key, JUDGE_PARAMS, mode=OutputMode.PROMPT, cache=cache
        )

    judge = JudgeMatcher(client, shortlist=get_matcher("lexical"))
    try:
        matcher: Matcher = GuardedMatcher(judge) if name.endswith("+guards") else judge
        yield OpenJudge(settings, ready.endpoint, judge, matcher)
    finally:
        judge.close()


@contextmanager
def open_scoring_judge(
    scoring: ScoringConfig,
    resolver: EndpointResolver,
    server_log: Path,
    cache_dir: Path | None,
    cache_ttl: float | None = None,
) -> Iterator[OpenJudge | None]:
    """The judge `scoring` names, open for the block; None when its matcher is no judge."""
    if scoring.judge is None:
        yield None
        return
    with open_judge(
        scoring.matcher, scoring.judge, resolver, server_log, cache_dir, cache_ttl
    ) as judge:
        yield judge


@contextmanager
def open_matcher(
    name: str,
    settings: JudgeSettings | None,
    resolver: EndpointResolver,
    server_log: Path,
    cache_dir: Path | None,
    cache_ttl: float | None = None,
) -> Iterator[tuple[Matcher, OpenJudge | None]]:
    """Any matcher by name, for commands that compare claims outside a run (`matchers
    calibrate`, `gold agree`): a judge name opens the judge `settings` name (a one-line
    error without one); any other name is built by `get_matcher` and `settings` unused."""
    if not is_judge(name):
        yield get_matcher(name), None
        return
    required = JudgeSettings.required(name, settings)
    with open_judge(name, required, resolver, server_log, cache_dir, cache_ttl) as judge:
        yield judge.matcher, judge
