"""Regression guard: a run and a two-cell sweep on a fixed corpus give the same numbers.

Three Wikinews documents (tests/data/engine_fixture) are answered by the scripted server
with their gold, except that one document gets the wrong speakers and another an unparseable
first answer (its re-ask gets gold), so the metrics are neither all 1.0 nor all 0. The files
under `expected/` were written by the code before the engine refactor of issue 17; the
refactor must leave metrics.json and scores.jsonl byte-identical. Only run ids, ports and
cell ids (which hash the random base URL) are masked. Regenerate deliberately with
ENGINE_FIXTURE_UPDATE=1 after a change that is meant to move these numbers.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from harness.claims import Document, GoldDocument
from harness.corpus import load_documents, load_gold
from harness.fakes import GoldAnswerer, ScriptedServer
from tests.conftest import REPO, read_json, run_harness

FIXTURE = REPO / "tests" / "data" / "engine_fixture"
EXPECTED = FIXTURE / "expected"
UPDATE = os.environ.get("ENGINE_FIXTURE_UPDATE") == "1"
BEHAVIOUR = {"005_aca6751eb9f1ba1c": "wrong_speakers", "010_23712480cf92e303": "invalid"}


def _perturbed() -> GoldAnswerer:
    documents, gold = _corpus()
    return GoldAnswerer(documents, gold, behaviour=lambda doc_id: BEHAVIOUR.get(doc_id, "gold"))


def _check(actual: Path, expected: Path, masks: dict[str, str] | None = None) -> None:
    text = actual.read_text(encoding="utf-8")
    for old, new in (masks or {}).items():
        text = text.replace(old, new)
    if UPDATE:
        expected.parent.mkdir(parents=True, exist_ok=True)
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8"), f"{actual} differs from {expected}"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE / "docs", tmp_path / "docs")
    shutil.copytree(FIXTURE / "gold", tmp_path / "gold")
    return tmp_path


def test_run_numbers_unchanged(
    workdir: Path, scripted_server: Callable[[GoldAnswerer], ScriptedServer]
) -> None:
    server = scripted_server(_perturbed())
    done = run_harness(
        workdir, "run", "--base-url", server.base_url, "--model", "scripted-m",
        "--docs", "docs", "--gold", "gold", "--prompts-dir", str(REPO / "prompts"),
        "--results", "results", "--run-id", "fixture", "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = workdir / "results" / "fixture"
    metrics = read_json(run / "metrics.json")["metrics"]
    assert 0 < metrics["attributed_f1"]["value"] < metrics["claim_f1"]["value"] == 1.0
    assert metrics["first_attempt_valid_rate"]["value"] < 1.0  # the re-asked document
    _check(run / "metrics.json", EXPECTED / "run" / "metrics.json")
    _check(run / "scores.jsonl", EXPECTED / "run" / "scores.jsonl")


def test_two_cell_sweep_numbers_unchanged(
    workdir: Path, scripted_server: Callable[[GoldAnswerer], ScriptedServer]
) -> None:
    perturbed = scripted_server(_perturbed())
    plain = scripted_server(GoldAnswerer(*_corpus()))
    sweep = {
        "name": "fixture",
        "docs": "docs",
        "gold": "gold",
        "prompts_dir": str(REPO / "prompts"),
        "results": "results",
        "endpoints": {
            "perturbed": {"base_url": perturbed.base_url, "model": "scripted-p"},
            "plain": {"base_url": plain.base_url, "model": "scripted-g"},
        },
        "prompts": ["extract@v2"],
        "models": ["perturbed", "plain"],
        "params": {"temperature": 0.0},
    }
    (workdir / "sweep.yaml").write_text(yaml.safe_dump(sweep), encoding="utf-8")
    done = run_harness(workdir, "sweep", "sweep.yaml", "--quiet")
    assert done.returncode == 0, done.stderr
    folder = workdir / "results" / "sweeps" / "fixture"
    cells = [c["id"] for c in read_json(folder / "summary.json")["cells"]]
    assert len(cells) == 2 and sorted(p.name for p in (folder / "cells").iterdir()) == sorted(cells)
    masks = {cell: f"CELL{index}" for index, cell in enumerate(cells)}
    for index, cell in enumerate(cells):
        for name in ("metrics.json", "scores.jsonl"):
            _check(folder / "cells" / cell / name, EXPECTED / "sweep" / f"cell{index}" / name)
    _check(folder / "summary.json", EXPECTED / "sweep" / "summary.json", masks)
    _check(folder / "summary.md", EXPECTED / "sweep" / "summary.md", masks)
    assert re.search(r"-perturbed-[0-9a-f]{8}-r0$", cells[0]), cells


def _corpus() -> tuple[list[Document], dict[str, GoldDocument]]:
    documents = load_documents(FIXTURE / "docs")
    return documents, load_gold(FIXTURE / "gold", documents)
