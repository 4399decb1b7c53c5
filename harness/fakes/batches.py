"""`/v1/files` and `/v1/batches` for the scripted server: the OpenAI Batch API, scripted.

A batch answers each of its lines from the same script as `/v1/chat/completions`, so a
batch and an ordinary run see the same answers. `BatchBehaviour` scripts what a test
needs from the API itself: a delay before a batch completes, a hang on chosen uploads (so
a killed client dies between two of them), lines that fail into the error file, and
expiry (half the lines answered, the rest `batch_expired`).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.fakes.replies import ChatRequest, Reply, completion_body

__all__ = ["BatchBehaviour", "BatchStore", "Response"]

Response = tuple[int, bytes]


@dataclass
class BatchBehaviour:
    """How the scripted Batch API behaves (mutable: a test may change it between calls)."""

    delay_s: float = 0.0  # from create to completed
    upload_hang_s: dict[int, float] = field(default_factory=dict)  # upload index -> hang
    fails: Callable[[dict[str, Any]], bool] | None = None  # line body -> into the error file
    expire: bool = False


def _json(status: int, data: object) -> Response:
    return status, json.dumps(data).encode()


def _not_found(what: str) -> Response:
    return _json(404, {"error": {"message": f"no such {what}", "type": "invalid_request_error"}})


@dataclass
class BatchStore:
    """Files and batches of one scripted server, in memory."""

    script: Callable[[ChatRequest], Reply]
    behaviour: BatchBehaviour = field(default_factory=BatchBehaviour)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    contents: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, method: str, path: str, content_type: str, data: bytes) -> Response | None:
        """The response for a Files or Batches route, or None (not one of them)."""
        parts = path.split("?")[0].strip("/").split("/")[1:]  # after "v1"
        if not parts or parts[0] not in ("files", "batches"):
            return None
        route = (method, parts[0], len(parts), parts[-1] if len(parts) == 3 else None)
        if route == ("POST", "files", 1, None):
            return self._upload(content_type, data)
        if route == ("POST", "batches", 1, None):
            return self._create(json.loads(data or b"{}"))
        if method == "GET" and len(parts) == 1:
            items = self.files if parts[0] == "files" else self._all_batches()
            return _json(200, {"object": "list", "data": list(items.values()), "has_more": False})
        if route == ("GET", "files", 3, "content"):
            found = self.contents.get(parts[1])
            return (200, found) if found is not None else _not_found("file")
        if method == "GET" and len(parts) == 2:
            item = self.files.get(parts[1]) if parts[0] == "files" else self._batch(parts[1])
            return _json(200, item) if item else _not_found(parts[0][:-1])
        return _not_found("route")

    def _upload(self, content_type: str, data: bytes) -> Response:
        with self._lock:
            index, self.uploads = self.uploads, self.uploads + 1
        time.sleep(self.behaviour.upload_hang_s.get(index, 0.0))
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + data)
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[str(name)] = (part.get_filename(), part.get_payload(decode=True))
        filename, content = fields.get("file", (None, None))
        if content is None:
            return _json(400, {"error": {"message": "no file part", "type": "invalid_request"}})
        purpose = fields.get("purpose", (None, b"batch"))[1].decode()
        return _json(200, self._store(str(filename or "upload.jsonl"), content, purpose))

    def _store(self, filename: str, content: bytes, purpose: str) -> dict[str, Any]:
        file_id = f"file-{uuid.uuid4().hex[:12]}"
        entry = {
            "id": file_id, "object": "file", "bytes": len(content), "created_at": int(time.time()),
            "filename": filename, "purpose": purpose, "status": "processed",
        }  # fmt: skip
        with self._lock:
            self.files[file_id] = entry
            self.contents[file_id] = content
        return entry

    def _create(self, request: dict[str, Any]) -> Response:
        if request.get("input_file_id") not in self.files:
            return _not_found("file")
        batch_id = f"batch_{uuid.uuid4().hex[:12]}"
        now = time.time()
        batch = {
            "id": batch_id, "object": "batch", "endpoint": request.get("endpoint"),
            "input_file_id": request["input_file_id"], "completion_window": "24h",
            "status": "in_progress", "created_at": int(now), "_created": now,
            "output_file_id": None, "error_file_id": None,
            "metadata": request.get("metadata"),
        }  # fmt: skip
        with self._lock:
            self.batches[batch_id] = batch
        return _json(200, _public(batch))

    def _all_batches(self) -> dict[str, dict[str, Any]]:
        return {k: _public(self._advance(v)) for k, v in list(self.batches.items())}

    def _batch(self, batch_id: str) -> dict[str, Any] | None:
        batch = self.batches.get(batch_id)
        return None if batch is None else _public(self._advance(batch))

    def _advance(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Finish a batch once its delay has passed: answer every line, write the files."""
        with self._lock:
            if batch["status"] != "in_progress":
                return batch
            if time.time() - batch["_created"] < self.behaviour.delay_s:
                return batch
            lines = self.contents[batch["input_file_id"]].decode().splitlines()
            outputs, errors = self.answer([json.loads(x) for x in lines if x.strip()])
        expired = self.behaviour.expire
        output = self._store("output.jsonl", "".join(outputs).encode(), "batch_output")
        error = self._store("errors.jsonl", "".join(errors).encode(), "batch_output")
        with self._lock:
            batch.update(
                status="expired" if expired else "completed",
                output_file_id=output["id"] if outputs else None,
                error_file_id=error["id"] if errors else None,
                request_counts={
                    "total": len(lines), "completed": len(outputs), "failed": len(errors)
                },
            )  # fmt: skip
        return batch

    def answer(self, lines: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
        """Result lines (output, error) for input lines, as a batch (or `vllm run-batch`)
        writes them."""
        outputs, errors = [], []
        for index, line in enumerate(lines):
            custom_id, body = line["custom_id"], line["body"]
            result: dict[str, Any] = {"id": f"batch_req_{index}", "custom_id": custom_id}
            if self.behaviour.expire and index >= len(lines) // 2:
                error = {"code": "batch_expired", "message": "not completed within 24h"}
                errors.append(json.dumps({**result, "response": None, "error": error}) + "\n")
                continue
            if self.behaviour.fails is not None and self.behaviour.fails(body):
                error = {"code": "server_error", "message": "scripted batch line failure"}
                errors.append(json.dumps({**result, "response": None, "error": error}) + "\n")
                continue
            request = ChatRequest(body=body, index=-1 - index)
            reply = self.script(request)
            if reply.status != 200:
                failed = {"error": {"message": reply.error_message, "type": "scripted"}}
                response = {"status_code": reply.status, "body": failed}
                errors.append(json.dumps({**result, "response": response, "error": None}) + "\n")
                continue
            response = {"status_code": 200, "body": json.loads(completion_body(request, reply))}
            outputs.append(json.dumps({**result, "response": response, "error": None}) + "\n")
        return outputs, errors


def _public(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in batch.items() if not k.startswith("_")}
