"""`harness serve-scripted` serves gold answers that the real CLI scores 1.0."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import HARNESS, Corpus, RunCli, cli_env


def test_serve_scripted_then_run_scores_one(corpus: Corpus, run_cli: RunCli) -> None:
    server = subprocess.Popen(
        [
            *HARNESS,
            "serve-scripted",
            "--docs",
            str(corpus.docs),
            "--gold",
            str(corpus.gold),
            "--behaviour",
            "fenced",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        done = run_cli.run_against(base_url, "s", model="scripted")
        assert done.returncode == 0, done.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)
    metrics = json.loads((corpus.results / "s" / "metrics.json").read_text())["metrics"]
    assert metrics["claim_f1"]["value"] == 1.0 and metrics["attributed_f1"]["value"] == 1.0
    first = json.loads((corpus.results / "s" / "predictions.jsonl").read_text().splitlines()[0])
    assert first["repairs"] == ["fenced"]
