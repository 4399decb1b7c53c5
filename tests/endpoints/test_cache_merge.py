"""`harness cache merge`: node-local caches combined (newest wins, corrupt sources skipped,
idempotent), and the warning for a cache folder on a network file system."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.endpoints import netfs
from harness.endpoints.cache import CacheKey, ResponseCache, open_cache
from harness.endpoints.cache_merge import merge_caches
from harness.fakes import GoldAnswerer, ScriptedServer
from tests.conftest import REPO, Corpus, run_harness

Start = Callable[..., ScriptedServer]


def write_sweep(corpus: Corpus, path: Path, server: ScriptedServer, prompts: list[str]) -> Path:
    data: dict[str, Any] = {
        "name": "grid",
        "docs": str(corpus.docs),
        "gold": str(corpus.gold),
        "prompts_dir": str(REPO / "prompts"),
        "results": str(path.parent / "results"),
        "endpoints": {"a": {"base_url": server.base_url, "model": "model-a"}},
        "prompts": prompts,
        "models": ["a"],
        "params": {"temperature": [0.0, 0.3], "max_tokens": 256},
    }
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def rows(folder: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(folder / "responses.sqlite") as db:
        return db.execute(
            "SELECT key, result, created, hits FROM responses ORDER BY key"
        ).fetchall()


def test_node_local_caches_merged_answer_a_later_sweep_without_requests(
    corpus: Corpus, tmp_path: Path, scripted_server: Start
) -> None:
    server = scripted_server(GoldAnswerer(corpus.documents, corpus.gold_docs))
    # Two "nodes", each with its own cache and half of the grid (one prompt each: a hash split
    # of a few cells may leave a part empty).
    for node, prompt in (("node0", "extract@v1"), ("node1", "extract@v2")):
        sweep = write_sweep(corpus, tmp_path / f"{node}-work" / "sweep.yaml", server, [prompt])
        cache = str(tmp_path / node)
        result = run_harness(tmp_path, "sweep", str(sweep), "--quiet", "--cache-dir", cache)
        assert result.returncode == 0, result.stderr
    sent = len(server.requests)
    garbage = tmp_path / "broken" / "responses.sqlite"
    garbage.parent.mkdir()
    garbage.write_bytes(b"this is not a database" * 100)

    merged = tmp_path / "merged"
    result = run_harness(
        tmp_path,
        "cache",
        "merge",
        str(tmp_path / "node0"),
        str(tmp_path / "broken"),
        str(tmp_path / "node1"),
        "--into",
        str(merged),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert (
        f"warning: {tmp_path / 'broken'}: skipped: not a readable response cache" in result.stderr
    )
    assert f"merged 2 of 3 caches into {merged / 'responses.sqlite'}" in result.stdout
    union = sorted({*rows(tmp_path / "node0"), *rows(tmp_path / "node1")})
    assert [r[0] for r in rows(merged)] == sorted({r[0] for r in union})

    # Idempotent: merging the same sources again changes no row.
    before = rows(merged)
    again = run_harness(
        tmp_path,
        "cache",
        "merge",
        str(tmp_path / "node0"),
        str(tmp_path / "node1"),
        "--into",
        str(merged),
    )
    assert again.returncode == 0, again.stderr
    assert "0 entries added or renewed" in again.stdout
    assert rows(merged) == before

    # The whole sweep again, elsewhere, on the merged cache: nothing sent.
    both = ["extract@v1", "extract@v2"]
    fresh = write_sweep(corpus, tmp_path / "later" / "sweep.yaml", server, both)
    result = run_harness(tmp_path, "sweep", str(fresh), "--quiet", "--cache-dir", str(merged))
    assert result.returncode == 0, result.stderr
    assert "0 sent to an endpoint" in result.stdout
    assert len(server.requests) == sent


def put(folder: Path, key: CacheKey, result: str, created: float) -> None:
    cache = ResponseCache(folder)
    cache.put(key, result)
    cache.close()
    with sqlite3.connect(folder / "responses.sqlite") as db:
        db.execute("UPDATE responses SET created = ? WHERE key = ?", (created, key.digest))


def test_the_newest_answer_wins_whichever_order(tmp_path: Path) -> None:
    key = CacheKey.build("chat", model="m", messages=[{"role": "user", "content": "x"}])
    put(tmp_path / "old", key, '{"answer": "old"}', created=1000.0)
    put(tmp_path / "new", key, '{"answer": "new"}', created=2000.0)
    for order in (["old", "new"], ["new", "old"]):
        into = tmp_path / f"into-{order[0]}"
        report = merge_caches([tmp_path / name for name in order], into)
        assert not report.skipped
        assert [r[1:3] for r in rows(into)] == [('{"answer": "new"}', 2000.0)]


def test_sources_that_are_not_caches_are_skipped_with_a_reason(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    report = merge_caches([tmp_path / "missing", other, tmp_path / "into"], tmp_path / "into")
    assert report.skipped[tmp_path / "missing"] == "no response cache there"
    assert "no such table: src.responses" in report.skipped[other]
    assert report.skipped[tmp_path / "into"] == "it is the destination"
    result = run_harness(tmp_path, "cache", "merge", str(other), "--into", str(tmp_path / "x"))
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == "error: SRC: none of the 1 sources is a readable cache"


MOUNTS = """\
sysfs /sys sysfs rw 0 0
/dev/sda1 / ext4 rw,relatime 0 0
server:/export /mnt/shared nfs4 rw,vers=4.2 0 0
//nas/share /mnt/my\\040share cifs rw 0 0
/dev/sdb1 /mnt/shared/local ext4 rw 0 0
"""


@pytest.mark.parametrize(
    ("folder", "kind"),
    [
        ("/mnt/shared/cache", "nfs4"),
        ("/mnt/shared", "nfs4"),
        ("/mnt/my share/c", "cifs"),
        ("/mnt/shared/local/cache", None),  # a local disk mounted inside the NFS tree
        ("/mnt/sharedx/cache", None),
        ("/home/me/.cache", None),
    ],
)
def test_network_file_systems_are_recognised(folder: str, kind: str | None, tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(MOUNTS, encoding="utf-8")
    assert netfs.network_fs(Path(folder), mounts) == kind


def test_a_cache_on_nfs_warns_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(f"server:/export {tmp_path} nfs rw 0 0\n", encoding="utf-8")
    monkeypatch.setattr(netfs, "_MOUNTS", mounts)
    netfs.warn_if_network_fs.cache_clear()
    with caplog.at_level(logging.WARNING, logger="harness.endpoints.cache"):
        for _ in range(2):
            cache = open_cache(tmp_path / "cache")
            assert cache is not None  # a warning, not a refusal
            cache.close()
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        f"warning: response cache {tmp_path / 'cache'} is on a network file system (nfs), "
        "where SQLite's locking is unsafe; use a node-local --cache-dir and `harness cache merge`"
    ]
    netfs.warn_if_network_fs.cache_clear()
