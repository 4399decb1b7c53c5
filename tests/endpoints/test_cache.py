"""The response cache: identical re-runs make zero requests; any key part re-requests."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
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


def _age_answers(cache_dir: Path, days: float, kind: str | None = None) -> None:
    """Make the stored answers (of `kind`, or all) look `days` older than they are."""
    with sqlite3.connect(cache_dir / "responses.sqlite") as db:
        where, args = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        db.execute(f"UPDATE responses SET created = created - {days * 86400} {where}", args)


def test_cache_ttl_requests_stale_answers_again_and_replaces_them(
    corpus: Corpus,
    run_cli: RunCli,
    scripted_server: Callable[..., ScriptedServer],
    tmp_path: Path,
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    n, cache = len(corpus.documents), ["--cache-dir", str(tmp_path / "c")]
    _run(run_cli, server, "fresh", *cache)
    assert len(server.requests) == 1 + n
    _age_answers(tmp_path / "c", days=10, kind="response")  # the answers, not the probe
    _run(run_cli, server, "month", *cache, "--cache-ttl", "30d")  # 10 days < 30: reused
    assert len(server.requests) == 1 + n
    stats = run_cli("cache", "stats", *cache, "--cache-ttl", "7d")
    hint = "delete them: harness cache prune --older-than 7d"
    assert f"stale (older than 7d): {n} of {n + 1}; {hint}" in stats.stdout, stats.stdout
    assert "oldest answer: 10d 0h ago" in stats.stdout
    week = _run(run_cli, server, "week", *cache, "--cache-ttl", "7d")
    assert len(server.requests) == 1 + 2 * n  # every stale answer asked again, once
    tokens = week["tokens"]
    assert isinstance(tokens, dict) and tokens["cached"] == 0
    _run(run_cli, server, "again", *cache, "--cache-ttl", "7d")  # replaced: fresh now
    assert len(server.requests) == 1 + 2 * n
    after = run_cli("cache", "stats", *cache, "--cache-ttl", "7d")
    assert f"stale (older than 7d): 0 of {n + 1}\n" in after.stdout, after.stdout


def test_prune_deletes_only_old_answers_and_bad_durations_are_one_line(
    corpus: Corpus,
    run_cli: RunCli,
    scripted_server: Callable[..., ScriptedServer],
    tmp_path: Path,
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    n, cache = len(corpus.documents), ["--cache-dir", str(tmp_path / "c")]
    _run(run_cli, server, "r", *cache)
    _age_answers(tmp_path / "c", days=40, kind="probe")
    pruned = run_cli("cache", "prune", *cache, "--older-than", "30d")
    assert pruned.returncode == 0 and "removed 1 entries older than 30d" in pruned.stdout
    stats = run_cli("cache", "stats", *cache)
    assert f"responses: {n}" in stats.stdout and "probes: 0" in stats.stdout
    for bad in ("soon", "0", "-3d"):
        refused = run_cli("cache", "prune", *cache, "--older-than", bad)
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
        assert "--older-than" in refused.stderr, refused.stderr
    refused = run_cli.run_against(server.base_url, "x", "--cache-ttl", "7 days")
    assert refused.returncode == 2 and "--cache-ttl" in refused.stderr
    assert len(server.requests) == 1 + n  # nothing was sent for a refused option
