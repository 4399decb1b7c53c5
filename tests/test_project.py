"""Issue 16 items 2 and 4: a project of one's own (`harness init`), the packaged prompts
used outside any project, and gold that covers none (or only some) of the documents."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.corpus import load_documents, load_gold
from harness.errors import UserInputError
from harness.fakes import GoldAnswerer, ScriptedServer
from harness.project import PROJECT_DATA, init_project
from harness.prompts import PACKAGED_PROMPTS
from tests.conftest import HARNESS, REPO, cli_env, read_json


def harness_in(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI run from `cwd`, with no option the caller did not give."""
    return subprocess.run(
        [*HARNESS, *args], cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=120
    )


def gold_server(docs: Path, gold: Path) -> ScriptedServer:
    documents = load_documents(docs)
    return ScriptedServer(GoldAnswerer(documents, load_gold(gold, documents)))


def test_init_writes_a_project_that_harness_run_evaluates(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    made = harness_in(tmp_path, "init", "demo")
    assert made.returncode == 0, made.stderr
    assert (demo / "prompts" / "extract" / "v2" / "user.j2").is_file()
    assert len((demo / "README.md").read_text().splitlines()) == 5
    assert "CC BY 2.5" in (demo / "seeds" / "ATTRIBUTION.md").read_text()
    with gold_server(demo / "seeds", demo / "gold") as server:
        ran = harness_in(demo, "run", "--base-url", server.base_url, "--model", "scripted")
        assert ran.returncode == 0, ran.stderr
        dry = harness_in(demo, "sweep", "sweep.yaml", "--dry-run")
        assert dry.returncode == 0, dry.stderr
    (run,) = (demo / "results").iterdir()
    manifest = read_json(run / "manifest.json")
    assert manifest["n_documents"] == manifest["n_gold_documents"] == 3
    assert manifest["prompts_dir"] == str((demo / "prompts").resolve())  # the project's copy
    assert read_json(run / "metrics.json")["metrics"]["attributed_f1"]["value"] == 1.0


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserInputError, match="not empty"):
        init_project(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    refused = harness_in(tmp_path, "init", ".")
    assert refused.returncode == 2 and "not empty" in refused.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_example_documents_are_the_repository_seeds_byte_for_byte() -> None:
    """The package's three examples must not drift from the corpus they come from."""
    copies = [*PROJECT_DATA.glob("seeds/*_*"), *PROJECT_DATA.glob("gold/*.json")]
    assert len(copies) == 9
    for path in copies:
        assert path.read_bytes() == (REPO / path.parent.name / path.name).read_bytes(), path
    assert (REPO / "prompts").resolve() == PACKAGED_PROMPTS.resolve()  # one copy of prompts


def test_packaged_prompts_serve_a_run_outside_any_project(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    docs, gold = tmp_path / "docs", tmp_path / "gold"
    shutil.copytree(PROJECT_DATA / "seeds", docs)
    shutil.copytree(PROJECT_DATA / "gold", gold)
    with gold_server(docs, gold) as server:
        args = ("--base-url", server.base_url, "--model", "m", "--docs", str(docs))
        ran = harness_in(elsewhere, "run", *args, "--gold", str(gold), "--quiet")
    assert ran.returncode == 0, ran.stderr
    (run,) = (elsewhere / "results").iterdir()
    assert read_json(run / "manifest.json")["prompts_dir"] == str(PACKAGED_PROMPTS.resolve())


def test_gold_for_none_of_the_documents_stops_before_any_request(tmp_path: Path) -> None:
    docs, gold = tmp_path / "docs", tmp_path / "gold"
    shutil.copytree(PROJECT_DATA / "seeds", docs)
    shutil.copytree(PROJECT_DATA / "gold", gold)
    wrong = tmp_path / "wrong-gold"
    wrong.mkdir()
    with gold_server(docs, gold) as server:
        args = ("run", "--base-url", server.base_url, "--model", "m", "--docs", str(docs))
        refused = harness_in(tmp_path, *args, "--gold", str(wrong))
        assert refused.returncode == 2
        assert refused.stderr.count("\n") == 1, refused.stderr
        assert "no gold file for any of the 3 documents" in refused.stderr
        assert str(wrong) in refused.stderr
        assert server.requests == []  # not even the probe
        assert not (tmp_path / "results").exists()

        (gold / "034_0c4f34fb0a757347.json").rename(wrong / "034_0c4f34fb0a757347.json")
        partial = harness_in(tmp_path, *args, "--gold", str(gold))
    assert partial.returncode == 0, partial.stderr
    notice = f"1 of 3 documents have no gold in {gold}: their answers are kept but not scored"
    assert notice in partial.stderr
    (run,) = (tmp_path / "results").iterdir()
    assert read_json(run / "metrics.json")["n_docs"] == 2
