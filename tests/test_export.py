"""Corpus as a Hugging Face dataset; a run exported to Parquet and JSONL and read back."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from harness import Endpoint, RunConfig, RunOutcome, evaluate, load_documents, load_gold
from harness.columns import Columns
from harness.errors import UserInputError
from harness.export import ExportFormat, corpus_dataset, export_run
from harness.fakes import GoldAnswerer, ScriptedServer
from tests.conftest import HARNESS, cli_env

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
    outcome = _evaluate(tmp_path, GoldAnswerer(documents, gold), REPO / "gold", 2)
    out = tmp_path / f"export.{fmt}"
    assert export_run(outcome.folder.path, fmt, out) == 2
    if fmt is ExportFormat.PARQUET:
        rows = datasets.Dataset.from_parquet(str(out)).to_list()
    else:
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["doc_id"] for row in rows] == sorted(d.id for d in documents)  # stable order
    row = next(r for r in rows if r["doc_id"] == documents[0].id)
    gold_claims = gold[documents[0].id].claims
    assert row["failure"] is None and row["claim_f1"] == 1.0 and row["attributed_f1"] == 1.0
    assert row["n_claims"] == len(gold_claims) == row["count_matched"]
    predicted, expected = row["predicted_claims"], row["gold_claims"]
    assert [c["index"] for c in predicted] == list(range(len(gold_claims)))
    assert all(c["matched"] and c["grounded"] and c["speaker_ok"] for c in predicted)
    assert [c["statement"] for c in expected] == [c.statement for c in gold_claims]
    assert [c["predicted_index"] for c in expected] == [c["gold_index"] for c in predicted]
    assert export_run(outcome.folder.path, fmt, tmp_path / f"again.{fmt}") == 2
    assert (tmp_path / f"again.{fmt}").read_bytes() == out.read_bytes()


def test_export_names_failures_misses_and_wrong_speakers(tmp_path: Path) -> None:
    documents = load_documents(REPO / "seeds")[:3]
    gold = load_gold(REPO / "gold", documents)
    ids = [d.id for d in documents]
    plan = {ids[0]: "wrong_speakers", ids[1]: "truncated", ids[2]: "empty"}
    outcome = _evaluate(
        tmp_path, GoldAnswerer(documents, gold, behaviour=plan.__getitem__), REPO / "gold", 3
    )
    out = tmp_path / "export.jsonl"
    assert export_run(outcome.folder.path, ExportFormat.JSONL, out) == 3
    rows = {r["doc_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    wrong, cut, empty = (rows[i] for i in ids)
    assert all(c["matched"] and c["speaker_ok"] is False for c in wrong["predicted_claims"])
    assert wrong["claim_f1"] == 1.0 and wrong["attributed_f1"] == 0.0
    assert cut["failure"] == "truncated" and cut["predicted_claims"] == []
    assert cut["gold_claims"] and not any(c["matched"] for c in cut["gold_claims"])
    assert empty["failure"] is None and empty["claim_f1"] == 0.0
    assert [c["predicted_index"] for c in empty["gold_claims"]] == [None] * len(gold[ids[2]].claims)


def test_export_refuses_a_run_whose_gold_moved(tmp_path: Path) -> None:
    documents = load_documents(REPO / "seeds")[:1]
    gold = load_gold(REPO / "gold", documents)
    _copy_gold(tmp_path / "gold-copy", documents[0].id)
    outcome = _evaluate(tmp_path, GoldAnswerer(documents, gold), tmp_path / "gold-copy", 1)
    for path in (tmp_path / "gold-copy").iterdir():
        path.unlink()
    (tmp_path / "gold-copy").rmdir()
    with pytest.raises(UserInputError, match="pass --gold if the gold moved") as info:
        export_run(outcome.folder.path, ExportFormat.JSONL, tmp_path / "x.jsonl")
    assert str(outcome.folder.path) in str(info.value) and not (tmp_path / "x.jsonl").exists()
    out = tmp_path / "y.jsonl"
    assert export_run(outcome.folder.path, ExportFormat.JSONL, out, gold=REPO / "gold") == 1


def _copy_gold(folder: Path, doc_id: str) -> None:
    folder.mkdir()
    source = next((REPO / "gold").glob(f"{doc_id}.*"))
    (folder / source.name).write_bytes(source.read_bytes())


def _evaluate(tmp_path: Path, answerer: GoldAnswerer, gold: Path, limit: int) -> RunOutcome:
    with ScriptedServer(answerer) as server:
        return evaluate(
            RunConfig(
                endpoint=Endpoint(base_url=server.base_url, model="m"),
                docs=REPO / "seeds",
                gold=gold,
                prompts_dir=REPO / "prompts",
                limit=limit,
                results_dir=tmp_path,
            )
        )


def _foreign_rows() -> list[dict[str, object]]:
    documents = load_documents(REPO / "seeds")[:3]
    return [
        {"article_id": d.id, "body": d.text, "headline": d.title, "extra": 1} for d in documents
    ]


def test_documents_in_from_parquet_dataset_and_jsonl_with_columns_mapped(tmp_path: Path) -> None:
    rows = _foreign_rows()
    table = datasets.Dataset.from_list(rows)
    table.to_parquet(str(tmp_path / "d.parquet"))
    table.save_to_disk(str(tmp_path / "saved"))
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    columns = Columns(id="article_id", text="body", title="headline")
    for source in ("d.parquet", "saved", "d.jsonl"):
        loaded = load_documents(tmp_path / source, columns)
        assert [d.id for d in loaded] == [r["article_id"] for r in rows], source
        assert [d.text for d in loaded] == [r["body"] for r in rows], source
        assert [d.title for d in loaded] == [r["headline"] for r in rows], source
    with pytest.raises(UserInputError) as info:
        load_documents(tmp_path / "d.parquet")  # without the mapping: no `id` column
    assert "d.parquet: record 1: --id-field 'id': no such column (columns: article_id" in str(
        info.value
    )
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(UserInputError, match=r"bad\.parquet: not a readable Parquet file"):
        load_documents(tmp_path / "bad.parquet", columns)


def test_import_docs_writes_a_corpus_that_run_reads(tmp_path: Path) -> None:
    rows = _foreign_rows()
    datasets.Dataset.from_list(rows).to_parquet(str(tmp_path / "d.parquet"))
    out = tmp_path / "docs.jsonl"
    args = ["import", "docs", str(tmp_path / "d.parquet"), str(out)]
    mapping = ["--id-field", "article_id", "--text-field", "body", "--title-field", "headline"]
    result = harness_cli(*args, *mapping)
    assert result.returncode == 0, result.stderr
    assert f"{out}: 3 documents" in result.stdout
    assert [d.id for d in load_documents(out)] == [r["article_id"] for r in rows]
    again = harness_cli(*args, *mapping)
    assert again.returncode == 2 and "exists; pass --overwrite" in again.stderr
    unmapped = harness_cli(*args, "--overwrite")
    assert unmapped.returncode == 2 and "--id-field 'id': no such column" in unmapped.stderr
    assert [d.id for d in load_documents(out)] == [r["article_id"] for r in rows]  # intact


def harness_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HARNESS, *args], env=cli_env(), capture_output=True, text=True, timeout=120, check=False
    )
