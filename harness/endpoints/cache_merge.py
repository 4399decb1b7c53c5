"""`harness cache merge`: node-local response caches combined into one.

On a cluster each node keeps its cache on local disk (SQLite's locking is unsafe on a
network file system, see `netfs.py`); afterwards the caches are merged so a later run, on
any node, sends nothing for an answer some node already has. Each source is attached
read-only to the destination's connection and copied in one transaction; for a key both
hold, the newer answer wins (a TTL judges answers by age, so the newest is the one to keep)
and the larger hit count is kept, so merging the same source twice changes nothing.
A source that is not a readable cache (corrupt, not SQLite, no `responses` table) is
reported in one line and skipped; the others are still merged.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from harness.endpoints.cache import CacheUnavailable, ResponseCache

__all__ = ["MergeReport", "merge_caches"]

_FILE = "responses.sqlite"
_UPSERT = """
INSERT INTO main.responses (key, kind, parts, result, created, hits)
SELECT key, kind, parts, result, created, hits FROM src.responses WHERE true
ON CONFLICT(key) DO UPDATE SET
  kind = excluded.kind, parts = excluded.parts, result = excluded.result,
  created = excluded.created, hits = max(hits, excluded.hits)
WHERE excluded.created > main.responses.created
   OR (excluded.created = main.responses.created AND excluded.hits > main.responses.hits)
"""


@dataclass
class MergeReport:
    into: Path
    merged: dict[Path, int] = field(default_factory=dict)  # source -> rows it added or renewed
    skipped: dict[Path, str] = field(default_factory=dict)  # source -> why


def _source_file(source: Path) -> Path:
    """A cache folder (holding responses.sqlite) or the SQLite file itself."""
    return source / _FILE if source.is_dir() else source


def _merge_one(db: sqlite3.Connection, path: Path) -> int:
    db.execute("ATTACH DATABASE ? AS src", (path.as_uri() + "?mode=ro",))
    try:
        check = db.execute("PRAGMA src.quick_check").fetchone()[0]
        if check != "ok":
            raise sqlite3.DatabaseError(f"quick_check: {check}")
        before = db.total_changes
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(_UPSERT)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return db.total_changes - before
    finally:
        db.execute("DETACH DATABASE src")


def merge_caches(sources: list[Path], into: Path) -> MergeReport:
    """Merge every source cache into the cache folder `into` (created if missing)."""
    ResponseCache(into).close()  # creates (or repairs) the destination and its table
    target = (into / _FILE).resolve()
    report = MergeReport(into / _FILE)
    db = sqlite3.connect(target.as_uri(), timeout=30, isolation_level=None, uri=True)
    db.execute("PRAGMA journal_mode=WAL")
    try:
        for source in sources:
            path = _source_file(source)
            if not path.is_file():
                report.skipped[source] = "no response cache there"
            elif path.resolve() == target:
                report.skipped[source] = "it is the destination"
            else:
                try:
                    report.merged[source] = _merge_one(db, path.resolve())
                except sqlite3.Error as exc:
                    report.skipped[source] = f"not a readable response cache ({exc})"
    except sqlite3.Error as exc:
        raise CacheUnavailable(f"{target}: cannot merge into it: {exc}") from exc
    finally:
        db.close()
    return report
