"""Issue #6 items 7-8: the API key never lands on disk; bad inputs are one-line errors.

Every user error must be exactly one line on stderr naming the file (or flag) and the
field, with exit code 2, and must stop the run before any request reaches the server.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.fakes import ChatRequest, GoldAnswerer, Reply, Script, ScriptedServer
from tests.conftest import API_KEY, SEED_IDS, Corpus, RunCli, cli_env, read_json, read_jsonl

Start = Callable[[Script], ScriptedServer]


def assert_key_nowhere(root: Path, *outputs: str) -> int:
    """The key is in no file under `root` (any encoding of it) nor in any output."""
    files = [p for p in root.rglob("*") if p.is_file()]
    for path in files:
        data = path.read_bytes()
        assert API_KEY.encode() not in data, path
        assert API_KEY.encode("utf-16-le") not in data, path
    for output in outputs:
        assert API_KEY not in output
    return len(files)


def test_api_key_is_sent_as_bearer_and_never_written(
    tmp_path: Path, corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    answerer = GoldAnswerer(corpus.documents, corpus.gold_docs)
    first, second, _ = (d.id for d in corpus.documents)

    def echo_key(request: ChatRequest) -> Reply:
        doc_id = answerer.doc_id_for(request)
        if request.response_format == "json_schema":  # the probe's first rung
            return Reply(status=400, error_message=f"response_format json_schema: {API_KEY}")
        if doc_id == first:
            return Reply(status=400, error_message=f"Incorrect API key provided: {API_KEY}")
        if doc_id == second:
            return Reply(status=503, error_message=f"overloaded for key {API_KEY}")
        return answerer(request)

    server = scripted_server(echo_key)
    done = run_cli(
        "run",
        "--base-url",
        server.base_url,
        "--model",
        "m",
        "--run-id",
        "leaky",
        "--max-attempts",
        "2",
        "--backoff-max",
        "0",
    )
    assert done.returncode == 0, done.stderr
    run = corpus.results / "leaky"
    records = {r["doc_id"]: r for r in read_jsonl(run / "predictions.jsonl")}
    # The echoes really were recorded (redacted), so the check below is not vacuous.
    assert "Incorrect API key provided: [REDACTED]" in records[first]["failure"]["message"]
    assert records[second]["failure"]["kind"] == "server_error"
    assert "[REDACTED]" in records[second]["failure"]["message"]
    probe = read_json(run / "manifest.json")["output_mode_probe"]
    assert probe[0]["accepted"] is False and "[REDACTED]" in probe[0]["error"]

    # A revoked key mid-run: the fatal error goes to stderr and the manifest, redacted.
    key_file = tmp_path / "key.txt"
    key_file.write_text(API_KEY + "\n")

    def revoked(request: ChatRequest) -> Reply:
        if answerer.doc_id_for(request):
            return Reply(status=401, error_message=f"Incorrect API key provided: {API_KEY}")
        return Reply(content='{"claims": []}')

    server_401 = scripted_server(revoked)
    env = cli_env()
    del env["OPENAI_API_KEY"]
    fatal = run_cli(
        "run",
        "--base-url",
        server_401.base_url,
        "--model",
        "m",
        "--run-id",
        "revoked",
        "--api-key-file",
        str(key_file),
        env=env,
    )
    assert fatal.returncode == 3, fatal.stderr
    assert "[REDACTED]" in fatal.stderr
    assert "[REDACTED]" in read_json(corpus.results / "revoked" / "manifest.json")["error"]

    # Both runs hold manifest, predictions, scores and metrics (a stopped run is still scored),
    # and the lock file naming the last holder.
    assert (
        assert_key_nowhere(corpus.results, done.stdout, done.stderr, fatal.stdout, fatal.stderr)
        == 10
    )
    headers = server.request_headers + server_401.request_headers
    assert len(headers) >= 6
    for sent in headers:
        auth = {k.lower(): v for k, v in sent.items()}["authorization"]
        assert auth == f"Bearer {API_KEY}"


def _plant(corpus: Corpus, tmp_path: Path, case: str) -> tuple[list[str], list[str]]:
    """Break one input; (extra CLI args, substrings the one error line must contain)."""
    gold_file = corpus.gold / f"{SEED_IDS[0]}.json"
    if case == "unknown_flag":
        return ["--temprature", "0.5"], ["--temprature", "No such option"]
    if case == "malformed_gold":
        gold_file.write_text('{"doc_id": "x", "claims": [', encoding="utf-8")
        return [], [str(gold_file), "invalid JSON"]
    if case == "gold_schema_error":
        data = json.loads(gold_file.read_text(encoding="utf-8"))
        data["claims"][0]["speaker_type"] = "wizard"
        gold_file.write_text(json.dumps(data), encoding="utf-8")
        return [], [str(gold_file), "$.claims[0].speaker_type", "wizard"]
    if case == "template_variable":
        prompts = tmp_path / "prompts"
        shutil.copytree(Path(__file__).parents[1] / "prompts", prompts)
        user = prompts / "extract" / "v2" / "user.j2"
        user.write_text(user.read_text() + "\n{{ article_body }}\n", encoding="utf-8")
        return ["--prompts-dir", str(prompts)], [str(user), "article_body"]
    if case == "empty_document":
        path = corpus.docs / "zz_empty.txt"
        path.write_text("  \n\n", encoding="utf-8")
        return [], [str(path), "empty"]
    if case == "non_utf8_document":
        path = corpus.docs / "zz_latin1.txt"
        path.write_bytes("Le ministre a déclaré que tout va bien.".encode("latin-1"))
        return [], [str(path), "not UTF-8"]
    assert case == "resume_not_a_run"
    folder = tmp_path / "not_a_run"
    folder.mkdir()
    return ["--resume", str(folder)], [str(folder), "not a run folder"]


@pytest.mark.parametrize(
    "case",
    [
        "unknown_flag",
        "malformed_gold",
        "gold_schema_error",
        "template_variable",
        "empty_document",
        "non_utf8_document",
        "resume_not_a_run",
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_request(
    tmp_path: Path, corpus: Corpus, run_cli: RunCli, scripted_server: Start, case: str
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    args, expected = _plant(corpus, tmp_path, case)
    done = run_cli("run", "--base-url", server.base_url, "--model", "m", *args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for part in expected:
        assert part in lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert server.requests == []
    results = corpus.results
    assert not results.exists() or not any(results.iterdir())  # no run folder left behind


def test_gold_validate_reports_one_planted_error(
    tmp_path: Path, repo: Path, run_cli: RunCli
) -> None:
    gold = tmp_path / "gold_copy"
    shutil.copytree(repo / "gold", gold)
    planted = gold / f"{SEED_IDS[1]}.json"
    data = json.loads(planted.read_text(encoding="utf-8"))
    data["claims"][3]["evidence"] = "A sentence the article never contains."
    planted.write_text(json.dumps(data, indent=2), encoding="utf-8")

    done = run_cli("gold", "validate", str(gold), "--docs", str(repo / "seeds"))
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    assert re.fullmatch(rf"{re.escape(str(planted))}: \$\.claims\[3\]\.evidence: .+", lines[0])
    assert "never contains" in lines[0]


def test_gold_validate_accepts_the_shipped_gold(repo: Path, run_cli: RunCli) -> None:
    done = run_cli("gold", "validate", str(repo / "gold"), "--docs", str(repo / "seeds"))
    assert done.returncode == 0, done.stdout + done.stderr
    n_files = len(list((repo / "gold").glob("*.json")))
    assert done.stdout.strip().endswith("clean") and f"{n_files} files" in done.stdout


def test_gold_agreement_with_the_second_annotator(repo: Path, run_cli: RunCli) -> None:
    done = run_cli(
        "gold",
        "agree",
        str(repo / "gold"),
        str(repo / "tests/data/second_annotator"),
        "--docs",
        str(repo / "seeds"),
    )
    assert done.returncode == 0, done.stderr
    match = re.search(r"^claim_f1: ([0-9.]+)$", done.stdout, re.MULTILINE)
    assert match is not None, done.stdout
    assert float(match.group(1)) >= 0.7
    cue = re.search(r"^cue_agreement \(matched pairs\): ([0-9.]+)$", done.stdout, re.MULTILINE)
    assert cue is not None and float(cue.group(1)) >= 0.7, done.stdout
    assert "documents: 2 " in done.stdout  # the seed article and 028 (Aramco)
    via = re.search(r"^via_agreement \(matched pairs\): ([0-9.]+)$", done.stdout, re.MULTILINE)
    assert via is not None and float(via.group(1)) >= 0.7, done.stdout
