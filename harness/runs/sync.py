"""fsync of an append-only file on a thread of its own, at most one at a time.

A run appends every finished document to predictions.jsonl from the event loop; an fsync
takes 5-40 ms on a busy disk, and on the loop it stalls every request in flight (at 200 ms
server latency, one a second cost a run ~2-4% of its throughput). The loop only flushes
(enough to survive kill -9); this thread makes the data durable against power loss, and
an fsync error is raised by the next `start` or by `finish`, so it is never lost.
"""

from __future__ import annotations

import os
import threading

__all__ = ["BackgroundSync"]


class BackgroundSync:
    """fsyncs `fd` in the background; `finish` waits for the last one (before closing fd)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._thread: threading.Thread | None = None
        self._error: OSError | None = None

    def start(self) -> None:
        """Begin an fsync unless one is still running (the next one will cover this data)."""
        self._raise_error()
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._sync, name="harness-fsync", daemon=True)
        self._thread.start()

    def finish(self) -> None:
        """Wait for a running fsync; its error, if any, is raised here."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._raise_error()

    def _sync(self) -> None:
        try:
            os.fsync(self.fd)
        except OSError as exc:
            self._error = exc

    def _raise_error(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error
