"""Issue 17: `harness run` and `harness sweep` share one engine path.

The checks here are about that path's edges: the threshold a sweep asks for is the one
its cells are scored with, and manifests written before the typed manifest still read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from harness.endpoints.settings import SamplingParams
from harness.errors import UserInputError
from harness.fakes import ChatRequest, GoldAnswerer, Reply, Script, ScriptedServer
from harness.runs import RunFolder, SweepFolder
from harness.runs.manifest import SCHEMA_VERSION
from harness.scoring.document import ScoringConfig
from tests.conftest import REPO, Corpus, RunCli, read_json, read_jsonl


def _sweep(corpus: Corpus, tmp_path: Path, base_url: str, **changes: object) -> Path:
    data = {
        "name": "edges",
        "docs": str(corpus.docs),
        "gold": str(corpus.gold),
        "prompts_dir": str(REPO / "prompts"),
        "results": str(corpus.results),
        "endpoints": {"a": {"base_url": base_url, "model": "m"}},
        "prompts": ["extract@v2"],
        "models": ["a"],
        **changes,
    }
    path = tmp_path / "edges.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_sweep_threshold_zero_is_kept(
    corpus: Corpus,
    run_cli: RunCli,
    scripted_server: Callable[[GoldAnswerer], ScriptedServer],
    tmp_path: Path,
) -> None:
    """`threshold: 0` used to become 0.5 (a truthiness test); 0 is a threshold too."""
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    path = _sweep(corpus, tmp_path, server.base_url, threshold=0)
    done = run_cli("sweep", str(path), "--quiet")
    assert done.returncode == 0, done.stderr
    (cell,) = SweepFolder.cells_under(corpus.results)  # the one place that knows the layout
    assert cell.parent.parent == SweepFolder.of(corpus.results, "edges").path
    assert read_json(cell / "manifest.json")["scoring"]["match_threshold"] == 0.0


LEGACY = REPO / "tests" / "data" / "engine_fixture" / "legacy" / "manifest.json"


def _legacy_folder(tmp_path: Path, **changes: object) -> RunFolder:
    data = {**read_json(LEGACY), **changes}
    folder = tmp_path / "legacy"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    return RunFolder.open(folder)


def test_a_manifest_written_before_versions_still_reads(tmp_path: Path) -> None:
    """manifest.json as the code before issue 17 wrote it (no schema_version, dicts)."""
    local = {"path": "/m.gguf", "sha256": "ab" * 32, "server": "llama-cpp-python 0.3.16",
             "n_ctx": "8192", "log": "server.log"}  # fmt: skip
    folder = _legacy_folder(tmp_path, local_model=local)
    manifest = folder.read_manifest()
    assert manifest.schema_version == 1
    assert manifest.params == SamplingParams(max_tokens=2048, seed=3)
    assert manifest.scoring == ScoringConfig()
    assert manifest.endpoint.concurrency == 4 and manifest.endpoint.identity is None
    assert manifest.cache is not None and manifest.cache.misses == 4
    assert manifest.local_model is not None and manifest.local_model.n_ctx == 8192
    assert manifest.tokens.requests == 3 and manifest.output_mode_probe[0].accepted

    folder.write_manifest(manifest)  # written back in the current format
    written = read_json(folder.path / "manifest.json")
    assert written["schema_version"] == SCHEMA_VERSION
    added = {"schema_version", "prompts_dir", "forced_output_mode"}  # keys added since
    assert set(written) - added == set(read_json(LEGACY)), "the keys stay flat"
    assert written["prompts_dir"] is None and written["forced_output_mode"] is None
    assert folder.read_manifest() == manifest.model_copy(update={"schema_version": 2})


def test_a_manifest_from_a_newer_harness_is_refused_in_one_line(tmp_path: Path) -> None:
    folder = _legacy_folder(tmp_path, schema_version=SCHEMA_VERSION + 1)
    with pytest.raises(UserInputError, match=r"manifest\.json: unreadable manifest") as caught:
        folder.read_manifest()
    assert "$.schema_version" in str(caught.value) and "\n" not in str(caught.value)


def test_a_capability_error_steps_down_only_its_own_request(
    corpus: Corpus, run_cli: RunCli, scripted_server: Callable[[Script], ScriptedServer]
) -> None:
    """The rung a request settles on is its own: a document whose json_schema request is
    refused is answered in json_object, and the documents after it still get json_schema."""
    answerer = GoldAnswerer(corpus.documents, corpus.gold_docs)
    odd = corpus.documents[0].id

    def script(request: ChatRequest) -> Reply:
        if request.response_format == "json_schema" and answerer.doc_id_for(request) == odd:
            return Reply(status=400, error_message="json_schema: too complex")
        return answerer(request)

    server = scripted_server(script)
    done = run_cli.run_against(server.base_url, "ladder", "--concurrency", "1")
    assert done.returncode == 0, done.stderr
    run = corpus.results / "ladder"
    modes = {r["doc_id"]: r["mode"] for r in read_jsonl(run / "predictions.jsonl")}
    assert modes == {
        d.id: "json_object" if d.id == odd else "json_schema" for d in corpus.documents
    }
    odd_record = next(r for r in read_jsonl(run / "predictions.jsonl") if r["doc_id"] == odd)
    assert [a["mode"] for a in odd_record["attempts"]] == ["json_object"]
    assert read_json(run / "manifest.json")["output_mode"] == "json_object"  # lowest rung used
    assert read_json(run / "metrics.json")["metrics"]["claim_f1"]["value"] == 1.0
