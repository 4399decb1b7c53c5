"""Issue 15: `--run-id` cannot leave `results/`; `--retry-failed` asks the server again.

`--retry-failed` bypasses the response cache for the documents it retries (and stores
their new answers): the cached answer is the one that failed, so replaying it could only
record the same failure. Answers are still cached, failed or not, because they were paid
for: an identical re-run without --retry-failed reproduces them for free.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.fakes import ChatRequest, GoldAnswerer, Reply, Script, ScriptedServer
from tests.conftest import Corpus, RunCli, read_json, read_jsonl

Start = Callable[[Script], ScriptedServer]


@pytest.mark.parametrize("run_id", ["../../x", "ABSOLUTE", "a/b", "..", ".hidden", "a\\b"])
def test_an_unsafe_run_id_is_refused_in_one_line(
    run_id: str, corpus: Corpus, run_cli: RunCli, scripted_server: Start, tmp_path: Path
) -> None:
    if run_id == "ABSOLUTE":  # an absolute path, kept inside this test's folder
        run_id = str(tmp_path / "elsewhere" / "run")
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    before = sorted(tmp_path.rglob("*"))
    done = run_cli.run_against(server.base_url, run_id)
    assert done.returncode == 2
    assert done.stderr == (
        f"error: --run-id: {run_id!r} is not a safe folder name (letters, digits, '.', '_', "
        "'-'; no path separators); it names a folder under --results\n"
    )
    assert server.requests == [] and sorted(tmp_path.rglob("*")) == before


def test_retry_failed_asks_the_server_again_instead_of_replaying_the_cache(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    answerer = GoldAnswerer(corpus.documents, corpus.gold_docs)
    flaky = corpus.documents[1].id
    asked: Counter[str | None] = Counter()
    spoiled: set[str] = set()

    def script(request: ChatRequest) -> Reply:
        doc_id = answerer.doc_id_for(request)
        asked[doc_id] += 1
        if doc_id == flaky and flaky not in spoiled:  # an unusable answer, the first time only
            spoiled.add(flaky)
            return Reply(content='{"claims": [{"statement": 3}]}')
        return answerer(request)

    server = scripted_server(script)
    first = run_cli.run_against(server.base_url, "r", "--reask", "0")
    assert first.returncode == 0, first.stderr
    run = corpus.results / "r"
    records = {r["doc_id"]: r for r in read_jsonl(run / "predictions.jsonl")}
    assert records[flaky]["failure"]["kind"] == "schema"
    metrics_before = read_json(run / "metrics.json")
    asked.clear()

    retry = run_cli("run", "--base-url", server.base_url, "--model", "m", "--reask", "0",
                    "--resume", str(run), "--retry-failed")  # fmt: skip
    assert retry.returncode == 0, retry.stderr
    assert "documents requested in this invocation: 1" in retry.stdout
    # The flaky document, and one 1-token question for the model the server serves now
    # (the probe came from the cache, so a resume asks it: issue 15, server-model check).
    assert asked == Counter({flaky: 1, None: 1})
    records = {r["doc_id"]: r for r in read_jsonl(run / "predictions.jsonl")}
    assert records[flaky]["failure"] is None and records[flaky]["claims"]
    metrics = read_json(run / "metrics.json")
    assert metrics["failures"] == {} and metrics_before["failures"] == {"schema": 1}
