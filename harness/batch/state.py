"""A batch folder on disk: everything `harness batch` knows, so no process has to live.

```
BATCHDIR/state.json                 BatchState: endpoint, key source, cache, parts (atomic)
BATCHDIR/round-1/keys.jsonl         one line per request: custom_id, cache-key parts, documents
BATCHDIR/round-1/part-0001.jsonl    OpenAI batch input (what was uploaded)
```

The part files and keys are written once, before any upload; `state.json` is rewritten
atomically before and after each upload and batch creation, so a process killed at any
point leaves a folder that the next `submit` or `collect` continues: a step marked
started but not finished is looked up on the server (the file by its unique name, the
batch by its input file) before it is done again, so nothing is paid for twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import UserInputError, json_path
from harness.runs.folder import write_atomic

__all__ = ["TERMINAL", "BatchFolder", "BatchPart", "BatchState", "KeyLine", "Remote", "Round"]

# Statuses after which a batch changes no more (https://platform.openai.com/docs/api-reference/batch).
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Remote(_Model):
    """Where one endpoint's batches go (a batch file holds one model's requests); the key
    is read from its source at each call, never stored."""

    base_url: str
    model: str
    api_key_env: str = "OPENAI_API_KEY"
    api_key_file: str | None = None


class BatchPart(_Model):
    """One uploaded file and its batch; the fields fill in as the steps complete."""

    round: int
    endpoint: str = Field(description="key of BatchState.endpoints")
    file: str = Field(description="path under the batch folder")
    lines: int
    bytes: int
    upload_started: bool = False
    file_id: str | None = None
    create_started: bool = False
    batch_id: str | None = None
    status: str | None = None  # the batch's last seen status
    collected: bool = False
    succeeded: int = 0
    invalid: int = 0  # of the succeeded, answers that fail validation
    failed: dict[str, str] = Field(default_factory=dict, description="custom_id -> reason")

    @property
    def submitted(self) -> bool:
        return self.batch_id is not None


class Round(_Model):
    """One `batch submit` plan: the first uncached request of each unfinished document."""

    number: int
    requests: int  # lines, after de-duplication
    first: int  # of those, a document's first request
    reasks: int  # of those, a re-ask after a cached answer failed validation
    documents: int  # documents x cells
    answered: int  # of those, the ones whose every request was already cached


class BatchState(_Model):
    version: Literal[1] = 1
    tag: str = Field(description="unique; names the uploaded files, so a lost id is found")
    endpoints: dict[str, Remote]
    cache_dir: str
    fingerprint: str = Field(description="hash of the options that decide the requests")
    upload: bool = Field(True, description="False: parts are exported for `vllm run-batch`")
    rounds: list[Round] = Field(default_factory=list)
    parts: list[BatchPart] = Field(default_factory=list)

    def uncollected(self) -> list[BatchPart]:
        return [p for p in self.parts if not p.collected]


class KeyLine(_Model):
    """What `collect` needs to store an answer: the cache key's parts (its digest is the
    request's custom_id) and which documents asked it."""

    custom_id: str
    parts: dict[str, Any]
    doc_ids: list[str]


class BatchFolder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.state_file = path / "state.json"

    def exists(self) -> bool:
        return self.state_file.exists()

    def read_state(self) -> BatchState:
        """The state, or one line naming the file and what is wrong with it."""
        try:
            return BatchState.model_validate_json(self.state_file.read_bytes())
        except FileNotFoundError as exc:
            raise UserInputError(
                f"{self.state_file}: not a batch folder (no state.json; "
                "`harness batch submit` creates one)"
            ) from exc
        except ValidationError as exc:
            first = exc.errors()[0]
            where = json_path(first["loc"]) if first["loc"] else "$"
            raise UserInputError(
                f"{self.state_file}: {where}: {first['msg']} (the batch state is unreadable; "
                "restore it or submit into a new folder)"
            ) from exc

    def write_state(self, state: BatchState) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        write_atomic(self.state_file, state.model_dump_json(indent=1) + "\n")

    def round_dir(self, number: int) -> Path:
        return self.path / f"round-{number}"

    def keys_file(self, number: int) -> Path:
        return self.round_dir(number) / "keys.jsonl"

    def read_keys(self, number: int) -> dict[str, KeyLine]:
        path = self.keys_file(number)
        keys = {}
        for index, line in enumerate(_lines(path), start=1):
            try:
                key = KeyLine.model_validate_json(line)
            except ValidationError as exc:
                problem = exc.errors()[0]["msg"]
                raise UserInputError(f"{path}:{index}: not a key line: {problem}") from exc
            keys[key.custom_id] = key
        return keys

    def custom_ids(self, part: BatchPart) -> list[str]:
        path = self.path / part.file
        return [str(json.loads(line)["custom_id"]) for line in _lines(path)]


def _lines(path: Path) -> Iterator[str]:
    try:
        with path.open(encoding="utf-8") as handle:
            yield from (line for line in handle if line.strip())
    except FileNotFoundError as exc:
        raise UserInputError(f"{path}: missing from the batch folder") from exc
