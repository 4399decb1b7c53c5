"""The few fields of a chat-completion reply the harness reads, validated.

The harness asks the SDK for the decoded JSON body (`cast_to=object`) instead of its full
`ChatCompletion` model: building that model, and walking every request through the SDK's
typed transform, cost more per document than all of the harness's own work (see the
README's performance section). What the harness needs is five fields; this module checks
exactly those, so a server that answers 200 with something that is not a chat completion
becomes a classified `server_error` naming what was wrong, not a crash.
"""

from __future__ import annotations

import json
from typing import Annotated

import openai
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from harness.endpoints.settings import OutputMode
from harness.errors import json_path, valid_text

__all__ = ["CallResult", "ChatReply", "MalformedReply", "call_result", "parse_reply"]


class MalformedReply(openai.OpenAIError):
    """A 2xx answer that is not a chat completion: the server's fault, not retried."""


# Every string a reply brings that the harness stores (see `valid_text`).
_Text = Annotated[str, AfterValidator(valid_text)]


class _Message(BaseModel):
    content: _Text | None = None
    refusal: _Text | None = None


class _Choice(BaseModel):
    message: _Message | None = None
    finish_reason: str | None = None


class _Usage(BaseModel):
    prompt_tokens: int | None = 0
    completion_tokens: int | None = 0


class ChatReply(BaseModel):
    """Unknown fields are ignored: servers add their own (timings, system_fingerprint...)."""

    model_config = ConfigDict(extra="ignore")
    choices: list[_Choice] = Field(min_length=1)
    usage: _Usage | None = None
    model: _Text | None = None

    @property
    def first(self) -> _Choice:
        return self.choices[0]


def _decode_text(data: str) -> object:
    """The SDK hands back the text of a body not labelled JSON; some proxies label a real
    completion `text/plain`, and its tokens are paid for, so a JSON text is read anyway."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return data


def parse_reply(data: object) -> ChatReply:
    """Validate the decoded body; `MalformedReply` says which field is wrong."""
    if isinstance(data, str) and data.lstrip().startswith("{"):
        data = _decode_text(data)
    if not isinstance(data, dict):
        shown = data if isinstance(data, str) else type(data).__name__
        raise MalformedReply(f"reply is not a JSON object: {str(shown)[:80]!r}")
    error = data.get("error")
    if error and not data.get("choices"):
        # Some proxies and servers report failures with status 200 and an error body.
        message = error.get("message", error) if isinstance(error, dict) else error
        raise MalformedReply(f"reply is an error, not a completion: {str(message)[:200]}")
    try:
        return ChatReply.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = json_path(first["loc"])
        raise MalformedReply(f"reply is not a chat completion: {where}: {first['msg']}") from exc


class CallResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    content: str | None
    finish_reason: str | None
    refusal: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    http_attempts: int
    server_model: str | None
    cached: bool = False
    cache_key: str | None = None
    mode: OutputMode | None = None  # the rung that answered; not part of a cached answer
    replica: str | None = None  # the pool replica that answered; not part of a cached answer
    # Whether the document's evidence enum was sent, and why the request schema was not the
    # document's own (refused by the endpoint, too large, prompt mode); not cached either.
    grounded: bool = False
    schema_note: str | None = None


def call_result(reply: ChatReply, attempts: int, latency: float) -> CallResult:
    """What the harness keeps of one answered request."""
    choice = reply.first
    message = choice.message
    usage = reply.usage
    return CallResult(
        content=message.content if message else None,
        finish_reason=choice.finish_reason,
        refusal=message.refusal if message else None,
        prompt_tokens=(usage.prompt_tokens or 0) if usage else 0,
        completion_tokens=(usage.completion_tokens or 0) if usage else 0,
        latency_s=round(latency, 4),
        http_attempts=attempts,
        server_model=reply.model,
    )
