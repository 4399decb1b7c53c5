"""Issue #5 item 3 / #6 item 6: a run killed mid-way resumes to the same result.

`harness run` runs as a subprocess against a slow scripted server; it is killed with
SIGKILL (no cleanup at all) or stopped with SIGTERM once predictions.jsonl has a few
lines, then `harness run --resume RUN` finishes it.
"""

from __future__ import annotations

import dataclasses
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.corpus import load_documents, load_gold
from harness.fakes import ChatRequest, GoldAnswerer, Reply, Script, ScriptedServer
from tests.conftest import HARNESS, Corpus, RunCli, cli_env, read_json, read_jsonl
from tests.endpoints.test_faults import make_corpus

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


def test_a_client_killed_before_its_body_is_not_logged_as_a_request(
    scripted_server: Start,
) -> None:
    """The scripted server once read a missing body as `{}` and logged a request with no
    document: a run SIGKILLed between writing its headers and its body left one behind,
    counted against the resumed run (the kill -9 test above saw 2 requests without a
    document instead of the probe alone)."""
    server = scripted_server(lambda request: Reply(content='{"claims": []}'))
    host, port = server.base_url.removeprefix("http://").removesuffix("/v1").split(":")
    with socket.create_connection((host, int(port))) as client:
        client.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n"
        )
        client.shutdown(socket.SHUT_WR)  # the body never comes
        answer = b"".join(iter(lambda: client.recv(4096), b""))  # until the server closes
    assert answer == b"" and server.requests == []


def test_resume_takes_every_setting_from_the_manifest(
    setup: Setup, corpus: Corpus, run_cli: RunCli, tmp_path: Path
) -> None:
    """Issue 16 item 1: `harness run --resume RUN` and nothing else, from another folder,
    with OPENAI_BASE_URL pointing elsewhere: the run's own endpoint, sampling, limit and
    threshold are used; a contradicting flag is refused before anything is sent."""
    run = corpus.results / "chosen"
    chosen = ["--temperature", "0.3", "--max-tokens", "777", "--threshold", "0.6"]
    chosen += ["--limit", "30", "--reask", "0"]
    proc = run_cli.popen("run", *setup.args, *chosen, "--run-id", "chosen")
    assert stop_mid_run(proc, run / "predictions.jsonl", signal.SIGTERM) == 143
    manifest_before = (run / "manifest.json").read_text()
    predictions_before = (run / "predictions.jsonl").read_bytes()
    done = {r["doc_id"] for r in read_jsonl(run / "predictions.jsonl")}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = cli_env(OPENAI_BASE_URL="http://127.0.0.1:9/v1")

    def bare(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [*HARNESS, "run", "--quiet", "--resume", str(run), *args]
        return subprocess.run(
            argv, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120
        )

    before = len(setup.server.requests)
    refused = bare("--concurrency", "3", "--model", "other", "--max-tokens", "777")
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.count("\n") == 1, refused.stderr  # one line
    assert "--concurrency 3 but the run recorded 2" in refused.stderr
    assert "--model other but the run recorded m" in refused.stderr
    assert "--max-tokens" not in refused.stderr  # equal to the recorded value: accepted
    assert len(setup.server.requests) == before  # nothing sent
    assert (run / "manifest.json").read_text() == manifest_before
    assert (run / "predictions.jsonl").read_bytes() == predictions_before

    resumed = bare()
    assert resumed.returncode == 0, resumed.stderr
    requests = setup.server.requests[before:]
    bodies = [r.body for r in requests if setup.answerer.doc_id_for(r) is not None]
    seen = doc_requests(setup, before)
    assert set(seen) - {None} == set(setup.ids[:30]) - done
    assert {(b["temperature"], b["max_tokens"]) for b in bodies} == {(0.3, 777)}
    manifest = read_json(run / "manifest.json")
    assert manifest["status"] == "completed" and manifest["n_documents"] == 30
    assert manifest["scoring"]["match_threshold"] == 0.6 and manifest["reask"] == 0
    assert len(read_jsonl(run / "scores.jsonl")) == 30


def test_resume_accepts_all_only_for_a_run_of_every_document(
    setup: Setup, corpus: Corpus, run_cli: RunCli
) -> None:
    """--all equals the recorded setting when the run took every document; not otherwise."""
    args = setup.args
    done = run_cli("run", *args, "--limit", "3", "--run-id", "three")
    assert done.returncode == 0, done.stderr
    refused = run_cli("run", *args, "--resume", str(corpus.results / "three"), "--all")
    assert refused.returncode == 2
    assert refused.stderr.endswith(
        ": --all but the run recorded its first 3 documents (settings come from "
        f"{corpus.results / 'three' / 'manifest.json'})\n"
    )  # the same corpus, endpoint and concurrency flags are accepted
    every = run_cli("run", *args, "--all", "--run-id", "every")
    assert every.returncode == 0, every.stderr
    again = run_cli("run", *args, "--resume", str(corpus.results / "every"), "--all")
    assert again.returncode == 0, again.stderr
    assert "documents requested in this invocation: 0" in again.stdout
