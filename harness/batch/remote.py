"""The Batch API calls, each bracketed by state writes, through the openai SDK.

Every step is recorded as started (atomically) before the call and as done after it. A
step found started but not done is first looked up on the server: the file by its unique
name and size, the batch by its input file id. Only a file upload may then be repeated
(an orphan input file costs nothing); a batch is created at most once per file that the
server lists. Batch creation is never retried by the SDK for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openai

from harness.batch.state import BatchFolder, BatchPart, BatchState
from harness.errors import EndpointError
from harness.secrets import read_api_key, redact

__all__ = ["Clients", "download", "submit_part"]

_LISTED = 1000  # batches or files looked through when recovering a lost id


@dataclass
class Clients:
    """One synchronous client per endpoint of a batch folder, with its key read at first
    use (never stored); API errors become one `EndpointError` line naming the URL."""

    state: BatchState
    _open: dict[str, tuple[openai.OpenAI, str | None]] = field(default_factory=dict)

    def __call__(self, name: str) -> openai.OpenAI:
        if name not in self._open:
            remote = self.state.endpoints[name]
            key_file = Path(remote.api_key_file) if remote.api_key_file else None
            key = read_api_key(remote.api_key_env, key_file)
            client = openai.OpenAI(base_url=remote.base_url, api_key=key or "no-key", max_retries=3)
            self._open[name] = client, key
        return self._open[name][0]

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        for client, _ in self._open.values():
            client.close()
        if isinstance(exc, openai.OpenAIError):
            keys = [key for _, key in self._open.values()]
            urls = ", ".join(sorted({r.base_url for r in self.state.endpoints.values()}))
            text = str(exc)
            for key in keys:
                text = redact(text, key)
            raise EndpointError(f"{urls}: Batch API: {text}") from exc


def _upload_name(state: BatchState, part: BatchPart) -> str:
    return f"{state.tag}-{part.file.replace('/', '-')}"


def _find_file(client: openai.OpenAI, name: str, size: int) -> str | None:
    for count, found in enumerate(client.files.list(purpose="batch")):
        if found.filename == name and found.bytes == size:
            return found.id
        if count >= _LISTED:
            break
    return None


def _find_batch(client: openai.OpenAI, input_file_id: str) -> str | None:
    for count, found in enumerate(client.batches.list(limit=100)):
        if found.input_file_id == input_file_id:
            return found.id
        if count >= _LISTED:
            break
    return None


def submit_part(
    client: openai.OpenAI,
    folder: BatchFolder,
    state: BatchState,
    part: BatchPart,
    save: Callable[[], None],
) -> None:
    """Upload `part` and create its batch, continuing from wherever a killed run stopped;
    `save` writes the state (the part is one of its objects, changed in place)."""
    name = _upload_name(state, part)
    if part.file_id is None and part.upload_started:
        part.file_id = _find_file(client, name, part.bytes)
    if part.file_id is None:
        part.upload_started = True
        save()
        content = (folder.path / part.file).read_bytes()
        part.file_id = client.files.create(file=(name, content), purpose="batch").id
        save()
    if part.batch_id is None and part.create_started:
        part.batch_id = _find_batch(client, part.file_id)
    if part.batch_id is None:
        part.create_started = True
        save()
        batch = client.with_options(max_retries=0).batches.create(
            input_file_id=part.file_id,
            endpoint="/v1/chat/completions",
            completion_window="24h",
            metadata={"claim_harness": state.tag, "part": part.file},
        )
        part.batch_id, part.status = batch.id, batch.status
        save()


def download(client: openai.OpenAI, file_id: str | None) -> list[str]:
    """The lines of an output or error file (none without one)."""
    if file_id is None:
        return []
    return [line for line in client.files.content(file_id).text.splitlines() if line.strip()]
