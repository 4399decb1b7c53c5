"""Issue 17: the CLI is a thin layer over the public API.

`harness --help` and `harness run --help` load neither numpy, scipy nor the openai SDK's
types; every error a user can cause is one line with its exit code; the run command's
options all land in one `RunRequest`.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from harness.request import CacheOptions, CorpusOptions, RunRequest, SamplingOptions
from tests.conftest import HARNESS, REPO, cli_env

PROBE = """
import sys
sys.argv = ["harness", *sys.argv[1:]]
from harness.cli import main
try:
    main()
except SystemExit:
    pass
heavy = {
    m for m in sys.modules for h in ("numpy", "scipy", "openai.types")
    if m == h or m.startswith(h + ".")
}
print("HEAVY:" + ",".join(sorted(heavy)), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["sweep", "--help"]])
def test_help_is_import_light(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=REPO,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Usage: harness" in done.stdout, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "HEAVY:", done.stderr


def test_polnear_import_of_an_empty_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = subprocess.run(
        [*HARNESS, "import", "polnear", str(tmp_path / "empty"), str(tmp_path / "out")],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(f"error: {tmp_path / 'empty'}: expected text/ and attributions/")
    assert not (tmp_path / "out").exists()


def test_every_run_option_lands_in_the_request() -> None:
    from harness.cli.run import run_command

    parsed = run_command.make_context("run", ["--all", "--seed", "3", "--no-cache"]).params
    parsed.pop("quiet")
    request = RunRequest.from_options(parsed)
    assert request.corpus.all_docs and request.sampling.seed == 3 and request.cache.no_cache
    expected = RunRequest(
        corpus=CorpusOptions(all_docs=True),
        sampling=SamplingOptions(seed=3),
        cache=CacheOptions(no_cache=True),
    )
    assert request == expected  # the CLI's defaults are the request's
    with pytest.raises(TypeError, match="options without a group: stray"):
        RunRequest.from_options({"stray": 1})


def test_cli_reference_matches_help() -> None:
    """docs/cli.md is generated from --help; regenerate it with
    `python scripts/gen_cli_docs.py > docs/cli.md` after changing an option."""
    spec = importlib.util.spec_from_file_location("gen_cli_docs", REPO / "scripts/gen_cli_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == module.render(), "docs/cli.md is stale: run scripts/gen_cli_docs.py"
