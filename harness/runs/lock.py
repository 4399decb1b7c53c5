"""One writer per folder: an advisory `flock` on a lock file inside it.

Two `--resume` of one run at once requested every document twice and wrote duplicate lines.
The lock is the kernel's (`fcntl.flock` on `<folder>/.lock`), so it is released the moment
its holder exits however it dies (kill -9 included): a lock file left behind by a dead
process never blocks. The file holds the holder's pid, host and purpose, only so the
refusal can name them. Any folder can be held (a run folder, later a sweep cell's lease).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path
from types import TracebackType

from harness.errors import UserInputError

__all__ = ["LOCK_FILE", "FolderBusy", "FolderLock"]

LOCK_FILE = ".lock"


class FolderBusy(UserInputError):
    """Another live process holds the folder."""


class FolderLock:
    """`with FolderLock(folder, "run"):` holds `folder` or raises `FolderBusy` at once."""

    def __init__(self, folder: Path, purpose: str) -> None:
        self.folder, self.purpose = folder, purpose
        self._fd: int | None = None

    @property
    def path(self) -> Path:
        return self.folder / LOCK_FILE

    def acquire(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            busy = f"{self.folder}: in use by {self._holder()}; wait for it to finish"
            raise FolderBusy(busy) from None
        except BaseException:
            os.close(fd)
            raise
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "purpose": self.purpose}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode() + b"\n", 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def _holder(self) -> str:
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8"))
            return f"{holder['purpose']} pid {holder['pid']} on {holder['host']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "another process"

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
