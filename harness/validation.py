"""Turn a model's raw text into an `Extraction`, or say precisely why it cannot.

Three stages, each with its own failure class: parse (JSON found, tolerating code fences
and prose around it, with the repair recorded), jsonschema (the published contract, with
the JSON path of the first error), then pydantic (the types the harness computes with).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jsonschema
from pydantic import ValidationError

from harness.claims import Extraction
from harness.errors import json_path
from harness.failures import Failure, FailureClass
from harness.schemas import extraction_schema

__all__ = ["Repair", "Validated", "validate_response"]


class Repair(StrEnum):
    FENCED = "fenced"
    PROSE_WRAPPED = "prose_wrapped"
    BARE_LIST = "bare_list"


@dataclass(frozen=True, slots=True)
class Validated:
    extraction: Extraction | None
    failure: Failure | None
    repairs: tuple[Repair, ...]


_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_DECODER = json.JSONDecoder()
_VALIDATOR = jsonschema.Draft202012Validator(extraction_schema())


def _first_json_value(text: str) -> Any:
    """The first complete JSON object or array embedded in `text`."""
    for match in re.finditer(r"[\[{]", text):
        try:
            value, _ = _DECODER.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        return value
    raise ValueError("no JSON object found in the response")


def _parse(raw: str) -> tuple[Any, list[Repair]]:
    text = raw.strip()
    try:
        return json.loads(text), []
    except json.JSONDecodeError as exc:
        first_error = exc
    fenced = _FENCE.search(text)
    if fenced:
        try:
            return json.loads(fenced.group(1)), [Repair.FENCED]
        except json.JSONDecodeError:
            pass
    try:
        return _first_json_value(text), [Repair.PROSE_WRAPPED]
    except ValueError:
        raise ValueError(f"invalid JSON: {first_error}") from None


def validate_response(raw: str) -> Validated:
    """Parse, schema-check and type-check one raw model answer."""
    try:
        value, repairs = _parse(raw)
    except ValueError as exc:
        return Validated(None, Failure.of(FailureClass.PARSE, str(exc)), ())
    if isinstance(value, list):
        value, repairs = {"claims": value}, [*repairs, Repair.BARE_LIST]
    # The schema is generated from Extraction, so both accept the same JSON values; pydantic
    # (compiled) decides first and the jsonschema validator (slow, but the published
    # contract) runs only on rejected answers, to name the violated rule and its path.
    try:
        extraction = Extraction.model_validate(value)
    except ValidationError as exc:
        error = jsonschema.exceptions.best_match(_VALIDATOR.iter_errors(value))
        if error is not None:
            message = f"{json_path(error.absolute_path)}: {error.message}"
            return Validated(None, Failure.of(FailureClass.SCHEMA, message), tuple(repairs))
        first = exc.errors()[0]
        where = json_path(first["loc"])
        return Validated(
            None, Failure.of(FailureClass.VALIDATION, f"{where}: {first['msg']}"), tuple(repairs)
        )
    return Validated(extraction, None, tuple(repairs))
