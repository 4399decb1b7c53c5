"""Issue 15 item 7 for sweeps: `harness sweep --max-failure-rate R` exits 4 after the whole
sweep is saved and summarised when any cell failed more than R of its documents, naming
those cells in one line; without it, a cell whose every document failed exits 4 (as a
run does), so a CI can tell a sweep that produced nothing somewhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.fakes import GoldAnswerer, ScriptedServer
from tests._eval.test_sweep import sweep_cli, write_sweep
from tests.conftest import Corpus, RunCli, read_json

Start = Callable[[GoldAnswerer], ScriptedServer]


@pytest.fixture
def sweep(corpus: Corpus, tmp_path: Path, scripted_server: Start) -> Path:
    """Endpoint `good` answers every document; `bad` truncates two of the three."""
    truncated = {d.id for d in corpus.documents[:2]}
    good = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    bad = scripted_server(
        GoldAnswerer(
            corpus.documents,
            corpus.gold_docs,
            lambda doc_id: "truncated" if doc_id in truncated else "gold",
        )
    )
    endpoints = {
        "good": {"base_url": good.base_url, "model": "m"},
        "bad": {"base_url": bad.base_url, "model": "m"},
    }
    return write_sweep(
        corpus, tmp_path, endpoints=endpoints, models=["good", "bad"], prompts=["extract@v2"]
    )


def cells(corpus: Corpus) -> dict[str, Path]:
    folder = corpus.results / "sweeps" / "grid" / "cells"
    return {p.name.split("-")[2]: p for p in folder.iterdir()}  # extract-v2-<endpoint>-...


def test_a_cell_over_the_rate_exits_4_after_the_sweep_is_saved(
    run_cli: RunCli, corpus: Corpus, sweep: Path
) -> None:
    result = sweep_cli(run_cli, str(sweep), "--quiet", "--max-failure-rate", "0.5")
    assert result.returncode == 4, result.stderr
    by_endpoint = cells(corpus)
    bad = by_endpoint["bad"].name
    assert result.stderr == (
        f"error: 1 of 2 cells over --max-failure-rate 0.5: {bad} (2 of 3 failed)\n"
    )
    summary = read_json(corpus.results / "sweeps" / "grid" / "summary.json")
    assert len(summary["cells"]) == 2  # saved and summarised first
    assert "documents in this invocation: 6 to answer" in result.stdout
    for cell in by_endpoint.values():
        assert read_json(cell / "manifest.json")["status"] == "completed"

    # The same sweep again: nothing requested, the verdict depends on the rate only.
    assert sweep_cli(run_cli, str(sweep), "--quiet", "--max-failure-rate", "0.7").returncode == 0
    assert sweep_cli(run_cli, str(sweep), "--quiet").returncode == 0  # not all failed
    zero = sweep_cli(run_cli, str(sweep), "--quiet", "--max-failure-rate", "0")
    assert zero.returncode == 4 and f"{bad} (2 of 3 failed)" in zero.stderr
    assert by_endpoint["good"].name not in zero.stderr


def test_a_cell_where_every_document_failed_exits_4_by_default(
    run_cli: RunCli, corpus: Corpus, tmp_path: Path, sweep: Path
) -> None:
    result = sweep_cli(run_cli, str(sweep), "--quiet", "--max-answer-chars", "10")
    assert result.returncode == 4, result.stderr
    names = sorted(p.name for p in cells(corpus).values())
    assert "error: 2 of 2 cells failed on every document: " in result.stderr
    assert all(f"{n} (3 of 3 failed)" in result.stderr for n in names)


def test_a_bad_rate_is_one_line(run_cli: RunCli, corpus: Corpus, sweep: Path) -> None:
    result = sweep_cli(run_cli, str(sweep), "--max-failure-rate", "1.5")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "'--max-failure-rate'" in result.stderr
    assert not (corpus.results / "sweeps").exists()
