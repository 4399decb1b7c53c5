"""Hostile answers and servers, as scripted-server behaviours: what a broken model, proxy
or server really sends, one behaviour per way it can go wrong.

Each maps the perfect (gold) answer to a reply; `GoldAnswerer` answers re-asks with gold,
so a re-askable failure shows as a re-ask that succeeds. The README's "Reliability"
section lists the outcome the harness gives each one, and `tests/test_hostile.py` checks it.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from harness.fakes.server import Reply

__all__ = ["HOSTILE", "NESTING", "TRICKLE_S"]

NESTING = 50_000
TRICKLE_S = 0.5
_HTML = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"


def _nested_claims(answer: str) -> Reply:
    return Reply(content='{"claims": ' + "[" * NESTING + "]" * NESTING + "}")


def _lone_surrogate(answer: str) -> Reply:
    """Half of a UTF-16 pair in the answer's text, as a model cut mid-emoji emits: the
    reply body carries it as `\\ud83d`, valid JSON that decodes to invalid Unicode."""
    data = json.loads(answer)
    for claim in data["claims"]:
        claim["statement"] += " \ud83d"
    return Reply(content=json.dumps(data, ensure_ascii=False))


HOSTILE: dict[str, Callable[[str], Reply]] = {
    "nested": _nested_claims,
    "huge": lambda a: Reply(content="{" * 20_000_000),
    "single_quoted": lambda a: Reply(content=a.replace('"', "'")),
    "python_none": lambda a: Reply(content=a.replace("null", "None")),
    "unterminated": lambda a: Reply(content=a[: len(a) // 2]),  # finish_reason "stop"
    "html_answer": lambda a: Reply(content=_HTML),
    "html_page": lambda a: Reply(raw_body=_HTML.encode(), headers={"Content-Type": "text/html"}),
    "text_plain": lambda a: Reply(content=a, headers={"Content-Type": "text/plain"}),
    "nested_body": lambda a: Reply(
        raw_body=b'{"choices": ' + b"[" * NESTING + b"]" * NESTING + b"}"
    ),
    "lone_surrogate": _lone_surrogate,
    "trickle": lambda a: Reply(content=a, trickle_s=TRICKLE_S),
    "hang": lambda a: Reply(content=a, hang_s=3600),
}
