"""A scripted OpenAI-compatible server on 127.0.0.1, for tests, demos and benchmarks.

It speaks real HTTP (stdlib ThreadingHTTPServer, keep-alive), so the harness is tested
through the real openai client, retries and all. A *script* decides each reply: a normal
answer, an HTTP error with headers, a hang, a body trickled byte by byte, a dropped
connection, or arbitrary bytes. Every request is logged so tests can count attempts exactly.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness.fakes.batches import BatchBehaviour, BatchStore
from harness.fakes.replies import ChatRequest, Reply, Script, completion_body

__all__ = ["BatchBehaviour", "ChatRequest", "Reply", "Script", "ScriptedServer"]


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

    def _batch_api(self, method: str, data: bytes = b"") -> bool:
        """Answer a Files or Batches route (`fakes/batches.py`); False for any other path."""
        self.server.log_http(method, self.path)
        content_type = self.headers.get("Content-Type", "")
        response = self.server.batches.handle(method, self.path, content_type, data)
        if response is not None:
            self._send(*response)
        return response is not None

    def do_GET(self) -> None:
        if self._batch_api("GET"):
            return
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
        data = self.rfile.read(length)
        if len(data) < length:  # the client went away mid-request (killed): nothing was asked
            self.close_connection = True
            return
        if self._batch_api("POST", data):
            return
        try:
            body = json.loads(data or b"{}")
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
            self._send(200, completion_body(request, reply), reply.headers, reply.trickle_s)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default backlog of 5 resets connections at concurrency 64

    def __init__(self, script: Script) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = script
        self.requests: list[ChatRequest] = []
        self.headers: list[dict[str, str]] = []
        self.http: list[str] = []  # "METHOD /path" of every request, whatever its route
        self.batches = BatchStore(script)
        self.connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out (or was killed) before a hang ended is expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def log_http(self, method: str, path: str) -> None:
        with self._lock:
            self.http.append(f"{method} {path}")

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
    def http_log(self) -> list[str]:
        """Every HTTP request as "METHOD /path": chat completions, files, batches, models."""
        return self._server.http

    @property
    def batch_store(self) -> BatchStore:
        """The files and batches uploaded so far."""
        return self._server.batches

    @property
    def batch_behaviour(self) -> BatchBehaviour:
        """How `/v1/batches` behaves; a test may change it at any time."""
        return self._server.batches.behaviour

    @property
    def request_headers(self) -> list[dict[str, str]]:
        return self._server.headers

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def kill(self) -> None:
        """Die like a crashed server: stop listening (new connections are refused) and
        cut every open keep-alive connection, even mid-request."""
        self.stop()
        with self._server._lock:
            connections = list(self._server.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
