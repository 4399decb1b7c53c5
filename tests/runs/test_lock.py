"""Issue 15 item 4: one writer per run folder; a resume keeps to the run's endpoint.

Two `--resume` at once requested every document twice and wrote duplicate lines; a resume
against another `--base-url` or server model was accepted silently.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.fakes import ChatRequest, GoldAnswerer, Reply, Script, ScriptedServer
from harness.runs.lock import LOCK_FILE, FolderBusy, FolderLock
from tests.conftest import Corpus, RunCli, read_json, read_jsonl

Start = Callable[[Script], ScriptedServer]
HOLD = "import sys, time; from pathlib import Path; from harness.runs.lock import FolderLock\n"
HOLD += "FolderLock(Path(sys.argv[1]), 'test holder').acquire(); print('held', flush=True)\n"
HOLD += "time.sleep(60)\n"


def _holder(folder: Path) -> subprocess.Popen[str]:
    """Another process holding `folder`, once it has printed `held`."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_a_second_holder_fails_at_once_naming_the_first(tmp_path: Path) -> None:
    proc = _holder(tmp_path)
    try:
        with pytest.raises(FolderBusy) as caught:
            FolderLock(tmp_path, "second").acquire()
        host = socket.gethostname()
        assert str(caught.value) == (
            f"{tmp_path}: in use by test holder pid {proc.pid} on {host}; wait for it to finish"
        )
    finally:
        proc.kill()
        proc.wait()


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path: Path) -> None:
    proc = _holder(tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert str(proc.pid) in (tmp_path / LOCK_FILE).read_text()  # the file is still there
    with FolderLock(tmp_path, "after") as lock:
        assert f'"pid": {os.getpid()}' in lock.path.read_text()
    with FolderLock(tmp_path, "again"):  # released on exit
        pass


def _answerer(corpus: Corpus) -> GoldAnswerer:
    return GoldAnswerer(corpus.documents, corpus.gold_docs)


def test_a_second_resume_of_a_running_run_is_refused(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    answerer = _answerer(corpus)
    server = scripted_server(
        lambda r: dataclasses.replace(answerer(r), hang_s=30.0)
    )  # still running when the second starts, however slow the machine
    first = run_cli.popen("run", "--base-url", server.base_url, "--model", "m", "--run-id", "r")
    try:
        deadline = time.monotonic() + 60
        while not server.requests and time.monotonic() < deadline:  # it holds the folder
            time.sleep(0.02)
        second = run_cli("run", "--base-url", server.base_url, "--model", "m",
                         "--resume", str(corpus.results / "r"))  # fmt: skip
        assert second.returncode == 2
        assert second.stderr == (
            f"error: {corpus.results / 'r'}: in use by harness run pid {first.pid} on "
            f"{socket.gethostname()}; wait for it to finish\n"
        )
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    assert first.returncode == 128 + signal.SIGTERM


def _completed_run(corpus: Corpus, run_cli: RunCli, base_url: str) -> Path:
    done = run_cli.run_against(base_url, "done")
    assert done.returncode == 0, done.stderr
    run = corpus.results / "done"
    lines = (run / "predictions.jsonl").read_text().splitlines()
    # The last document's record is lost (as a crash could lose it): the resume requests it.
    (run / "predictions.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    return run


def test_resume_refuses_another_endpoint_unless_allowed(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    run = _completed_run(corpus, run_cli, scripted_server(_answerer(corpus)).base_url)
    kept = (run / "predictions.jsonl").read_text()
    other = scripted_server(_answerer(corpus))
    args = ("run", "--base-url", other.base_url, "--model", "m", "--resume", str(run))
    refused = run_cli(*args)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "--allow-endpoint-change" in refused.stderr
    assert f"the endpoint '{other.base_url}' is not the run's" in refused.stderr
    assert other.requests == [] and (run / "predictions.jsonl").read_text() == kept
    allowed = run_cli(*args, "--allow-endpoint-change")
    assert allowed.returncode == 0, allowed.stderr
    assert len(read_jsonl(run / "predictions.jsonl")) == len(corpus.documents)


def test_resume_refuses_another_server_model_unless_allowed(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    answers = _answerer(corpus)
    serving = {"model": "m-2025"}

    def script(request: ChatRequest) -> Reply:
        return dataclasses.replace(answers(request), model=serving["model"])

    server = scripted_server(script)
    run = _completed_run(corpus, run_cli, server.base_url)
    assert read_json(run / "manifest.json")["server_model"] == "m-2025"
    serving["model"] = "m-2026"  # the same URL now serves another model
    # Without the cache: a cached probe (and answer) were served by m-2025, rightly.
    args = (
        "run",
        "--base-url",
        server.base_url,
        "--model",
        "m",
        "--resume",
        str(run),
        "--no-cache",
    )
    refused = run_cli(*args)
    assert refused.returncode == 2
    assert "the server now serves 'm-2026', the run was answered by 'm-2025'" in refused.stderr
    assert refused.stderr.count("\n") == 1
    manifest = read_json(run / "manifest.json")
    assert manifest["status"] == "completed" and manifest["server_model"] == "m-2025"
    assert len(read_jsonl(run / "predictions.jsonl")) == len(corpus.documents) - 1
    allowed = run_cli(*args, "--allow-endpoint-change")
    assert allowed.returncode == 0, allowed.stderr
    assert len(read_jsonl(run / "predictions.jsonl")) == len(corpus.documents)
