"""Endpoint pools: one model on several scripted replicas on loopback (issue 20, part 1).

Balance over 200 documents, a replica killed mid-run (no document lost), replicas serving
different models refused, one cache identity whatever the order of the URLs, the replica
recorded per attempt, and records written before pools still loading.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

import harness
from harness.errors import EndpointError, UserInputError
from harness.fakes import ChatRequest, Reply, Script, ScriptedServer
from harness.request import CorpusOptions, EndpointOptions, EvaluationOptions, RunRequest
from harness.runs import PredictionRecord
from harness.runs.manifest import EndpointSettings
from tests.conftest import HARNESS, REPO, cli_env, read_json, read_jsonl

ANSWER = json.dumps(
    {
        "claims": [
            {
                "statement": "The bridge will open in May.",
                "evidence": "The mayor said the bridge will open in May.",
                "speaker": "The mayor",
                "speaker_type": "government",
                "cue": "said",
                "quote_type": "indirect",
                "via": [],
            }
        ]
    }
)
Start = Callable[[Script], ScriptedServer]


def answer(request: ChatRequest) -> Reply:
    return Reply(content=ANSWER)


def slow(seconds: float) -> Script:
    return lambda request: Reply(content=ANSWER, hang_s=seconds)


def synthetic_corpus(folder: Path, n: int) -> tuple[Path, Path]:
    """`n` one-sentence documents, each with the claim `ANSWER` makes."""
    docs, gold = folder / "docs.jsonl", folder / "gold"
    gold.mkdir(parents=True)
    claim = json.loads(ANSWER)["claims"][0] | {"speaker_aliases": [], "required": True}
    with docs.open("w", encoding="utf-8") as out:
        for i in range(n):
            text = f"Report {i}. The mayor said the bridge will open in May."
            out.write(json.dumps({"id": f"d{i:04d}", "text": text}) + "\n")
            gold_doc = {"schema_version": 1, "doc_id": f"d{i:04d}", "claims": [claim]}
            (gold / f"d{i:04d}.json").write_text(json.dumps(gold_doc), encoding="utf-8")
    return docs, gold


def pool_run(
    tmp_path: Path, urls: list[str], run_id: str, n: int = 200, **endpoint: object
) -> harness.RunOutcome:
    folder = tmp_path / "corpus"
    docs, gold = (
        (folder / "docs.jsonl", folder / "gold") if folder.exists() else synthetic_corpus(folder, n)
    )
    request = RunRequest(
        endpoint=EndpointOptions.model_validate({"model": "m", "base_url": urls, **endpoint}),
        corpus=CorpusOptions(docs=docs, gold=gold, prompts_dir=REPO / "prompts"),
        evaluation=EvaluationOptions(
            results=tmp_path / "results", run_id=run_id, output_mode=None, reask=0
        ),
    )
    return harness.run(request)


def predictions(outcome: harness.RunOutcome) -> list[PredictionRecord]:
    return list(outcome.folder.read_predictions().values())


def test_balanced_over_200_documents_and_each_attempt_names_its_replica(
    tmp_path: Path, scripted_server: Start
) -> None:
    servers = [scripted_server(answer) for _ in range(3)]
    urls = [s.base_url for s in servers]
    outcome = pool_run(tmp_path, urls, "balance", concurrency=2)
    records = predictions(outcome)
    assert len(records) == 200 and all(r.failure is None for r in records)
    sent = [len(s.requests) for s in servers]
    print(f"sent {sent}")
    assert max(sent) / min(sent) <= 1.2, sent
    answered_by = [r.attempts[-1].replica for r in records]
    assert set(answered_by) == set(urls)
    for server in servers:  # the documents each replica answered, as the server saw them
        documents = [q for q in server.requests if "Report " in q.user_text]
        assert answered_by.count(server.base_url) == len(documents)
    manifest = read_json(outcome.folder.path / "manifest.json")
    assert manifest["endpoint"]["replicas"] == urls
    assert manifest["endpoint"]["identity"] == ",".join(sorted(u.rstrip("/") for u in urls))


def test_a_replica_killed_mid_run_loses_no_document(tmp_path: Path, scripted_server: Start) -> None:
    servers = [scripted_server(slow(0.02)) for _ in range(3)]
    victim = servers[1]

    def kill_when_busy() -> None:
        while len(victim.requests) < 15:
            time.sleep(0.005)
        victim.kill()

    killer = threading.Thread(target=kill_when_busy)
    killer.start()
    outcome = pool_run(tmp_path, [s.base_url for s in servers], "killed", concurrency=2)
    killer.join(5)
    records = predictions(outcome)
    assert outcome.manifest.status == "completed"
    assert len(records) == 200
    assert [r.doc_id for r in records if r.failure or not r.claims] == []
    assert outcome.metrics.metrics["claim_f1"].value == 1.0
    survivors = {servers[0].base_url, servers[2].base_url}
    late = [r.attempts[-1].replica for r in records[-50:]]
    assert set(late) <= survivors  # nothing is answered by a dead server
    assert not killer.is_alive() and len(victim.requests) < len(servers[0].requests)
    retried = [r.doc_id for r in records if r.attempts[-1].http_attempts > 1]
    print(f"sent {[len(s.requests) for s in servers]}, retried {len(retried)}")
    # the requests in flight on it were retried elsewhere; then it cooled down, so later
    # requests were not sent to it first (they would all have been: it had none in flight)
    assert 1 <= len(retried) <= 20


def test_replicas_serving_different_models_are_refused(
    tmp_path: Path, scripted_server: Start
) -> None:
    same = scripted_server(answer)
    other = scripted_server(lambda request: Reply(content=ANSWER, model="another-model"))
    with pytest.raises(EndpointError) as refused:
        pool_run(tmp_path, [same.base_url, other.base_url], "mixed")
    message = str(refused.value)
    assert "\n" not in message
    assert "different models" in message and other.base_url in message
    assert "'another-model'" in message
    assert not any("Report " in q.user_text for q in other.requests + same.requests)


def test_a_replica_switching_model_mid_run_stops_the_run(
    tmp_path: Path, scripted_server: Start
) -> None:
    def switches(request: ChatRequest) -> Reply:
        return Reply(content=ANSWER, model="m" if request.index < 20 else "swapped")

    servers = [scripted_server(answer), scripted_server(switches)]
    with pytest.raises(EndpointError, match="different models"):
        pool_run(tmp_path, [s.base_url for s in servers], "swap", n=100)
    records = read_jsonl(tmp_path / "results" / "swap" / "predictions.jsonl")
    failed = [r["failure"]["kind"] for r in records if r["failure"]]
    assert failed and set(failed) == {"rejected"}
    assert sum(1 for r in records if r["claims"]) >= 10  # the answers before it are kept


def test_one_cache_identity_whatever_the_order(tmp_path: Path, scripted_server: Start) -> None:
    a, b = scripted_server(answer), scripted_server(answer)
    pool_run(tmp_path, [a.base_url, b.base_url], "ab", n=20)
    before = len(a.requests), len(b.requests)
    outcome = pool_run(tmp_path, [b.base_url, a.base_url], "ba")
    assert (len(a.requests), len(b.requests)) == before  # everything came from the cache
    assert all(r.attempts[-1].cached for r in predictions(outcome))
    named = pool_run(tmp_path, [b.base_url, a.base_url], "named", pool_name="gpu-pool")
    assert not any(r.attempts[-1].cached for r in predictions(named))  # another identity


def test_cli_takes_repeated_and_comma_separated_base_urls(
    tmp_path: Path, scripted_server: Start
) -> None:
    a, b, c = (scripted_server(answer) for _ in range(3))
    docs, gold = synthetic_corpus(tmp_path / "corpus", 12)
    done = _cli(
        tmp_path, "--base-url", a.base_url, "--base-url", f"{b.base_url},{c.base_url}",
        "--docs", str(docs), "--gold", str(gold),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert all(len(s.requests) >= 4 for s in (a, b, c))
    twice = _cli(tmp_path, "--base-url", a.base_url, "--base-url", a.base_url)
    assert twice.returncode == UserInputError.exit_code
    assert (
        twice.stderr.strip().splitlines()[-1].endswith(f"--base-url: {a.base_url} is listed twice")
    )


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [*HARNESS, "run", "--model", "m", "--quiet", "--results", str(tmp_path / "r")]
    argv += ["--prompts-dir", str(REPO / "prompts"), *args]
    return subprocess.run(
        argv, env=cli_env(), capture_output=True, text=True, timeout=120, check=False
    )


def test_sweep_pool_fields(tmp_path: Path, scripted_server: Start) -> None:
    a, b = scripted_server(answer), scripted_server(answer)
    docs, gold = synthetic_corpus(tmp_path / "corpus", 10)
    sweep = {
        "name": "pools",
        "docs": str(docs),
        "gold": str(gold),
        "prompts_dir": str(REPO / "prompts"),
        "results": str(tmp_path / "results"),
        "endpoints": {"p": {"base_urls": [a.base_url, b.base_url], "model": "m"}},
        "prompts": ["extract@v2"],
        "models": ["p"],
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep), encoding="utf-8")

    def sweep_cli() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*HARNESS, "sweep", str(path)], env=cli_env(), capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip

    done = sweep_cli()
    assert done.returncode == 0, done.stderr
    assert len(a.requests) >= 5 and len(b.requests) >= 5
    sweep["endpoints"] = {"p": {"base_url": a.base_url, "base_urls": [b.base_url], "model": "m"}}
    path.write_text(yaml.safe_dump(sweep), encoding="utf-8")
    both = sweep_cli()
    assert both.returncode == UserInputError.exit_code
    last = both.stderr.strip().splitlines()[-1]
    assert "sweep.yaml" in last and "$.endpoints.p" in last and "not both" in last


def test_records_and_manifests_written_before_pools_still_load() -> None:
    old_attempt = {
        "kind": "request", "mode": "json_schema", "http_attempts": 1, "latency_s": 0.1,
        "raw": '{"claims": []}', "cached": False, "cache_key": None,
    }  # fmt: skip
    old = {"doc_id": "d1", "mode": "json_schema", "claims": [], "failure": None,
           "attempts": [old_attempt]}  # fmt: skip
    record = PredictionRecord.model_validate_json(json.dumps(old))
    assert record.attempts[0].replica is None
    settings = EndpointSettings.model_validate({"timeout_s": 120.0, "identity": None})
    assert settings.replicas == []
