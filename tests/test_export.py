"""Corpus as a Hugging Face dataset; a run exported to Parquet and JSONL and read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import Endpoint, RunConfig, evaluate, load_documents, load_gold
from harness.export import ExportFormat, corpus_dataset, export_run
from harness.fakes import GoldAnswerer, ScriptedServer

REPO = Path(__file__).resolve().parents[1]
datasets = pytest.importorskip("datasets")


def test_corpus_dataset_round_trips_gold_claims() -> None:
    documents = load_documents(REPO / "seeds")[:3]
    gold = load_gold(REPO / "gold", documents)
    dataset = corpus_dataset(documents, gold)
    assert dataset.num_rows == 3
    first = dataset[0]
    assert first["id"] == documents[0].id
    assert first["has_gold"] is True
    assert len(first["gold_claims"]) == len(gold[documents[0].id].claims)
    assert first["gold_claims"][0]["evidence"] == gold[documents[0].id].claims[0].evidence


def test_saved_dataset_is_accepted_as_docs(tmp_path: Path) -> None:
    documents = load_documents(REPO / "seeds")[:2]
    corpus_dataset(documents, {}).save_to_disk(str(tmp_path / "ds"))
    loaded = load_documents(tmp_path / "ds")
    assert [d.id for d in loaded] == [d.id for d in documents]
    assert loaded[0].text == documents[0].text


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_export_run(tmp_path: Path, fmt: ExportFormat) -> None:
    documents = load_documents(REPO / "seeds")[:2]
    gold = load_gold(REPO / "gold", documents)
    with ScriptedServer(GoldAnswerer(documents, gold)) as server:
        outcome = evaluate(
            RunConfig(
                endpoint=Endpoint(base_url=server.base_url, model="m"),
                docs=REPO / "seeds",
                gold=REPO / "gold",
                prompts_dir=REPO / "prompts",
                limit=2,
                results_dir=tmp_path,
            )
        )
    out = tmp_path / f"export.{fmt}"
    assert export_run(outcome.folder.path, fmt, out) == 2
    if fmt is ExportFormat.PARQUET:
        rows = datasets.Dataset.from_parquet(str(out)).to_list()
    else:
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    by_id = {row["doc_id"]: row for row in rows}
    assert set(by_id) == {d.id for d in documents}
    row = by_id[documents[0].id]
    assert row["failure"] is None
    assert row["n_claims"] == len(gold[documents[0].id].claims)
    assert row["count_matched"] == row["n_claims"]
