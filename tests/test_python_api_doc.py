"""Issue 16 item 3: docs/python-api.md runs as written, like a notebook, against the
scripted server; and the Python API keeps the CLI's defaults (key, cache, paths)."""

from __future__ import annotations

import ast
import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import harness
from harness.corpus import load_documents, load_gold
from harness.fakes import GoldAnswerer, ScriptedServer
from harness.project import PROJECT_DATA
from tests.conftest import API_KEY, REPO

DOC = REPO / "docs" / "python-api.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def notebook_cells() -> list[str]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


async def run_like_a_notebook(cells: list[str], namespace: dict[str, Any]) -> None:
    """Each cell inside one running event loop, top-level `await` allowed (IPython's way)."""
    for index, cell in enumerate(cells):
        code = compile(cell, f"{DOC.name}[{index}]", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(code, namespace)
        if asyncio.iscoroutine(result):
            await result


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ScriptedServer]:
    documents = load_documents(PROJECT_DATA / "seeds")
    gold = load_gold(PROJECT_DATA / "gold", documents)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    with ScriptedServer(GoldAnswerer(documents, gold)) as started:
        monkeypatch.setenv("OPENAI_BASE_URL", started.base_url)
        yield started


def test_the_python_api_page_runs_as_a_notebook(server: ScriptedServer, tmp_path: Path) -> None:
    cells = notebook_cells()
    assert len(cells) >= 4 and any("await " in cell for cell in cells)
    namespace: dict[str, Any] = {}
    asyncio.run(run_like_a_notebook(cells, namespace))
    baseline, warmer = namespace["baseline"], namespace["warmer"]
    assert baseline.metrics.metrics["attributed_f1"].value == 1.0  # gold answers
    assert warmer.manifest.params.temperature == 0.7
    assert namespace["rows"] == 3 and (tmp_path / "demo" / "report.html").is_file()
    assert namespace["stricter"].manifest.scoring.match_threshold == 0.8
    # The CLI's defaults: the key from the environment, the cache on.
    keys = {{k.lower(): v for k, v in h.items()}["authorization"] for h in server.request_headers}
    assert keys == {f"Bearer {API_KEY}"}
    assert baseline.manifest.cache is not None and baseline.manifest.base_url == server.base_url


def test_evaluate_twice_is_answered_from_the_cache(server: ScriptedServer) -> None:
    harness.init_project("p")
    options: dict[str, Any] = {"model": "m", "docs": "p/seeds", "gold": "p/gold"}
    first = harness.evaluate(prompts_dir="p/prompts", **options)
    sent = len(server.requests)
    second = harness.evaluate(prompts_dir="p/prompts", **options)
    assert len(server.requests) == sent  # every answer (and the probe) came from the cache
    assert second.manifest.cache is not None and second.manifest.cache.hits == 4
    assert second.metrics == first.metrics


def test_evaluate_refuses_an_unknown_option_and_a_request_with_options() -> None:
    with pytest.raises(TypeError, match="modle"):
        harness.evaluate(modle="m")
    with pytest.raises(TypeError, match="not both"):
        harness.evaluate(harness.RunRequest(), model="m")
