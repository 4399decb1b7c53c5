"""Issue 15 item 1 (what part A left): the answer limits are the user's, checked, recorded.

`--max-answer-chars` / `--max-answer-depth` on `run` and `sweep` (and the sweep file's
fields) are range-checked in one line naming the flag or field; a run records them in its
manifest, `harness show` prints them, a resume takes them from the manifest and refuses
another value. They are not in the cache key: the cache stores raw answers, the limits
apply after it, so a lowered limit re-classifies cached answers without a request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from harness.fakes import GoldAnswerer, ScriptedServer, gold_extraction_json
from harness.runs import RunFolder
from tests._eval.test_sweep import sweep_cli, write_sweep
from tests.conftest import Corpus, RunCli, read_json, read_jsonl

Start = Callable[[GoldAnswerer], ScriptedServer]


@pytest.fixture
def server(corpus: Corpus, scripted_server: Start) -> ScriptedServer:
    return scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))


def sizes(corpus: Corpus) -> dict[str, int]:
    """Each document's answer length (the scripted server answers with the gold)."""
    return {d.id: len(gold_extraction_json(corpus.gold_docs[d.id])) for d in corpus.documents}


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--max-answer-chars", "0"),
        ("--max-answer-chars", "-5"),
        ("--max-answer-chars", "1000000000000"),
        ("--max-answer-depth", "0"),
        ("--max-answer-depth", "100000"),
        ("--max-answer-depth", "many"),
    ],
)
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_bad_limit_is_one_line_naming_the_flag(
    run_cli: RunCli, corpus: Corpus, tmp_path: Path, command: str, flag: str, value: str
) -> None:
    target = () if command == "run" else (str(write_sweep(corpus, tmp_path)),)
    result = run_cli(command, *target, flag, value)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    assert f"'{flag}'" in result.stderr
    assert not corpus.results.exists()  # nothing was started


@pytest.mark.parametrize("field", ["max_answer_chars", "max_answer_depth"])
def test_a_bad_limit_in_a_sweep_file_names_the_file_and_field(
    run_cli: RunCli, corpus: Corpus, tmp_path: Path, field: str
) -> None:
    path = write_sweep(corpus, tmp_path, **{field: 0})
    result = sweep_cli(run_cli, str(path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert str(path) in result.stderr and field in result.stderr


def test_an_answer_over_a_lowered_limit_is_oversize_recorded_and_shown(
    run_cli: RunCli, corpus: Corpus, server: ScriptedServer
) -> None:
    size = sizes(corpus)
    limit = sorted(size.values())[1]  # the two longer answers are over it
    result = run_cli.run_against(server.base_url, "low", "--max-answer-chars", str(limit - 1))
    assert result.returncode == 0, result.stderr  # 2 of 3 failed: not all of them
    run = corpus.results / "low"
    metrics = read_json(run / "metrics.json")
    assert metrics["failures"] == {"oversize": 2}
    for record in read_jsonl(run / "predictions.jsonl"):
        over = size[record["doc_id"]] >= limit
        assert (record["failure"] or {}).get("kind") == ("oversize" if over else None)
        assert len(record["attempts"]) == 1  # oversize is never re-asked
    limits = {"max_chars": limit - 1, "max_depth": 64}
    assert read_json(run / "manifest.json")["answer_limits"] == limits
    shown = run_cli("show", str(run))
    assert shown.returncode == 0, shown.stderr
    assert f"answer limits: max_chars={limit - 1}, max_depth=64" in shown.stdout


def test_depth_limit_from_the_cli(run_cli: RunCli, corpus: Corpus, server: ScriptedServer) -> None:
    result = run_cli.run_against(server.base_url, "flat", "--max-answer-depth", "2")
    assert result.returncode == 4, result.stderr  # {claims: [{...}]} is 3 deep: all failed
    assert read_json(corpus.results / "flat" / "metrics.json")["failures"] == {"oversize": 3}
    assert "3 of 3 documents failed" in result.stderr


def test_a_manifest_without_limits_reads_with_the_defaults(
    run_cli: RunCli, corpus: Corpus, server: ScriptedServer
) -> None:
    assert run_cli.run_against(server.base_url, "old").returncode == 0
    path = corpus.results / "old" / "manifest.json"
    data = read_json(path)
    del data["answer_limits"]  # as every manifest written before the limits were kept
    path.write_text(json.dumps(data), encoding="utf-8")
    manifest = RunFolder.open(path.parent).read_manifest()
    assert manifest.answer_limits.max_chars == 1_000_000
    assert manifest.answer_limits.max_depth == 64
    shown = run_cli("show", str(path.parent))
    assert "answer limits: max_chars=1000000, max_depth=64" in shown.stdout


def _drop_last_prediction(run: Path) -> str:
    lines = (run / "predictions.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (run / "predictions.jsonl").write_text("".join(lines[:-1]), encoding="utf-8")
    return str(json.loads(lines[-1])["doc_id"])


def test_resume_takes_the_limits_from_the_manifest_and_refuses_others(
    run_cli: RunCli, corpus: Corpus, server: ScriptedServer
) -> None:
    run = corpus.results / "r"
    args = ("--max-answer-chars", "100")
    assert run_cli.run_against(server.base_url, "r", *args).returncode == 4  # all oversize
    missing = _drop_last_prediction(run)

    other = run_cli("run", "--resume", str(run), "--max-answer-chars", "200")
    assert other.returncode == 2
    assert "--max-answer-chars 200 but the run recorded 100" in other.stderr
    assert other.stderr.count("\n") == 1

    resumed = run_cli("run", "--resume", str(run), "--no-cache")  # no limit flag given
    assert "documents requested in this invocation: 1" in resumed.stdout, resumed.stderr
    last = read_jsonl(run / "predictions.jsonl")[-1]
    assert last["doc_id"] == missing and last["failure"]["kind"] == "oversize"
    assert "over max_chars=100" in last["failure"]["message"]
    # The recorded value is no conflict; --max-failure-rate is about this invocation.
    same = run_cli("run", "--resume", str(run), *args, "--max-failure-rate", "1")
    assert same.returncode == 0, same.stderr  # 3 of 3 failed, not more than all of them
    assert "documents requested in this invocation: 0" in same.stdout


def test_limits_are_not_in_the_cache_key(
    run_cli: RunCli, corpus: Corpus, server: ScriptedServer
) -> None:
    """The cache holds raw answers: a lowered limit judges the cached ones, sends nothing."""
    assert run_cli.run_against(server.base_url, "wide").returncode == 0
    sent = len(server.requests)
    low = run_cli.run_against(server.base_url, "narrow", "--max-answer-chars", "100")
    assert low.returncode == 4
    assert len(server.requests) == sent  # every answer (and the probe) from the cache
    metrics = read_json(corpus.results / "narrow" / "metrics.json")
    assert metrics["failures"] == {"oversize": 3}
    assert read_json(corpus.results / "wide" / "metrics.json")["failures"] == {}


def test_sweep_limits_from_the_file_and_the_command_line(
    run_cli: RunCli, corpus: Corpus, tmp_path: Path, server: ScriptedServer
) -> None:
    size = sizes(corpus)
    limit = max(size.values())  # only the longest answer is over it
    one = {"a": {"base_url": server.base_url, "model": "m"}}
    path = write_sweep(
        corpus, tmp_path, endpoints=one, models=["a"], prompts=["extract@v2"],
        max_answer_chars=limit - 1,
    )  # fmt: skip
    result = sweep_cli(run_cli, str(path), "--quiet")
    assert result.returncode == 0, result.stderr
    cell = next((corpus.results / "sweeps" / "grid" / "cells").iterdir())
    assert read_json(cell / "metrics.json")["failures"] == {"oversize": 1}
    assert read_json(cell / "manifest.json")["answer_limits"]["max_chars"] == limit - 1

    # The command line overrides the file; the existing cell was run with other limits.
    changed = sweep_cli(run_cli, str(path), "--quiet", "--max-answer-chars", str(limit))
    assert changed.returncode == 2
    assert "answer limits max_chars=" + str(limit) in changed.stderr
    assert read_json(cell / "metrics.json")["failures"] == {"oversize": 1}  # untouched
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["max_answer_chars"] == limit - 1
