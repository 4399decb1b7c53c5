"""Issue 17: `harness run` and `harness sweep` share one engine path.

The checks here are about that path's edges: the threshold a sweep asks for is the one
its cells are scored with, and endpoint resolution gives one identity per endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from harness.fakes import GoldAnswerer, ScriptedServer
from tests.conftest import REPO, Corpus, RunCli, read_json


def _sweep(corpus: Corpus, tmp_path: Path, base_url: str, **changes: object) -> Path:
    data = {
        "name": "edges",
        "docs": str(corpus.docs),
        "gold": str(corpus.gold),
        "prompts_dir": str(REPO / "prompts"),
        "results": str(corpus.results),
        "endpoints": {"a": {"base_url": base_url, "model": "m"}},
        "prompts": ["extract@v2"],
        "models": ["a"],
        **changes,
    }
    path = tmp_path / "edges.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_sweep_threshold_zero_is_kept(
    corpus: Corpus,
    run_cli: RunCli,
    scripted_server: Callable[[GoldAnswerer], ScriptedServer],
    tmp_path: Path,
) -> None:
    """`threshold: 0` used to become 0.5 (a truthiness test); 0 is a threshold too."""
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    path = _sweep(corpus, tmp_path, server.base_url, threshold=0)
    done = run_cli("sweep", str(path), "--quiet")
    assert done.returncode == 0, done.stderr
    (cell,) = (corpus.results / "sweeps" / "edges" / "cells").iterdir()
    assert read_json(cell / "manifest.json")["scoring"]["match_threshold"] == 0.0
