"""Issue 15 item 5: one reader of predictions.jsonl for resume, scoring and rescore.

The rule: a document's last readable record counts; an unreadable line is reported with its
file and line number. Rescore refuses to replace metrics computed from more data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from harness.fakes import GoldAnswerer, Script, ScriptedServer
from tests.conftest import Corpus, RunCli, read_jsonl

Start = Callable[[Script], ScriptedServer]


def _finished_run(corpus: Corpus, run_cli: RunCli, scripted_server: Start) -> tuple[Path, str]:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    done = run_cli.run_against(server.base_url, "r")
    assert done.returncode == 0, done.stderr
    return corpus.results / "r", server.base_url


def test_a_junk_line_after_a_record_is_reported_and_the_record_still_counts(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    run, _ = _finished_run(corpus, run_cli, scripted_server)
    metrics = (run / "metrics.json").read_text()
    predictions = run / "predictions.jsonl"
    doc_id = read_jsonl(predictions)[0]["doc_id"]
    with predictions.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"doc_id": doc_id, "claims": 3}) + "\n")
    line_no = len(corpus.documents) + 1

    rescored = run_cli("rescore", str(run))
    assert rescored.returncode == 0, rescored.stderr
    assert f"warning: {predictions}:{line_no}: not a prediction record" in rescored.stderr
    assert (run / "metrics.json").read_text() == metrics  # the readable record still counts
    assert all(s["failure"] != "not_run" for s in read_jsonl(run / "scores.jsonl"))


def test_rescore_refuses_to_lose_a_record_and_resume_requests_it_again(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    run, base_url = _finished_run(corpus, run_cli, scripted_server)
    metrics, scores = (run / "metrics.json").read_text(), (run / "scores.jsonl").read_text()
    predictions = run / "predictions.jsonl"
    lines = predictions.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1][: len(lines[1]) // 2] + "\n"  # a record cut in the middle
    predictions.write_text("".join(lines), encoding="utf-8")

    refused = run_cli("rescore", str(run))
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"error: {predictions}:2: not a prediction record")
    assert "1 more document(s) as not_run" in refused.stderr and refused.stderr.count("\n") == 1
    assert (run / "metrics.json").read_text() == metrics
    assert (run / "scores.jsonl").read_text() == scores

    # Resume and scoring agree: the document without a readable record is requested again.
    resumed = run_cli("run", "--base-url", base_url, "--model", "m", "--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    assert "documents requested in this invocation: 1" in resumed.stdout
    assert f"warning: {predictions}:2: not a prediction record" in resumed.stderr
    assert (run / "metrics.json").read_text() == metrics
