"""Parsing and validating a model's raw answer (harness.validation)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from harness import validation
from harness.claims import QuoteType, SpeakerType
from harness.failures import FailureClass, Fault
from harness.validation import Repair, validate_response

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


@pytest.mark.parametrize("raw", ["", "I cannot help with that.", '{"claims": [', "```json\n{\n```"])
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
