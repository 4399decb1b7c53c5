"""The run folder on disk: atomic JSON files and an append-only predictions log.

`predictions.jsonl` gets one line per finished document, flushed to the OS before the
next (fsynced at most once a second, off the event loop, and on close), so a crash of the
process loses at most the requests in flight, and a power loss at most the last second.
Reading (`runs.predictions`, the one reader) skips and reports a torn or unreadable line,
and a document recorded twice keeps its last readable record, so resume never duplicates.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, NamedTuple

from pydantic import BaseModel, ValidationError

from harness.claims import Document
from harness.errors import UserInputError, json_path
from harness.runs.manifest import SCHEMA_VERSION, Manifest
from harness.runs.predictions import Scan, read_at, scan
from harness.runs.records import PredictionRecord
from harness.runs.sync import BackgroundSync, write_atomic
from harness.scoring.document import DocScore
from harness.scoring.metrics import Metrics

__all__ = ["RunFolder", "ToDo", "new_run_id", "to_do", "write_atomic"]

MANIFEST, PREDICTIONS, SCORES, METRICS, SERVER_LOG = (
    "manifest.json",
    "predictions.jsonl",
    "scores.jsonl",
    "metrics.json",
    "server.log",  # a local model's server, started for this run
)


_SYNC_EVERY_S = 1.0


def new_run_id(prompt_ref: str) -> str:
    """Sortable, unique and readable: `20261125T031500-extract-v2-1a2b3c`."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{prompt_ref.replace('@', '-')}-{uuid.uuid4().hex[:6]}"


class ToDo(NamedTuple):
    recorded: int  # documents of the corpus with a record
    documents: list[Document]  # still to request
    retried: frozenset[str] = frozenset()  # of those, the ones whose record failed


def to_do(run_dir: Path, documents: list[Document], retry_failed: bool = False) -> ToDo:
    """The one rule of resume: a document is requested again only if it has no record
    (or, with `retry_failed`, a failed one); a folder without a manifest has no run yet."""
    folder = RunFolder(run_dir)
    if not folder.has_manifest():
        return ToDo(0, list(documents))
    done = folder.read_predictions(warn=False)  # scoring reports unreadable lines
    todo = [
        d
        for d in documents
        if d.id not in done or (retry_failed and done[d.id].failure is not None)
    ]
    retried = frozenset(d.id for d in todo if d.id in done)
    return ToDo(sum(d.id in done for d in documents), todo, retried)


class RunFolder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._predictions: IO[str] | None = None
        self._sync: BackgroundSync | None = None
        self._last_sync = 0.0

    @classmethod
    def create(cls, results_dir: Path, run_id: str) -> RunFolder:
        """A new run folder; one holding only a server log (started before it) is reused."""
        path = results_dir / run_id
        if (path / MANIFEST).exists() or (path / PREDICTIONS).exists():
            raise UserInputError(f"{path}: --run-id: a run with this id already exists")
        path.mkdir(parents=True, exist_ok=True)
        return cls(path)

    @classmethod
    def open(cls, run: Path) -> RunFolder:
        if not (run / MANIFEST).is_file():
            raise UserInputError(f"{run}: not a run folder (no {MANIFEST})")
        return cls(run)

    @property
    def server_log(self) -> Path:
        return self.path / SERVER_LOG

    def has_manifest(self) -> bool:
        return (self.path / MANIFEST).is_file()

    def has_metrics(self) -> bool:
        return (self.path / METRICS).is_file()

    def file(self, name: str) -> Path:
        return self.path / name

    def write_model(self, name: str, model: BaseModel) -> None:
        write_atomic(self.path / name, model.model_dump_json(indent=2) + "\n")

    def write_manifest(self, manifest: Manifest, last_resort: bool = False) -> None:
        """Always in the current format: a manifest read as an older version is typed
        like a current one, so it is written back as one. `last_resort` (a run stopping
        on an error) never raises: see `_write_manifest_in_place`."""
        current = manifest.model_copy(update={"schema_version": SCHEMA_VERSION})
        try:
            self.write_model(MANIFEST, current)
        except OSError:
            if not last_resort:
                raise
            self._write_manifest_in_place(current)

    def read_manifest(self) -> Manifest:
        path = self.path / MANIFEST
        try:
            return Manifest.model_validate_json(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UserInputError(f"{path}: unreadable manifest: {exc.strerror}") from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            where = f"{json_path(first['loc'])}: " if first["loc"] else ""
            raise UserInputError(f"{path}: unreadable manifest: {where}{first['msg']}") from exc

    def append_prediction(self, record: PredictionRecord) -> None:
        try:
            self._append(record)
        except OSError as exc:
            exc.filename = exc.filename or str(self.path / PREDICTIONS)
            raise

    def _append(self, record: PredictionRecord) -> None:
        if self._predictions is None:
            self._repair_torn_tail()
            self._predictions = (self.path / PREDICTIONS).open("a", encoding="utf-8")
            self._sync = BackgroundSync(self._predictions.fileno())
        self._predictions.write(record.model_dump_json() + "\n")
        # flush() hands the line to the OS: it survives kill -9 of this process. fsync()
        # (against power loss) is rate-limited, one per document cost more than scoring it,
        # and runs off the event loop (runs.sync).
        self._predictions.flush()
        now = time.monotonic()
        if now - self._last_sync >= _SYNC_EVERY_S and self._sync is not None:
            self._sync.start()
            self._last_sync = now

    def _repair_torn_tail(self) -> None:
        """Cut a half-written last line (left by a crash) before appending after it."""
        path = self.path / PREDICTIONS
        if not path.exists():
            return
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            with path.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)

    def close(self, quiet: bool = False) -> None:
        """Flush and sync predictions; the file is closed even when that fails (full disk).
        `quiet`: a run stopping on an error already, so a failure here is not raised."""
        handle, self._predictions = self._predictions, None
        sync, self._sync = self._sync, None
        if handle is None:
            return
        try:
            handle.flush()
            if sync is not None:
                sync.finish()  # before the file is closed: its thread syncs this descriptor
            os.fsync(handle.fileno())
        except OSError as exc:
            exc.filename = exc.filename or str(self.path / PREDICTIONS)
            if not quiet:
                raise
        finally:
            with contextlib.suppress(OSError):
                handle.close()

    def _write_manifest_in_place(self, manifest: Manifest) -> None:
        """Over the old manifest, not atomically: a full disk has no room for a second
        copy, but the old file's blocks fit the new text. Best effort: the run's error is
        being reported already."""
        data = manifest.model_dump_json(indent=2).encode() + b"\n"
        with contextlib.suppress(OSError), (self.path / MANIFEST).open("r+b") as handle:
            handle.write(data)
            handle.truncate()

    def read_predictions(self, warn: bool = True) -> dict[str, PredictionRecord]:
        """The counting record of each document (`runs.predictions`: the last readable one)."""
        return self.scan_predictions(keep_records=True, warn=warn).records

    def scan_predictions(self, keep_records: bool = False, warn: bool = True) -> Scan:
        return scan(self.path / PREDICTIONS, keep_records, warn)

    def write_scores(self, scores: list[DocScore]) -> None:
        with self.scores_writer() as write:
            for score in scores:
                write(score.model_dump_json())

    @contextmanager
    def scores_writer(self) -> Iterator[Callable[[str], None]]:
        """Stream scores to a temporary file, renamed over scores.jsonl only when complete.

        `write` takes a score as `DocScore.model_dump_json()` text: scoring workers send
        that text back, so the parent never rebuilds the models just to dump them again."""
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{SCORES}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:

                def write(score_json: str) -> None:
                    handle.write(score_json + "\n")

                yield write
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.path / SCORES)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def index_predictions(self) -> dict[str, int]:
        """Byte offset of each document's counting record: a large run reads back only
        the records a scoring batch needs, never every raw response at once."""
        return self.scan_predictions().offsets

    def read_prediction_at(self, offset: int) -> PredictionRecord:
        return read_at(self.path / PREDICTIONS, offset)

    def read_scores(self) -> list[DocScore]:
        """Every score; a torn or garbage file is one error naming the line and the fix
        (scores are computed, so `rescore` writes them again from the predictions)."""
        path, scores = self.path / SCORES, []
        try:
            for line_no, line in enumerate(_lines(path), start=1):
                try:
                    scores.append(DocScore.model_validate_json(line))
                except ValidationError as exc:
                    raise self._recompute(f"{path}:{line_no}", exc) from exc
        except OSError as exc:
            raise self._recompute(str(path), exc) from exc
        return scores

    def write_metrics(self, metrics: Metrics) -> None:
        self.write_model(METRICS, metrics)

    def read_metrics(self) -> Metrics:
        path = self.path / METRICS
        if not path.exists():
            raise UserInputError(f"{path}: the run has no metrics yet (did it finish?)")
        try:
            return Metrics.model_validate_json(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, ValidationError) as exc:
            raise self._recompute(str(path), exc) from exc

    def _recompute(self, where: str, exc: OSError | ValidationError) -> UserInputError:
        """Scores and metrics are computed from predictions.jsonl: the fix is a rescore."""
        if isinstance(exc, OSError):
            reason = exc.strerror or type(exc).__name__
        else:
            reason = exc.errors()[0]["msg"]
        return UserInputError(
            f"{where}: unreadable ({reason}); compute it again with: harness rescore {self.path}"
        )


def _lines(path: Path) -> Iterator[str]:
    if not path.exists():
        return
    # errors="replace": a line torn inside a multi-byte character fails as JSON (and is
    # skipped) instead of making the whole file unreadable.
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.strip():
                yield line
