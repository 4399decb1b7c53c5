"""`harness cache stats|clear|explain`."""

from __future__ import annotations

import json
from pathlib import Path

import click

import harness
from harness.cli.options import cache_dir_option
from harness.endpoints.cache import ResponseCache, default_cache_dir
from harness.errors import UserInputError

__all__ = ["cache_group"]


def _open(cache_dir: Path | None) -> ResponseCache:
    return ResponseCache(cache_dir or default_cache_dir())


@click.group("cache")
def cache_group() -> None:
    """Inspect or clear the response cache (SQLite, on by default for `harness run`)."""


@cache_group.command("stats")
@cache_dir_option
def stats_command(cache_dir: Path | None) -> None:
    """Where the cache is, how many answers it holds and how often they were reused."""
    stats = _open(cache_dir).stats()
    click.echo(
        f"path: {stats.path}\nresponses: {stats.entries - stats.probes}\n"
        f"probes: {stats.probes}\nhits served: {stats.hits}\n"
        f"size: {stats.size_bytes / 1e6:.1f} MB"
    )


@cache_group.command("clear")
@cache_dir_option
@click.option(
    "--probes-only",
    is_flag=True,
    help="Only the output-mode probes (after a server's model changed).",
)
def clear_command(cache_dir: Path | None, probes_only: bool) -> None:
    """Delete cached answers (all, or only the probes)."""
    removed = _open(cache_dir).clear("probe" if probes_only else None)
    click.echo(f"removed {removed} entries")


@cache_group.command("explain")
@click.argument("run", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.argument("doc_id")
@cache_dir_option
def explain_command(run: Path, doc_id: str, cache_dir: Path | None) -> None:
    """Show the cache key parts of every request made for DOC_ID in RUN."""
    record = harness.RunFolder.open(run).read_predictions().get(doc_id)
    if record is None:
        raise UserInputError(f"{run}: DOC_ID: no prediction for {doc_id!r}")
    cache = _open(cache_dir)
    for index, attempt in enumerate(record.attempts):
        origin = "served from cache" if attempt.cached else "requested"
        click.echo(f"attempt {index} ({attempt.kind}, {origin}): key {attempt.cache_key}")
        parts = cache.parts(attempt.cache_key) if attempt.cache_key else None
        if parts is None:
            click.echo("  (not in this cache: run without cache, or cleared)")
            continue
        for name, value in parts.items():
            shown = json.dumps(value, sort_keys=True) if isinstance(value, dict) else value
            click.echo(f"  {name}: {shown}")
