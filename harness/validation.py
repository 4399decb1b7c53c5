"""Turn a model's raw text into an `Extraction`, or say precisely why it cannot.

Stages, each with its own failure class: limits (an answer over `AnswerLimits` is
`oversize`, decided before any parser runs), parse (JSON found, tolerating code fences and
prose around it, with the repair recorded; an answer that ends inside its JSON is
`truncated`), then pydantic (the types the harness computes with; the published
jsonschema only names what a rejected answer broke, as `schema`).

Every stage is linear in the answer's length, and no recursive parser ever sees nesting
deeper than the limit: a hostile answer costs milliseconds, never a RecursionError or minutes.
The only repairs are ones that cannot invent an answer: the whole text, the inside of a
code fence, or the outermost bracketed span. Garbage around a small valid fragment (say
`{'claims': []}`, Python's single quotes, whose inner `[]` is valid JSON) is `parse`.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice
from typing import Any

import jsonschema
import numpy as np
from pydantic import ValidationError

from harness.answer_limits import DEFAULT_LIMITS, AnswerLimits
from harness.claims import Extraction
from harness.errors import json_path, valid_text
from harness.failures import Failure, FailureClass
from harness.schemas import extraction_schema

__all__ = [
    "DEFAULT_LIMITS",
    "AnswerLimits",
    "Repair",
    "Validated",
    "validate_answer",
    "validate_response",
]


class Repair(StrEnum):
    FENCED = "fenced"
    PROSE_WRAPPED = "prose_wrapped"
    BARE_LIST = "bare_list"


@dataclass(frozen=True, slots=True)
class Validated:
    extraction: Extraction | None
    failure: Failure | None
    repairs: tuple[Repair, ...]
    limits: AnswerLimits = DEFAULT_LIMITS


class _Unusable(Exception):
    """An answer that cannot be parsed; carries its failure class."""

    def __init__(self, kind: FailureClass, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# Possessive `\s*+`: a plain `\s*` before the lazy body backtracks quadratically on a fence
# followed by a long run of whitespace and no closing fence.
_FENCE = re.compile(r"```(?:json|JSON)?\s*+(.*?)```", re.DOTALL)
_ESCAPE = re.compile(r"\\.", re.DOTALL)
_STRING = re.compile(r'"[^"]*(?:"|\Z)')  # an unterminated last string runs to the end
_STEP = np.zeros(256, dtype=np.int64)  # +1 per opening bracket, -1 per closing one
_STEP[[ord("["), ord("{")]], _STEP[[ord("]"), ord("}")]] = 1, -1
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_DECODER = json.JSONDecoder()
_VALIDATOR = jsonschema.Draft202012Validator(extraction_schema())
_SCHEMA_ERRORS_READ = 100  # best_match over the first errors: bounded for a huge answer
_INLINE_CHARS = 32_768


def _deeper_than(text: str, max_depth: int) -> bool:
    """Whether JSON read from `text` nests deeper than `max_depth`, in C-speed passes
    (drop escapes, then strings; a running sum of +1 per `[{` and -1 per `]}` in the rest).

    Never below the depth a decoder reaches in the valid prefix it reads before stopping,
    so a decoder given text that passes never recurses past the limit."""
    if text.count("[") + text.count("{") <= max_depth:
        return False
    structure = _STRING.sub("", _ESCAPE.sub("", text)).encode("utf-8", "surrogatepass")
    # UTF-8 never puts an ASCII byte inside a multi-byte character: each bracket byte is one.
    steps = _STEP[np.frombuffer(structure, dtype=np.uint8)]
    return bool(np.cumsum(steps).max() > max_depth)


def _decode(text: str, limits: AnswerLimits) -> Any:
    if _deeper_than(text, limits.max_depth):
        raise _Unusable(
            FailureClass.OVERSIZE, f"JSON nested deeper than max_depth={limits.max_depth}"
        )
    try:
        value = json.loads(text)
    except RecursionError:  # unreachable after _deeper_than; kept so no answer can crash a run
        raise _Unusable(FailureClass.OVERSIZE, "JSON nested too deep to decode") from None
    return _valid_strings(value) if _SURROGATE_ESCAPE.search(text) else value


def _valid_strings(value: Any) -> Any:
    """Every string with its lone surrogates replaced (see `valid_text`): a `\\ud83d`
    escape decodes to a str no record can be written with. Depth is already bounded."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, list):
        return [_valid_strings(item) for item in value]
    if isinstance(value, dict):
        return {valid_text(key): _valid_strings(item) for key, item in value.items()}
    return value


def _spans(text: str) -> Iterator[str]:
    """The outermost `{...}` and `[...]` spans, the one opening first first. The other is
    tried only if it is not inside the first: the `[]` in `{'claims': []}` is no answer."""
    spans = []
    for opener, closer in ("{}", "[]"):
        start, end = text.find(opener), text.rfind(closer)
        if 0 <= start < end:
            spans.append((start, end + 1))
    spans.sort()
    if spans:
        yield text[slice(*spans[0])]
    if len(spans) == 2 and not spans[0][0] < spans[1][0] < spans[1][1] <= spans[0][1]:
        yield text[slice(*spans[1])]


def _candidates(text: str) -> Iterator[tuple[str, tuple[Repair, ...]]]:
    """What may be the answer's JSON, most literal first; each is linear to find."""
    yield text, ()
    fenced = _FENCE.search(text)
    if fenced:
        yield fenced.group(1).strip(), (Repair.FENCED,)
    for span in _spans(text):
        if span != text:
            yield span, (Repair.PROSE_WRAPPED,)


def _ends_inside_json(text: str, limits: AnswerLimits) -> bool:
    """The text stops inside the JSON that its first bracket opens: a cut-off answer."""
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts or _deeper_than(text[min(starts) :], limits.max_depth):
        return False
    try:
        _DECODER.raw_decode(text, min(starts))
    except json.JSONDecodeError as exc:
        return exc.pos >= len(text) or exc.msg.startswith("Unterminated string")
    except (ValueError, RecursionError):
        return False
    return False


def _parse(raw: str, limits: AnswerLimits) -> tuple[Any, tuple[Repair, ...]]:
    if len(raw) > limits.max_chars:
        raise _Unusable(
            FailureClass.OVERSIZE,
            f"answer is {len(raw)} characters, over max_chars={limits.max_chars}",
        )
    text = raw.strip()
    first_error: ValueError | None = None
    too_deep: _Unusable | None = None
    for candidate, repairs in _candidates(text):
        try:
            return _decode(candidate, limits), repairs
        except ValueError as exc:  # JSONDecodeError, or an over-long integer literal
            first_error = first_error or exc
        except _Unusable as exc:  # a later, smaller candidate may still be the answer
            too_deep = too_deep or exc
    if too_deep is not None:
        raise too_deep
    if _ends_inside_json(text, limits):
        raise _Unusable(FailureClass.TRUNCATED, f"answer ends inside its JSON: {first_error}")
    raise _Unusable(FailureClass.PARSE, f"invalid JSON: {first_error}")


def validate_response(raw: str, limits: AnswerLimits = DEFAULT_LIMITS) -> Validated:
    """Parse, schema-check and type-check one raw model answer."""
    try:
        value, repairs = _parse(raw, limits)
    except _Unusable as exc:
        return Validated(None, Failure.of(exc.kind, str(exc)), (), limits)
    if isinstance(value, list):
        value, repairs = {"claims": value}, (*repairs, Repair.BARE_LIST)
    # The schema is generated from Extraction, so both accept the same JSON values; pydantic
    # (compiled) decides first and the jsonschema validator (slow, but the published
    # contract) runs only on rejected answers, to name the violated rule and its path.
    try:
        extraction = Extraction.model_validate(value)
    except ValidationError as exc:
        errors = islice(_VALIDATOR.iter_errors(value), _SCHEMA_ERRORS_READ)
        error = jsonschema.exceptions.best_match(errors)
        if error is not None:
            message = f"{json_path(error.absolute_path)}: {error.message}"
            return Validated(None, Failure.of(FailureClass.SCHEMA, message), repairs, limits)
        first = exc.errors()[0]
        where = json_path(first["loc"])
        failure = Failure.of(FailureClass.VALIDATION, f"{where}: {first['msg']}")
        return Validated(None, failure, repairs, limits)
    return Validated(extraction, None, repairs, limits)


async def validate_answer(
    raw: str, deadline_s: float, limits: AnswerLimits = DEFAULT_LIMITS
) -> Validated:
    """`validate_response` in a worker thread, so a large answer never stalls the event
    loop (other requests, timeouts, Ctrl-C), given at most the request's own deadline.
    The limits keep the work small; the deadline is the backstop if they are set high.
    A typical answer is validated in place: at worst about a millisecond up to
    `_INLINE_CHARS`, where the thread hop would cost as much as the validation."""
    if len(raw) <= _INLINE_CHARS:
        return validate_response(raw, limits)
    try:
        async with asyncio.timeout(deadline_s):
            return await asyncio.to_thread(validate_response, raw, limits)
    except TimeoutError:
        message = f"validating {len(raw)} characters took over the {deadline_s} s deadline"
        return Validated(None, Failure.of(FailureClass.OVERSIZE, message), (), limits)
