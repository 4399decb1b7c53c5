"""Errors that stop a command, each saying who must act.

`UserInputError` is the user's to fix (a file, a flag): the CLI prints its one line and
exits 2. Model and server misbehaviour is never raised this way; it is recorded as a
`Failure` with the document and the run goes on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["EndpointError", "HarnessError", "UserInputError", "json_path", "valid_text"]

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


class EndpointError(HarnessError):
    """The endpoint cannot serve this run at all (unreachable, key rejected, no such model)."""

    exit_code = 3
