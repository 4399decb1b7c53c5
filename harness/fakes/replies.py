"""What a script sees (`ChatRequest`) and answers (`Reply`), and the chat-completion body
built from a reply: shared by `/v1/chat/completions` and the scripted Batch API."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ChatRequest", "Reply", "Script", "completion_body"]


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
    model: str | None = None  # the model the reply reports [default: the requested one]


Script = Callable[[ChatRequest], Reply]


def completion_body(request: ChatRequest, reply: Reply) -> bytes:
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
