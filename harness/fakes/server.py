"""A scripted OpenAI-compatible server on 127.0.0.1, for tests, demos and benchmarks.

It speaks real HTTP (stdlib ThreadingHTTPServer, keep-alive), so the harness is tested
through the real openai client, retries and all. A *script* decides each reply: a normal
answer, an HTTP error with headers, a hang, a body trickled byte by byte, a dropped
connection, or arbitrary bytes. Every request is logged so tests can count attempts exactly.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ChatRequest", "Reply", "Script", "ScriptedServer"]


@dataclass(frozen=True)
class ChatRequest:
    """What the client sent, with the fields scripts usually need pulled out."""

    body: dict[str, Any]
    index: int

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def user_text(self) -> str:
        users = [m for m in self.messages if m.get("role") == "user"]
        return str(users[0].get("content", "")) if users else ""

    @property
    def response_format(self) -> str | None:
        fmt = self.body.get("response_format")
        return str(fmt.get("type")) if isinstance(fmt, dict) else None

    @property
    def is_reask(self) -> bool:
        return any(m.get("role") == "assistant" for m in self.messages)


@dataclass(frozen=True)
class Reply:
    content: str | None = None
    finish_reason: str = "stop"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    error_message: str = "scripted error"
    hang_s: float = 0.0
    trickle_s: float = 0.0  # send the body one byte every trickle_s seconds
    reset: bool = False
    raw_body: bytes | None = None
    refusal: str | None = None
    prompt_tokens: int = 100
    completion_tokens: int = 50
    model: str | None = None  # the model the server says it served (default: the requested)


Script = Callable[[ChatRequest], Reply]


def _completion_body(request: ChatRequest, reply: Reply) -> bytes:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.refusal is not None:
        message["refusal"] = reply.refusal
    return json.dumps(
        {
            "id": f"chatcmpl-{request.index}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": reply.model or str(request.body.get("model", "scripted")),
            "choices": [{"index": 0, "message": message, "finish_reason": reply.finish_reason}],
            "usage": {
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "total_tokens": reply.prompt_tokens + reply.completion_tokens,
            },
        }
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
        trickle_s: float = 0.0,
    ) -> None:
        headers = headers or {}
        self.send_response(status)
        if not any(name.lower() == "content-type" for name in headers):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not trickle_s:
            self.wfile.write(body)
            return
        for index in range(len(body)):  # until the client gives up (a ConnectionError)
            self.wfile.write(body[index : index + 1])
            self.wfile.flush()
            time.sleep(trickle_s)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send(
                200,
                json.dumps(
                    {
                        "object": "list",
                        "data": [
                            {"id": "scripted", "object": "model", "owned_by": "claim-harness"}
                        ],
                    }
                ).encode(),
            )
        else:
            self._send(404, b'{"error": {"message": "not found"}}')

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError:
            self._send(400, b'{"error": {"message": "invalid JSON body"}}')
            return
        request = self.server.log_request(body, dict(self.headers))
        reply = self.server.script(request)
        if reply.hang_s:
            time.sleep(reply.hang_s)
        if reply.reset:
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            self.connection.close()
            self.close_connection = True
            return
        if reply.raw_body is not None:
            self._send(reply.status, reply.raw_body, reply.headers)
        elif reply.status != 200:
            error = {"error": {"message": reply.error_message, "type": "scripted"}}
            self._send(reply.status, json.dumps(error).encode(), reply.headers)
        else:
            self._send(200, _completion_body(request, reply), reply.headers, reply.trickle_s)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default backlog of 5 resets connections at concurrency 64

    def __init__(self, script: Script) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = script
        self.requests: list[ChatRequest] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out (or was killed) before a hang ended is expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def log_request(self, body: dict[str, Any], headers: dict[str, str]) -> ChatRequest:
        with self._lock:
            request = ChatRequest(body=body, index=len(self.requests))
            self.requests.append(request)
            self.headers.append(headers)
            return request


class ScriptedServer:
    """`with ScriptedServer(script) as server:` then point a client at `server.base_url`."""

    def __init__(self, script: Script) -> None:
        self._server = _Server(script)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def requests(self) -> list[ChatRequest]:
        return self._server.requests

    @property
    def request_headers(self) -> list[dict[str, str]]:
        return self._server.headers

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
