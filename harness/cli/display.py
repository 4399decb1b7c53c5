"""What the terminal shows: live progress while running, then the summary table."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

import harness

if TYPE_CHECKING:  # harness.runs loads numpy: not for `harness --help`
    from harness import RunOutcome, RunRequest
    from harness.runs import Manifest, PredictionRecord, TokenTotals
    from harness.scoring.metrics import Metrics

__all__ = ["LiveProgress", "print_beside_baseline", "print_summary", "wide_console"]


def wide_console() -> Console:
    """The terminal's width on a terminal; elsewhere (CI logs, pipes) wide enough that a
    table is never cut to 80 columns or its cells ellipsised."""
    console = Console(highlight=False)
    return console if console.is_terminal else Console(highlight=False, width=400)


class LiveProgress:
    """A rich progress bar on a terminal; one plain line per document otherwise."""

    def __init__(self, quiet: bool = False) -> None:
        self.console = Console(stderr=True)
        self.quiet = quiet
        self.live = self.console.is_terminal and not quiet
        self.failures: dict[str, int] = {}
        self.wants_scores = not quiet
        self.tokens = 0
        self.done = 0
        self.total = 0
        self.started = time.perf_counter()
        self.claim_f1: float | None = None
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def _status(self) -> str:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        failed = ", ".join(f"{k} {v}" for k, v in sorted(self.failures.items())) or "none"
        f1 = "-" if self.claim_f1 is None else f"{self.claim_f1:.3f}"
        return (
            f"failures: {failed} | {self.tokens} tokens | {self.done / elapsed:.2f} docs/s"
            f" | claim F1 so far {f1}"
        )

    def start(self, total: int, already_done: int) -> None:
        self.total, self.done, self.started = total, already_done, time.perf_counter()
        if self.live:
            self._bar = Progress(
                TextColumn("[bold]extracting"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.description}"),
                console=self.console,
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self._status(), total=total, completed=already_done)
        elif not self.quiet and already_done:
            print(f"resuming: {already_done}/{total} documents already done", file=sys.stderr)

    def advance(self, record: PredictionRecord, claim_f1: float | None = None) -> None:
        self.done += 1
        self.claim_f1 = claim_f1 if claim_f1 is not None else self.claim_f1
        self.tokens += record.prompt_tokens + record.completion_tokens
        if record.failure:
            self.failures[record.failure.kind] = self.failures.get(record.failure.kind, 0) + 1
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=1, description=self._status())
        elif not self.quiet:
            outcome = (
                f"{len(record.claims or [])} claims"
                if record.failure is None
                else f"FAILED {record.failure.kind}"
            )
            print(
                f"[{self.done}/{self.total}] {record.doc_id}: {outcome} "
                f"({record.latency_s:.1f}s{_speed(record)}) | {self._status()}",
                file=sys.stderr,
                flush=True,
            )

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def print_summary(manifest: Manifest, metrics: Metrics, folder: str) -> None:
    from harness.render.summaries import run_table

    console = Console()
    console.print(run_table(manifest, metrics).to_rich())
    failures = ", ".join(f"{k}: {v}" for k, v in metrics.failures.items()) or "none"
    tokens = manifest.tokens
    console.print(f"failures by class: {failures}")
    console.print(f"answer limits: {manifest.answer_limits.describe()}")
    console.print(
        f"tokens: {tokens.prompt_tokens} prompt + {tokens.completion_tokens} completion "
        f"in {tokens.requests} requests ({_transport(tokens)}); "
        f"{manifest.duration_s or 0:.1f} s"
    )
    if manifest.judge is not None:
        from harness.judges import describe_judge

        console.print(describe_judge(manifest.judge), markup=False)
    console.print(f"run folder: {folder}")


def _speed(record: PredictionRecord) -> str:
    """Generated tokens per second of this document's requests (none for a baseline or a
    cached answer)."""
    if not record.completion_tokens or record.latency_s <= 0:
        return ""
    return f", {record.completion_tokens / record.latency_s:.1f} tokens/s"


def _transport(tokens: TokenTotals) -> str:
    """How the answers came: HTTP attempts, and how many the response cache served."""
    parts = [f"{tokens.http_attempts} HTTP attempts"]
    if tokens.cached:
        parts.append(f"{tokens.cached} served from cache")
    return ", ".join(parts)


def print_beside_baseline(request: RunRequest, outcome: RunOutcome, name: str) -> None:
    """The baseline on the same documents, the paired comparison (B = the model, A = the
    baseline) and one sentence on what it means."""
    from harness.baselines import resolve_baseline
    from harness.render.summaries import baseline_verdict, comparison_table

    rule = resolve_baseline(name)
    base = harness.run_baseline_beside(request, outcome, name)
    comparison = harness.compare_runs(base.folder, [outcome.folder])
    (pair,) = comparison.pairs
    console = wide_console()
    console.print(
        f"\nbeside baseline:{rule.name} on the same {comparison.n_docs} documents "
        f"(run folder {base.folder.path}); paired bootstrap {comparison.resamples} resamples, "
        f"{100 * (1 - comparison.alpha):g}% CI"
    )
    console.print(comparison_table(comparison).to_rich(title_justify="left"))
    model = "the embedded model" if outcome.manifest.model == "local" else outcome.manifest.model
    console.print(baseline_verdict(pair, model, rule.description, f"baseline:{rule.name}"))
