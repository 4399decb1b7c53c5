"""One document through the structured-output loop: request, validate, re-ask, record.

Re-asks replace the failed turn instead of growing the conversation: the model always
sees [system, user, its last answer, the error], never a pile of earlier failures.
Truncation (finish_reason "length", or an answer ending inside its JSON), oversize answers
and refusals are final and never re-asked: a re-ask with the same max_tokens would truncate
again, and one after an oversize answer would send it back. The output-mode ladder is the client's,
per request: each attempt records the rung its answer came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness._eval.shape import RequestShape
from harness.answer_limits import DEFAULT_LIMITS, AnswerLimits
from harness.claims import Claim, Document
from harness.endpoints.client import CallFailed, CallResult, ChatClient
from harness.failures import Failure, FailureClass
from harness.prompts import Prompt
from harness.runs.records import AttemptRecord, PredictionRecord
from harness.schemas.request import RequestSchema
from harness.validation import validate_answer

__all__ = ["FatalEndpointError", "extract_document", "reask_message"]


class FatalEndpointError(Exception):
    """The endpoint rejected us in a way no other document will escape (401/403/404)."""

    def __init__(self, record: PredictionRecord) -> None:
        super().__init__(record.failure.message if record.failure else "endpoint rejected")
        self.record = record


def reask_message(failure: Failure) -> str:
    return (
        f"Your previous answer could not be used ({failure.kind}: {failure.message}). "
        'Reply again with only the corrected JSON object {"claims": [...]} matching '
        "the schema."
    )


@dataclass(frozen=True)
class _Verdict:
    """What one answer is worth: claims, or a failure (`final` if a re-ask cannot help)."""

    claims: list[Claim] | None = None
    repairs: list[str] = field(default_factory=list)
    failure: Failure | None = None
    final: bool = False


async def _judge(result: CallResult, deadline_s: float, limits: AnswerLimits) -> _Verdict:
    if result.refusal or result.finish_reason == "content_filter":
        refusal = Failure.of(FailureClass.REFUSAL, result.refusal or "content filtered")
        return _Verdict(failure=refusal, final=True)
    if result.finish_reason == "length":
        cut = f"output cut at max_tokens ({result.completion_tokens} tokens)"
        return _Verdict(failure=Failure.of(FailureClass.TRUNCATED, cut), final=True)
    validated = await validate_answer(result.content or "", deadline_s, limits)
    if validated.extraction is None:
        failure = validated.failure
        assert failure is not None
        return _Verdict(failure=failure, final=not failure.kind.is_model_output)
    repairs = [str(r) for r in validated.repairs]
    return _Verdict(claims=list(validated.extraction.claims), repairs=repairs)


def _attempt(turn: int, answer: CallResult | CallFailed, failure: Failure | None) -> AttemptRecord:
    kind = "request" if turn == 0 else "reask"
    if isinstance(answer, CallFailed):
        return AttemptRecord(
            kind=kind, mode=str(answer.mode), http_attempts=answer.http_attempts,
            latency_s=round(answer.latency_s, 4), failure=failure, replica=answer.replica,
        )  # fmt: skip
    return AttemptRecord(
        kind=kind, mode=str(answer.mode), http_attempts=answer.http_attempts,
        latency_s=answer.latency_s, prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens, finish_reason=answer.finish_reason,
        raw=answer.content, failure=failure, cached=answer.cached, cache_key=answer.cache_key,
        replica=answer.replica,
    )  # fmt: skip


def _record(
    document: Document,
    attempts: list[AttemptRecord],
    result: CallResult | None,
    verdict: _Verdict,
    first_turn: bool,
    shaped: RequestSchema | None,
) -> PredictionRecord:
    """The document's record: the last attempt's outcome, every attempt's cost."""
    return PredictionRecord(
        doc_id=document.id,
        mode=attempts[-1].mode,
        claims=verdict.claims,
        failure=attempts[-1].failure,
        repairs=verdict.repairs,
        valid_first_attempt=first_turn and verdict.claims is not None,
        attempts=attempts,
        prompt_tokens=sum(a.prompt_tokens for a in attempts),
        completion_tokens=sum(a.completion_tokens for a in attempts),
        latency_s=round(sum(a.latency_s for a in attempts), 4),
        server_model=result.server_model if result else None,
        grounded=None if shaped is None else bool(result and result.grounded),
        grounding_note=None if shaped is None else (result.schema_note if result else shaped.note),
    )


async def extract_document(
    document: Document,
    prompt: Prompt,
    client: ChatClient,
    reask: int,
    shape: RequestShape | None = None,
    fresh: bool = False,
    limits: AnswerLimits = DEFAULT_LIMITS,
) -> PredictionRecord:
    """One document's record; `fresh`: every request goes to the server (a retried document
    whose cached answers failed: replaying them would only record the same failure)."""
    base = prompt.render(document).messages()
    messages, attempts = base, []
    shaped = shape.for_document(document) if shape is not None else None
    result: CallResult | None = None
    for turn in range(1 + reask):
        try:
            result = await client.complete(messages, shaped, fresh)
        except CallFailed as exc:
            attempts.append(_attempt(turn, exc, exc.failure))
            record = _record(document, attempts, result, _Verdict(), False, shaped)
            if exc.fatal:
                raise FatalEndpointError(record) from exc
            return record
        verdict = await _judge(result, client.endpoint.timeout_s, limits)
        attempts.append(_attempt(turn, result, verdict.failure))
        if verdict.failure is None or verdict.final or turn == reask:
            return _record(document, attempts, result, verdict, turn == 0, shaped)
        messages = [
            *base,
            {"role": "assistant", "content": result.content or ""},
            {"role": "user", "content": reask_message(verdict.failure)},
        ]
    raise AssertionError("unreachable: the last turn always returns")
