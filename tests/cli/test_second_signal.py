"""Issue 15 item 3, what part B left: a second SIGINT/SIGTERM while a stopped run cleans up
must not leave its manifest `running` (nor a traceback).

The run is stopped with SIGTERM, then signalled again and again (SIGINT and SIGTERM, as a
user pressing Ctrl-C repeatedly or a supervisor re-sending) until it exits, so some of the
signals land in the cleanup itself. The manifest must say `interrupted`, the exit code is
the first signal's, and `--resume` finishes the folder to the metrics of an uninterrupted run.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from tests._eval.test_resume import N_DOCS, Setup, setup
from tests.conftest import Corpus, RunCli, read_json, read_jsonl

__all__ = ["setup"]  # the fixture, shared with test_resume


def _wait_for_predictions(proc: subprocess.Popen[str], path: Path, n: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and path.read_text().count("\n") >= n:
            return
        time.sleep(0.01)
    raise AssertionError("the run ended, or recorded too few documents, before the signal")


def _storm(proc: subprocess.Popen[str]) -> int:
    """SIGTERM, then SIGINT and SIGTERM in turn every 2 ms until the process ends; how many
    signals were sent after the first."""
    proc.send_signal(signal.SIGTERM)
    deadline, sent = time.monotonic() + 60, 0
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            proc.send_signal((signal.SIGINT, signal.SIGTERM)[sent % 2])
        except ProcessLookupError:  # ended between poll and kill
            break
        sent += 1
        time.sleep(0.002)
    return sent


def test_signals_during_cleanup_leave_an_interrupted_resumable_run(
    setup: Setup, corpus: Corpus, run_cli: RunCli
) -> None:
    run = corpus.results / "stormy"
    proc = run_cli.popen("run", *setup.args, "--run-id", "stormy")
    _wait_for_predictions(proc, run / "predictions.jsonl", 5)
    assert _storm(proc) > 0
    _, stderr = proc.communicate(timeout=60)
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 128 + signal.SIGTERM, stderr  # the first signal's code
    manifest = read_json(run / "manifest.json")
    assert manifest["status"] == "interrupted", manifest
    kept = read_jsonl(run / "predictions.jsonl")
    done = [r["doc_id"] for r in kept]
    assert len(done) == len(set(done)) and 5 <= len(done) < N_DOCS

    resumed = run_cli("run", *setup.args, "--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    assert f"documents requested in this invocation: {N_DOCS - len(done)}" in resumed.stdout
    assert read_json(run / "manifest.json")["status"] == "completed"
    full = run_cli("run", *setup.args, "--run-id", "full")
    assert full.returncode == 0, full.stderr
    reference = corpus.results / "full"
    assert (run / "metrics.json").read_text() == (reference / "metrics.json").read_text()
    assert read_jsonl(run / "scores.jsonl") == read_jsonl(reference / "scores.jsonl")
