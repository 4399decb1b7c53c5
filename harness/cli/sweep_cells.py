"""`harness sweep`'s options for sharing a sweep between processes started by a scheduler:
--list-cells [--json], --cells I/N, --lease-timeout, --summarize (the engine is
`harness.run_sweep_shard`; this module only parses and prints)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from harness.cli.options import duration
from harness.render import Column, Table

if TYPE_CHECKING:
    from harness import Cell, Shard, ShardResult, SweepFolder
    from harness.runs import SweepSummary

__all__ = ["FanOut", "fanout_options", "list_cells", "report_part"]

F = TypeVar("F", bound=Callable[..., object])


def _shard(ctx: click.Context, param: click.Parameter, value: str | None) -> Shard | None:
    from harness.shard import Shard

    if value is None:
        return None
    try:
        return Shard.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from exc


def fanout_options(command: F) -> F:
    options = [
        click.option(
            "--list-cells",
            is_flag=True,
            help="List every cell (index, stable id, label) and exit; with --cells, its part.",
        ),
        click.option("--json", "as_json", is_flag=True, help="With --list-cells: JSON on stdout."),
        click.option(
            "--cells",
            "shard",
            metavar="I/N",
            callback=_shard,
            help="Run only part I of N (cells whose id hashes to I mod N), each under a lease "
            "in the sweep folder, so processes of a job array (or several with 0/1) share "
            "a sweep; the last to finish writes the summary.",
        ),
        click.option(
            "--lease-timeout",
            metavar="DURATION",
            callback=duration,
            help="With --cells: take over another host's lease after this long without its "
            "heartbeat [default: 5m]; a dead process on this host is taken over at once.",
        ),
        click.option(
            "--summarize",
            is_flag=True,
            help="Only write summary.json/.md from the cells' folders as they are; send nothing.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@dataclass(frozen=True)
class FanOut:
    list_cells: bool
    as_json: bool
    shard: Shard | None
    summarize: bool

    @classmethod
    def of(cls, options: dict[str, Any], dry_run: bool) -> FanOut:
        """The options as one value; combinations that mean nothing are usage errors."""
        shard, timeout = options["shard"], options["lease_timeout"]
        problem = None
        if options["as_json"] and not options["list_cells"]:
            problem = "--json: only with --list-cells"
        elif timeout is not None and shard is None:
            problem = "--lease-timeout: only with --cells I/N"
        elif options["summarize"] and (shard or dry_run or options["list_cells"]):
            problem = "--summarize: not with --cells, --dry-run or --list-cells"
        elif options["list_cells"] and dry_run:
            problem = "--list-cells: not with --dry-run"
        if problem is not None:
            raise click.UsageError(problem, click.get_current_context(silent=True))
        if shard is not None and timeout is not None:
            shard = type(shard)(shard.index, shard.count, timeout)
        return cls(options["list_cells"], options["as_json"], shard, options["summarize"])

    def part(self, cells: list[Cell]) -> list[Cell]:
        """The cells this process takes (all without --cells)."""
        shard = self.shard
        return cells if shard is None else [c for c in cells if shard.takes(c.id)]


def list_cells(cells: list[Cell], fan: FanOut) -> None:
    from harness.sweep import cell_labels

    labels = cell_labels(cells)  # labels of the whole sweep, as its summary shows them
    rows = [
        {
            "index": index,
            "id": cell.id,
            "label": labels[cell.id],
            "prompt": cell.prompt,
            "endpoint": cell.endpoint,
            "repeat": cell.repeat,
            "params": cell.params.model_dump(exclude_none=True),
        }
        for index, cell in enumerate(cells)
        if fan.shard is None or fan.shard.takes(cell.id)
    ]
    if fan.as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(
        [Column("index", numeric=True), Column("id"), Column("label")],
        [[str(r["index"]), str(r["id"]), str(r["label"])] for r in rows],
    )
    click.echo(table.to_text())


def report_part(
    result: ShardResult,
    shard: Shard,
    folder: SweepFolder,
    show: Callable[[SweepSummary], None],
) -> None:
    """What this process did with its part, then the summary if it wrote it."""
    for cell, holder in result.held:
        click.echo(f"cell {cell.id}: left alone ({holder})", err=True)
    click.echo(
        f"part {shard}: {len(result.outcomes)} cells run here, {len(result.finished)} "
        f"finished before, {len(result.held)} running elsewhere"
    )
    if result.summary is not None:
        show(result.summary)
        click.echo(f"sweep folder: {folder.path}")
    else:
        click.echo(
            f"summary: not written yet, {result.unsettled} cells still running or not run "
            f"(the process that ends the last one writes it; or: harness sweep FILE --summarize)"
        )
