"""A lease per sweep cell: which process runs it, on which host, and whether it still lives.

Processes started by a scheduler (a Slurm job array, Ray tasks, four shells) share one sweep
folder, possibly from several hosts over a shared file system, so the kernel's `flock`
(`FolderLock`) cannot be the whole rule: on NFS it may be emulated or missing, and a host
that died never releases anything. A lease is a file `leases/<cell id>.lease` in the sweep
folder, created atomically (a complete temporary file hard-linked into place: `link` fails
if the name exists, on NFS too), holding the holder's host, pid, start time and a heartbeat
that a thread refreshes while the cell runs.

A lease is stale when its pid is gone on this host, or (any host) when its heartbeat is
older than the timeout; a stale lease is taken over with a one-line warning. Every change to
an existing lease (takeover, heartbeat, release) happens while holding `FolderLock` on the
leases folder, so on one host (and across hosts where `flock` works) a takeover cannot
race another takeover or a heartbeat. A process whose lease was taken over anyway (its
heartbeat stalled past the timeout) says so in a warning; the cell's own `FolderLock`
still stops two writers on one host.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.runs.folder import write_atomic
from harness.runs.lock import FolderBusy, FolderLock

__all__ = ["DEFAULT_LEASE_TIMEOUT", "CellLease", "LeaseHolder", "stale_reason"]

DEFAULT_LEASE_TIMEOUT = 300.0  # seconds without a heartbeat before another host takes over
_log = logging.getLogger(__name__)
_HOST = socket.gethostname()


class LeaseHolder(BaseModel):
    """The content of a lease file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    host: str
    pid: int
    started: float  # epoch seconds: when the lease was taken
    heartbeat: float  # epoch seconds: last refresh
    token: str  # tells this lease from a later one of the same process

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def stale_reason(holder: LeaseHolder | None, mtime: float, timeout: float) -> str | None:
    """Why a lease may be taken over, or None while its holder may still be running.
    `holder` None is a lease file that cannot be read; its modification time stands in."""
    age = time.time() - (mtime if holder is None else holder.heartbeat)
    if holder is None:
        return f"unreadable lease written {age:.0f} s ago" if age > timeout else None
    if holder.host == _HOST and not _alive(holder.pid):
        return f"{holder.describe()} is gone"
    if age > timeout:
        return f"no heartbeat from {holder.describe()} for {age:.0f} s"
    return None


def _read(path: Path) -> tuple[LeaseHolder | None, float] | None:
    """(holder or None if unreadable, mtime); None when there is no lease."""
    try:
        mtime = path.stat().st_mtime
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        return None, time.time()
    try:
        return LeaseHolder.model_validate_json(data), mtime
    except ValidationError:
        return None, mtime


class CellLease:
    """`lease.acquire()` -> None (held: run the cell inside `lease.heartbeat()`, then
    `lease.release()`), or a note naming the live process that holds it."""

    def __init__(self, path: Path, timeout: float = DEFAULT_LEASE_TIMEOUT) -> None:
        self.path, self.timeout = path, timeout
        now = time.time()
        self.me = LeaseHolder(
            host=_HOST, pid=os.getpid(), started=now, heartbeat=now, token=uuid.uuid4().hex
        )
        self.lost: str | None = None  # who took it over while it ran

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Serialise changes to existing leases: `FolderLock` on the leases folder, waited
        for (it is held for a read and a rename, never across a cell)."""
        lock = FolderLock(self.path.parent, "cell lease change")
        while True:
            try:
                lock.acquire()
                break
            except FolderBusy:
                time.sleep(0.02)
        try:
            yield
        finally:
            lock.release()

    def acquire(self) -> str | None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{self.me.token}.tmp")
        write_atomic(tmp, self.me.model_dump_json() + "\n")
        try:
            try:
                os.link(tmp, self.path)
                return None
            except FileExistsError:
                return self._take_over(tmp)
        finally:
            tmp.unlink(missing_ok=True)

    def _take_over(self, tmp: Path) -> str | None:
        with self._guard():
            found = _read(self.path)
            while found is None:  # released meanwhile: link again (a newcomer may win)
                try:
                    os.link(tmp, self.path)
                    return None
                except FileExistsError:
                    found = _read(self.path)
            holder, mtime = found
            reason = stale_reason(holder, mtime, self.timeout)
            if reason is None:
                assert holder is not None
                return f"held by {holder.describe()}"
            os.replace(tmp, self.path)
        _log.warning("warning: %s: stale lease (%s); taken over", self.path, reason)
        return None

    def _refresh(self) -> bool:
        """Write a new heartbeat if the lease is still ours; False (and a warning) if not."""
        with self._guard():
            found = _read(self.path)
            holder = found[0] if found else None
            if holder is None or holder.token != self.me.token:
                self.lost = holder.describe() if holder else "nobody (lease removed)"
            else:
                self.me = self.me.model_copy(update={"heartbeat": time.time()})
                write_atomic(self.path, self.me.model_dump_json() + "\n")
        if self.lost is not None:
            _log.warning(
                "warning: %s: lease taken over by %s while this process ran the cell "
                "(heartbeat older than %.0f s?)",
                self.path,
                self.lost,
                self.timeout,
            )
        return self.lost is None

    @contextlib.contextmanager
    def heartbeat(self, interval: float | None = None) -> Iterator[None]:
        """Refresh the heartbeat every `interval` seconds (a tenth of the timeout) meanwhile."""
        every = interval if interval is not None else max(0.5, self.timeout / 10)
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(every):
                try:
                    if not self._refresh():
                        return
                except OSError as exc:  # a failed refresh: the next one may succeed
                    _log.warning("warning: %s: heartbeat not written: %s", self.path, exc)

        thread = threading.Thread(target=beat, name=f"lease {self.path.name}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def release(self) -> None:
        """Remove the lease if it is still ours (after a takeover it is the new holder's)."""
        with self._guard():
            found = _read(self.path)
            if found is not None and found[0] is not None and found[0].token == self.me.token:
                self.path.unlink()
