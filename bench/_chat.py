"""One chat completion against the embedded llama.cpp server, for the bench/ scripts that
need a request schema the engine does not send yet (per-document grounding, caps).

`bench/first_run.py` and `bench/local_settings.py` import it. The body is the one
`ChatClient` sends in `json_object` mode (the rung the embedded server lands on), with the
schema passed in; one attempt, no re-ask, so every configuration is measured alike.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.claims import Document
from harness.endpoints.local import LocalServer, default_model_path
from harness.prompts import Prompt

MAX_TOKENS = 384  # LOCAL_DEFAULTS of `harness run` on the embedded model
REPEAT_PENALTY = 1.3


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc: unlike wall time,
    it barely moves when other processes load the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so `with LocalServer(...)` stops its server."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


@dataclass(frozen=True, slots=True)
class Reply:
    content: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_s: float


def ask(
    base_url: str,
    prompt: Prompt,
    document: Document,
    schema: dict[str, Any],
    max_tokens: int = MAX_TOKENS,
) -> Reply:
    body = {
        "model": "local",
        "messages": prompt.render(document).messages(),
        "temperature": 0.0,
        "max_tokens": max_tokens,
        "repeat_penalty": REPEAT_PENALTY,
        "response_format": {"type": "json_object", "schema": schema},
    }
    started = time.perf_counter()
    request = urllib.request.Request(
        f"{base_url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=900) as response:
        data = json.loads(response.read())
    latency = time.perf_counter() - started
    choice, usage = data["choices"][0], data.get("usage") or {}
    return Reply(
        content=choice["message"].get("content") or "",
        finish_reason=choice.get("finish_reason"),
        prompt_tokens=int(usage.get("prompt_tokens", 0)),
        completion_tokens=int(usage.get("completion_tokens", 0)),
        latency_s=latency,
    )


def server(log_dir: Any, name: str, options: tuple[str, ...] | None = None) -> LocalServer:
    """A LocalServer on the embedded GGUF (its default options unless given)."""
    log = log_dir / f"{name}.log"
    if options is None:
        return LocalServer(default_model_path(), log)
    return LocalServer(default_model_path(), log, options=options)
