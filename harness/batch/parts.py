"""A round's requests as OpenAI batch input files, split at the API's limits.

Each line is `{"custom_id", "method", "url", "body"}`; the custom_id is the request's cache
key digest, so two documents asking the very same thing (identical text, same options) are
one line and one answer, and `collect` knows where each answer goes without any lookup
table that could be lost. The same files are `vllm run-batch` input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from harness.batch.state import BatchFolder, BatchPart, KeyLine
from harness.runs.folder import write_atomic

__all__ = ["MAX_BYTES", "MAX_LINES", "Limits", "PlannedRequest", "write_round"]

# The OpenAI Batch API's limits per input file.
MAX_LINES = 50_000
MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    lines: int = MAX_LINES
    bytes: int = MAX_BYTES


@dataclass(frozen=True)
class PlannedRequest:
    """A document's next request, exactly as the client would send it, and its cache key."""

    doc_id: str
    custom_id: str
    key_parts: dict[str, Any]
    body: dict[str, Any]
    reask: bool


def _line(request: PlannedRequest) -> str:
    return json.dumps(
        {
            "custom_id": request.custom_id,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": request.body,
        },
        ensure_ascii=False,
    )


def _chunks(lines: Iterable[str], limits: Limits) -> Iterator[list[str]]:
    chunk: list[str] = []
    size = 0
    for line in lines:
        length = len(line.encode()) + 1
        if length > limits.bytes:
            raise ValueError(f"one request is {length} bytes, over the {limits.bytes}-byte limit")
        if chunk and (len(chunk) >= limits.lines or size + length > limits.bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(line)
        size += length
    if chunk:
        yield chunk


def write_round(
    folder: BatchFolder, number: int, requests: dict[str, list[PlannedRequest]], limits: Limits
) -> list[BatchPart]:
    """Write keys.jsonl and the part files of round `number` (one model per file, as the
    API requires; de-duplicated by custom_id): the parts to upload, in order."""
    unique: dict[str, PlannedRequest] = {}
    askers: dict[str, list[str]] = {}
    for request in (r for group in requests.values() for r in group):
        unique.setdefault(request.custom_id, request)
        askers.setdefault(request.custom_id, []).append(request.doc_id)
    directory = folder.round_dir(number)
    directory.mkdir(parents=True, exist_ok=True)
    keys = (
        KeyLine(custom_id=c, parts=r.key_parts, doc_ids=askers[c]).model_dump_json()
        for c, r in unique.items()
    )
    write_atomic(folder.keys_file(number), "".join(f"{k}\n" for k in keys))
    parts = []
    for endpoint, group in requests.items():
        mine = {r.custom_id: r for r in group}.values()
        for index, chunk in enumerate(_chunks(map(_line, mine), limits), start=1):
            path = directory / f"{endpoint}-part-{index:04d}.jsonl"
            text = "".join(f"{line}\n" for line in chunk)
            write_atomic(path, text)
            name = str(path.relative_to(folder.path))
            size = len(text.encode())
            part = BatchPart(
                round=number, endpoint=endpoint, file=name, lines=len(chunk), bytes=size
            )
            parts.append(part)
    return parts
