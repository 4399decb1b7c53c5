"""Ready-made scripts for the scripted server: answer with gold, optionally mangled.

`GoldAnswerer` recognises which document a request is about (its text is in the user
message) and replies with that document's gold claims, so a perfect model can be
simulated against any corpus; `transform` turns the perfect answer into a fenced,
prose-wrapped, truncated, empty or wrong-speaker one, or a hostile one (`hostile.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from harness.claims import Claim, Document, GoldDocument
from harness.fakes.hostile import HOSTILE
from harness.fakes.server import ChatRequest, Reply

__all__ = ["TRANSFORMS", "GoldAnswerer", "gold_extraction_json"]

_CLAIM_FIELDS = set(Claim.model_fields)


def gold_extraction_json(gold: GoldDocument) -> str:
    claims = [c.model_dump(include=_CLAIM_FIELDS, mode="json") for c in gold.claims]
    return json.dumps({"claims": claims}, ensure_ascii=False)


def _wrong_speakers(answer: str) -> str:
    data = json.loads(answer)
    for claim in data["claims"]:
        claim["speaker"] = "Nobody In Particular"
        claim["speaker_type"] = "person"
    return json.dumps(data)


TRANSFORMS: dict[str, Callable[[str], Reply]] = {
    "gold": lambda a: Reply(content=a),
    "fenced": lambda a: Reply(content=f"```json\n{a}\n```"),
    "prose": lambda a: Reply(content=f"Here are the claims I found:\n{a}\nLet me know!"),
    "empty": lambda a: Reply(content='{"claims": []}'),
    "wrong_speakers": lambda a: Reply(content=_wrong_speakers(a)),
    "truncated": lambda a: Reply(content=a[: len(a) // 2], finish_reason="length"),
    "invalid": lambda a: Reply(content='{"claims": [{"statement": "x"]}'),
    "schema_error": lambda a: Reply(content='{"claims": [{"statement": 3}]}'),
    "refusal": lambda a: Reply(content=None, refusal="I cannot help with that."),
    **HOSTILE,
}


@dataclass
class GoldAnswerer:
    documents: Sequence[Document]
    gold: Mapping[str, GoldDocument]
    behaviour: str | Callable[[str], str] = "gold"
    reject_json_schema: bool = False
    answers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.answers = {
            d.id: gold_extraction_json(self.gold[d.id]) for d in self.documents if d.id in self.gold
        }

    def doc_id_for(self, request: ChatRequest) -> str | None:
        text = request.user_text
        for doc in self.documents:
            if doc.text.strip() and doc.text.strip() in text:
                return doc.id
        return None

    def behaviour_for(self, doc_id: str) -> str:
        return self.behaviour(doc_id) if callable(self.behaviour) else self.behaviour

    def __call__(self, request: ChatRequest) -> Reply:
        if self.reject_json_schema and request.response_format == "json_schema":
            return Reply(
                status=500,
                error_message="Input should be 'text' or 'json_object' "
                "(body.response_format.type): json_schema",
            )
        doc_id = self.doc_id_for(request)
        if doc_id is None:
            return Reply(content='{"claims": []}', completion_tokens=1)
        if request.is_reask:
            return Reply(content=self.answers.get(doc_id, '{"claims": []}'))
        return TRANSFORMS[self.behaviour_for(doc_id)](self.answers.get(doc_id, '{"claims": []}'))
