"""The owner's seed article end to end: its own gold scores 1.0 on every attribution metric,
and vague "a spokesperson"-style speakers for named gold score 0 on exactly those pairs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.claims import SpeakerType
from harness.corpus import load_documents, load_gold
from harness.fakes import GoldAnswerer, Reply, Script, ScriptedServer
from harness.fakes.server import ChatRequest
from harness.scoring.speaker_names import SpeakerKind, describe_speaker
from tests.conftest import REPO, Corpus, RunCli, read_json, read_jsonl

Start = Callable[[Script], ScriptedServer]

SEED = "000_10ba7ebf5372380a"
VAGUE = ("a spokesperson", "an official", "a source", "the minister", "officials")


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Corpus:
    docs, gold = tmp_path / "seed" / "docs", tmp_path / "seed" / "gold"
    docs.mkdir(parents=True)
    gold.mkdir()
    for suffix in (".txt", ".meta.json"):
        shutil.copy(REPO / "seeds" / f"{SEED}{suffix}", docs)
    shutil.copy(REPO / "gold" / f"{SEED}.json", gold)
    documents = load_documents(docs)
    return Corpus(docs, gold, tmp_path / "seed" / "results", documents, load_gold(gold, documents))


@pytest.fixture
def seed_cli(seed_corpus: Corpus, tmp_path: Path) -> RunCli:
    return RunCli(seed_corpus, tmp_path)


def test_the_seed_is_the_owners_file_byte_for_byte() -> None:
    data = (REPO / "seeds" / f"{SEED}.txt").read_bytes()
    assert len(data) == 2139 and not data.endswith(b"\n")
    assert data.startswith(b"Macron Biden\n") and b"Bloomberg was told" in data
    shared = REPO.parent / "shared" / "seeds" / f"{SEED}.txt"
    if shared.is_file():  # beside the checkout on the project machine
        assert shared.read_bytes() == data
    meta = json.loads((REPO / "seeds" / f"{SEED}.meta.json").read_text(encoding="utf-8"))
    assert (meta["publisher"], meta["reported_from"]) == ("RT", ["Bloomberg"])
    assert "Not CC BY" in meta["licence"]


def test_seed_gold_is_nested_enough() -> None:
    gold = load_gold(REPO / "gold", load_documents(REPO / "seeds"))[SEED]
    assert len(gold.claims) >= 14
    chains = [c.via for c in gold.claims if c.via]
    assert len(chains) >= 5
    assert ["Bloomberg", "a senior US official"] in chains  # outer to inner
    kinds = {describe_speaker(c.speaker).kind for c in gold.claims if c.speaker}
    assert kinds == {SpeakerKind.NAMED, SpeakerKind.COLLECTIVE}  # the one individual is a relay


def test_seed_answered_with_its_own_gold_scores_one(
    seed_corpus: Corpus, seed_cli: RunCli, scripted_server: Start
) -> None:
    server = scripted_server(GoldAnswerer(seed_corpus.documents, seed_corpus.gold_docs))
    done = seed_cli.run_against(server.base_url, "own")
    assert done.returncode == 0, done.stderr
    metrics = read_json(seed_corpus.results / "own" / "metrics.json")["metrics"]
    for name in (
        "claim_f1",
        "attributed_f1",
        "speaker_accuracy",
        "speaker_type_accuracy",
        "quote_type_accuracy",
        "via_accuracy",
        "via_innermost_accuracy",
        "cue_accuracy",
        "grounding_rate",
    ):
        assert metrics[name]["value"] == 1.0, name
    (score,) = read_jsonl(seed_corpus.results / "own" / "scores.jsonl")
    assert score["counts"]["via_innermost_pairs"] == 6


def _vague_script(answerer: GoldAnswerer, named: set[int]) -> Script:
    """Gold answers with every named person's name replaced by a bare role noun."""

    def script(request: ChatRequest) -> Reply:
        data = json.loads(answerer.answers[SEED])
        for i in named:
            data["claims"][i]["speaker"] = VAGUE[i % len(VAGUE)]
        return Reply(content=json.dumps(data))

    return script


def test_vague_speakers_for_named_gold_score_zero_on_those_pairs(
    seed_corpus: Corpus, seed_cli: RunCli, scripted_server: Start
) -> None:
    gold = seed_corpus.gold_docs[SEED]
    named = {i for i, c in enumerate(gold.claims) if c.speaker_type is SpeakerType.PERSON}
    assert len(named) >= 5
    answerer = GoldAnswerer(seed_corpus.documents, seed_corpus.gold_docs)
    server = scripted_server(_vague_script(answerer, named))
    done = seed_cli.run_against(server.base_url, "vague")
    assert done.returncode == 0, done.stderr
    run = seed_corpus.results / "vague"
    (score,) = read_jsonl(run / "scores.jsonl")
    on_named = [p for p in score["pairs"] if p["gold"] in named]
    assert len(on_named) == len(named)  # every claim still matched on its evidence
    assert [p["speaker"] for p in on_named] == [False] * len(named)  # speaker_accuracy 0 there
    assert all(p["speaker"] for p in score["pairs"] if p["gold"] not in named)
    metrics = read_json(run / "metrics.json")["metrics"]
    n = len(gold.claims)
    assert metrics["claim_f1"]["value"] == 1.0
    assert metrics["speaker_accuracy"]["value"] == round((n - len(named)) / n, 6)
