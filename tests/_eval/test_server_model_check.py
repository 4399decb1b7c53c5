"""Issue 15 item 4, what part B left: a resume against a server that now serves another
model is refused even when the output-mode probe is answered by the cache, or skipped
(`--output-mode`). Such a probe only repeats what the server served when it was cached,
so a resume with documents to request asks the server once, uncached (a one-token
request), unless the probe itself went to the server in this invocation."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.fakes import ChatRequest, GoldAnswerer, Reply, Script, ScriptedServer
from tests.conftest import Corpus, RunCli, read_json, read_jsonl

Start = Callable[[Script], ScriptedServer]


def _drop_last_record(run: Path) -> None:
    lines = (run / "predictions.jsonl").read_text().splitlines(keepends=True)
    (run / "predictions.jsonl").write_text("".join(lines[:-1]))


@pytest.mark.parametrize("how", ["cached_probe", "forced_mode"])
def test_resume_refuses_a_new_server_model_whatever_the_probe_did(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start, how: str
) -> None:
    answers = GoldAnswerer(corpus.documents, corpus.gold_docs)
    serving = {"model": "m-2025"}

    def script(request: ChatRequest) -> Reply:
        return dataclasses.replace(answers(request), model=serving["model"])

    server = scripted_server(script)
    if how == "cached_probe":
        # Another run on the same endpoint caches the probe (its answers, at another
        # temperature, are not the resumed run's), so the resume's probe is a cache hit.
        warm = run_cli.run_against(server.base_url, "warm", "--temperature", "0.5")
        assert warm.returncode == 0, warm.stderr
        extra: tuple[str, ...] = ()
    else:
        extra = ("--output-mode", "prompt")  # no probe at all
    first = run_cli.run_against(server.base_url, "r", "--no-cache", *extra)
    assert first.returncode == 0, first.stderr
    run = corpus.results / "r"
    assert read_json(run / "manifest.json")["server_model"] == "m-2025"
    _drop_last_record(run)
    kept = (run / "predictions.jsonl").read_text()

    serving["model"] = "m-2026"  # the same URL now serves another model
    before = len(server.requests)
    refused = run_cli("run", "--resume", str(run))  # the cache is on: the probe is a hit
    assert refused.returncode == 2, refused.stderr
    assert "the server now serves 'm-2026', the run was answered by 'm-2025'" in refused.stderr
    assert refused.stderr.count("\n") == 1
    assert len(server.requests) == before + 1  # the one-token check, no document
    assert server.requests[-1].body["max_tokens"] == 1
    assert (run / "predictions.jsonl").read_text() == kept
    assert read_json(run / "manifest.json")["status"] == "completed"  # as it was

    allowed = run_cli("run", "--resume", str(run), "--allow-endpoint-change")
    assert allowed.returncode == 0, allowed.stderr
    assert len(read_jsonl(run / "predictions.jsonl")) == len(corpus.documents)


def test_a_resume_on_the_same_model_costs_one_small_request(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    warm = run_cli.run_against(server.base_url, "warm", "--temperature", "0.5")
    assert warm.returncode == 0, warm.stderr
    first = run_cli.run_against(server.base_url, "r", "--no-cache")
    assert first.returncode == 0, first.stderr
    run = corpus.results / "r"
    _drop_last_record(run)
    before = len(server.requests)
    resumed = run_cli("run", "--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    # The probe from the cache, the server-model check, the missing document.
    assert [r.body["max_tokens"] for r in server.requests[before:]] == [1, 2048]
    nothing = run_cli("run", "--resume", str(run))  # nothing to request: nothing is sent
    assert nothing.returncode == 0 and len(server.requests) == before + 2
