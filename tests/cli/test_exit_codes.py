"""Issue 15 item 7: exit codes a CI can use (README "Exit codes", docs/cli.md).

0 ok; 1 a check failed (compare regression, gold validate); 2 usage, input or storage;
3 the endpoint cannot serve the run; 4 every document failed, or more than
--max-failure-rate of them; 130/143 SIGINT/SIGTERM (tests/cli/test_signals.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.fakes import ChatRequest, GoldAnswerer, Reply, Script, ScriptedServer
from tests.conftest import Corpus, RunCli, read_json

Start = Callable[[Script], ScriptedServer]


def _failing(corpus: Corpus, bad: int) -> Script:
    """Gold answers, except an unusable one for the first `bad` documents."""
    answerer = GoldAnswerer(corpus.documents, corpus.gold_docs)
    failing = {d.id for d in corpus.documents[:bad]}

    def script(request: ChatRequest) -> Reply:
        if answerer.doc_id_for(request) in failing:
            return Reply(content='{"claims": [{"statement": 3}]}')
        return answerer(request)

    return script


def test_a_run_whose_every_document_failed_exits_4(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    server = scripted_server(_failing(corpus, len(corpus.documents)))
    done = run_cli.run_against(server.base_url, "r", "--reask", "0")
    assert done.returncode == 4, done.stderr
    assert (
        done.stderr
        == f"error: {corpus.results / 'r'}: 3 of 3 documents failed (by class: schema 3)\n"
    )
    assert read_json(corpus.results / "r" / "manifest.json")["status"] == "completed"
    assert "run folder:" in done.stdout  # the summary is printed and the run saved first
    # An explicit rate of 1 accepts it.
    accepted = run_cli.run_against(server.base_url, "r1", "--reask", "0", "--max-failure-rate", "1")
    assert accepted.returncode == 0, accepted.stderr


@pytest.mark.parametrize(("rate", "code"), [("0", 4), ("0.3", 4), ("0.34", 0), ("0.5", 0)])
def test_max_failure_rate(
    rate: str, code: int, corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    server = scripted_server(_failing(corpus, 1))  # 1 of 3 fails: a rate of 0.333
    done = run_cli.run_against(server.base_url, "r", "--reask", "0", "--max-failure-rate", rate)
    assert done.returncode == code, done.stderr
    if code:
        assert f"1 of 3 documents failed, over --max-failure-rate {float(rate)}" in done.stderr


def test_a_partly_failed_run_exits_0_by_default(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    server = scripted_server(_failing(corpus, 2))
    done = run_cli.run_against(server.base_url, "r", "--reask", "0")
    assert done.returncode == 0, done.stderr


def test_usage_and_endpoint_codes(corpus: Corpus, run_cli: RunCli, scripted_server: Start) -> None:
    assert run_cli("run", "--max-failure-rate", "2").returncode == 2
    assert run_cli("run", "--run-id", "../x", "--base-url", "http://127.0.0.1:9/v1",
                   "--model", "m").returncode == 2  # fmt: skip
    server = scripted_server(lambda request: Reply(status=401, error_message="bad key"))
    assert run_cli.run_against(server.base_url, "r").returncode == 3
