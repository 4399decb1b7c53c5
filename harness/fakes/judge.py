"""A scripted claim judge: answers the `judge` matcher's requests by a rule you choose.

`JudgeScript(decide)` reads the two statements of a judge request and replies
`{"same_claim": decide(a, b)}`; `biased=True` always says yes when the first claim is
longer (a position/length bias to detect); `reply` overrides the whole reply (malformed
JSON, HTTP errors) for the failure tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from harness.fakes.server import ChatRequest, Reply

__all__ = ["JudgeScript", "same_words"]


def same_words(a: str, b: str) -> bool:
    """Case- and punctuation-blind equality of the two statements' word sets."""

    def words(text: str) -> set[str]:
        return {w.strip(".,;:!?\"'").lower() for w in text.split()} - {""}

    return words(a) == words(b)


@dataclass
class JudgeScript:
    decide: Callable[[str, str], bool] = same_words
    biased: bool = False
    reply: Callable[[ChatRequest], Reply | None] | None = None

    def __call__(self, request: ChatRequest) -> Reply:
        if self.reply is not None and (override := self.reply(request)) is not None:
            return override
        pair = json.loads(request.user_text)
        a, b = pair["A"]["statement"], pair["B"]["statement"]
        verdict = self.decide(a, b) or (self.biased and len(a) > len(b))
        return Reply(
            content=json.dumps({"same_claim": verdict}), prompt_tokens=80, completion_tokens=6
        )
