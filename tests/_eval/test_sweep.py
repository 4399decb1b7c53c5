"""`harness sweep`: cells as ordinary runs, resume on re-run, the cache, dry run, errors."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.fakes import GoldAnswerer, ScriptedServer
from harness.schemas import load_published
from harness.sweep import SweepFile
from tests.conftest import HARNESS, REPO, Corpus, RunCli, cli_env, read_json

HEADLINE = ("claim_f1", "attributed_f1", "speaker_accuracy", "grounding_rate", "schema_valid_rate")


def sweep_cli(run_cli: RunCli, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HARNESS, "sweep", *args],
        cwd=run_cli.cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write_sweep(corpus: Corpus, tmp_path: Path, **changes: Any) -> Path:
    data: dict[str, Any] = {
        "name": "grid",
        "docs": str(corpus.docs),
        "gold": str(corpus.gold),
        "prompts_dir": str(REPO / "prompts"),
        "results": str(corpus.results),
        "endpoints": {},
        "prompts": ["extract@v1", "extract@v2"],
        "models": ["a", "b"],
        "params": {"temperature": 0.0, "max_tokens": 256},
        **changes,
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def servers(
    corpus: Corpus, scripted_server: Callable[..., ScriptedServer]
) -> dict[str, ScriptedServer]:
    return {
        name: scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs)) for name in "ab"
    }


def endpoints(servers: dict[str, ScriptedServer]) -> dict[str, Any]:
    return {n: {"base_url": s.base_url, "model": f"model-{n}"} for n, s in servers.items()}


def counts(servers: dict[str, ScriptedServer]) -> dict[str, int]:
    return {n: len(s.requests) for n, s in servers.items()}


def sweep_folder_commands(run_cli: RunCli, folder: Path, tmp_path: Path) -> None:
    """compare, report and show take a sweep folder for its cells, named by their labels."""
    summary = read_json(folder / "summary.json")
    labels = [c["label"] for c in summary["cells"]]
    # A sweep folder stands for its cells: each compared with the first, in sweep order.
    compared = run_cli("compare", str(folder))
    assert compared.returncode == 0, compared.stderr
    order = [c["id"] for c in summary["cells"]]
    assert "Holm-corrected across all 18 comparisons (3 pairs x metrics)" in compared.stdout
    rows = [line.split("│")[1].strip() for line in compared.stdout.splitlines() if "│" in line]
    assert rows == [label for label in labels[1:] for _ in range(6)], compared.stdout
    assert f"A = {labels[0]} ({folder / 'cells' / order[0]})" in compared.stdout
    report = run_cli("report", str(folder), "-o", str(tmp_path / "sweep.html"))
    assert report.returncode == 0, report.stderr
    html = (tmp_path / "sweep.html").read_text(encoding="utf-8")
    assert all(cell in html for cell in order), "every cell is in the report"
    assert "Sweep: prompt x model" in html and "claim_f1: prompt x model (95% CIs)" in html

    exported = run_cli("export", str(folder), "--format", "jsonl", "-o", str(tmp_path / "x.jsonl"))
    assert exported.returncode == 0, exported.stderr
    lines = (tmp_path / "x.jsonl").read_text().splitlines()
    records: list[dict[str, Any]] = [json.loads(line) for line in lines]
    n = len(records) // len(labels)
    assert [r["cell"] for r in records] == [label for label in labels for _ in range(n)]
    assert all(r["claim_f1"] == 1.0 and r["gold_claims"] for r in records)

    doc_id = records[0]["doc_id"]
    explained = run_cli("cache", "explain", str(folder), doc_id)
    assert explained.returncode == 0, explained.stderr
    assert [line for line in explained.stdout.splitlines() if line.startswith("cell ")] == [
        f"cell {label}:" for label in labels
    ]

    shown = run_cli("show", str(folder))
    assert shown.returncode == 0, shown.stderr
    assert "attributed_f1: prompt x model" in shown.stdout and "extract@v2 / b" in shown.stdout


def test_two_by_two_sweep_resumes_and_caches(
    corpus: Corpus, run_cli: RunCli, servers: dict[str, ScriptedServer], tmp_path: Path
) -> None:
    n = len(corpus.documents)
    path = write_sweep(corpus, tmp_path, endpoints=endpoints(servers))
    first = sweep_cli(run_cli, str(path), "--quiet")
    assert first.returncode == 0, first.stderr
    assert counts(servers) == {"a": 1 + 2 * n, "b": 1 + 2 * n}  # one probe per endpoint
    folder = corpus.results / "sweeps" / "grid"
    cells = sorted(p.name for p in (folder / "cells").iterdir())
    assert len(cells) == 4
    for cell in cells:
        assert (folder / "cells" / cell / "metrics.json").is_file()
        assert read_json(folder / "cells" / cell / "manifest.json")["status"] == "completed"
    summary = read_json(folder / "summary.json")
    assert [c["id"] for c in summary["cells"]] == sorted(cells, key=lambda c: (c[:10], c[11]))
    for cell in summary["cells"]:
        assert set(cell["metrics"]) == set(HEADLINE)
        assert cell["metrics"]["claim_f1"]["value"] == 1.0  # the server answers with gold
        assert cell["status"] == "completed" and cell["n_docs"] == n
    labels = [c["label"] for c in summary["cells"]]
    assert labels == ["extract@v1 / a", "extract@v1 / b", "extract@v2 / a", "extract@v2 / b"]
    markdown = (folder / "summary.md").read_text()
    assert markdown.count("| extract@v") == 4 + 5 * 2  # cells, then 2 prompt rows per pivot
    assert "1.000 [1.000, 1.000]" in markdown and "## claim_f1: prompt x model" in markdown
    assert "| prompt | a (model-a) | b (model-b) |" in markdown
    assert "12 to answer, 0 from the cache, 12 sent to an endpoint" in first.stdout

    sweep_folder_commands(run_cli, folder, tmp_path)

    before = (folder / "summary.json").read_bytes(), (folder / "summary.md").read_bytes()
    again = sweep_cli(run_cli, str(path), "--quiet")
    assert again.returncode == 0, again.stderr
    assert counts(servers) == {"a": 1 + 2 * n, "b": 1 + 2 * n}  # nothing reached a server
    assert sorted(p.name for p in (folder / "cells").iterdir()) == cells  # resumed, no copies
    assert ((folder / "summary.json").read_bytes(), (folder / "summary.md").read_bytes()) == before
    assert "0 to answer, 0 from the cache, 0 sent to an endpoint" in again.stdout

    # rescore SWEEP: every cell scored again (no request), the summary rebuilt from them.
    rescored = run_cli("rescore", str(folder), "--threshold", "0.99")
    assert rescored.returncode == 0, rescored.stderr
    assert counts(servers) == {"a": 1 + 2 * n, "b": 1 + 2 * n}
    for cell in cells:
        manifest = read_json(folder / "cells" / cell / "manifest.json")
        assert manifest["scoring"]["match_threshold"] == 0.99
    assert read_json(folder / "summary.json")["cells"][0]["label"] == "extract@v1 / a"
    assert run_cli("rescore", str(folder), "--threshold", "0.5").returncode == 0
    assert (folder / "summary.json").read_bytes() == before[0]  # same scores, same summary

    # One cell's temperature changes: exactly that cell's documents are requested again.
    override = {"prompt": "extract@v1", "endpoint": "b", "params": {"temperature": 0.5}}
    write_sweep(corpus, tmp_path, endpoints=endpoints(servers), overrides=[override])
    changed = sweep_cli(run_cli, str(path), "--quiet")
    assert changed.returncode == 0, changed.stderr
    assert counts(servers) == {"a": 1 + 2 * n, "b": 1 + 3 * n}
    new = {c["id"]: c for c in read_json(folder / "summary.json")["cells"]}
    assert len(new) == 4 and len(set(new) - set(cells)) == 1
    (new_id,) = set(new) - set(cells)
    assert new_id.startswith("extract-v1-b-") and new[new_id]["params"]["temperature"] == 0.5


def test_dry_run_counts_without_requesting(
    corpus: Corpus, run_cli: RunCli, servers: dict[str, ScriptedServer], tmp_path: Path
) -> None:
    n = len(corpus.documents)
    path = write_sweep(corpus, tmp_path, endpoints=endpoints(servers))
    planned = sweep_cli(run_cli, str(path), "--dry-run")
    assert planned.returncode == 0, planned.stderr
    rows = [line for line in planned.stdout.splitlines() if line.startswith("extract-")]
    assert len(rows) == 4
    assert all(row.endswith(f"{n} (probe not cached)") for row in rows), rows
    assert f"4 cells, {4 * n} of {4 * n} cell documents to request" in planned.stdout
    assert counts(servers) == {"a": 0, "b": 0}
    assert not (corpus.results / "sweeps").exists()

    assert sweep_cli(run_cli, str(path), "--quiet").returncode == 0
    after = counts(servers)
    replanned = sweep_cli(run_cli, str(path), "--dry-run")
    rows = [line for line in replanned.stdout.splitlines() if line.startswith("extract-")]
    assert len(rows) == 4 and all(row.endswith(" 0") for row in rows), rows
    # A new cell whose answers are cached (another sweep name = fresh folders) needs nothing.
    write_sweep(corpus, tmp_path, endpoints=endpoints(servers), name="copy")
    copied = sweep_cli(run_cli, str(path), "--dry-run")
    assert f"4 cells, 0 of {4 * n} cell documents to request" in copied.stdout, copied.stdout
    served = sweep_cli(run_cli, str(path), "--quiet")  # requested, but the cache answers all
    assert served.returncode == 0, served.stderr
    assert f"{4 * n} to answer, {4 * n} from the cache, 0 sent to an endpoint" in served.stdout
    # ... and a changed temperature needs all of that endpoint's documents.
    write_sweep(
        corpus, tmp_path, endpoints=endpoints(servers), name="copy", params={"temperature": 0.3}
    )
    hot = sweep_cli(run_cli, str(path), "--dry-run")
    assert f"4 cells, {4 * n} of {4 * n} cell documents to request" in hot.stdout, hot.stdout
    assert "probe not cached" not in hot.stdout
    assert counts(servers) == after


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"params": {"tempreature": [0.5]}}, "$.params: Additional properties"),
        ({"repeats": 0}, "$.repeats: 0 is less than the minimum of 1"),
        ({"models": ["a", "c"]}, "$.models[1]: unknown endpoint 'c'"),
        ({"overrides": [{"endpoint": "z", "params": {}}]}, "$.overrides[0].endpoint"),
    ],
)
def test_invalid_sweep_file_is_one_line_with_file_and_path(
    corpus: Corpus,
    run_cli: RunCli,
    servers: dict[str, ScriptedServer],
    tmp_path: Path,
    changes: dict[str, Any],
    expected: str,
) -> None:
    path = write_sweep(corpus, tmp_path, endpoints=endpoints(servers), **changes)
    done = sweep_cli(run_cli, str(path), "--dry-run")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: "), lines
    assert expected in lines[0]
    assert counts(servers) == {"a": 0, "b": 0}


def test_unknown_endpoint_key_names_its_path(
    corpus: Corpus, run_cli: RunCli, servers: dict[str, ScriptedServer], tmp_path: Path
) -> None:
    spec = endpoints(servers)
    spec["a"]["concurency"] = 2
    path = write_sweep(corpus, tmp_path, endpoints=spec)
    done = sweep_cli(run_cli, str(path))
    assert done.returncode == 2
    assert "$.endpoints.a: Additional properties are not allowed ('concurency'" in done.stderr


def test_example_sweep_file_is_valid() -> None:
    value = yaml.safe_load((REPO / "sweeps" / "example.yaml").read_text())
    sweep = SweepFile.model_validate(value)
    assert sweep.endpoints["smol"].local and sweep.limit == 2
    schema = load_published("sweep")
    assert schema["additionalProperties"] is False
    assert json.dumps(schema) == json.dumps(load_published("sweep"))
