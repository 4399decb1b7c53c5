"""`harness gold validate|agree` and `harness import polnear|docs`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

import click

from harness.cli.options import cache_options, judge_options
from harness.errors import UserInputError
from harness.importers.polnear import (
    AnnotatorRule,
    PolnearOutputError,
    read_polnear,
    write_polnear,
)
from harness.render import number
from harness.scoring_names import DEFAULT_MATCHER, MATCHER_NAMES, JudgeSettings

F = TypeVar("F", bound=Callable[..., object])

__all__ = ["gold_group", "import_group"]

_DIR = click.Path(path_type=Path, exists=True, file_okay=False)


@click.group("gold")
def gold_group() -> None:
    """Check gold files and measure agreement between annotators."""


@gold_group.command("validate")
@click.argument("gold_dir", type=_DIR, default=Path("gold"))
@click.option(
    "--docs",
    type=_DIR,
    default=Path("seeds"),
    show_default=True,
    help="Folder holding <doc_id>.txt for each gold file.",
)
def validate_command(gold_dir: Path, docs: Path) -> None:
    """Schema, evidence found in the document, duplicates, suspicious speakers and
    colliding aliases. One line per problem (file: json-path: message); exit 1 if any."""
    from harness.annotation import validate_gold_folder  # loads the scoring (numpy)

    n_files, n_claims, problems = validate_gold_folder(gold_dir, docs)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {n_files} files", err=True)
        sys.exit(1)
    click.echo(f"{gold_dir}: {n_files} files, {n_claims} claims: clean")


@gold_group.command("agree")
@click.argument("dir_a", type=_DIR)
@click.argument("dir_b", type=_DIR)
@click.option("--docs", type=_DIR, default=Path("seeds"), show_default=True)
@click.option("--threshold", type=click.FloatRange(0, 1), default=0.5, show_default=True)
@click.option(
    "--matcher",
    type=click.Choice(MATCHER_NAMES),
    default=DEFAULT_MATCHER,
    show_default=True,
    help="Claim matcher that pairs A's claims with B's (docs/metrics.md, 'Matchers').",
)
@judge_options
@cache_options
def agree_command(
    dir_a: Path,
    dir_b: Path,
    docs: Path,
    threshold: float,
    matcher: str,
    judge_model: str | None,
    judge_base_url: str | None,
    judge_api_key_env: str,
    **cache: Any,
) -> None:
    """Agreement of two annotations of the same documents: claims pair up with --matcher
    (as scoring does, one-to-one at --threshold), then their attribution is compared."""
    from harness.annotation import agree  # loads the scoring (numpy)
    from harness.endpoints.resolve import EndpointResolver
    from harness.judges import describe_judge, open_matcher
    from harness.request import CacheOptions

    judge = JudgeSettings.from_flags(judge_base_url, judge_model, judge_api_key_env)
    caching = CacheOptions(**cache)
    with ExitStack() as stack:
        log = Path("results") / "judge_server.log"
        chosen = open_matcher(
            matcher, judge, EndpointResolver(stack), log, caching.folder(), caching.cache_ttl
        )
        built, opened = stack.enter_context(chosen)
        result = agree(dir_a, dir_b, docs, threshold, built)
        usage = opened.usage() if opened is not None else None

    click.echo(f"matcher: {matcher}  threshold: {threshold}")
    click.echo(
        f"documents: {result.documents}  claims: {result.claims_a} vs {result.claims_b}  "
        f"matched: {result.matched}"
    )
    click.echo(f"claim_f1: {number(result.claim_f1)}")
    click.echo(f"speaker_agreement (matched pairs): {number(result.speaker_agreement)}")
    click.echo(f"cue_agreement (matched pairs): {number(result.cue_agreement)}")
    click.echo(f"via_agreement (matched pairs): {number(result.via_agreement)}")
    click.echo(f"speaker_type_kappa: {number(result.speaker_type_kappa)}")
    click.echo(f"quote_type_kappa: {number(result.quote_type_kappa)}")
    if usage is not None:
        click.echo(describe_judge(usage))


@click.group("import")
def import_group() -> None:
    """Convert existing attribution corpora into documents and gold files."""


@import_group.command("polnear")
@click.argument("src", type=_DIR)
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--rule",
    type=click.Choice([r.value for r in AnnotatorRule]),
    default=AnnotatorRule.FIRST_ALPHABETICAL.value,
    show_default=True,
    help="Which annotator's gold to keep where an article has several.",
)
@click.option("--overwrite", is_flag=True, help="Write into a non-empty OUT folder.")
def polnear_command(src: Path, out: Path, rule: str, overwrite: bool) -> None:
    """PolNeAR brat standoff -> OUT/docs, OUT/gold, OUT/annotators/<id>/ (research use only:
    keep OUT outside any repository)."""
    corpus = read_polnear(src, AnnotatorRule(rule))  # its errors are one line, exit 2
    try:
        summary = write_polnear(corpus, out, overwrite=overwrite)
    except PolnearOutputError as exc:
        raise UserInputError(f"{out}: not empty; pass --overwrite") from exc
    click.echo(
        f"documents: {summary.n_documents}  attributions: {summary.n_attributions}  "
        f"spans verified: {summary.n_spans_verified}  rule: {summary.rule}"
    )
    click.echo(f"run it: harness run --docs {out / 'docs'} --gold {out / 'gold'} ...")


def _field_option(field: str) -> Callable[[F], F]:
    return click.option(
        f"--{field}-field",
        f"{field}_field",
        default=field,
        show_default=True,
        help=f"Column holding the document's {field}.",
    )


@import_group.command("docs")
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@_field_option("id")
@_field_option("text")
@_field_option("title")
@_field_option("url")
@_field_option("date")
@click.option("--overwrite", is_flag=True, help="Replace an existing OUT file.")
def docs_command(source: Path, out: Path, overwrite: bool, **fields: str) -> None:
    """A JSONL or Parquet file or a saved dataset (`save_to_disk`) -> OUT, a JSONL file
    that `harness run --docs OUT` reads. Columns are mapped with --*-field; ids must be
    safe file names. Nothing is downloaded: a Hub dataset must be saved to disk first."""
    from harness.columns import Columns
    from harness.corpus import load_documents
    from harness.runs import write_atomic

    if out.exists() and not overwrite:
        raise UserInputError(f"{out}: exists; pass --overwrite")
    columns = Columns(**{name.removesuffix("_field"): value for name, value in fields.items()})
    documents = load_documents(source, columns)
    lines = (d.model_dump_json(exclude_none=True) for d in documents)
    write_atomic(out, "".join(f"{line}\n" for line in lines))
    click.echo(f"{out}: {len(documents)} documents; run it: harness run --docs {out} ...")
