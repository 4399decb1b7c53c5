"""SQLite response cache: re-running an identical evaluation makes no model requests.

The key covers everything that can change an answer: base URL, requested model, the model
id the server reported (from the probe), the rendered messages, output mode, schema hash,
sampling parameters (seed included) and the repeat index. Two endpoints never share
answers, and changing any part re-requests exactly the affected calls. Only complete HTTP
200 answers are stored (a truncated or invalid answer is still the model's answer).
`explain` shows a key's parts, so a surprising miss can be diagnosed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

__all__ = ["CACHE_DIR_ENV", "CacheKey", "CacheStats", "ResponseCache", "default_cache_dir"]

CACHE_DIR_ENV = "CLAIM_HARNESS_CACHE_DIR"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
  key TEXT PRIMARY KEY, kind TEXT NOT NULL, parts TEXT NOT NULL, result TEXT NOT NULL,
  created REAL NOT NULL, hits INTEGER NOT NULL DEFAULT 0
);
"""


def default_cache_dir() -> Path:
    """`$CLAIM_HARNESS_CACHE_DIR`, else the platform's user cache directory."""
    override = os.environ.get(CACHE_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_cache_dir("claim-harness"))


@dataclass(frozen=True)
class CacheKey:
    """A key and the parts it was built from (messages stored as their hash)."""

    digest: str
    parts: dict[str, Any]

    @classmethod
    def build(cls, kind: str, **parts: Any) -> CacheKey:
        canonical = json.dumps({"kind": kind, **parts}, sort_keys=True, ensure_ascii=False)
        shown = dict(parts)
        if "messages" in shown:
            messages = json.dumps(shown.pop("messages"), sort_keys=True, ensure_ascii=False)
            shown["messages_sha256"] = hashlib.sha256(messages.encode()).hexdigest()
            shown["messages_chars"] = len(messages)
        return cls(hashlib.sha256(canonical.encode()).hexdigest(), {"kind": kind, **shown})


@dataclass(frozen=True)
class CacheStats:
    path: Path
    entries: int
    probes: int
    hits: int
    size_bytes: int


class ResponseCache:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "responses.sqlite"
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)
        self.hits = 0
        self.misses = 0

    def get(self, key: CacheKey) -> str | None:
        row = self._db.execute(
            "SELECT result FROM responses WHERE key = ?", (key.digest,)
        ).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        self._db.execute("UPDATE responses SET hits = hits + 1 WHERE key = ?", (key.digest,))
        return str(row[0])

    def put(self, key: CacheKey, result: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO responses (key, kind, parts, result, created) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                key.digest,
                key.parts["kind"],
                json.dumps(key.parts, sort_keys=True),
                result,
                time.time(),
            ),
        )

    def parts(self, digest: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT parts FROM responses WHERE key = ?", (digest,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def stats(self) -> CacheStats:
        entries, probes, hits = self._db.execute(
            "SELECT COUNT(*), SUM(kind = 'probe'), COALESCE(SUM(hits), 0) FROM responses"
        ).fetchone()
        return CacheStats(
            self.path, int(entries), int(probes or 0), int(hits), self.path.stat().st_size
        )

    def clear(self, kind: str | None = None) -> int:
        if kind is None:
            cursor = self._db.execute("DELETE FROM responses")
        else:
            cursor = self._db.execute("DELETE FROM responses WHERE kind = ?", (kind,))
        return cursor.rowcount

    def close(self) -> None:
        self._db.close()
