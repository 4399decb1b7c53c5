"""`harness matchers list|calibrate`: which claim matchers exist and how well they agree
with people."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from harness.cli.options import cache_options, judge_options
from harness.scoring_names import (
    DEFAULT_MATCHER,
    JUDGE_NAMES,
    MATCHER_NAMES,
    JudgeSettings,
)

__all__ = ["matchers_group"]


@click.group("matchers")
def matchers_group() -> None:
    """Claim matchers (lexical, embedding, judge) and their agreement with human judges."""


@matchers_group.command("list")
def list_command() -> None:
    """The matcher names `run`, `sweep`, `rescore` and `calibrate` accept."""
    for name in MATCHER_NAMES:
        note = "  (default)" if name == DEFAULT_MATCHER else ""
        note += "  (needs --judge-model [--judge-base-url])" if name in JUDGE_NAMES else ""
        click.echo(f"{name}{note}")


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
@judge_options
@cache_options
def calibrate_command(
    pairs: Path,
    names: tuple[str, ...],
    docs: Path,
    threshold: float | None,
    judge_model: str | None,
    judge_base_url: str | None,
    judge_api_key_env: str,
    **cache: Any,
) -> None:
    """Per matcher: ROC AUC vs the annotators (document-bootstrap 95% CI), the F1-optimal
    threshold fitted on half the documents, and Cohen's kappa on the other half, printed
    next to human-human kappa. A local judge's server log: results/judge_server.log."""
    from harness.calibration import calibrate, load_pairs
    from harness.corpus import load_documents
    from harness.endpoints.resolve import EndpointResolver
    from harness.judges import describe_judge, open_matcher
    from harness.request import CacheOptions
    from harness.scoring.matchers import parse_matcher_name

    loaded = load_pairs(pairs)
    texts = {d.id: d.text for d in load_documents(docs)}
    settings = JudgeSettings.from_flags(judge_base_url, judge_model, judge_api_key_env)
    caching = CacheOptions(**cache)
    chosen = names or MATCHER_NAMES[:2]
    for name in chosen:
        parse_matcher_name(name)  # an unknown name fails before any judge starts
    with ExitStack() as stack:
        resolver, judges, built = EndpointResolver(stack), [], []
        for name in chosen:
            log = Path("results") / "judge_server.log"
            opened = open_matcher(
                name, settings, resolver, log, caching.folder(), caching.cache_ttl
            )
            matcher, judge = stack.enter_context(opened)
            built.append(matcher)
            judges += [judge] if judge is not None else []
        report = calibrate(loaded, texts, built, threshold)
        usages = [one.usage() for one in judges]
    _print(report, pairs)
    for usage in usages:
        click.echo(describe_judge(usage))


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
