"""Shared helpers for the bench/ scripts: synthetic corpora, a fixed reply, a raw server.

Not a benchmark itself, but `python bench/_synth.py serve [--port N]` runs the raw server in
the foreground: point any harness at the printed URL to compare it with this one. Imported
by `bench/overhead.py`, `bench/memory.py`, `bench/scoring_scale.py`, `bench/cache.py` and
`bench/local_model.py` (run them from the repository root: `python bench/<name>.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"

COMMON_SENTENCE = "The minister said the budget would rise by four percent next year."
FIXED_CLAIM: dict[str, Any] = {
    "statement": "The budget would rise by four percent next year.",
    "evidence": COMMON_SENTENCE,
    "speaker": "The minister",
    "speaker_type": "government",
    "cue": "said",
    "quote_type": "indirect",
    "via": [],
}
FIXED_REPLY = json.dumps({"claims": [FIXED_CLAIM]})

_NAMES = ["Alice Moreau", "Bilal Haddad", "Chen Wei", "Dana Kowalski", "Emeka Obi", "Farah Nasser"]
_ORGS = ["the council", "the ministry", "the union", "the agency", "the central bank"]
_VERBS = ["said", "claimed", "argued", "told reporters", "warned", "insisted"]
_TOPICS = [
    "rents in the capital had doubled since {y}",
    "the new bridge would open in {y}",
    "unemployment fell to {n} percent in {y}",
    "the hospital treated {n} thousand patients in {y}",
    "the river flooded {n} villages in {y}",
    "exports to the region grew by {n} percent in {y}",
    "the strike cost the economy {n} million euros in {y}",
]


def sentence(rng: random.Random) -> tuple[str, dict[str, Any]]:
    """One attributed sentence and the gold claim it makes."""
    who = rng.choice(_NAMES + _ORGS)
    verb = rng.choice(_VERBS)
    what = rng.choice(_TOPICS).format(y=rng.randint(1990, 2025), n=rng.randint(2, 99))
    text = f"{who[0].upper()}{who[1:]} {verb} that {what}."
    claim = {
        "statement": f"{what[0].upper()}{what[1:]}.",
        "evidence": text,
        "speaker": who,
        "speaker_type": "person" if who in _NAMES else "organization",
        "cue": verb,
        "quote_type": "indirect",
        "via": [],
    }
    return text, claim


def write_corpus(
    folder: Path, n_docs: int, seed: int = 7, as_txt: bool = False
) -> tuple[Path, Path]:
    """`n_docs` short documents (COMMON_SENTENCE + 2 unique sentences) and their gold.

    Documents go to one docs.jsonl, or with `as_txt` to a docs/ folder of <id>.txt files
    (same texts): load_documents refuses a .jsonl larger than 8 MB (~33k of these
    documents), since it reads the file with the per-document size cap.
    """
    rng = random.Random(seed)
    docs = folder / ("docs" if as_txt else "docs.jsonl")
    gold = folder / "gold"
    gold.mkdir(parents=True, exist_ok=True)
    if as_txt:
        docs.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        handle = None if as_txt else stack.enter_context(docs.open("w", encoding="utf-8"))
        for i in range(n_docs):
            doc_id = f"doc{i:07d}"
            pairs = [sentence(rng) for _ in range(2)]
            text = " ".join([COMMON_SENTENCE, *(s for s, _ in pairs)])
            if handle is None:
                (docs / f"{doc_id}.txt").write_text(text, encoding="utf-8")
            else:
                handle.write(json.dumps({"id": doc_id, "text": text}) + "\n")
            claims = [FIXED_CLAIM | {"speaker_aliases": [], "required": True}]
            claims += [c | {"speaker_aliases": [], "required": True} for _, c in pairs]
            (gold / f"{doc_id}.json").write_text(
                json.dumps({"schema_version": 1, "doc_id": doc_id, "claims": claims}),
                encoding="utf-8",
            )
    return docs, gold


def completion_body(model: str, content: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
        }
    ).encode()


class RawServer:
    """A minimal keep-alive HTTP/1.1 server on asyncio (own thread, own loop).

    Answers every POST with the same fixed completion, `latency_s` after reading it (a
    model's think time: requests in flight overlap); no JSON parsing of the request, no
    request log; counts the requests it answered (`requests`). Used to check whether
    ScriptedServer is the bottleneck.
    """

    def __init__(self, content: str = FIXED_REPLY, port: int = 0, latency_s: float = 0.0) -> None:
        body = completion_body("bench", content)
        self._response = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self.port = port
        self.latency_s = latency_s
        self.requests = 0  # POSTs answered (read from other threads: a plain int is fine)
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:].strip())
                if length:
                    await reader.readexactly(length)
                if self.latency_s:
                    await asyncio.sleep(self.latency_s)
                self.requests += 1
                writer.write(self._response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop

        async def start() -> None:
            self._server = await asyncio.start_server(
                self._handle, "127.0.0.1", self.port, backlog=512
            )
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()

        loop.run_until_complete(start())
        loop.run_forever()

    def __enter__(self) -> RawServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


class RawServerProcess:
    """RawServer in its own process (`python bench/_synth.py serve`), so the server does
    not share the client's interpreter and GIL, as a real server would not."""

    def __init__(self, latency_s: float = 0.0) -> None:
        self._process: subprocess.Popen[str] | None = None
        self.latency_s = latency_s
        self.base_url = ""

    def __enter__(self) -> RawServerProcess:
        argv = [sys.executable, __file__, "serve", "--latency-ms", str(self.latency_s * 1000)]
        self._process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            raise SystemExit(f"bench server did not start: {self.base_url!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)


def serve_forever(port: int, latency_s: float = 0.0) -> None:
    """Foreground RawServer: a loopback endpoint any client can be pointed at."""
    server = RawServer(port=port, latency_s=latency_s)
    with server:
        print(server.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


def load_avg() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (cores: {os.cpu_count()})"


def write_json(name: str, data: dict[str, Any]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="serve: an OpenAI-compatible loopback server answering every POST with "
        "one fixed valid extraction, after --latency-ms (prints its base URL)"
    )
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="think time per request")
    args = parser.parse_args()
    serve_forever(args.port, args.latency_ms / 1000)
