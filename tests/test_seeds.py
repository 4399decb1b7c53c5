"""seeds/: the id rule holds for every document, every document is credited, ids stay put."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
OWNER_SEED = "000_10ba7ebf5372380a"


def _importer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "import_wikinews_seeds", REPO / "scripts" / "import_wikinews_seeds.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _seed_ids() -> list[str]:
    return sorted(p.stem for p in (REPO / "seeds").glob("*.txt"))


def test_every_wikinews_id_follows_the_rule_and_is_credited() -> None:
    importer = _importer()
    attribution = (REPO / "seeds" / "ATTRIBUTION.md").read_text(encoding="utf-8")
    numbers = {n for n, _, _ in importer.CHOSEN}
    for doc_id in _seed_ids():
        assert f"`{doc_id}`" in attribution, doc_id
        assert (REPO / "gold" / f"{doc_id}.json").is_file(), doc_id
        if doc_id == OWNER_SEED:
            continue
        meta = json.loads((REPO / "seeds" / f"{doc_id}.meta.json").read_text(encoding="utf-8"))
        assert meta["licence"] == importer.LICENCE
        assert importer.doc_id(int(doc_id[:3]), meta["url"]) == doc_id
        assert int(doc_id[:3]) in numbers
    assert len(numbers) == len(importer.CHOSEN)  # no number used twice


def test_the_aramco_article_moved_to_028() -> None:
    meta = json.loads((REPO / "seeds" / "028_c6fd6584ce68c87c.meta.json").read_text())
    assert meta["title"] == "Oil facilities in Saudi Arabia hit by drone attacks"
    assert "Aramco" not in (REPO / "seeds" / f"{OWNER_SEED}.txt").read_text(encoding="utf-8")


def test_importer_refuses_to_change_an_id(tmp_path: Path) -> None:
    importer = _importer()
    (tmp_path / "028_0000000000000000.txt").write_text("another article\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="number 028 already names another document"):
        importer._check_stable(tmp_path, "028_c6fd6584ce68c87c")
    with pytest.raises(SystemExit, match="000 is the owner's seed"):
        importer.doc_id(0, "https://en.wikinews.org/wiki/x")


def test_importer_reproduces_the_wikinews_seeds(tmp_path: Path) -> None:
    corpus = REPO.parent / "shared" / "corpora" / "wikinews_en"
    if not corpus.is_dir():
        pytest.skip(f"{corpus}: the Wikinews corpus is not beside this checkout")
    _importer().main(corpus, tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) == 2 * 39
    for name in written:
        assert (tmp_path / name).read_bytes() == (REPO / "seeds" / name).read_bytes(), name
