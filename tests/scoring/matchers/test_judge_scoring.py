"""The LLM judge as the scoring matcher of `run`, `rescore` and sweeps (issue 13).

Extraction and judge are two scripted servers, so every request is attributable: rescore
with the judge must send nothing to the extraction server, a failing judge must fall back
to the lexical score pair by pair, and a judge that rejects the key must leave the run's
files as they were.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import harness
from harness.fakes import GoldAnswerer, Script, ScriptedServer
from harness.fakes.judge import JudgeScript
from harness.fakes.server import ChatRequest, Reply
from tests._eval.test_sweep import sweep_cli, write_sweep
from tests.conftest import Corpus, RunCli, cli_env, read_json, read_jsonl

Start = Callable[[Script], ScriptedServer]
FILES = ("scores.jsonl", "metrics.json", "manifest.json")


def _extraction(corpus: Corpus, start: Start) -> ScriptedServer:
    """Gold answers whose statements are reworded ("Reportedly, ..."): the lexical rule
    still matches them on evidence, the strict scripted judge (same words) does not."""
    answerer = GoldAnswerer(corpus.documents, corpus.gold_docs, behaviour="gold")
    for doc_id, answer in answerer.answers.items():
        data = json.loads(answer)
        for claim in data["claims"]:
            claim["statement"] = "Reportedly, " + claim["statement"].lower()
        answerer.answers[doc_id] = json.dumps(data)
    return start(answerer)


def _judge_flags(judge: ScriptedServer, matcher: str = "judge") -> list[str]:
    return ["--matcher", matcher, "--judge-base-url", judge.base_url, "--judge-model", "jm"]


def _claim_f1(run: Path) -> float:
    return float(read_json(run / "metrics.json")["metrics"]["claim_f1"]["value"])


def _is_judge_request(request: ChatRequest) -> bool:
    return set(json.loads(request.user_text)) == {"A", "B"}


def test_rescore_with_the_judge_calls_only_the_judge(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    extraction = _extraction(corpus, scripted_server)
    judge = scripted_server(JudgeScript())  # yes only for the same words: no paraphrase
    assert run_cli.run_against(extraction.base_url, "r").returncode == 0
    run = corpus.results / "r"
    lexical = {name: (run / name).read_bytes() for name in ("scores.jsonl", "metrics.json")}
    assert _claim_f1(run) == 1.0
    extraction_requests = len(extraction.requests)

    done = run_cli("rescore", str(run), *_judge_flags(judge))
    assert done.returncode == 0, done.stderr
    assert len(extraction.requests) == extraction_requests  # the extraction model: no call
    assert judge.requests and all(_is_judge_request(r) for r in judge.requests)
    assert _claim_f1(run) == 0.0  # the strict judge rejects every reworded statement
    manifest = read_json(run / "manifest.json")
    assert manifest["scoring"]["matcher"] == "judge"
    assert manifest["scoring"]["judge"] == {
        "model": "jm",
        "base_url": judge.base_url,
        "api_key_env": "OPENAI_API_KEY",
    }
    usage = manifest["judge"]
    assert usage["requests"] == len(judge.requests) == 2 * usage["pairs"] > 0
    assert usage["prompt_tokens"] == 80 * usage["requests"]  # JudgeScript's token counts
    assert (usage["failures"], usage["fallback_pairs"], usage["position_bias"]) == ({}, 0, 0.0)
    assert f"judge jm: {usage['pairs']} pairs asked in both orders" in done.stdout

    again = run_cli("rescore", str(run), "--threshold", "0.4")  # keeps the run's judge
    assert again.returncode == 0, again.stderr
    assert read_json(run / "manifest.json")["judge"]["cached"] == usage["requests"]
    assert len(judge.requests) == usage["requests"]  # every verdict came from the cache

    back = run_cli("rescore", str(run), "--matcher", "lexical", "--threshold", "0.5")
    assert back.returncode == 0, back.stderr
    manifest = read_json(run / "manifest.json")
    assert (manifest["scoring"]["judge"], manifest["judge"]) == (None, None)
    assert {name: (run / name).read_bytes() for name in lexical} == lexical


def test_run_with_a_failing_judge_falls_back_to_lexical_pair_by_pair(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    extraction = _extraction(corpus, scripted_server)
    garbled = scripted_server(JudgeScript(reply=lambda r: Reply(content="Sure, same claim!")))
    assert run_cli.run_against(extraction.base_url, "lex").returncode == 0
    done = run_cli.run_against(extraction.base_url, "jud", *_judge_flags(garbled))
    assert done.returncode == 0, done.stderr
    run = corpus.results / "jud"
    usage = read_json(run / "manifest.json")["judge"]
    assert usage["pairs"] > 0 and usage["failures"] == {"parse": 2 * usage["pairs"]}
    assert usage["fallback_pairs"] == usage["pairs"]
    assert _claim_f1(run) == _claim_f1(corpus.results / "lex") == 1.0  # no verdict: lexical
    assert "pairs fell back to lexical" in done.stdout


def test_run_with_the_judge_behind_the_guards(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    extraction = _extraction(corpus, scripted_server)
    lenient = scripted_server(JudgeScript(decide=lambda a, b: True))
    done = run_cli.run_against(extraction.base_url, "g", *_judge_flags(lenient, "judge+guards"))
    assert done.returncode == 0, done.stderr
    run = corpus.results / "g"
    assert read_json(run / "manifest.json")["scoring"]["matcher"] == "judge+guards"
    pairs = [p for s in read_jsonl(run / "scores.jsonl") for p in s["pairs"]]
    assert pairs and {p["similarity"] for p in pairs} == {1.0}  # the judge's verdicts


def test_a_judge_that_rejects_the_key_changes_nothing(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    extraction = _extraction(corpus, scripted_server)
    rejecting = scripted_server(JudgeScript(reply=lambda r: Reply(status=401)))
    assert run_cli.run_against(extraction.base_url, "r").returncode == 0
    run = corpus.results / "r"
    before = {name: (run / name).read_bytes() for name in FILES}
    done = run_cli("rescore", str(run), *_judge_flags(rejecting))
    assert done.returncode == 3, done.stderr
    assert "judge endpoint rejected the request" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert {name: (run / name).read_bytes() for name in FILES} == before


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--matcher", "judge"], "--matcher judge: needs --judge-model"),
        (["--judge-model", "local"], "only meaningful with --matcher judge"),
        (["--matcher", "judge", "--judge-model", "jm"], "--judge-model 'jm': needs --judge-base"),
        (["--matcher", "judge", "--judge-base-url", "http://x/v1"], "needs --judge-model"),
    ],
)
def test_judge_flags_that_do_not_fit_are_usage_errors(
    corpus: Corpus, run_cli: RunCli, flags: list[str], message: str
) -> None:
    done = run_cli.run_against("http://127.0.0.1:9/v1", "x", *flags)
    assert done.returncode == 2
    assert message in done.stderr
    assert not (corpus.results / "x").exists()  # refused before any folder or request


def test_a_sweep_scores_with_its_judge(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start, tmp_path: Path
) -> None:
    extraction = _extraction(corpus, scripted_server)
    judge = scripted_server(JudgeScript())
    judge_settings = {"base_url": judge.base_url, "model": "jm"}
    path = write_sweep(
        corpus,
        tmp_path,
        endpoints={"a": {"base_url": extraction.base_url, "model": "model-a"}},
        prompts=["extract@v2"],
        models=["a"],
        matcher="judge",
        judge=judge_settings,
    )
    done = sweep_cli(run_cli, str(path), "--quiet")
    assert done.returncode == 0, done.stderr
    (cell,) = (corpus.results / "sweeps" / "grid" / "cells").iterdir()
    manifest = read_json(cell / "manifest.json")
    assert manifest["scoring"]["judge"]["base_url"] == judge.base_url
    assert manifest["judge"]["requests"] == len(judge.requests) > 0
    base = {"name": "s", "prompts": ["p"], "models": ["m"], "endpoints": {"m": {"model": "m"}}}
    with pytest.raises(ValueError, match="matcher judge needs judge"):
        harness.SweepFile.model_validate(base | {"matcher": "judge"})
    with pytest.raises(ValueError, match="only meaningful with matcher judge"):
        harness.SweepFile.model_validate(base | {"judge": judge_settings})


def test_sigterm_while_the_judge_scores_stops_the_run_at_once(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    extraction = _extraction(corpus, scripted_server)
    stuck = scripted_server(JudgeScript(reply=lambda r: Reply(hang_s=60)))  # never answers
    proc = subprocess.Popen(
        run_cli.argv(
            "run",
            "--base-url",
            extraction.base_url,
            "--model",
            "m",
            "--run-id",
            "t",
            *_judge_flags(stuck),
        ),
        cwd=run_cli.cwd,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not stuck.requests and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stuck.requests, "the judge was never asked"
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=30)  # not the 60 s the judge would hang
    assert code == 128 + signal.SIGTERM, proc.stderr.read() if proc.stderr else ""
    run = corpus.results / "t"
    assert len(read_jsonl(run / "predictions.jsonl")) == len(corpus.documents)  # all kept
    assert not (run / "scores.jsonl").exists() and not (run / "metrics.json").exists()
    assert not list(run.glob(".scores.jsonl.*"))  # no half-written scores left behind
