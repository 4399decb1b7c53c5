"""Loading documents and gold (harness.corpus): every error names the file and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.corpus import load_documents, load_gold, read_gold_file
from harness.errors import UserInputError

REPO = Path(__file__).resolve().parents[1]
TEXT = 'Officials said the bridge will reopen in May. "We are on schedule," Ruiz said.'


def write_jsonl(path: Path, *records: Any) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def fails(source: Path, message: str) -> str:
    with pytest.raises(UserInputError) as info:
        load_documents(source)
    assert message in str(info.value), str(info.value)
    return str(info.value)


# --- documents: formats ---------------------------------------------------------------------


def test_folder_with_meta(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("Second text.\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    meta = {"title": "Bridge", "url": "https://x.org/a", "date": "2024-05-01", "licence": "CC0"}
    (tmp_path / "a.meta.json").write_text(json.dumps(meta), encoding="utf-8")
    docs = load_documents(tmp_path)
    assert [d.id for d in docs] == ["a", "b"]  # sorted by file name
    assert (docs[0].text, docs[0].title, docs[0].licence) == (TEXT, "Bridge", "CC0")
    assert (docs[1].text, docs[1].title) == ("Second text.\n", None)  # text kept verbatim


def test_jsonl(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", {"id": "x1", "text": TEXT, "title": "T"},
                       {"id": "x0", "text": "Other."})  # fmt: skip
    path.write_text(path.read_text() + "\n  \n", encoding="utf-8")  # blank lines skipped
    docs = load_documents(path)
    assert [(d.id, d.title) for d in docs] == [("x1", "T"), ("x0", None)]  # file order


def test_saved_hugging_face_dataset(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets", reason="the datasets package is not installed")
    rows = [{"id": "h1", "text": TEXT, "title": "T", "extra": 1}, {"id": "h2", "text": "B.",
            "title": None, "extra": 2}]  # fmt: skip
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "ds"))
    docs = load_documents(tmp_path / "ds")
    assert [(d.id, d.text, d.title) for d in docs] == [("h1", TEXT, "T"), ("h2", "B.", None)]
    split = datasets.Dataset.from_list(rows)
    datasets.DatasetDict({"train": split}).save_to_disk(str(tmp_path / "dd"))
    fails(tmp_path / "dd", "a DatasetDict; save one split with save_to_disk")
    (tmp_path / "ds" / "state.json").write_text("{", encoding="utf-8")  # damaged
    fails(tmp_path / "ds", f"{tmp_path / 'ds'}: cannot load the saved dataset: ")


def test_the_seed_corpus_loads_with_its_gold() -> None:
    # Every shipped gold file passes the schema and evidence checks, and every seed has gold.
    docs = load_documents(REPO / "seeds")
    gold = load_gold(REPO / "gold", docs)
    assert len(docs) >= 28
    assert set(gold) == {d.id for d in docs}


# --- documents: errors ----------------------------------------------------------------------


def test_missing_and_wrong_sources(tmp_path: Path) -> None:
    fails(tmp_path / "nope", "nope: --docs: no such file or folder")
    (tmp_path / "d.csv").write_text("id,text\n", encoding="utf-8")
    fails(tmp_path / "d.csv", "expected a folder, a .jsonl or .parquet file or a saved dataset")
    (tmp_path / "empty").mkdir()
    fails(tmp_path / "empty", "empty: no .txt documents found")
    fails(write_jsonl(tmp_path / "none.jsonl"), "none.jsonl: no documents")


def test_empty_documents(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(" \n\t\n", encoding="utf-8")
    fails(tmp_path, f"{tmp_path / 'a.txt'}: the document is empty")
    blank = write_jsonl(tmp_path / "blank.jsonl", {"id": "a", "text": "  \n"})
    fails(blank, "blank.jsonl: record 1: text: the document is empty")
    empty = write_jsonl(
        tmp_path / "empty.jsonl", {"id": "a", "text": "ok"}, {"id": "b", "text": ""}
    )
    fails(empty, "empty.jsonl: record 2: text: String should have at least 1 character")


def test_non_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"Caf\xe9 au lait")  # Latin-1 e-acute at byte 3
    fails(folder, f"{folder / 'a.txt'}: not UTF-8 (byte 3): convert it first")
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "a.meta.json").write_bytes(b'{"title": "Caf\xe9"}')
    fails(folder, f"{folder / 'a.meta.json'}: not UTF-8 (byte 14)")
    (tmp_path / "d.jsonl").write_bytes(b'{"id": "a", "text": "\xff"}\n')
    fails(tmp_path / "d.jsonl", "d.jsonl: line 1: not UTF-8 (byte 21)")


@pytest.mark.parametrize("bad_id", ["../x", "a/b", "..", ".hidden", "a..b", "a b", "x" * 201])
def test_unsafe_ids_in_jsonl(tmp_path: Path, bad_id: str) -> None:
    path = write_jsonl(
        tmp_path / "d.jsonl", {"id": "ok", "text": TEXT}, {"id": bad_id, "text": TEXT}
    )
    message = fails(path, "d.jsonl: record 2: id: ")
    assert "safe document id" in message or "at most 200 characters" in message


def test_unsafe_id_from_file_name(tmp_path: Path) -> None:
    (tmp_path / ".hidden.txt").write_text(TEXT, encoding="utf-8")
    fails(tmp_path, f"{tmp_path / '.hidden.txt'}: id: '.hidden' is not a safe document id")


def test_duplicate_id(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "d.jsonl", *({"id": i, "text": TEXT} for i in ("a", "b", "a")))
    fails(path, "d.jsonl: record 3: id: duplicate id 'a'")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "a"}', "record 1: text: Field required"),
        ('{"id": "a", "text": "t", "author": "x"}', "record 1: author: Extra inputs are not"),
        ('{"id": 5, "text": "t"}', "record 1: id: Input should be a valid string"),
        ('{"id": "a", "text": ', "line 1: invalid JSON: "),
        ('["a", "t"]', "line 1: expected a JSON object"),
    ],
)
def test_bad_jsonl_records(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "d.jsonl").write_text(line + "\n", encoding="utf-8")
    fails(tmp_path / "d.jsonl", f"d.jsonl: {message}")


def test_bad_meta(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "a.meta.json").write_text('{"titel": "x"}', encoding="utf-8")
    fails(tmp_path, f"{tmp_path / 'a.meta.json'}: titel: Extra inputs are not permitted")


# --- gold ----------------------------------------------------------------------------------

CLAIM: dict[str, Any] = {"statement": "It will reopen.", "evidence": "the bridge will  REOPEN",
                         "speaker": "officials", "speaker_type": "government", "cue": "said",
                         "quote_type": "indirect", "via": []}  # fmt: skip


def write_gold(folder: Path, doc_id: str = "a", **top: Any) -> Path:
    folder.mkdir(exist_ok=True)
    value = {"doc_id": doc_id, "claims": [CLAIM], **top}
    path = folder / f"{doc_id}.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def gold_fails(tmp_path: Path, message: str) -> None:
    docs = load_documents(write_jsonl(tmp_path / "d.jsonl", {"id": "a", "text": TEXT}))
    with pytest.raises(UserInputError) as info:
        load_gold(tmp_path / "gold", docs)
    assert str(info.value).startswith(f"{tmp_path / 'gold' / 'a.json'}: {message}"), info.value


def test_gold_loads_with_normalised_evidence(tmp_path: Path) -> None:
    # Evidence differs from the text in case and spacing only; curly quotes in a second claim.
    quoted = {**CLAIM, "evidence": "\u201cWe are on schedule,\u201d Ruiz said", "required": False}
    write_gold(tmp_path / "gold", claims=[CLAIM, quoted], annotator="ab")
    docs = load_documents(write_jsonl(tmp_path / "d.jsonl", {"id": "a", "text": TEXT},
                                      {"id": "b", "text": TEXT}))  # fmt: skip
    gold = load_gold(tmp_path / "gold", docs)
    assert list(gold) == ["a"]  # document b has no gold file: simply absent
    assert [c.required for c in gold["a"].claims] == [True, False]  # default True
    assert (gold["a"].schema_version, gold["a"].unannotated) == (1, [])


@pytest.mark.parametrize(
    ("top", "message"),
    [
        ({"claims": [CLAIM, {**CLAIM, "speaker_type": "robot"}]},
         "$.claims[1].speaker_type: 'robot' is not one of"),
        ({"claims": [{**CLAIM, "speakr": "x"}]},
         "$.claims[0]: Additional properties are not allowed ('speakr' was unexpected)"),
        ({"claims": [{**CLAIM, "required": "yes"}]}, "$.claims[0].required: 'yes' is not of type"),
        ({"unannotated": ["speaker"]}, "$.unannotated[0]: 'speaker' is not one of"),
        ({"claims": None}, "$.claims: None is not of type 'array'"),
    ],
)  # fmt: skip
def test_gold_schema_errors_name_file_and_path(
    tmp_path: Path, top: dict[str, Any], message: str
) -> None:
    write_gold(tmp_path / "gold", **top)
    gold_fails(tmp_path, message)


def test_gold_file_level_errors(tmp_path: Path) -> None:
    write_gold(tmp_path / "gold", doc_id="a").write_text('{"doc_id": "a",\n "claims": [', "utf-8")
    gold_fails(tmp_path, "line 2: invalid JSON: ")
    (tmp_path / "gold" / "a.json").write_text('{"claims": []}', encoding="utf-8")
    gold_fails(tmp_path, "$: 'doc_id' is a required property")
    (tmp_path / "gold" / "a.json").write_text('{"doc_id": "b", "claims": []}', encoding="utf-8")
    gold_fails(tmp_path, "$.doc_id: 'b' does not match the file name")


def test_gold_evidence_must_occur_in_the_document(tmp_path: Path) -> None:
    invented = {**CLAIM, "evidence": "the bridge will reopen in June"}
    write_gold(tmp_path / "gold", claims=[CLAIM, invented])
    gold_fails(tmp_path, "$.claims[1].evidence: not found in document a ('the bridge will")


def test_read_gold_file_alone(tmp_path: Path) -> None:
    gold = read_gold_file(write_gold(tmp_path / "gold", unannotated=["quote_type"]))
    assert (gold.doc_id, [f.value for f in gold.unannotated]) == ("a", ["quote_type"])
    with pytest.raises(UserInputError, match="--gold: no such folder"):
        load_gold(tmp_path / "missing", [])


def test_large_jsonl_corpus_is_not_mistaken_for_a_large_document(tmp_path: Path) -> None:
    # The per-document size limit must apply to each record, not to the corpus file.
    path = tmp_path / "big.jsonl"
    text = "Officials said the bridge will reopen in May. " * 200  # ~9 KB per document
    with path.open("w", encoding="utf-8") as handle:
        for i in range(1000):
            handle.write(json.dumps({"id": f"d{i}", "text": text}) + "\n")
    assert path.stat().st_size > 8_000_000
    assert len(load_documents(path)) == 1000
