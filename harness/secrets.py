"""API keys: read from the environment or a key file, never written anywhere.

Every string the harness writes that could echo a server's words (errors, logs) passes
through `redact`, so a key a server reflects back does not land in a run folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import UserInputError

__all__ = ["REDACTED", "read_api_key", "redact"]

REDACTED = "[REDACTED]"


def read_api_key(env_name: str = "OPENAI_API_KEY", key_file: Path | None = None) -> str | None:
    if key_file is not None:
        try:
            key = key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UserInputError(f"{key_file}: --api-key-file: {exc.strerror}") from exc
        if not key:
            raise UserInputError(f"{key_file}: --api-key-file: the file is empty")
        return key
    return os.environ.get(env_name) or None


def redact(text: str, secret: str | None) -> str:
    if secret and len(secret) >= 4:
        return text.replace(secret, REDACTED)
    return text
