"""Request schemas: what constrained decoding is asked to produce, per prompt and document.

Answers are always validated by the full extraction schema; the *request* schema only
shapes what a constrained decoder (llama.cpp's grammar, OpenAI strict mode, vLLM guided
decoding) lets the model write. Two prompt-level options make it something a small model
can finish and cannot fabricate:

* caps (`request_caps` in prompt.yaml): `maxItems` on claims and via, `maxLength` on the
  string fields, taken from a percentile of the gold (or set by hand). An uncapped schema
  lets a 135M model loop on one claim until max_tokens cuts the JSON mid-string.
* grounding (`grounding: sentences`): `evidence` is an `enum` of the document's own
  sentences, so every evidence is verbatim and grounding is guaranteed, not measured.

Enum values are made safe for llama-cpp-python's json-schema-to-grammar (0.3.36 escapes
only CR, LF and `"` in the `json.dumps` of a value it then parses as a GBNF literal): a
straight `"` becomes a curly quote (the scorer's normalisation maps it back, so grounding
stays exact), whitespace controls become spaces, and a sentence is split at a backslash,
another control character or a character beyond U+FFFF (a JSON surrogate pair, which the
grammar would read as two lone surrogates). The enum also keeps to OpenAI strict mode's
limits (at most 1000 enum values in a schema; a property with more than 250 values at
most 15,000 characters; 120,000 characters of names and values in all); a document too
long for them is sent without grounding, and the reason is returned with the schema.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.claims import GoldDocument
from harness.schemas import strict_extraction_schema
from harness.sentences import sentence_texts

__all__ = [
    "CappedField",
    "Grounding",
    "RequestCaps",
    "RequestCapsSpec",
    "RequestSchema",
    "caps_from_gold",
    "document_request_schema",
    "grammar_safe_sentences",
    "request_schema",
]

JsonSchema = dict[str, Any]

# OpenAI strict mode's documented limits on enums.
MAX_ENUM_VALUES = 1000
LARGE_ENUM = 250
LARGE_ENUM_CHARS = 15_000
MAX_SCHEMA_CHARS = 120_000


class Grounding(StrEnum):
    """`sentences`: evidence must be one of the document's sentences (an enum per document)."""

    NONE = "none"
    SENTENCES = "sentences"


class CappedField(StrEnum):
    """String fields whose length can be capped (`via` caps each entry of the chain)."""

    STATEMENT = "statement"
    EVIDENCE = "evidence"
    SPEAKER = "speaker"
    CUE = "cue"
    VIA = "via"


class RequestCapsSpec(BaseModel):
    """The `request_caps` block of prompt.yaml; explicit numbers win over gold statistics."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    from_gold: bool = False
    percentile: float = Field(90.0, gt=0, le=100)
    max_claims: int | None = Field(None, ge=1)
    max_via: int | None = Field(None, ge=0)
    max_length: dict[CappedField, int] = Field(default_factory=dict)


class RequestCaps(BaseModel):
    """Resolved caps, the numbers a run sends (and records in its manifest)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    max_claims: int | None = None
    max_via: int | None = None
    max_length: dict[CappedField, int] = Field(default_factory=dict)
    source: str = Field("prompt.yaml", description="where the numbers came from")


@dataclass(frozen=True, slots=True)
class RequestSchema:
    """The schema for one request; `grounded` says whether evidence is an enum, `note` why not."""

    schema: JsonSchema
    grounded: bool
    note: str | None = None


def _percentile(values: Sequence[int], percentile: float) -> int | None:
    """The smallest observed value with at least `percentile`% of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percentile / 100 * len(ordered)))
    return ordered[rank - 1]


def caps_from_gold(golds: Iterable[GoldDocument], spec: RequestCapsSpec) -> RequestCaps:
    """Caps at the gold's `spec.percentile` (claims per document, via entries, field lengths).

    Explicit numbers in `spec` win. Without `from_gold` only the explicit numbers are used.
    """
    lengths: dict[CappedField, list[int]] = {f: [] for f in CappedField}
    per_document: list[int] = []
    via_counts: list[int] = []
    if spec.from_gold:
        for gold in golds:
            per_document.append(len(gold.claims))
            for claim in gold.claims:
                lengths[CappedField.STATEMENT].append(len(claim.statement))
                lengths[CappedField.EVIDENCE].append(len(claim.evidence))
                lengths[CappedField.SPEAKER] += [len(claim.speaker)] if claim.speaker else []
                lengths[CappedField.CUE] += [len(claim.cue)] if claim.cue else []
                lengths[CappedField.VIA] += [len(entry) for entry in claim.via]
                via_counts.append(len(claim.via))
    p = spec.percentile
    from_gold = {f: _percentile(v, p) for f, v in lengths.items()}
    max_length = {f: n for f, n in from_gold.items() if n is not None} | spec.max_length
    return RequestCaps(
        max_claims=spec.max_claims or _percentile(per_document, p),
        max_via=spec.max_via if spec.max_via is not None else _percentile(via_counts, p),
        max_length=max_length,
        source=f"gold p{p:g} + prompt.yaml" if spec.from_gold else "prompt.yaml",
    )


_CONTROL_SPACE = re.compile(r"[\t\n\r\v\f]+")
# Split points: a backslash, other C0 controls, DEL and anything beyond the BMP.
_UNSAFE = re.compile(r"[\\\x00-\x08\x0e-\x1f\x7f\U00010000-\U0010ffff]+")
_OPENING_CONTEXT = re.compile(r"(?:^|[\s(\[{\u2014\u2013-])$")


def _curl_quotes(text: str) -> str:
    """Straight double quotes -> curly ones (opening after space or start, closing otherwise)."""
    out = []
    for index, char in enumerate(text):
        if char == '"':
            out.append("\u201c" if _OPENING_CONTEXT.search(text[:index]) else "\u201d")
        else:
            out.append(char)
    return "".join(out)


def grammar_safe_sentences(text: str) -> list[str]:
    """The document's sentences as enum values any supported decoder can compile.

    Each value grounds exactly in the document after the scorer's normalisation.
    """
    values: list[str] = []
    for sentence in sentence_texts(text):
        flat = _CONTROL_SPACE.sub(" ", sentence)
        for piece in _UNSAFE.split(flat):
            piece = _curl_quotes(piece.strip())
            if any(ch.isalnum() for ch in piece) and piece not in values:
                values.append(piece)
    return values


def _string_branch(node: JsonSchema) -> JsonSchema:
    """The `{"type": "string"}` part of a field (the first anyOf branch for nullable ones)."""
    return node["anyOf"][0] if "anyOf" in node else node


def request_schema(
    caps: RequestCaps | None = None, sentences: Sequence[str] | None = None
) -> JsonSchema:
    """The strict extraction schema with `caps` applied and, given `sentences`, an evidence enum."""
    schema = copy.deepcopy(strict_extraction_schema())
    claims = schema["properties"]["claims"]
    fields = claims["items"]["properties"]
    if caps is not None:
        if caps.max_claims is not None:
            claims["maxItems"] = caps.max_claims
        if caps.max_via is not None:
            fields["via"]["maxItems"] = caps.max_via
        for name, limit in caps.max_length.items():
            target = fields["via"]["items"] if name is CappedField.VIA else fields[name.value]
            _string_branch(target)["maxLength"] = limit
    if sentences is not None:
        evidence = fields["evidence"]
        fields["evidence"] = {"description": evidence["description"], "type": "string"}
        fields["evidence"]["enum"] = list(sentences)
    return schema


def _enum_problem(values: Sequence[str], schema: JsonSchema) -> str | None:
    """Why OpenAI strict mode would refuse this evidence enum, or None."""
    if not values:
        return "the document has no sentence to offer as evidence"
    other_values, other_chars = _enum_totals(schema)
    if len(values) + other_values > MAX_ENUM_VALUES:
        return f"{len(values)} sentences: over {MAX_ENUM_VALUES - other_values} enum values"
    chars = sum(len(v) for v in values)
    if len(values) > LARGE_ENUM and chars > LARGE_ENUM_CHARS:
        return f"{len(values)} sentences of {chars} characters: over {LARGE_ENUM_CHARS}"
    if chars + other_chars > MAX_SCHEMA_CHARS:
        return f"{chars} characters of sentences: over {MAX_SCHEMA_CHARS - other_chars}"
    return None


def _enum_totals(node: Any) -> tuple[int, int]:
    """Enum values, and characters of property names and enum values, in a schema."""
    if isinstance(node, list):
        totals = [_enum_totals(v) for v in node]
        return sum(t[0] for t in totals), sum(t[1] for t in totals)
    if not isinstance(node, dict):
        return 0, 0
    values = [str(v) for v in node.get("enum", [])]
    names = list(node.get("properties", {}))
    count, chars = len(values), sum(map(len, values)) + sum(map(len, names))
    for child in node.values():
        child_count, child_chars = _enum_totals(child)
        count, chars = count + child_count, chars + child_chars
    return count, chars


def document_request_schema(
    text: str, caps: RequestCaps | None, grounding: Grounding
) -> RequestSchema:
    """The request schema for one document under a prompt's caps and grounding options."""
    plain = request_schema(caps)
    if grounding is Grounding.NONE:
        return RequestSchema(plain, grounded=False)
    values = grammar_safe_sentences(text)
    problem = _enum_problem(values, plain)
    if problem is not None:
        return RequestSchema(plain, grounded=False, note=f"not grounded: {problem}")
    return RequestSchema(request_schema(caps, values), grounded=True)
