"""SQLite response cache: re-running an identical evaluation makes no model requests.

The key covers everything that can change an answer: base URL, requested model, the model
id the server reported (from the probe), the rendered messages, output mode, schema hash,
sampling parameters (seed included) and the repeat index. Two endpoints never share
answers, and changing any part re-requests exactly the affected calls. Only complete HTTP
200 answers are stored (a truncated or invalid answer is still the model's answer).
`explain` shows a key's parts, so a surprising miss can be diagnosed. With a TTL, an
answer older than it is not reused (it counts as stale, is requested again and replaced):
a hosted model behind a fixed name changes, and a month-old answer may no longer be its.
`prune` deletes answers older than an age; `stats` says how many are older than a TTL.

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
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from harness.endpoints.netfs import warn_if_network_fs
from harness.errors import HarnessError

__all__ = [
    "CACHE_DIR_ENV",
    "CacheKey",
    "CacheStats",
    "CacheUnavailable",
    "ResponseCache",
    "default_cache_dir",
    "open_cache",
    "parse_duration",
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


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> float:
    """`90`, `90s`, `30m`, `12h`, `7d`, `2w` -> seconds; ValueError names the accepted forms."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 90s, 30m, 12h, 7d or 2w")
    return float(match[1]) * _UNITS[match[2] or "s"]


@dataclass(frozen=True)
class CacheStats:
    path: Path
    entries: int
    probes: int
    hits: int
    size_bytes: int
    oldest: float | None  # creation time (epoch seconds) of the oldest answer
    stale: int  # answers older than the TTL asked about (0 without one)


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
    def __init__(self, directory: Path, ttl: float | None = None) -> None:
        self.path = directory / "responses.sqlite"
        self.ttl = ttl
        self.hits = 0
        self.misses = 0
        self.stale = 0  # found but older than the TTL: requested again
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
                "SELECT result, created FROM responses WHERE key = ?", (key.digest,)
            ).fetchone()
            if row is not None and self._expired(float(row[1])):
                self.stale += 1
                row = None
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

    def _expired(self, created: float) -> bool:
        return self.ttl is not None and created < time.time() - self.ttl

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
        """Counts, size, the oldest answer's time, and how many are older than the TTL."""
        cutoff = time.time() - self.ttl if self.ttl is not None else 0.0  # 0: none is stale
        entries, probes, hits, oldest, stale = self._query(
            "SELECT COUNT(*), SUM(kind = 'probe'), COALESCE(SUM(hits), 0), MIN(created), "
            "COALESCE(SUM(created < ?), 0) FROM responses",
            (cutoff,),
        ).fetchone()
        size = self.path.stat().st_size
        return CacheStats(self.path, int(entries), int(probes or 0), int(hits), size, oldest,
                          int(stale))  # fmt: skip

    def prune(self, older_than: float) -> int:
        """Delete the answers created more than `older_than` seconds ago; how many."""
        cutoff = time.time() - older_than
        cursor = self._query("DELETE FROM responses WHERE created < ?", (cutoff,))
        return cursor.rowcount

    def clear(self, kind: str | None = None) -> int:
        if kind is None:
            cursor = self._query("DELETE FROM responses")
        else:
            cursor = self._query("DELETE FROM responses WHERE kind = ?", (kind,))
        return cursor.rowcount

    def _query(self, sql: str, args: tuple[str | float, ...] = ()) -> sqlite3.Cursor:
        """For the `harness cache` commands: an error is their one-line message."""
        try:
            return self._require().execute(sql, args)
        except sqlite3.Error as exc:
            raise CacheUnavailable(f"{self.path}: {exc}") from exc

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


def open_cache(directory: Path, ttl: float | None = None) -> ResponseCache | None:
    """The cache for a run, or None (with a one-line warning) when it cannot be used: the
    cache only saves requests, so a run goes on without it rather than fail."""
    warn_if_network_fs(directory)
    try:
        return ResponseCache(directory, ttl)
    except CacheUnavailable as exc:
        _log.warning("warning: %s; running without it", exc)
        return None
