"""The Batch API calls, each bracketed by state writes, through the openai SDK.

Every step is recorded as started (atomically) before the call and as done after it. A
step found started but not done is first looked up on the server: the file by its unique
name and size, the batch by its input file id. Only a file upload may then be repeated
(an orphan input file costs nothing); a batch is created at most once per file that the
server lists. Batch creation is never retried by the SDK for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openai

from harness.batch.state import BatchFolder, BatchPart, BatchState
from harness.errors import EndpointError
from harness.secrets import read_api_key, redact

__all__ = ["connect", "download", "endpoint_error", "submit_part"]

_LISTED = 1000  # batches or files looked through when recovering a lost id


def connect(state: BatchState) -> tuple[openai.OpenAI, str | None]:
    """A synchronous client for the state's endpoint, with the key read now (never stored)."""
    key_file = Path(state.api_key_file) if state.api_key_file else None
    key = read_api_key(state.api_key_env, key_file)
    client = openai.OpenAI(base_url=state.base_url, api_key=key or "no-key", max_retries=3)
    return client, key


def endpoint_error(state: BatchState, exc: openai.OpenAIError, key: str | None) -> EndpointError:
    return EndpointError(f"{state.base_url}: Batch API: {redact(str(exc), key)}")


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
