"""Issue 15 item 3: SIGINT and SIGTERM stop a run in the foreground and in the background.

A shell starts a background job (`harness run ... &`) with SIGINT ignored; the child is
started the same way here (SIG_IGN inherited through exec). Each stopped run must exit
128 + the signal, mark its manifest `interrupted`, keep every recorded prediction, and
`--resume` must finish it with the metrics of an uninterrupted run.
"""

from __future__ import annotations

import signal
import subprocess

import pytest

from tests._eval.test_resume import N_DOCS, Setup, setup, stop_mid_run
from tests.conftest import Corpus, RunCli, cli_env, read_json, read_jsonl

__all__ = ["setup"]  # the fixture, shared with test_resume


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("background", [False, True], ids=["foreground", "background"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_interrupts_the_run_and_resume_finishes_it(
    setup: Setup, corpus: Corpus, run_cli: RunCli, sig: signal.Signals, background: bool
) -> None:
    run = corpus.results / "stopped"
    proc = subprocess.Popen(
        run_cli.argv("run", *setup.args, "--run-id", "stopped"),
        cwd=run_cli.cwd,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ignore_sigint if background else None,
    )
    code = stop_mid_run(proc, run / "predictions.jsonl", sig)
    assert code == 128 + sig, proc.stderr.read() if proc.stderr else ""
    manifest = read_json(run / "manifest.json")
    assert manifest["status"] == "interrupted" and "--resume" in manifest["error"]
    kept = read_jsonl(run / "predictions.jsonl")  # every line parses: nothing torn
    done = [r["doc_id"] for r in kept]
    assert len(done) == len(set(done)) and 5 <= len(done) < N_DOCS

    resumed = run_cli("run", *setup.args, "--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    assert f"documents requested in this invocation: {N_DOCS - len(done)}" in resumed.stdout
    assert read_jsonl(run / "predictions.jsonl")[: len(kept)] == kept  # untouched
    assert read_json(run / "manifest.json")["status"] == "completed"

    full = run_cli("run", *setup.args, "--run-id", "full")
    assert full.returncode == 0, full.stderr
    reference = corpus.results / "full"
    assert (run / "metrics.json").read_text() == (reference / "metrics.json").read_text()
    assert read_jsonl(run / "scores.jsonl") == read_jsonl(reference / "scores.jsonl")
