"""Issue #5 item 3 / #6 item 6: a run killed mid-way resumes to the same result.

`harness run` runs as a subprocess against a slow scripted server; it is killed with
SIGKILL (no cleanup at all) or stopped with SIGTERM once predictions.jsonl has a few
lines, then `harness run --resume RUN` finishes it.
"""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.corpus import load_documents, load_gold
from harness.fakes import ChatRequest, GoldAnswerer, Reply, Script, ScriptedServer
from tests.conftest import Corpus, RunCli, read_json, read_jsonl
from tests.test_faults import make_corpus

N_DOCS = 40
Start = Callable[[Script], ScriptedServer]


@dataclasses.dataclass(frozen=True)
class Setup:
    docs: Path
    ids: list[str]
    answerer: GoldAnswerer
    server: ScriptedServer
    args: tuple[str, ...]


@pytest.fixture
def setup(tmp_path: Path, scripted_server: Start) -> Setup:
    docs, gold, ids = make_corpus(tmp_path, N_DOCS)
    documents = load_documents(docs)
    answerer = GoldAnswerer(documents, load_gold(gold, documents))

    def slow(request: ChatRequest) -> Reply:
        return dataclasses.replace(answerer(request), hang_s=0.1)

    server = scripted_server(slow)
    args = (
        "--base-url",
        server.base_url,
        "--model",
        "m",
        "--docs",
        str(docs),
        "--gold",
        str(gold),
        "--concurrency",
        "2",
        # Resume alone must guarantee exactly-once; the cache would also serve answers
        # that arrived just before the kill and hide a resume bug.
        "--no-cache",
    )
    return Setup(docs, ids, answerer, server, args)


def stop_mid_run(proc: subprocess.Popen[str], predictions: Path, sig: signal.Signals) -> int:
    """Send `sig` once at least 5 documents are recorded; the exit code."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if predictions.exists() and predictions.read_text().count("\n") >= 5:
            proc.send_signal(sig)
            break
        time.sleep(0.01)
    assert proc.poll() is None or proc.returncode in (-sig, 128 + sig), "the run ended on its own"
    proc.communicate(timeout=60)
    return proc.returncode


def doc_requests(setup: Setup, since: int) -> Counter[str | None]:
    return Counter(setup.answerer.doc_id_for(r) for r in setup.server.requests[since:])


def test_kill_9_then_resume_matches_an_uninterrupted_run(
    setup: Setup, corpus: Corpus, run_cli: RunCli
) -> None:
    run = corpus.results / "killed"
    predictions = run / "predictions.jsonl"
    proc = run_cli.popen("run", *setup.args, "--run-id", "killed")
    assert stop_mid_run(proc, predictions, signal.SIGKILL) == -signal.SIGKILL
    assert read_json(run / "manifest.json")["status"] == "running"  # nobody cleaned up
    done = {r["doc_id"] for r in read_jsonl(predictions)}
    missing = set(setup.ids) - done
    assert 5 <= len(done) < N_DOCS
    # A torn last line, cut inside a multi-byte character, as a crash could leave.
    torn = '{"doc_id": "' + sorted(missing)[0] + '", "mode": "json_schema", "claims": [{"s": "caf'
    with predictions.open("ab") as handle:
        handle.write(torn.encode() + "é".encode()[:1])

    before = len(setup.server.requests)
    resumed = run_cli("run", *setup.args, "--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    assert f"documents requested in this invocation: {len(missing)}" in resumed.stdout
    seen = doc_requests(setup, before)
    assert seen.pop(None) == 1  # the output-mode probe
    assert seen == Counter(dict.fromkeys(missing, 1))  # only the missing documents, once

    lines = predictions.read_text(encoding="utf-8").splitlines()
    ids = [r["doc_id"] for r in read_jsonl(predictions)]  # every line parses: tail was cut
    assert len(lines) == len(ids) == N_DOCS and sorted(ids) == setup.ids
    assert read_json(run / "manifest.json")["status"] == "completed"

    full = run_cli("run", *setup.args, "--run-id", "full")
    assert full.returncode == 0, full.stderr
    reference = corpus.results / "full" / "metrics.json"
    assert (run / "metrics.json").read_text() == reference.read_text()
    scores = read_jsonl(run / "scores.jsonl")
    assert scores == read_jsonl(corpus.results / "full" / "scores.jsonl")


def test_sigterm_marks_the_run_interrupted_and_resume_finishes_it(
    setup: Setup, corpus: Corpus, run_cli: RunCli
) -> None:
    run = corpus.results / "termed"
    proc = run_cli.popen("run", *setup.args, "--run-id", "termed")
    assert stop_mid_run(proc, run / "predictions.jsonl", signal.SIGTERM) == 128 + signal.SIGTERM
    manifest = read_json(run / "manifest.json")
    assert manifest["status"] == "interrupted" and "--resume" in manifest["error"]
    assert manifest["finished_at"] is not None
    done = [r["doc_id"] for r in read_jsonl(run / "predictions.jsonl")]
    assert len(done) == len(set(done)) < N_DOCS

    before = len(setup.server.requests)
    resumed = run_cli("run", *setup.args, "--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    ids = [r["doc_id"] for r in read_jsonl(run / "predictions.jsonl")]
    assert sorted(ids) == setup.ids
    seen = doc_requests(setup, before)
    assert set(seen) - {None} == set(setup.ids) - set(done)
    assert read_json(run / "manifest.json")["status"] == "completed"
