"""Published JSON Schemas, generated from the pydantic models and committed beside them.

`extraction` is what a model must return; `gold` is the gold-file format; `sweep` is the
sweep-file format (`harness sweep`). A test keeps the committed files equal to what the
models generate. `strict_extraction_schema` is the variant OpenAI's strict structured
outputs accept (every property required, no defaults) and llama.cpp's grammar compiler
handles (no $ref).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel

from harness.claims import Extraction, GoldDocument
from harness.sweep import SweepFile

__all__ = [
    "SCHEMA_MODELS",
    "extraction_schema",
    "generate",
    "load_published",
    "strict_extraction_schema",
]

SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "extraction": Extraction,
    "gold": GoldDocument,
    "sweep": SweepFile,
}
JsonSchema = dict[str, Any]


def generate(name: str) -> JsonSchema:
    """The schema as the pydantic model defines it today."""
    schema = SCHEMA_MODELS[name].model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def load_published(name: str) -> JsonSchema:
    """The committed schema file shipped with the package."""
    text = resources.files(__package__).joinpath(f"{name}.schema.json").read_text("utf-8")
    loaded: JsonSchema = json.loads(text)
    return loaded


@cache
def _extraction() -> str:
    return json.dumps(generate("extraction"))


def extraction_schema() -> JsonSchema:
    return json.loads(_extraction())  # type: ignore[no-any-return]


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


def _strictify(node: Any) -> Any:
    if isinstance(node, dict):
        node = {
            k: _strictify(v) for k, v in node.items() if k not in ("default", "title", "$schema")
        }
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strictify(v) for v in node]
    return node


@cache
def _strict() -> str:
    schema = generate("extraction")
    return json.dumps(_strictify(_inline(copy.deepcopy(schema), schema.get("$defs", {}))))


def strict_extraction_schema() -> JsonSchema:
    """Self-contained, all-required variant for constrained decoding."""
    return json.loads(_strict())  # type: ignore[no-any-return]
