"""Parsing and validating a model's raw answer (harness.validation)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import jsonschema
import pytest

from harness import validation
from harness.claims import QuoteType, SpeakerType
from harness.failures import FailureClass, Fault
from harness.validation import AnswerLimits, Repair, validate_answer, validate_response

CLAIM: dict[str, Any] = {
    "statement": "The bridge will reopen in May.",
    "evidence": "Officials said the bridge will reopen in May.",
    "speaker": "officials",
    "speaker_type": "government",
    "cue": "said",
    "quote_type": "indirect",
    "via": [],
}
BODY = json.dumps({"claims": [CLAIM]})


def test_plain_json_needs_no_repair() -> None:
    v = validate_response(BODY)
    assert v.failure is None and v.repairs == ()
    assert v.extraction is not None
    (claim,) = v.extraction.claims
    assert (claim.speaker, claim.speaker_type, claim.quote_type) == (
        "officials",
        SpeakerType.GOVERNMENT,
        QuoteType.INDIRECT,
    )


def test_surrounding_whitespace_is_not_a_repair() -> None:
    assert validate_response(f"\n\n  {BODY}\n").repairs == ()


@pytest.mark.parametrize(
    ("raw", "repairs"),
    [
        (f"```json\n{BODY}\n```", (Repair.FENCED,)),
        (f"```\n{BODY}\n```", (Repair.FENCED,)),
        (f"Here is the JSON:\n```JSON\n{BODY}\n```\nHope it helps.", (Repair.FENCED,)),
        (
            f"Sure! Here are the claims: {BODY} Let me know if you need more.",
            (Repair.PROSE_WRAPPED,),
        ),
        # a bracketed aside that is not JSON is skipped before the object
        (f"Claims [see below]: {BODY}", (Repair.PROSE_WRAPPED,)),
        (json.dumps([CLAIM]), (Repair.BARE_LIST,)),
        (f"```json\n{json.dumps([CLAIM])}\n```", (Repair.FENCED, Repair.BARE_LIST)),
        (f"The list: {json.dumps([CLAIM])}.", (Repair.PROSE_WRAPPED, Repair.BARE_LIST)),
    ],
)
def test_repairs_are_recorded(raw: str, repairs: tuple[Repair, ...]) -> None:
    v = validate_response(raw)
    assert v.failure is None, v.failure
    assert v.repairs == repairs
    assert v.extraction is not None and len(v.extraction.claims) == 1


def test_empty_claim_list_is_valid() -> None:
    v = validate_response('{"claims": []}')
    assert v.extraction is not None and v.extraction.claims == []


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "I cannot help with that.",
        "```json\n{\n```",  # the fence closed: the model finished, its JSON is wrong
        '{"claims": [{"statement": "x"]}',
    ],
)
def test_parse_failure(raw: str) -> None:
    v = validate_response(raw)
    assert v.extraction is None and v.repairs == ()
    assert v.failure is not None
    assert (v.failure.kind, v.failure.fault) == (FailureClass.PARSE, Fault.MODEL)
    assert v.failure.message.startswith("invalid JSON: ")


def _schema_failure(value: Any, prefix: str = "") -> str:
    v = validate_response(prefix + json.dumps(value))
    assert v.extraction is None and v.failure is not None
    assert (v.failure.kind, v.failure.fault) == (FailureClass.SCHEMA, Fault.MODEL)
    return v.failure.message


def test_schema_failure_names_the_json_path() -> None:
    bad = {**CLAIM, "speaker_type": "robot"}
    message = _schema_failure({"claims": [CLAIM, bad]})
    assert message.startswith("$.claims[1].speaker_type: 'robot' is not one of ")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({}, "$: 'claims' is a required property"),
        ({"claims": {}}, "$.claims: {} is not of type 'array'"),
        (
            {"claims": [{k: v for k, v in CLAIM.items() if k != "evidence"}]},
            "$.claims[0]: 'evidence' is a required property",
        ),
        ({"claims": [{**CLAIM, "statement": ""}]}, "$.claims[0].statement: '' should be non-empty"),
        ({"claims": [{**CLAIM, "via": "Reuters"}]}, "$.claims[0].via: 'Reuters' is not of type"),
        (
            {"claims": [{**CLAIM, "speakr": "x"}]},
            "$.claims[0]: Additional properties are not allowed ('speakr' was unexpected)",
        ),
        ({"claims": [], "notes": "x"}, "$: Additional properties are not allowed"),
    ],
)
def test_schema_failure_messages(value: Any, message: str) -> None:
    assert _schema_failure(value).startswith(message)


def test_schema_failure_keeps_the_repairs() -> None:
    v = validate_response(f"```json\n{json.dumps([{**CLAIM, 'quote_type': 'x'}])}\n```")
    assert v.failure is not None and v.failure.kind is FailureClass.SCHEMA
    assert v.repairs == (Repair.FENCED, Repair.BARE_LIST)
    assert v.failure.message.startswith("$.claims[0].quote_type:")


def test_validation_failure_when_schema_is_looser_than_models(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The published schema and the models agree, so the pydantic stage is a backstop.
    # Simulate a looser schema to prove the stage reports its own class and location.
    monkeypatch.setattr(validation, "_VALIDATOR", jsonschema.Draft202012Validator({}))
    v = validate_response(json.dumps({"claims": [{**CLAIM, "via": "Reuters"}]}))
    assert v.extraction is None and v.failure is not None
    assert (v.failure.kind, v.failure.fault) == (FailureClass.VALIDATION, Fault.MODEL)
    assert v.failure.message == "$.claims[0].via: Input should be a valid list"


def test_failure_message_is_capped() -> None:
    long_value = "x" * 5000
    message = _schema_failure({"claims": [{**CLAIM, "quote_type": long_value}]})
    assert len(message) == 2000


@pytest.mark.parametrize(
    "raw",
    [
        '{"claims": [',
        BODY[: len(BODY) // 2],
        f"```json\n{BODY[:-3]}",
        f"Here are the claims: {BODY[:60]}",  # cut inside a string
    ],
)
def test_an_answer_that_ends_inside_its_json_is_truncated(raw: str) -> None:
    v = validate_response(raw)
    assert v.extraction is None and v.failure is not None
    assert (v.failure.kind, v.failure.fault) == (FailureClass.TRUNCATED, Fault.MODEL)
    assert not v.failure.kind.is_model_output  # never re-asked: it would be cut again


@pytest.mark.parametrize(
    "raw",
    [
        BODY.replace('"', "'"),  # Python's repr: its inner `[]` is valid JSON, no answer
        BODY.replace("[]", "None").replace('"via"', "'via'"),
        '{"claims": [{"statement": "x", "via": []}, True]}',
        json.dumps({"claims": [CLAIM]}).replace('"indirect"', "indirect"),
        '[None, {"claims": []}]',
        '{"claims": []} and also {"claims": [1]}',
    ],
)
def test_garbage_around_a_valid_fragment_is_parse_not_an_empty_answer(raw: str) -> None:
    v = validate_response(raw)
    assert v.extraction is None, v.repairs
    assert v.failure is not None and v.failure.kind is FailureClass.PARSE, v.failure
    assert v.failure.kind.is_model_output  # re-asked


def test_fifty_thousand_deep_nesting_is_oversize_not_a_recursion_error() -> None:
    raw = '{"claims": ' + "[" * 50_000 + "]" * 50_000 + "}"
    v = validate_response(raw)
    assert v.failure is not None and v.failure.kind is FailureClass.OVERSIZE
    assert v.failure.message == "JSON nested deeper than max_depth=64"
    assert not v.failure.kind.is_model_output  # the re-ask would send it back


def test_twenty_megabytes_of_braces_are_rejected_by_size() -> None:
    v = validate_response("{" * 20_000_000)
    assert v.failure is not None and v.failure.kind is FailureClass.OVERSIZE
    assert v.failure.message == "answer is 20000000 characters, over max_chars=1000000"


def test_limits_are_configurable_and_kept_with_the_result() -> None:
    exact = AnswerLimits(max_chars=len(BODY), max_depth=4)  # {claims: [{via: []}]}
    v = validate_response(BODY, exact)
    assert v.failure is None and v.limits == exact
    over = validate_response(BODY + " ", exact)
    assert over.failure is not None and over.failure.kind is FailureClass.OVERSIZE
    assert over.failure.message.endswith(f"over max_chars={len(BODY)}")
    deep = validate_response(BODY, AnswerLimits(max_depth=3))
    assert deep.failure is not None and deep.failure.kind is FailureClass.OVERSIZE
    assert deep.failure.message == "JSON nested deeper than max_depth=3"


@pytest.mark.parametrize(
    "raw",
    [
        '"' + '\\"' * 300_000,  # escaped quotes: one long unterminated string
        "```" + " " * 900_000,  # an unclosed fence before much whitespace
        "[]" * 450_000,
        '{"a": "' * 140_000,
        "x" * 999_999,
    ],
)
def test_hostile_text_within_the_size_limit_is_classified(raw: str) -> None:
    # Each was quadratic or recursive once; the limits keep all of them linear.
    v = validate_response(raw)
    assert v.failure is not None
    assert v.failure.kind in (FailureClass.PARSE, FailureClass.TRUNCATED, FailureClass.OVERSIZE)


def test_the_deepest_string_content_does_not_count_as_nesting() -> None:
    statement = "[" * 500 + "{" * 500
    v = validate_response(json.dumps({"claims": [{**CLAIM, "statement": statement}]}))
    assert v.failure is None and v.extraction is not None
    assert v.extraction.claims[0].statement == statement


def test_validate_answer_runs_off_the_event_loop_with_a_deadline() -> None:
    v = asyncio.run(validate_answer(BODY, deadline_s=30))
    assert v.failure is None and v.extraction is not None
    many = json.dumps({"claims": [CLAIM] * 500})  # over the inline size: a worker thread
    v = asyncio.run(validate_answer(many, deadline_s=30))
    assert v.extraction is not None and len(v.extraction.claims) == 500
    slow = AnswerLimits(max_chars=100_000_000, max_depth=256)  # the ceilings
    raw = json.dumps({"claims": [{**CLAIM, "quote_type": "x"}] * 20_000})
    v = asyncio.run(validate_answer(raw, deadline_s=0.001, limits=slow))
    assert v.failure is not None and v.failure.kind is FailureClass.OVERSIZE
    assert "deadline" in v.failure.message
