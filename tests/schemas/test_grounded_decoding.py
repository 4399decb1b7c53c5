"""Grounded decoding on the real embedded llama.cpp server (SmolLM2-135M).

The request schema's evidence `enum` (one per document) must be enforced by llama.cpp's
grammar: every evidence the model returns is one of the document's sentences, and a
document full of `"` and `\\` neither breaks the grammar nor stops the server.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.claims import Document
from harness.corpus import load_documents
from harness.endpoints.local import LocalServer, default_model_path
from harness.prompts import load_prompt
from harness.schemas.request import (
    CappedField,
    Grounding,
    RequestCaps,
    document_request_schema,
)
from harness.validation import validate_response
from tests.conftest import LOCAL_MODEL

pytestmark = LOCAL_MODEL

REPO = Path(__file__).resolve().parents[2]
HOSTILE = Document(
    id="hostile",
    text=(
        'The mayor said "the bridge will reopen in May." Engineers filed the plan under '
        'C:\\plans\\bridge and called it "safe\\sound". "We are on schedule," she said.\n\n'
        'A spokesman added: "Nothing \\"unusual\\" was found."'
    ),
)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("server") / "server.log"
    with LocalServer(default_model_path(), log) as server:
        assert server.process is not None
        args = server.process.args
        assert isinstance(args, list)
        assert "--logits_all False" in " ".join(map(str, args))  # the fast setting
        yield server.base_url
        assert server.process is not None and server.process.poll() is None, log.read_text()


def _ask(base_url: str, document: Document) -> tuple[list[str], list[str]]:
    """The evidence returned for `document` and the enum it was constrained to."""
    # Caps keep a 135M model from talking until max_tokens in a free-text field.
    lengths = {CappedField.STATEMENT: 120, CappedField.SPEAKER: 30, CappedField.CUE: 20}
    caps = RequestCaps(max_claims=2, max_via=0, max_length=lengths)
    schema = document_request_schema(document.text, caps, Grounding.SENTENCES).schema
    schema["properties"]["claims"]["minItems"] = 1  # at least one evidence to check
    messages = load_prompt("extract@v3", REPO / "prompts").render(document).messages()
    body: dict[str, Any] = {
        "model": "local",
        "messages": messages,
        "temperature": 0.0,
        "max_tokens": 700,
        "response_format": {"type": "json_object", "schema": schema},
    }
    request = urllib.request.Request(
        f"{base_url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        assert response.status == 200
        reply = json.loads(response.read())
    content = reply["choices"][0]["message"]["content"]
    assert reply["choices"][0]["finish_reason"] == "stop", content
    validated = validate_response(content)
    assert validated.extraction is not None, (validated.failure, content)
    enum = schema["properties"]["claims"]["items"]["properties"]["evidence"]["enum"]
    return [c.evidence for c in validated.extraction.claims], enum


def test_every_evidence_is_one_of_the_documents_sentences(base_url: str) -> None:
    (seed,) = [d for d in load_documents(REPO / "seeds") if d.id.startswith("000_")]
    evidence, enum = _ask(base_url, seed)
    assert evidence and all(e in enum for e in evidence), (evidence, enum)


def test_quotes_and_backslashes_do_not_break_the_grammar_or_the_server(base_url: str) -> None:
    evidence, enum = _ask(base_url, HOSTILE)
    assert evidence and all(e in enum for e in evidence), (evidence, enum)
    assert any("\u201c" in value for value in enum)  # quotes were curled, not dropped
    # The server still answers after the hostile grammar (it exited in the run).
    (seed,) = [d for d in load_documents(REPO / "seeds") if d.id.startswith("006_")]
    assert _ask(base_url, seed)[0]
