"""`harness matchers list|calibrate`: which claim matchers exist and how well they agree
with people."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from harness.cli.options import cache_options
from harness.errors import UserInputError
from harness.scoring_names import DEFAULT_MATCHER, MATCHER_NAMES

if TYPE_CHECKING:  # numpy and onnxruntime load only when a matcher is built
    from harness.scoring.matchers import Matcher
    from harness.scoring.matchers.judge import JudgeMatcher

__all__ = ["matchers_group"]


@click.group("matchers")
def matchers_group() -> None:
    """Claim matchers (lexical, embedding, judge) and their agreement with human judges."""


@matchers_group.command("list")
def list_command() -> None:
    """The matcher names `run`, `sweep` and `rescore` accept."""
    for name in MATCHER_NAMES:
        click.echo(f"{name}{'  (default)' if name == DEFAULT_MATCHER else ''}")
    click.echo("judge, judge+guards  (calibrate only: needs --judge-base-url/--judge-model)")


@matchers_group.command("calibrate")
@click.argument("pairs", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--matcher",
    "names",
    multiple=True,
    help=f"Matcher to calibrate (repeatable) [default: {', '.join(MATCHER_NAMES[:2])}].",
)
@click.option("--docs", type=click.Path(path_type=Path), default=Path("seeds"), show_default=True)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=None,
    help="Judge kappa at this cut (e.g. the scoring default 0.5) instead of a fitted one.",
)
@click.option("--judge-base-url", default=None, help="OpenAI-compatible endpoint of the judge.")
@click.option("--judge-model", default=None, help="Model name the judge endpoint serves.")
@click.option("--api-key-env", default="OPENAI_API_KEY", show_default=True)
@cache_options
def calibrate_command(
    pairs: Path, names: tuple[str, ...], docs: Path, threshold: float | None, **judge: Any
) -> None:
    """Per matcher: ROC AUC vs the annotators (document-bootstrap 95% CI), the F1-optimal
    threshold fitted on half the documents, and Cohen's kappa on the other half, printed
    next to human-human kappa."""
    from harness.calibration import calibrate, load_pairs
    from harness.corpus import load_documents

    loaded = load_pairs(pairs)
    texts = {d.id: d.text for d in load_documents(docs)}
    spec = _JudgeSpec(**judge)
    built = [spec.build(name) for name in names or MATCHER_NAMES[:2]]
    try:
        report = calibrate(loaded, texts, built, threshold)
    finally:
        for one in spec.judges:
            one.close()
    _print(report, pairs)
    for one in spec.judges:
        stats = one.stats
        bias = "-" if stats.position_bias is None else f"{stats.position_bias:.3f}"
        click.echo(
            f"judge: {stats.pairs} pairs asked in both orders, {stats.requests} answers "
            f"({stats.cached} cached), tokens {stats.prompt_tokens}+{stats.completion_tokens}, "
            f"failures {dict(stats.failures) or 0}, orders disagree on {bias} of pairs"
        )


@dataclass
class _JudgeSpec:
    """The judge's endpoint options; builds matchers by name and keeps the judges it made
    so the command can close them and print their statistics."""

    judge_base_url: str | None
    judge_model: str | None
    api_key_env: str
    cache_dir: Path | None
    no_cache: bool
    cache_ttl: float | None = None
    judges: list[JudgeMatcher] = field(default_factory=list)

    def build(self, name: str) -> Matcher:
        from harness.scoring.matchers import get_matcher

        if not name.startswith("judge"):
            return get_matcher(name)
        base_url, model = self.judge_base_url, self.judge_model
        if not base_url or not model:
            raise UserInputError("--matcher judge: needs --judge-base-url and --judge-model")
        from harness.endpoints.cache import default_cache_dir, open_cache
        from harness.endpoints.client import ChatClient
        from harness.endpoints.settings import Endpoint, OutputMode, SamplingParams
        from harness.scoring.matchers.guards import GuardedMatcher
        from harness.scoring.matchers.judge import JudgeMatcher
        from harness.secrets import read_api_key

        endpoint = Endpoint(base_url=base_url, model=model)
        api_key = read_api_key(self.api_key_env)
        cache_dir, no_cache, ttl = self.cache_dir, self.no_cache, self.cache_ttl

        def client() -> ChatClient:
            cache = None if no_cache else open_cache(cache_dir or default_cache_dir(), ttl)
            params = SamplingParams(max_tokens=32)
            return ChatClient(endpoint, api_key, params, mode=OutputMode.PROMPT, cache=cache)

        judge = JudgeMatcher(client, shortlist=get_matcher("lexical"))
        self.judges.append(judge)
        return GuardedMatcher(judge) if name.endswith("+guards") else judge


def _print(report: object, source: Path) -> None:
    from harness.calibration import CalibrationReport
    from harness.render import Column, Table, number

    assert isinstance(report, CalibrationReport)
    click.echo(
        f"{source}: {report.pairs} pairs, {report.documents} documents, annotators "
        f"{', '.join(report.annotators)}; {report.disagreements} pairs where they disagree "
        "(left out of AUC and kappa)"
    )
    if report.human_kappa is not None:
        click.echo(
            f"human-human kappa: {report.human_kappa} (all pairs); "
            f"{number(report.human_kappa_held_out)} (held-out half)"
        )
    columns = ["matcher", "ROC AUC [95% CI]", "threshold", "train/test"]
    columns += ["kappa held-out [95% CI]", "per annotator"]
    rows = [
        [
            m.matcher,
            str(m.auc),
            number(m.threshold),
            f"{m.train_pairs}/{m.test_pairs}",
            str(m.kappa),
            ", ".join(f"{k} {number(v)}" for k, v in m.kappa_by_annotator.items()),
        ]
        for m in report.matchers
    ]
    click.echo(Table([Column(name) for name in columns], rows).to_text())
