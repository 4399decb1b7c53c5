"""fsync of an append-only file on a thread of its own, at most one at a time.

A run appends every finished document to predictions.jsonl from the event loop; an fsync
takes 5-40 ms on a busy disk, and on the loop it stalls every request in flight (at 200 ms
server latency, one a second cost a run ~2-4% of its throughput). The loop only flushes
(enough to survive kill -9); one long-lived thread makes the data durable against power
loss (starting a thread per fsync would make the loop wait for each thread to start), and
an fsync error is raised by the next `start` or by `finish`, so it is never lost.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

__all__ = ["BackgroundSync", "write_atomic"]


class BackgroundSync:
    """fsyncs `fd` in the background; `finish` waits for the last one (before closing fd)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._thread: ThreadPoolExecutor | None = None
        self._running: Future[None] | None = None

    def start(self) -> None:
        """Begin an fsync unless one is still running (the next one will cover this data)."""
        if self._running is not None:
            if not self._running.done():
                return
            self._raise_error()
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="harness-fsync")
        self._running = self._thread.submit(os.fsync, self.fd)

    def finish(self) -> None:
        """Wait for a running fsync and stop the thread; an fsync's error is raised here."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None
        if self._running is not None:
            self._raise_error()

    def _raise_error(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            running.result()  # raises the fsync's OSError


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; run folders are meant to be shared
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(path)  # the error names the file the user knows
        raise
