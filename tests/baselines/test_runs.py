"""Issue 14: `--model baseline:NAME` through the same engine as a model, via the real CLI.

No server is started and nothing is listened to: a baseline run that tried HTTP would fail
(there is no base URL), and its records say mode "baseline" with no attempts and no tokens.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import yaml

from harness.fakes import GoldAnswerer, Script, ScriptedServer
from tests.conftest import HARNESS, REPO, Corpus, RunCli, cli_env, read_json, read_jsonl


def test_lead_baseline_runs_in_process_and_scores_like_a_model(
    corpus: Corpus, run_cli: RunCli
) -> None:
    done = run_cli("run", "--model", "baseline:lead-3", "--run-id", "lead")
    assert done.returncode == 0, done.stderr
    run = corpus.results / "lead"
    manifest = read_json(run / "manifest.json")
    assert manifest["status"] == "completed"
    assert manifest["model"] == "baseline:lead-3"
    assert manifest["output_mode"] == "baseline"
    assert manifest["output_mode_probe"] == []  # nothing probed
    assert manifest["local_model"] is None  # no server started
    assert manifest["tokens"]["requests"] == manifest["tokens"]["http_attempts"] == 0
    records = read_jsonl(run / "predictions.jsonl")
    assert [r["doc_id"] for r in records] == [d.id for d in corpus.documents]
    for record in records:
        assert record["mode"] == "baseline" and record["attempts"] == []
        assert record["failure"] is None and len(record["claims"]) == 3
        assert record["prompt_tokens"] == record["completion_tokens"] == 0
    metrics = read_json(run / "metrics.json")["metrics"]
    assert metrics["schema_valid_rate"]["value"] == 1.0
    assert 0 < metrics["claim_precision"]["value"] <= 1.0
    assert 0 < metrics["claim_recall"]["value"] < 0.5  # 3 sentences of many claims


def test_gold_baseline_scores_one_and_compares_with_lead(corpus: Corpus, run_cli: RunCli) -> None:
    for name in ("gold", "lead-3"):
        done = run_cli("run", "--model", f"baseline:{name}", "--run-id", name)
        assert done.returncode == 0, done.stderr
    gold = read_json(corpus.results / "gold" / "metrics.json")["metrics"]
    assert gold["claim_f1"]["value"] == gold["attributed_f1"]["value"] == 1.0
    compared = run_cli(
        "compare", str(corpus.results / "gold"), str(corpus.results / "lead-3"), "--resamples",
        "200",
    )  # fmt: skip
    assert compared.returncode == 0, compared.stderr
    assert "claim_f1" in compared.stdout and "lead-3" in compared.stdout


def test_gold_baseline_without_gold_is_one_line_before_any_manifest(
    corpus: Corpus, run_cli: RunCli, tmp_path: Path
) -> None:
    partial = tmp_path / "partial_gold"  # gold for the first document only
    partial.mkdir()
    first = corpus.documents[0].id
    (partial / f"{first}.json").write_bytes((corpus.gold / f"{first}.json").read_bytes())
    done = run_cli("run", "--model", "baseline:gold", "--gold", str(partial), "--run-id", "g")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "needs gold for every document" in done.stderr and str(partial) in done.stderr
    assert corpus.documents[1].id in done.stderr  # the first document without gold
    assert not (corpus.results / "g" / "manifest.json").exists()  # (the lock may be there)


def test_unknown_baseline_is_a_usage_error_naming_the_known_ones(run_cli: RunCli) -> None:
    done = run_cli("run", "--model", "baseline:lead-0", "--run-id", "x")
    assert done.returncode == 2
    assert "unknown baseline 'lead-0'" in done.stderr and "baseline:quotes" in done.stderr


def test_base_url_with_a_baseline_or_the_local_model_is_an_error_not_ignored(
    corpus: Corpus, run_cli: RunCli
) -> None:
    for model in ("baseline:lead-3", "local"):
        done = run_cli("run", "--model", model, "--base-url", "http://127.0.0.1:9/v1")
        assert done.returncode == 2, done.stderr
        line = done.stderr.strip()
        assert "\n" not in line and "--base-url: not used with --model " + model in line
    assert not corpus.results.exists()  # nothing was started or written


def test_openai_base_url_in_the_environment_does_not_block_a_baseline(
    corpus: Corpus, run_cli: RunCli
) -> None:
    env = cli_env(OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    done = run_cli("run", "--model", "baseline:quotes", "--run-id", "q", env=env)
    assert done.returncode == 0, done.stderr
    assert read_json(corpus.results / "q" / "manifest.json")["base_url"] == "in-process"


def test_a_sweep_endpoint_can_be_a_baseline(corpus: Corpus, tmp_path: Path) -> None:
    lead: dict[str, str] = {"model": "baseline:lead-3"}
    sweep: dict[str, object] = {
        "name": "base",
        "docs": str(corpus.docs),
        "gold": str(corpus.gold),
        "prompts_dir": str(REPO / "prompts"),
        "results": str(corpus.results),
        "endpoints": {"lead": lead, "quotes": {"model": "baseline:quotes"}},
        "prompts": ["extract@v2"],
        "models": ["lead", "quotes"],
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep), encoding="utf-8")
    done = subprocess.run(
        [*HARNESS, "sweep", str(path), "--quiet"], cwd=tmp_path, env=cli_env(),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    cells = sorted((corpus.results / "sweeps" / "base" / "cells").iterdir())
    assert len(cells) == 2
    for cell in cells:
        assert read_json(cell / "manifest.json")["status"] == "completed"
        assert {r["mode"] for r in read_jsonl(cell / "predictions.jsonl")} == {"baseline"}

    lead["base_url"] = "http://127.0.0.1:9/v1"
    path.write_text(yaml.safe_dump(sweep), encoding="utf-8")
    bad = subprocess.run(
        [*HARNESS, "sweep", str(path), "--dry-run"], cwd=tmp_path, env=cli_env(),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert "$.endpoints.lead.base_url: must be null" in bad.stderr


def test_run_with_baseline_prints_both_side_by_side_and_what_it_means(
    corpus: Corpus, run_cli: RunCli, scripted_server: Callable[[Script], ScriptedServer]
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    done = run_cli.run_against(server.base_url, "m", "--baseline", "lead-3", "--limit", "2")
    assert done.returncode == 0, done.stderr
    beside = corpus.results / "m-lead-3"
    assert read_json(beside / "manifest.json")["n_documents"] == 2  # the model's documents
    assert "beside baseline:lead-3 on the same 2 documents" in done.stdout
    assert "B - A" in done.stdout
    assert "than taking the first 3 sentences" in " ".join(done.stdout.split())
    again = run_cli.run_against(server.base_url, "m2", "--baseline", "lead-0")
    assert again.returncode == 2 and "--baseline lead-0: unknown baseline" in again.stderr
    assert not (corpus.results / "m2").exists()  # refused before the model run


def test_progress_lines_show_tokens_per_second_and_the_running_claim_f1(
    corpus: Corpus, run_cli: RunCli, scripted_server: Callable[[Script], ScriptedServer]
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs, "wrong_speakers"))
    argv = run_cli.argv("run", "--base-url", server.base_url, "--model", "m", "--run-id", "p")
    argv.remove("--quiet")
    done = subprocess.run(
        argv, cwd=run_cli.cwd, env=cli_env(), capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert len(lines) == len(corpus.documents)
    assert all("tokens/s)" in line and "claim F1 so far " in line for line in lines)
    final = read_json(corpus.results / "p" / "metrics.json")["metrics"]["claim_f1"]["value"]
    assert lines[-1].endswith(f"claim F1 so far {final:.3f}")  # the run's own number
