"""Issue #2 item 9: `harness run`, `show` and `rescore` end to end against GoldAnswerer.

The CLI runs as a subprocess and talks to a ScriptedServer over loopback HTTP through
the real openai client; assertions read what the run folder holds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.fakes import ChatRequest, GoldAnswerer, Reply, Script, ScriptedServer
from tests.conftest import Corpus, RunCli, cli_env, read_json, read_jsonl

Start = Callable[[Script], ScriptedServer]


def values(run: Path) -> dict[str, float | None]:
    metrics = read_json(run / "metrics.json")["metrics"]
    return {name: m["value"] for name, m in metrics.items()}


def run_with(
    corpus: Corpus,
    run_cli: RunCli,
    scripted_server: Start,
    behaviour: str,
    *args: str,
    **answerer: Any,
) -> tuple[Path, ScriptedServer]:
    server = scripted_server(
        GoldAnswerer(corpus.documents, corpus.gold_docs, behaviour=behaviour, **answerer)
    )
    done = run_cli.run_against(server.base_url, behaviour, *args, model="scripted-m")
    run = corpus.results / behaviour
    failed = [r for r in read_jsonl(run / "predictions.jsonl") if r["failure"]]
    # Every document failed: the run is saved and scored, and exits 4 so a CI sees it.
    expected = 4 if len(failed) == len(corpus.documents) else 0
    assert done.returncode == expected, done.stderr
    return run, server


def test_gold_answers_score_one_and_fill_the_run_folder(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    done = run_cli.run_against(server.base_url, "gold", "--seed", "7", model="scripted-m")
    assert done.returncode == 0, done.stderr
    run = corpus.results / "gold"
    assert sorted(p.name for p in run.iterdir()) == [
        ".lock",  # the run folder's lock (runs/lock.py), kept: deleting it would race
        "manifest.json",
        "metrics.json",
        "predictions.jsonl",
        "scores.jsonl",
    ]

    metrics = read_json(run / "metrics.json")
    assert metrics["n_docs"] == len(corpus.documents) == 3
    assert metrics["failures"] == {}
    assert len(metrics["metrics"]) >= 15
    for name, metric in metrics["metrics"].items():
        assert set(metric) == {"value", "ci_low", "ci_high"}, name
        assert metric["value"] == metric["ci_low"] == metric["ci_high"] == 1.0, name

    manifest = read_json(run / "manifest.json")
    assert manifest["status"] == "completed"
    assert "git_commit" in manifest
    assert manifest["model"] == "scripted-m" and manifest["base_url"] == server.base_url
    assert manifest["server_model"] == "scripted-m"
    assert len(manifest["prompt_hash"]) == 16 and manifest["prompt"] == "extract@v2"
    assert manifest["params"]["seed"] == 7 and manifest["params"]["temperature"] == 0.0
    assert manifest["output_mode"] == "json_schema"
    assert manifest["tokens"]["requests"] == 3 and manifest["tokens"]["prompt_tokens"] == 300

    predictions = read_jsonl(run / "predictions.jsonl")
    assert sorted(p["doc_id"] for p in predictions) == sorted(corpus.gold_docs)
    for record in predictions:
        gold_claims = corpus.gold_docs[record["doc_id"]].claims
        assert [c["evidence"] for c in record["claims"]] == [c.evidence for c in gold_claims]
        assert record["valid_first_attempt"] and record["repairs"] == []
    scores = read_jsonl(run / "scores.jsonl")
    assert [s["doc_id"] for s in scores] == [d.id for d in corpus.documents]

    # The request carried the prompt, the seed and the strict schema.
    body = server.requests[-1].body
    assert body["seed"] == 7 and body["model"] == "scripted-m"
    assert body["response_format"]["json_schema"]["strict"] is True

    shown = run_cli("show", str(run))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == done.stdout.rsplit("documents requested", 1)[0]

    before = (run / "metrics.json").read_text()
    requests = len(server.requests)
    rescored = run_cli(
        "rescore", str(run), "--threshold", "0.9", env=cli_env(OPENAI_BASE_URL=server.base_url)
    )
    assert rescored.returncode == 0, rescored.stderr
    assert (run / "metrics.json").read_text() == before
    assert read_json(run / "manifest.json")["scoring"]["match_threshold"] == 0.9
    assert len(server.requests) == requests  # no model was called


def test_empty_answers_recall_nothing(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    run, _ = run_with(corpus, run_cli, scripted_server, "empty")
    got = values(run)
    assert got["claim_recall"] == 0.0 and got["claim_f1"] == 0.0
    assert got["schema_valid_rate"] == 1.0  # an empty list is a valid answer
    assert read_json(run / "metrics.json")["failures"] == {}


def test_wrong_speakers_find_claims_but_not_attribution(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    run, _ = run_with(corpus, run_cli, scripted_server, "wrong_speakers")
    got = values(run)
    assert got["claim_f1"] == 1.0
    assert got["attributed_f1"] == 0.0 and got["speaker_accuracy"] == 0.0


@pytest.mark.parametrize(
    ("behaviour", "repair"), [("fenced", "fenced"), ("prose", "prose_wrapped")]
)
def test_wrapped_json_is_repaired_and_recorded(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start, behaviour: str, repair: str
) -> None:
    run, server = run_with(corpus, run_cli, scripted_server, behaviour)
    assert values(run)["claim_f1"] == 1.0
    records = read_jsonl(run / "predictions.jsonl")
    assert [r["repairs"] for r in records] == [[repair]] * 3
    assert all(
        r["attempts"][0]["raw"].count("```") == (2 if repair == "fenced" else 0) for r in records
    )
    assert len(server.requests) == 1 + 3  # probe + one request each, no re-ask


@pytest.mark.parametrize(
    ("behaviour", "failure"),
    [
        ("truncated", "truncated"),
        ("invalid", "parse"),
        ("schema_error", "schema"),
        ("refusal", "refusal"),
    ],
)
def test_unusable_answers_are_counted_by_class(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start, behaviour: str, failure: str
) -> None:
    run, server = run_with(corpus, run_cli, scripted_server, behaviour, "--reask", "0")
    metrics = read_json(run / "metrics.json")
    assert metrics["failures"] == {failure: 3}
    assert metrics["n_docs"] == 3
    assert metrics["metrics"]["schema_valid_rate"]["value"] == 0.0
    assert metrics["metrics"]["claim_recall"]["value"] == 0.0
    records = read_jsonl(run / "predictions.jsonl")
    assert {r["failure"]["kind"] for r in records} == {failure}
    assert all(r["claims"] is None for r in records)
    assert len(server.requests) == 1 + 3


def test_reask_fixes_an_invalid_first_answer(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    run, server = run_with(corpus, run_cli, scripted_server, "invalid")
    got = values(run)
    assert got["first_attempt_valid_rate"] == 0.0 and got["schema_valid_rate"] == 1.0
    assert got["claim_f1"] == 1.0
    records = read_jsonl(run / "predictions.jsonl")
    assert all([a["kind"] for a in r["attempts"]] == ["request", "reask"] for r in records)
    assert all(r["attempts"][0]["failure"]["kind"] == "parse" for r in records)
    reasks = [r for r in server.requests if r.is_reask]
    assert len(reasks) == 3 and len(server.requests) == 1 + 6
    # The re-ask shows the model its last answer and the error, not a growing pile.
    assert [m["role"] for m in reasks[0].messages] == ["system", "user", "assistant", "user"]
    assert "parse" in reasks[0].messages[-1]["content"]


def test_rejected_json_schema_steps_down_without_wasted_retries(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    run, server = run_with(corpus, run_cli, scripted_server, "gold", reject_json_schema=True)
    manifest = read_json(run / "manifest.json")
    assert manifest["output_mode"] == "json_object"
    probe = manifest["output_mode_probe"]
    assert [(p["mode"], p["accepted"]) for p in probe] == [
        ("json_schema", False),
        ("json_object", True),
    ]
    assert "json_schema" in probe[0]["error"]
    formats = [r.response_format for r in server.requests]
    assert formats == ["json_schema", "json_object"] + ["json_object"] * 3  # 500 not retried
    assert values(run)["claim_f1"] == 1.0
    assert {r["mode"] for r in read_jsonl(run / "predictions.jsonl")} == {"json_object"}


def test_concurrent_capability_errors_step_down_one_rung(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    """The probe passes, then every real json_schema request is refused at once (three in
    flight): the run must settle on json_object, not skip it nor give up."""
    answerer = GoldAnswerer(corpus.documents, corpus.gold_docs)

    def script(request: ChatRequest) -> Reply:
        if request.response_format == "json_schema" and request.body["max_tokens"] > 1:
            return Reply(status=400, error_message="json_schema: too complex", hang_s=0.2)
        return answerer(request)

    server = scripted_server(script)
    done = run_cli.run_against(server.base_url, "race", "--concurrency", "3")
    assert done.returncode == 0, done.stderr
    run = corpus.results / "race"
    assert values(run)["claim_f1"] == 1.0
    assert read_json(run / "manifest.json")["output_mode"] == "json_object"
    assert {r["mode"] for r in read_jsonl(run / "predictions.jsonl")} == {"json_object"}
    assert [r.response_format for r in server.requests].count("json_object") == 3
    assert None not in [r.response_format for r in server.requests]  # never fell to prompt


def test_context_overflow_is_recorded_not_retried(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    # OpenAI's and vLLM's wording for a prompt longer than the model's context window.
    big = corpus.documents[0].id
    answerer = GoldAnswerer(corpus.documents, corpus.gold_docs)

    def script(request: ChatRequest) -> Reply:
        if answerer.doc_id_for(request) == big:
            return Reply(
                status=400,
                error_message="This model's maximum context length is "
                "8192 tokens. However, you requested 9100 tokens.",
            )
        return answerer(request)

    server = scripted_server(script)
    done = run_cli.run_against(server.base_url, "ctx")
    assert done.returncode == 0, done.stderr
    records = {r["doc_id"]: r for r in read_jsonl(corpus.results / "ctx" / "predictions.jsonl")}
    assert records[big]["failure"]["kind"] == "context_overflow"
    assert records[big]["failure"]["fault"] == "user"
    assert records[big]["attempts"][0]["http_attempts"] == 1  # a 400 is never retried
    assert read_json(corpus.results / "ctx" / "metrics.json")["failures"] == {"context_overflow": 1}
