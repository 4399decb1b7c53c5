"""Errors that stop a command, each saying who must act.

`UserInputError` is the user's to fix (a file, a flag): the CLI prints its one line and
exits 2. Model and server misbehaviour is never raised this way; it is recorded as a
`Failure` with the document and the run goes on.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterable

__all__ = [
    "EndpointError",
    "HarnessError",
    "StorageError",
    "TooManyFailures",
    "UserInputError",
    "json_path",
    "storage_error",
    "valid_text",
]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """`text` with each lone UTF-16 surrogate replaced by U+FFFD. JSON may carry half an
    emoji (`"\\ud83d"`, a model cut mid-character), which decodes to a str that cannot be
    written as UTF-8; a server's text passes here before the harness stores it."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def json_path(parts: Iterable[str | int]) -> str:
    """`$.claims[3].speaker` from a validator's location (jsonschema or pydantic)."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


class HarnessError(Exception):
    """Base of the errors the CLI reports as one line."""

    exit_code = 1


class UserInputError(HarnessError):
    """A file, flag or template the user controls is wrong; the message names it."""

    exit_code = 2


class TooManyFailures(HarnessError):
    """The run finished and was saved, but too many of its documents failed for a CI to
    pass it: every one of them, or more than `--max-failure-rate`."""

    exit_code = 4


class EndpointError(HarnessError):
    """The endpoint cannot serve this run at all (unreachable, key rejected, no such model)."""

    exit_code = 3


class StorageError(HarnessError):
    """A file the harness must read or write is on a full, read-only or broken file system:
    the user's to fix, so exit 2 like any other input."""

    exit_code = 2


_ADVICE = {
    errno.ENOSPC: "the disk is full: free space, then run the command again "
    "(a stopped run: harness run --resume RUN)",
    errno.EDQUOT: "over the disk quota: free space, then run the command again",
    errno.EFBIG: "the file is over this system's size limit",
    errno.EROFS: "the file system is read-only: choose a writable folder (e.g. --results)",
    errno.EACCES: "permission denied: choose a writable folder or fix its permissions",
    errno.EPERM: "not permitted: choose a writable folder or fix its permissions",
}


def storage_error(exc: OSError) -> StorageError:
    """One line naming the file and what to do, for an OSError from the file system."""
    where = exc.filename if exc.filename is not None else "a file"
    what = _ADVICE.get(exc.errno or 0) or f"{exc.strerror or type(exc).__name__}"
    return StorageError(f"{where}: {what}")
