"""Subcommands imported only when they are invoked.

`harness --help` used to import every command module, and with them pydantic models, jinja2,
rich and the endpoint settings: 0.4 s on an idle machine for a screen of text. The group below
knows each command's module and the first sentence of its help, so listing commands imports nothing;
`tests/cli/test_lazy.py` checks that the listed help is what the command itself would say and that
every entry resolves, so the table cannot drift from the commands.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click

__all__ = ["COMMANDS", "LazyCommand", "LazyGroup"]


@dataclass(frozen=True)
class LazyCommand:
    """Where a subcommand lives and what `harness --help` says of it."""

    module: str
    attribute: str
    summary: str  # the first sentence of the command's help, shortened to fit as click does

    def shortened(self, limit: int) -> str:
        """The summary cut to `limit` characters exactly as click cuts a command's help."""
        return click.Command(None, help=self.summary).get_short_help_str(limit)

    def load(self) -> click.Command:
        command = getattr(importlib.import_module(self.module), self.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.module}.{self.attribute} is not a click command")
        return command


COMMANDS: dict[str, LazyCommand] = {
    "batch": LazyCommand(
        "harness.cli.batch",
        "batch_group",
        "The OpenAI Batch API (half the price, answers within 24 h), with all state on disk.",
    ),
    "cache": LazyCommand(
        "harness.cli.cache",
        "cache_group",
        "Inspect or clear the response cache (SQLite, on by default for `harness run`).",
    ),
    "compare": LazyCommand(
        "harness.cli.compare",
        "compare_command",
        "Compare runs B, C, ... with run A, paired by document.",
    ),
    "export": LazyCommand(
        "harness.cli.export",
        "export_command",
        (
            "Export one row per document, sorted by document id: every per-document "
            "metric and count, the predicted and the gold claims as nested lists "
            "(matched or not, with each attribution check), tokens and latency."
        ),
    ),
    "gold": LazyCommand(
        "harness.cli.gold",
        "gold_group",
        "Check gold files and measure agreement between annotators.",
    ),
    "import": LazyCommand(
        "harness.cli.gold",
        "import_group",
        "Convert existing attribution corpora into documents and gold files.",
    ),
    "init": LazyCommand(
        "harness.cli.init",
        "init_command",
        (
            "Write a ready project into FOLDER (created; must be empty): a prompt, "
            "three example Wikinews articles with gold, a sweep file and a README."
        ),
    ),
    "matchers": LazyCommand(
        "harness.cli.matchers",
        "matchers_group",
        "Claim matchers (lexical, embedding, judge) and their agreement with human judges.",
    ),
    "report": LazyCommand(
        "harness.cli.report",
        "report_command",
        "Write an HTML report on RUN [RUN ...]; the first run is the baseline.",
    ),
    "rescore": LazyCommand(
        "harness.cli.misc",
        "rescore_command",
        (
            "Recompute scores and metrics from stored predictions, without calling "
            "the extraction model (also with another --matcher, --assignment or "
            "--threshold; the manifest records them)."
        ),
    ),
    "run": LazyCommand(
        "harness.cli.run",
        "run_command",
        "Extract claims with a prompt and model, score them against gold, save the run.",
    ),
    "schema": LazyCommand(
        "harness.cli.misc",
        "schema_command",
        "Print the published JSON Schema of model answers (extraction) or gold files.",
    ),
    "serve": LazyCommand(
        "harness.cli.misc",
        "serve_command",
        "Keep a local model server up on 127.0.0.1 and print its base URL (Ctrl-C stops it).",
    ),
    "serve-scripted": LazyCommand(
        "harness.cli.scripted",
        "serve_scripted_command",
        "Serve gold answers on 127.0.0.1 and print the base URL (Ctrl-C stops it).",
    ),
    "show": LazyCommand(
        "harness.cli.misc",
        "show_command",
        (
            "Print a finished run's summary table again; for a sweep folder, its "
            "cells and the prompt x model table of each headline metric."
        ),
    ),
    "sweep": LazyCommand(
        "harness.cli.sweep",
        "sweep_command",
        "Run every prompt on every model over a grid of sampling parameters, N times.",
    ),
}


class LazyGroup(click.Group):
    """A click group whose subcommands come from `COMMANDS`, imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(COMMANDS[cmd_name].load(), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the table: listing must not import the commands."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, COMMANDS[name].shortened(limit)) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
