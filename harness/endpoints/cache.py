"""SQLite response cache: re-running an identical evaluation makes no model requests.

The key covers everything that can change an answer: base URL, requested model, the model
id the server reported (from the probe), the rendered messages, output mode, schema hash,
sampling parameters (seed included) and the repeat index. Two endpoints never share
answers, and changing any part re-requests exactly the affected calls. Only complete HTTP
200 answers are stored (a truncated or invalid answer is still the model's answer).
`explain` shows a key's parts, so a surprising miss can be diagnosed.

The cache only saves requests, so it never stops a run: a corrupt file is set aside (renamed
`responses.sqlite.corrupt-<time>`) and rebuilt, and a cache that cannot be written (read-only
folder, full disk) is dropped for the run; each with a one-line warning on the
`harness.endpoints.cache` logger (stderr unless logging is configured).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from harness.errors import HarnessError

__all__ = [
    "CACHE_DIR_ENV",
    "CacheKey",
    "CacheStats",
    "CacheUnavailable",
    "ResponseCache",
    "default_cache_dir",
    "open_cache",
]

CACHE_DIR_ENV = "CLAIM_HARNESS_CACHE_DIR"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
  key TEXT PRIMARY KEY, kind TEXT NOT NULL, parts TEXT NOT NULL, result TEXT NOT NULL,
  created REAL NOT NULL, hits INTEGER NOT NULL DEFAULT 0
);
"""
_CORRUPT = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
_log = logging.getLogger(__name__)


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


class CacheUnavailable(HarnessError):
    """The cache folder or file cannot be used (read-only, full, not a folder)."""


def _is_corrupt(exc: sqlite3.Error) -> bool:
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _CORRUPT


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")  # reads the header: a garbage file fails here
        db.execute(_SCHEMA)
    except sqlite3.Error:
        db.close()
        raise
    return db


class ResponseCache:
    def __init__(self, directory: Path) -> None:
        self.path = directory / "responses.sqlite"
        self.hits = 0
        self.misses = 0
        try:
            directory.mkdir(parents=True, exist_ok=True)
            try:
                self._db: sqlite3.Connection | None = _connect(self.path)
            except sqlite3.DatabaseError as exc:
                if not _is_corrupt(exc):
                    raise
                self._set_aside(exc)
                self._db = _connect(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise CacheUnavailable(f"{self.path}: cannot use the response cache: {exc}") from exc

    def _set_aside(self, exc: sqlite3.Error) -> None:
        """Rename a corrupt file (and its WAL) out of the way, so a fresh one is built."""
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        for suffix in ("-wal", "-shm", ""):
            part = self.path.with_name(self.path.name + suffix)
            if part.exists():
                part.rename(aside.with_name(aside.name + suffix))
        _log.warning(
            "warning: response cache %s is corrupt (%s): set aside as %s, starting a new one",
            self.path,
            exc,
            aside.name,
        )

    def _failed(self, exc: sqlite3.Error) -> None:
        """A read or write failed mid-run: rebuild a corrupt cache, else drop it for the run."""
        if self._db is not None:
            self._db.close()
            self._db = None
        reason: Exception = exc
        if _is_corrupt(exc):
            try:
                self._set_aside(exc)
                self._db = _connect(self.path)
                return
            except (OSError, sqlite3.Error) as again:
                reason = again
        _log.warning("warning: response cache %s: %s; going on without it", self.path, reason)

    def _require(self) -> sqlite3.Connection:
        if self._db is None:
            raise CacheUnavailable(f"{self.path}: the response cache was dropped after an error")
        return self._db

    def get(self, key: CacheKey) -> str | None:
        if self._db is None:
            self.misses += 1
            return None
        try:
            row = self._db.execute(
                "SELECT result FROM responses WHERE key = ?", (key.digest,)
            ).fetchone()
            if row is not None:
                self._db.execute(
                    "UPDATE responses SET hits = hits + 1 WHERE key = ?", (key.digest,)
                )
        except sqlite3.Error as exc:
            self._failed(exc)
            row = None
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return str(row[0])

    def put(self, key: CacheKey, result: str) -> None:
        if self._db is None:
            return
        try:
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
        except sqlite3.Error as exc:
            self._failed(exc)

    def parts(self, digest: str) -> dict[str, Any] | None:
        row = self._query("SELECT parts FROM responses WHERE key = ?", (digest,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def stats(self) -> CacheStats:
        entries, probes, hits = self._query(
            "SELECT COUNT(*), SUM(kind = 'probe'), COALESCE(SUM(hits), 0) FROM responses"
        ).fetchone()
        return CacheStats(
            self.path, int(entries), int(probes or 0), int(hits), self.path.stat().st_size
        )

    def clear(self, kind: str | None = None) -> int:
        if kind is None:
            cursor = self._query("DELETE FROM responses")
        else:
            cursor = self._query("DELETE FROM responses WHERE kind = ?", (kind,))
        return cursor.rowcount

    def _query(self, sql: str, args: tuple[str, ...] = ()) -> sqlite3.Cursor:
        """For the `harness cache` commands: an error is their one-line message."""
        try:
            return self._require().execute(sql, args)
        except sqlite3.Error as exc:
            raise CacheUnavailable(f"{self.path}: {exc}") from exc

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


def open_cache(directory: Path) -> ResponseCache | None:
    """The cache for a run, or None (with a one-line warning) when it cannot be used: the
    cache only saves requests, so a run goes on without it rather than fail."""
    try:
        return ResponseCache(directory)
    except CacheUnavailable as exc:
        _log.warning("warning: %s; running without it", exc)
        return None
