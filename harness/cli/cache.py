"""`harness cache stats|clear|prune|explain|merge`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

import harness
from harness.cli.options import cache_dir_option, duration
from harness.endpoints.cache import ResponseCache, default_cache_dir
from harness.errors import UserInputError

__all__ = ["cache_group"]


def _open(cache_dir: Path | None, ttl: float | None = None) -> ResponseCache:
    return ResponseCache(cache_dir or default_cache_dir(), ttl)


def _span(seconds: float) -> str:
    """A duration as given (`7d`, `12h`, `30m`, `90s`), in the largest unit that divides it."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def _age(seconds: float) -> str:
    """A short age: `3d 4h`, `5h 12m`, `40m`, `12s`."""
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {rest // 60}m" if hours else f"{rest // 60}m" if rest >= 60 else f"{rest}s"


@click.group("cache")
def cache_group() -> None:
    """Inspect or clear the response cache (SQLite, on by default for `harness run`)."""


@cache_group.command("stats")
@cache_dir_option
@click.option(
    "--cache-ttl",
    metavar="DURATION",
    callback=duration,
    help="Also count the answers older than this (what a run with --cache-ttl would not reuse).",
)
def stats_command(cache_dir: Path | None, cache_ttl: float | None) -> None:
    """Where the cache is, how many answers it holds, how often they were reused, how old
    the oldest is and (with --cache-ttl) how many are stale."""
    stats = _open(cache_dir, cache_ttl).stats()
    oldest = "-" if stats.oldest is None else f"{_age(time.time() - stats.oldest)} ago"
    click.echo(
        f"path: {stats.path}\nresponses: {stats.entries - stats.probes}\n"
        f"probes: {stats.probes}\nhits served: {stats.hits}\n"
        f"size: {stats.size_bytes / 1e6:.1f} MB\noldest answer: {oldest}"
    )
    if cache_ttl is not None:
        hint = f"; delete them: harness cache prune --older-than {_span(cache_ttl)}"
        click.echo(
            f"stale (older than {_span(cache_ttl)}): {stats.stale} of {stats.entries}"
            + (hint if stats.stale else "")
        )


@cache_group.command("prune")
@cache_dir_option
@click.option(
    "--older-than",
    metavar="DURATION",
    callback=duration,
    required=True,
    help="Delete answers (and probes) created longer ago than this, e.g. 30d.",
)
def prune_command(cache_dir: Path | None, older_than: float | None) -> None:
    """Delete cached answers older than an age; newer ones stay."""
    assert older_than is not None  # required=True
    removed = _open(cache_dir).prune(older_than)
    click.echo(f"removed {removed} entries older than {_span(older_than)}")


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


@cache_group.command("merge")
@click.argument(
    "sources", metavar="SRC...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option(
    "--into",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="The cache folder to merge into (created if missing).",
)
def merge_command(sources: tuple[Path, ...], into: Path) -> None:
    """Merge response caches (folders holding responses.sqlite, or the files) into one,
    e.g. node-local caches after a job array. For a key in several, the newest answer wins;
    an unreadable source is reported in one line and skipped; merging twice changes nothing."""
    from harness.endpoints.netfs import warn_if_network_fs

    warn_if_network_fs(into)
    report = harness.merge_caches(list(sources), into)
    for source, why in report.skipped.items():
        click.echo(f"warning: {source}: skipped: {why}", err=True)
    for source, rows in report.merged.items():
        click.echo(f"{source}: {rows} entries added or renewed")
    click.echo(f"merged {len(report.merged)} of {len(sources)} caches into {report.into}")
    if not report.merged:
        raise UserInputError(f"SRC: none of the {len(sources)} sources is a readable cache")


@cache_group.command("explain")
@click.argument("run", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.argument("doc_id")
@cache_dir_option
def explain_command(run: Path, doc_id: str, cache_dir: Path | None) -> None:
    """Show the cache key parts of every request made for DOC_ID in RUN (in every cell,
    when RUN is a sweep folder)."""
    cache = _open(cache_dir)
    if not harness.SweepFolder.holds_sweep(run):
        _explain(cache, run, doc_id)
        return
    sweep = harness.SweepFolder(run)
    for cell in sweep.read_summary().cells:
        if harness.RunFolder(sweep.cell(cell.id)).has_manifest():
            click.echo(f"cell {cell.label or cell.id}:")
            _explain(cache, sweep.cell(cell.id), doc_id)


def _explain(cache: ResponseCache, run: Path, doc_id: str) -> None:
    record = harness.RunFolder.open(run).read_predictions().get(doc_id)
    if record is None:
        raise UserInputError(f"{run}: DOC_ID: no prediction for {doc_id!r}")
    for index, attempt in enumerate(record.attempts):
        origin = "served from cache" if attempt.cached else "requested"
        click.echo(f"attempt {index} ({attempt.kind}, {origin}): key {attempt.cache_key}")
        parts = cache.parts(attempt.cache_key) if attempt.cache_key else None
        if parts is None:
            click.echo("  (not in this cache: run without cache, cleared or pruned)")
            continue
        for name, value in parts.items():
            shown = json.dumps(value, sort_keys=True) if isinstance(value, dict) else value
            click.echo(f"  {name}: {shown}")
