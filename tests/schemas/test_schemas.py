"""Published JSON Schemas (harness.schemas): committed files in sync, strict variant."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from harness.claims import SCHEMA_VERSION, Claim, Extraction
from harness.schemas import (
    SCHEMA_MODELS,
    extraction_schema,
    generate,
    load_published,
    strict_extraction_schema,
)

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "harness" / "schemas"
CLAIM: dict[str, Any] = {
    "statement": "The bridge will reopen in May.",
    "evidence": "Officials said the bridge will reopen in May.",
    "speaker": None,
    "speaker_type": "author",
    "cue": None,
    "quote_type": "none",
    "via": [],
}


def nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object inside a schema, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from nodes(value)


def test_schema_names() -> None:
    assert sorted(SCHEMA_MODELS) == ["extraction", "gold", "sweep"]
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json")) == [
        "extraction.schema.json",
        "gold.schema.json",
        "sweep.schema.json",
    ]


@pytest.mark.parametrize("name", sorted(SCHEMA_MODELS))
def test_committed_schema_equals_generated(name: str) -> None:
    committed = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert committed == generate(name), (
        f"harness/schemas/{name}.schema.json is stale: regenerate it from the models"
    )
    assert load_published(name) == committed  # the packaged copy is the committed file
    assert committed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(committed)


def test_extraction_schema_is_a_fresh_copy() -> None:
    first = extraction_schema()
    first["properties"].clear()
    assert "claims" in extraction_schema()["properties"]


def test_published_schemas_accept_and_reject() -> None:
    extraction = jsonschema.Draft202012Validator(load_published("extraction"))
    assert extraction.is_valid({"claims": [CLAIM]})
    assert not extraction.is_valid({"claims": [{**CLAIM, "quote_type": "verbatim"}]})
    gold = jsonschema.Draft202012Validator(load_published("gold"))
    gold_claim = {**CLAIM, "speaker_aliases": ["x"], "required": False}
    assert gold.is_valid({"doc_id": "a", "claims": [gold_claim]})
    assert gold.is_valid({"schema_version": SCHEMA_VERSION, "doc_id": "a", "claims": []})
    assert not gold.is_valid({"doc_id": "", "claims": []})  # min length 1
    assert not gold.is_valid({"doc_id": "a", "claims": [], "notes": "x"})  # extra key


def test_strict_schema_has_no_refs_and_everything_required() -> None:
    strict = strict_extraction_schema()
    objects = [n for n in nodes(strict) if n.get("type") == "object"]
    # the Extraction root and the inlined Claim
    assert len(objects) == 2
    for obj in objects:
        assert obj["required"] == list(obj["properties"])
        assert obj["additionalProperties"] is False
    assert objects[1]["required"] == list(Claim.model_fields)
    assert objects[0]["required"] == list(Extraction.model_fields) == ["claims"]
    for node in nodes(strict):
        assert not {"$ref", "$defs", "default", "title", "$schema"} & set(node), node


def test_strict_schema_keeps_the_contract() -> None:
    validator = jsonschema.Draft202012Validator(strict_extraction_schema())
    assert validator.is_valid({"claims": [CLAIM]})
    assert validator.is_valid({"claims": []})
    # `via` has a default in the model but is required in the strict variant
    assert not validator.is_valid({"claims": [{k: v for k, v in CLAIM.items() if k != "via"}]})
    assert not validator.is_valid({"claims": [{**CLAIM, "speaker_type": "robot"}]})
    assert not validator.is_valid({"claims": [{**CLAIM, "statement": ""}]})
    assert not validator.is_valid({"claims": [{**CLAIM, "extra": 1}]})
    # nullable fields stay nullable
    assert validator.is_valid({"claims": [{**CLAIM, "speaker": "Ana Ruiz", "cue": "said"}]})
