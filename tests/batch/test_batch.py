"""Issue 20 item 2: the Batch API as a durable submit/collect pair.

Real HTTP on loopback: `harness batch submit` and `collect` run as subprocesses against
the scripted server's `/v1/files` and `/v1/batches`, which answer from the same script as
its chat completions. The server's log of every HTTP request proves what was sent.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.batch.parts import Limits, PlannedRequest, write_round
from harness.batch.state import BatchFolder
from harness.corpus import load_documents, load_gold
from harness.fakes import ChatRequest, GoldAnswerer, Reply, ScriptedServer
from harness.fakes.batches import BatchStore
from tests.conftest import REPO, RunCli, read_json
from tests.endpoints.test_faults import make_corpus

N_DOCS = 24


class Setup:
    def __init__(self, tmp_path: Path, run_cli: RunCli, behaviour: str = "gold") -> None:
        docs, gold, self.ids = make_corpus(tmp_path, N_DOCS)
        documents = load_documents(docs)
        self.answerer = GoldAnswerer(documents, load_gold(gold, documents), behaviour=behaviour)
        self.server = ScriptedServer(self.answerer).start()
        self.cli, self.batch = run_cli, tmp_path / "batch"
        self.options = (
            "--model", "m", "--base-url", self.server.base_url,
            "--docs", str(docs), "--gold", str(gold),
        )  # fmt: skip

    def submit(self, *extra: str) -> list[str]:
        return ["batch", "submit", str(self.batch), *self.options, *extra]

    def collect(self, *extra: str) -> list[str]:
        return ["batch", "collect", str(self.batch), "--wait", "--poll-interval", "0.1", *extra]

    def http(self, since: int = 0) -> Counter[str]:
        return Counter(self.server.http_log[since:])

    def chat_docs(self, since: int) -> Counter[str | None]:
        return Counter(self.answerer.doc_id_for(r) for r in self.server.requests[since:])


@pytest.fixture
def setup(tmp_path: Path, run_cli: RunCli) -> Iterator[Setup]:
    made = Setup(tmp_path, run_cli)
    yield made
    made.server.stop()


def _state(batch: Path) -> dict[str, object]:
    path = batch / "state.json"
    return read_json(path) if path.exists() else {}


def _kill_while_uploading(setup: Setup, part: int) -> None:
    """Start a submit and SIGKILL it once part `part`'s upload is marked started (the
    server holds that upload, so the kill lands between two uploads)."""
    proc = setup.cli.popen(*setup.submit("--max-lines", "6"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        parts = _state(setup.batch).get("parts") or []
        assert isinstance(parts, list)
        if len(parts) > part and parts[part]["upload_started"]:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the submit ended before the kill"


def test_kill_9_mid_submit_then_collect_then_run_sends_nothing(setup: Setup) -> None:
    setup.server.batch_behaviour.upload_hang_s[1] = 2.0  # the second upload is slow
    setup.server.batch_behaviour.delay_s = 0.3
    _kill_while_uploading(setup, part=1)
    state = _state(setup.batch)
    parts = state["parts"]
    assert isinstance(parts, list) and len(parts) == 4  # 24 requests, 6 per file
    assert parts[0]["batch_id"] and parts[1]["file_id"] is None  # killed mid-upload
    deadline = time.monotonic() + 30  # let the held upload land: its id is what was lost
    while len(setup.server.batch_store.files) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)

    collected = setup.cli(*setup.collect())  # a new process finishes the submit, then collects
    assert collected.returncode == 0, collected.stderr
    assert "submitted 3 parts an earlier submit did not finish" in collected.stdout
    assert f"answers in the cache: {N_DOCS} of {N_DOCS} requests" in collected.stdout
    sent = setup.http()
    assert sent["POST /v1/files"] == 4  # the lost upload was found by name, not repeated
    assert sent["POST /v1/batches"] == 4

    again = setup.cli(*setup.submit())
    assert "nothing to submit" in again.stdout, again.stdout + again.stderr
    before = len(setup.server.http_log)
    run = setup.cli("run", *setup.options, "--run-id", "after-batch", "--quiet")
    assert run.returncode == 0, run.stderr
    assert setup.server.http_log[before:] == []  # not even a probe
    assert f"documents requested in this invocation: {N_DOCS}" in run.stdout

    ordinary = setup.cli("run", *setup.options, "--run-id", "ordinary", "--no-cache", "--quiet")
    assert ordinary.returncode == 0, ordinary.stderr
    results = setup.cli.corpus.results
    metrics = (results / "after-batch" / "metrics.json").read_text()
    assert metrics == (results / "ordinary" / "metrics.json").read_text()


def test_partial_failures_and_expiry_are_reported_and_requested_by_the_run(
    setup: Setup,
) -> None:
    failing = {setup.ids[0], setup.ids[1]}
    behaviour = setup.server.batch_behaviour

    def fails(body: dict[str, object]) -> bool:
        doc = setup.answerer.doc_id_for(ChatRequest(body=body, index=0))
        return doc in failing

    behaviour.fails = fails
    behaviour.expire = True  # the second half of each part's lines never run
    submitted = setup.cli(*setup.submit("--max-lines", "12"))
    assert submitted.returncode == 0, submitted.stderr
    collected = setup.cli(*setup.collect())
    assert collected.returncode == 0, collected.stderr
    expired = N_DOCS // 2  # 6 of each part of 12
    assert f"answers in the cache: {N_DOCS - expired - 2} of {N_DOCS}" in collected.stdout
    assert f"failed: {expired + 2} (batch_expired {expired}, server_error 2)" in collected.stdout
    state = _state(setup.batch)
    assert isinstance(state["parts"], list)
    failed_ids = {c for p in state["parts"] for c in p["failed"]}
    assert len(failed_ids) == expired + 2

    before = len(setup.server.requests)
    run = setup.cli("run", *setup.options, "--run-id", "after", "--quiet")
    assert run.returncode == 0, run.stderr
    asked = setup.chat_docs(before)
    assert None not in asked  # the probe was cached by the submit
    assert sum(asked.values()) == expired + 2 and failing <= set(asked)
    assert read_json(setup.cli.corpus.results / "after" / "metrics.json")["n_docs"] == N_DOCS


def test_answers_failing_validation_become_a_counted_reask_round(
    tmp_path: Path, run_cli: RunCli
) -> None:
    setup = Setup(tmp_path, run_cli, behaviour="invalid")  # re-asks are answered with gold
    try:
        assert setup.cli(*setup.submit()).returncode == 0
        first = setup.cli(*setup.collect())
        assert first.returncode == 0, first.stderr
        assert f"answers failing validation: {N_DOCS};" in first.stdout
        second = setup.cli(*setup.submit())
        assert second.returncode == 0, second.stderr
        assert f"round 2: {N_DOCS} requests (0 first, {N_DOCS} re-asks)" in second.stdout
        assert setup.cli(*setup.collect()).returncode == 0
        before = len(setup.server.http_log)
        run = setup.cli("run", *setup.options, "--run-id", "r", "--quiet")
        assert run.returncode == 0, run.stderr
        assert setup.server.http_log[before:] == []
        metrics = read_json(setup.cli.corpus.results / "r" / "metrics.json")
        assert metrics["metrics"]["first_attempt_valid_rate"]["value"] == 0.0
        assert metrics["metrics"]["schema_valid_rate"]["value"] == 1.0
    finally:
        setup.server.stop()


def test_a_corrupt_state_file_is_one_line_naming_it(setup: Setup) -> None:
    setup.batch.mkdir()
    state = setup.batch / "state.json"
    state.write_text('{"version": 1, "tag": ')
    for argv in (setup.collect(), setup.submit()):
        result = setup.cli(*argv)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(state) in lines[0], result.stderr
    assert state.read_text() == '{"version": 1, "tag": '  # left as it was
    assert setup.server.http_log == []


def test_other_options_into_the_same_folder_are_refused(setup: Setup) -> None:
    assert setup.cli(*setup.submit()).returncode == 0
    uploads = setup.http()["POST /v1/files"]
    other = setup.cli(*setup.submit("--temperature", "0.7"))
    assert other.returncode == 2
    assert str(setup.batch / "state.json") in other.stderr
    assert "new folder" in other.stderr
    assert setup.http()["POST /v1/files"] == uploads


def test_a_pending_batch_exits_75_and_a_later_collect_finishes(setup: Setup) -> None:
    setup.server.batch_behaviour.delay_s = 3600.0
    assert setup.cli(*setup.submit()).returncode == 0
    pending = setup.cli("batch", "collect", str(setup.batch))
    assert pending.returncode == 75
    assert "1 of 1 batches still running" in pending.stderr
    setup.server.batch_behaviour.delay_s = 0.0
    done = setup.cli("batch", "collect", str(setup.batch))
    assert done.returncode == 0, done.stderr
    assert f"answers in the cache: {N_DOCS} of {N_DOCS}" in done.stdout


def _planned(i: int, text: str) -> PlannedRequest:
    body = {"model": "m", "messages": [{"role": "user", "content": text}]}
    return PlannedRequest(f"d{i}", f"key-{text}", {"kind": "response"}, body, reask=False)


def test_parts_are_deduplicated_and_split_at_line_and_byte_limits(tmp_path: Path) -> None:
    folder = BatchFolder(tmp_path / "b")
    requests = [_planned(i, "same" if i < 2 else f"text {i} " + "x" * 100) for i in range(9)]
    parts = write_round(folder, 1, {"run": requests}, Limits(lines=3, bytes=10_000))
    assert [p.lines for p in parts] == [3, 3, 2]  # 8 unique requests
    keys = folder.read_keys(1)
    assert keys["key-same"].doc_ids == ["d0", "d1"]
    by_bytes = write_round(folder, 2, {"run": requests}, Limits(lines=100, bytes=400))
    for part in by_bytes:
        text = (folder.path / part.file).read_bytes()
        assert len(text) == part.bytes <= 400
        assert all(json.loads(line)["url"] == "/v1/chat/completions" for line in text.splitlines())
    assert sum(p.lines for p in by_bytes) == 8 and len(by_bytes) > 1
    with pytest.raises(ValueError, match="over the 100-byte limit"):
        write_round(folder, 3, {"run": requests}, Limits(lines=100, bytes=100))


def test_a_scripted_batch_answers_like_chat_completions() -> None:
    """The scripted Batch API's answer to a line is the chat answer to the same body."""
    answers = {"a": Reply(content='{"claims": []}'), "b": Reply(status=500)}

    def script(request: ChatRequest) -> Reply:
        return answers[request.user_text]

    with ScriptedServer(script) as server:
        import openai

        client = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
        lines = [
            {"custom_id": t, "method": "POST", "url": "/v1/chat/completions",
             "body": {"model": "m", "messages": [{"role": "user", "content": t}]}}
            for t in ("a", "b")
        ]  # fmt: skip
        content = "".join(json.dumps(x) + "\n" for x in lines).encode()
        uploaded = client.files.create(file=("in.jsonl", content), purpose="batch")
        batch = client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        done = client.batches.retrieve(batch.id)
        assert done.status == "completed"
        assert done.output_file_id and done.error_file_id
        output = json.loads(client.files.content(done.output_file_id).text)
        assert output["custom_id"] == "a"
        assert output["response"]["body"]["choices"][0]["message"]["content"] == '{"claims": []}'
        error = json.loads(client.files.content(done.error_file_id).text)
        assert error["custom_id"] == "b" and error["response"]["status_code"] == 500
        assert [b.id for b in client.batches.list()] == [batch.id]
        client.close()


def test_a_sweep_is_batched_per_model_and_then_runs_without_requests(setup: Setup) -> None:
    docs, gold = setup.options[5], setup.options[7]
    sweep = setup.batch.parent / "sweep.yaml"
    sweep.write_text(
        f"name: batched\ndocs: {docs}\ngold: {gold}\nprompts_dir: {REPO / 'prompts'}\n"
        f"results: {setup.cli.corpus.results}\n"
        f"endpoints:\n  a: {{base_url: {setup.server.base_url}, model: ma}}\n"
        f"  b: {{base_url: {setup.server.base_url}, model: mb}}\n"
        "prompts: [extract@v2]\nmodels: [a, b]\nparams: {temperature: [0.0, 0.5]}\n",
        encoding="utf-8",
    )
    mixed = setup.cli("batch", "submit", str(setup.batch), "--sweep", str(sweep), "--model", "x")
    assert mixed.returncode == 2 and "--model: not with --sweep" in mixed.stderr
    no_cache = setup.cli("batch", "submit", str(setup.batch), "--sweep", str(sweep), "--no-cache")
    assert no_cache.returncode == 2 and "--no-cache: batch answers" in no_cache.stderr
    assert setup.server.http_log == []
    submitted = setup.cli("batch", "submit", str(setup.batch), "--sweep", str(sweep))
    assert submitted.returncode == 0, submitted.stderr
    assert f"round 1: {4 * N_DOCS} requests" in submitted.stdout
    state = _state(setup.batch)
    assert isinstance(state["parts"], list)
    assert sorted(p["endpoint"] for p in state["parts"]) == ["a", "b"]  # one model per file
    for part in state["parts"]:
        models = {json.loads(x)["body"]["model"] for x in (setup.batch / part["file"]).open()}
        assert models == {"m" + part["endpoint"]}
    assert setup.cli(*setup.collect()).returncode == 0
    before = len(setup.server.http_log)
    swept = setup.cli("sweep", str(sweep))
    assert swept.returncode == 0, swept.stderr
    assert setup.server.http_log[before:] == []


def test_vllm_export_and_import_fill_the_cache_without_the_batch_api(setup: Setup) -> None:
    submitted = setup.cli(*setup.submit("--no-upload"))
    assert submitted.returncode == 0, submitted.stderr
    assert "next: harness batch export" in submitted.stdout
    assert set(setup.http()) == {"POST /v1/chat/completions"}  # the probe only
    refused = setup.cli(*setup.collect())
    assert refused.returncode == 2 and "vllm run-batch" in refused.stderr
    out = setup.batch.parent / "vllm"
    exported = setup.cli("batch", "export", str(setup.batch), "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert f"vllm run-batch -i {out / 'run.jsonl'}" in exported.stdout
    lines = [json.loads(x) for x in (out / "run.jsonl").read_text().splitlines()]
    assert len(lines) == N_DOCS
    # What `vllm run-batch` writes: the Batch API's result lines (the scripted answers).
    answers, errors = BatchStore(setup.answerer).answer(lines[1:])
    assert errors == []
    results = out / "run.results.jsonl"
    results.write_text("".join(answers) + "not json\n")
    bad = setup.cli("batch", "import", str(setup.batch), str(results))
    assert bad.returncode == 2 and f"{results}:{N_DOCS}: not a JSON result line" in bad.stderr
    results.write_text("".join(answers))
    imported = setup.cli("batch", "import", str(setup.batch), str(results))
    assert imported.returncode == 0, imported.stderr
    assert f"answers in the cache: {N_DOCS - 1}; failed: 1" in imported.stdout
    before = len(setup.server.requests)
    run = setup.cli("run", *setup.options, "--run-id", "v", "--quiet")
    assert run.returncode == 0, run.stderr
    assert setup.chat_docs(before) == Counter({setup.answerer.doc_id_for(
        ChatRequest(body=lines[0]["body"], index=0)): 1})  # fmt: skip


def test_a_batch_created_but_not_recorded_is_found_not_created_again(setup: Setup) -> None:
    """A kill between `batches.create` returning and the state write: the next collect
    finds the batch by its input file instead of paying for it twice."""
    assert setup.cli(*setup.submit()).returncode == 0
    path = setup.batch / "state.json"
    state = read_json(path)
    created = state["parts"][0]["batch_id"]
    state["parts"][0].update(batch_id=None, status=None)  # as the kill left it
    assert state["parts"][0]["create_started"] and state["parts"][0]["file_id"]
    path.write_text(json.dumps(state))
    collected = setup.cli(*setup.collect())
    assert collected.returncode == 0, collected.stderr
    assert f"answers in the cache: {N_DOCS} of {N_DOCS}" in collected.stdout
    assert setup.http()["POST /v1/batches"] == 1
    assert read_json(path)["parts"][0]["batch_id"] == created
