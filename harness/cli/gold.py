"""`harness gold validate|agree` and `harness import polnear`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from harness.annotation import agree, validate_gold_folder
from harness.errors import UserInputError
from harness.importers.polnear import AnnotatorRule, PolnearFormatError, read_polnear, write_polnear

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
def agree_command(dir_a: Path, dir_b: Path, docs: Path, threshold: float) -> None:
    """Agreement of two annotations of the same documents (same matcher as scoring)."""
    result = agree(dir_a, dir_b, docs, threshold)

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    click.echo(
        f"documents: {result.documents}  claims: {result.claims_a} vs {result.claims_b}  "
        f"matched: {result.matched}"
    )
    click.echo(f"claim_f1: {result.claim_f1:.3f}")
    click.echo(f"speaker_agreement (matched pairs): {fmt(result.speaker_agreement)}")
    click.echo(f"cue_agreement (matched pairs): {fmt(result.cue_agreement)}")
    click.echo(f"via_agreement (matched pairs): {fmt(result.via_agreement)}")
    click.echo(f"speaker_type_kappa: {fmt(result.speaker_type_kappa)}")
    click.echo(f"quote_type_kappa: {fmt(result.quote_type_kappa)}")


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
    try:
        corpus = read_polnear(src, AnnotatorRule(rule))
        summary = write_polnear(corpus, out, overwrite=overwrite)
    except PolnearFormatError as exc:
        raise UserInputError(str(exc)) from exc
    except FileExistsError as exc:
        raise UserInputError(f"{out}: not empty; pass --overwrite") from exc
    click.echo(
        f"documents: {summary.n_documents}  attributions: {summary.n_attributions}  "
        f"spans verified: {summary.n_spans_verified}  rule: {summary.rule}"
    )
    click.echo(f"run it: harness run --docs {out / 'docs'} --gold {out / 'gold'} ...")
