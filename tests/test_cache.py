"""The response cache: identical re-runs make zero requests; any key part re-requests."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.endpoints.cache import CacheKey, ResponseCache
from harness.fakes import GoldAnswerer, ScriptedServer
from tests.conftest import Corpus, RunCli


def _run(run_cli: RunCli, server: ScriptedServer, run_id: str, *extra: str) -> dict[str, object]:
    done = run_cli.run_against(server.base_url, run_id, *extra)
    assert done.returncode == 0, done.stderr
    manifest_path = run_cli.corpus.results / run_id / "manifest.json"
    manifest: dict[str, object] = json.loads(manifest_path.read_text())
    return manifest


def test_identical_rerun_makes_no_requests_and_scores_the_same(
    corpus: Corpus, run_cli: RunCli, scripted_server: Callable[..., ScriptedServer]
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    _run(run_cli, server, "first")
    first_requests = len(server.requests)
    assert first_requests == 1 + len(corpus.documents)  # probe + one per document
    second = _run(run_cli, server, "second")
    assert len(server.requests) == first_requests  # nothing new reached the server
    summary = run_cli("show", str(corpus.results / "second")).stdout
    assert f"(0 HTTP attempts, {len(corpus.documents)} served from cache)" in " ".join(
        summary.split()
    ), summary
    tokens = second["tokens"]
    assert isinstance(tokens, dict)
    assert tokens["cached"] == len(corpus.documents) and tokens["http_attempts"] == 0
    metrics = [
        json.loads((corpus.results / r / "metrics.json").read_text()) for r in ("first", "second")
    ]
    assert metrics[0]["metrics"] == metrics[1]["metrics"]


def test_changed_temperature_rerequests_every_document_once(
    corpus: Corpus, run_cli: RunCli, scripted_server: Callable[..., ScriptedServer]
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    _run(run_cli, server, "t0")
    before = len(server.requests)
    _run(run_cli, server, "t1", "--temperature", "0.5")
    # The probe is per endpoint (cached); every document is asked again, once.
    assert len(server.requests) - before == len(corpus.documents)
    _run(run_cli, server, "t1-again", "--temperature", "0.5")
    assert len(server.requests) - before == len(corpus.documents)


def test_two_endpoints_never_share_answers(
    corpus: Corpus, run_cli: RunCli, scripted_server: Callable[..., ScriptedServer]
) -> None:
    first = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    second = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs, behaviour="empty"))
    _run(run_cli, first, "a")
    _run(run_cli, second, "b")
    assert len(second.requests) == 1 + len(corpus.documents)
    recall = json.loads((corpus.results / "b" / "metrics.json").read_text())
    assert recall["metrics"]["claim_recall"]["value"] == 0.0  # its own answers, not a's


def test_no_cache_and_explain(
    corpus: Corpus, run_cli: RunCli, scripted_server: Callable[..., ScriptedServer]
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    _run(run_cli, server, "x")
    before = len(server.requests)
    _run(run_cli, server, "y", "--no-cache")
    assert len(server.requests) - before == 1 + len(corpus.documents)
    doc_id = corpus.documents[0].id
    explained = run_cli("cache", "explain", str(corpus.results / "x"), doc_id)
    assert explained.returncode == 0, explained.stderr
    for part in (
        "base_url:",
        "model: m",
        "server_model:",
        "messages_sha256:",
        "mode:",
        "schema_sha256:",
        "params:",
        "repeat: 0",
    ):
        assert part in explained.stdout, part
    stats = run_cli("cache", "stats")
    assert f"responses: {len(corpus.documents)}" in stats.stdout, stats.stdout
    cleared = run_cli("cache", "clear")
    assert cleared.returncode == 0 and "removed" in cleared.stdout


def test_cache_dir_flag_is_honoured(
    corpus: Corpus,
    run_cli: RunCli,
    scripted_server: Callable[..., ScriptedServer],
    tmp_path: Path,
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    _run(run_cli, server, "c", "--cache-dir", str(tmp_path / "elsewhere"))
    assert (tmp_path / "elsewhere" / "responses.sqlite").exists()


def test_cache_corrupted_mid_run_is_set_aside_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = ResponseCache(tmp_path)
    keys = [CacheKey.build("response", n=n) for n in range(300)]
    for key in keys:
        cache.put(key, "x" * 4000)
    cache.close()
    with (tmp_path / "responses.sqlite").open("r+b") as db:  # pages torn, header intact
        db.seek(64 * 1024)
        db.write(os.urandom(512 * 1024))
    cache = ResponseCache(tmp_path)
    with caplog.at_level(logging.WARNING, logger="harness.endpoints.cache"):
        answers = [cache.get(key) for key in keys]  # never raises
    assert None in answers and cache.misses >= 1
    (warning,) = caplog.messages
    assert warning.startswith("warning: response cache ") and "is corrupt" in warning
    assert len(list(tmp_path.glob("responses.sqlite.corrupt-*"))) == 1
    cache.put(keys[0], "fresh")  # the rebuilt cache works
    assert cache.get(keys[0]) == "fresh"
    cache.close()
