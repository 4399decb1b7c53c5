"""The committed calibration pairs stay valid, labelled and reproducible.

The pairs measure how well a matcher agrees with people; a pair whose gold changed after it
was labelled would measure nothing. These tests fail when a line no longer validates, when a
label belongs to a different pair than the one now in the file, or when the generator no longer
rebuilds exactly the committed file.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from harness.claims import Claim, GoldClaim

ROOT = Path(__file__).resolve().parents[2]
PAIRS = ROOT / "calibration" / "pairs.jsonl"
KINDS = {
    "verbatim", "paraphrase", "other_speaker", "number", "date", "negation", "hedge",
    "same_sentence_other_claim", "other_claim_same_doc", "split", "merged",
}  # fmt: skip


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_calibration_pairs", ROOT / "scripts" / "make_calibration_pairs.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]


def test_every_pair_validates_and_is_labelled() -> None:
    data = rows()
    assert len(data) >= 520
    for row in data:
        Claim.model_validate(row["predicted"])
        GoldClaim.model_validate(row["gold"])
        assert row["kind"] in KINDS
        assert not str(row["doc_id"]).startswith("000_")
        labels = row["labels"]
        assert isinstance(labels, dict) and isinstance(labels.get("annotator_a"), bool)
    positive = sum(bool(r["labels"]["annotator_a"]) for r in data)  # type: ignore[index]
    assert 0.4 <= positive / len(data) <= 0.55


def test_generator_rebuilds_the_committed_files(tmp_path: Path) -> None:
    for folder in ("gold", "seeds", "calibration"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    assert generator().main(["--root", str(tmp_path)]) == 0
    for name in ("pairs.jsonl", "pairs_unlabelled.jsonl"):
        assert (tmp_path / "calibration" / name).read_bytes() == (
            ROOT / "calibration" / name
        ).read_bytes()


def test_a_changed_gold_claim_loses_its_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for folder in ("gold", "seeds", "calibration"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    gold_file = next((tmp_path / "gold").glob("004_*.json"))
    gold = json.loads(gold_file.read_text(encoding="utf-8"))
    gold["claims"][9]["statement"] = "The wall is not part of America's border security."
    gold_file.write_text(json.dumps(gold), encoding="utf-8")
    assert generator().main(["--root", str(tmp_path)]) == 1  # stale labels are an error
    assert "no current label" in capsys.readouterr().out
    lines = (tmp_path / "calibration" / "pairs.jsonl").read_text(encoding="utf-8").splitlines()
    changed = [
        r for r in map(json.loads, lines) if r["gold"]["statement"].startswith("The wall is not")
    ]
    assert changed and all(r["labels"] == {} for r in changed)
