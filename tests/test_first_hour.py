"""Issue 16, "what it must show": a newcomer's first hour, end to end, on the installed package.

The package is installed (not in editable mode) into a fresh venv from a copy of the
source, without network: no build isolation and no dependencies, which come from the
test's own environment through a path entry (never its `harness`). Everything then runs
from a folder outside the repository with the venv's `harness` command: `harness init
demo`, `harness run` against a slow scripted server, killed mid-run, `harness run --resume
RUN` with no other flag, a second run, `harness compare`, and `harness export --format
parquet` read back with `datasets`.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import site
import subprocess
import sys
import time
from pathlib import Path

import datasets
import pytest

from harness.corpus import load_documents, load_gold
from harness.fakes import ChatRequest, GoldAnswerer, Reply, ScriptedServer
from harness.project import PROJECT_DATA
from tests.conftest import REPO, cli_env, read_json, read_jsonl

SOURCE = ("pyproject.toml", "README.md", "LICENSE", "harness")


def install_fresh(tmp: Path) -> Path:
    """A venv with the package installed from a copy of the source; its bin folder."""
    src = tmp / "src"
    src.mkdir(parents=True)
    for name in SOURCE:
        if (REPO / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(REPO / name, src / name, ignore=ignore)
        else:
            shutil.copy2(REPO / name, src / name)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site_packages,) = (venv / "lib").glob("python*/site-packages")
    # Dependencies (and pip, setuptools) from this environment, after the venv's own.
    (site_packages / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps"]
    pip += ["--no-build-isolation", "--no-index", "--no-cache-dir", str(src)]
    subprocess.run(pip, check=True, cwd=tmp, env=_env(), timeout=600)
    return venv / "bin"


def _env(**extra: str) -> dict[str, str]:
    env = cli_env(**extra)
    env.pop("PYTHONPATH", None)  # the checkout must not be importable
    return env


@pytest.fixture
def server(tmp_path: Path) -> ScriptedServer:
    documents = load_documents(PROJECT_DATA / "seeds")
    answerer = GoldAnswerer(documents, load_gold(PROJECT_DATA / "gold", documents))

    def slow(request: ChatRequest) -> Reply:
        return dataclasses.replace(answerer(request), hang_s=1.0)

    return ScriptedServer(slow)


def test_a_newcomers_first_hour(tmp_path: Path, server: ScriptedServer) -> None:
    bin_dir = install_fresh(tmp_path / "install")
    home = tmp_path / "home"
    home.mkdir()
    env = _env(CLAIM_HARNESS_CACHE_DIR=str(tmp_path / "cache"))

    def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        argv = [str(bin_dir / "harness"), *args]
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"harness {' '.join(args)}: {done.stderr}"
        return done

    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import harness; print(harness.__file__)"],
        cwd=home, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.startswith(str(tmp_path / "install" / "venv")), where.stdout

    harness("init", "demo", cwd=home)
    demo = home / "demo"
    with server:
        first = [str(bin_dir / "harness"), "run", "--model", "scripted", "--concurrency", "1"]
        first += ["--base-url", server.base_url, "--run-id", "first"]
        proc = subprocess.Popen(first, cwd=demo, env=env, stderr=subprocess.PIPE, text=True)
        predictions = demo / "results" / "first" / "predictions.jsonl"
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if predictions.exists() and predictions.read_text().count("\n") >= 1:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.05)
        proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL, "the run ended before it was killed"
        assert read_json(demo / "results" / "first" / "manifest.json")["status"] == "running"
        killed_with = len(read_jsonl(predictions))
        assert killed_with < 3

        resumed = harness("run", "--resume", "results/first", cwd=demo)
        assert f"documents requested in this invocation: {3 - killed_with}" in resumed.stdout
        harness("run", "--base-url", server.base_url, "--model", "scripted", "--run-id",
                "second", "--temperature", "0.7", cwd=demo)  # fmt: skip
        # Outside any project (no ./prompts): the prompts installed with the package.
        harness("run", "--base-url", server.base_url, "--model", "scripted", "--run-id",
                "outside", "--docs", "demo/seeds", "--gold", "demo/gold", cwd=home)  # fmt: skip
    outside = read_json(home / "results" / "outside" / "manifest.json")["prompts_dir"]
    assert outside.startswith(str(tmp_path / "install" / "venv")), outside
    manifest = read_json(demo / "results" / "first" / "manifest.json")
    assert manifest["status"] == "completed" and manifest["endpoint"]["concurrency"] == 1
    assert read_json(demo / "results" / "first" / "metrics.json")["n_docs"] == 3

    compared = harness("compare", "results/first", "results/second", cwd=demo)
    assert "attributed_f1" in compared.stdout
    harness("export", "results/first", "--format", "parquet", "-o", "first.parquet", cwd=demo)
    rows = datasets.Dataset.from_parquet(str(demo / "first.parquet")).to_list()
    assert sorted(row["doc_id"] for row in rows) == sorted(
        p.stem for p in (demo / "seeds").glob("*.txt")
    )
    assert not os.path.exists(REPO / "build")  # the checkout was not built in
