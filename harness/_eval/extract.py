"""One document through the structured-output loop: request, validate, re-ask, record.

Re-asks replace the failed turn instead of growing the conversation: the model always
sees [system, user, its last answer, the error], never a pile of earlier failures.
Truncation (finish_reason "length", or an answer ending inside its JSON), oversize answers
and refusals are final and never re-asked: a re-ask with the same max_tokens would truncate
again, and one after an oversize answer would send it back.
"""

from __future__ import annotations

from harness.claims import Document
from harness.endpoints.client import CallFailed, CallResult, ChatClient, ModeUnsupported
from harness.failures import Failure, FailureClass
from harness.prompts import Prompt
from harness.runs.records import AttemptRecord, PredictionRecord
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


async def _call(client: ChatClient, messages: list[dict[str, str]]) -> tuple[str, CallResult]:
    """Complete once, stepping down the output-mode ladder on capability errors."""
    while True:
        mode = client.mode
        try:
            return str(mode), await client.complete(messages)
        except ModeUnsupported as exc:
            if client.mode != mode:
                continue  # a concurrent request already stepped down from this rung
            if not client.step_down():
                failure = Failure.of(FailureClass.REJECTED, str(exc))
                raise CallFailed(failure, 1, 0.0, fatal=True) from exc


def _finish(
    document: Document,
    attempts: list[AttemptRecord],
    failure: Failure | None,
    result: CallResult | None,
    **extra: object,
) -> PredictionRecord:
    return PredictionRecord(
        doc_id=document.id,
        mode=attempts[-1].mode if attempts else None,
        failure=failure,
        attempts=attempts,
        prompt_tokens=sum(a.prompt_tokens for a in attempts),
        completion_tokens=sum(a.completion_tokens for a in attempts),
        latency_s=round(sum(a.latency_s for a in attempts), 4),
        server_model=result.server_model if result else None,
        **extra,
    )


async def extract_document(
    document: Document, prompt: Prompt, client: ChatClient, reask: int
) -> PredictionRecord:
    base = prompt.render(document).messages()
    messages = base
    attempts: list[AttemptRecord] = []
    result: CallResult | None = None
    failure: Failure | None = None
    for turn in range(1 + reask):
        kind = "request" if turn == 0 else "reask"
        try:
            mode, result = await _call(client, messages)
        except CallFailed as exc:
            attempts.append(
                AttemptRecord(
                    kind=kind,
                    mode=str(client.mode),
                    http_attempts=exc.http_attempts,
                    latency_s=round(exc.latency_s, 4),
                    failure=exc.failure,
                )
            )
            record = _finish(document, attempts, exc.failure, result, claims=None)
            if exc.fatal:
                raise FatalEndpointError(record) from exc
            return record
        attempt = AttemptRecord(
            kind=kind,
            mode=mode,
            http_attempts=result.http_attempts,
            latency_s=result.latency_s,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            finish_reason=result.finish_reason,
            raw=result.content,
            cached=result.cached,
            cache_key=result.cache_key,
        )
        attempts.append(attempt)
        if result.refusal or result.finish_reason == "content_filter":
            failure = Failure.of(FailureClass.REFUSAL, result.refusal or "content filtered")
        elif result.finish_reason == "length":
            failure = Failure.of(
                FailureClass.TRUNCATED,
                f"output cut at max_tokens ({result.completion_tokens} tokens)",
            )
        if failure is not None:
            attempt.failure = failure
            return _finish(document, attempts, failure, result, claims=None)
        validated = await validate_answer(result.content or "", client.endpoint.timeout_s)
        if validated.extraction is not None:
            return _finish(
                document,
                attempts,
                None,
                result,
                claims=list(validated.extraction.claims),
                repairs=[str(r) for r in validated.repairs],
                valid_first_attempt=turn == 0,
            )
        failure = validated.failure
        attempt.failure = failure
        assert failure is not None
        if not failure.kind.is_model_output:
            return _finish(document, attempts, failure, result, claims=None)
        messages = [
            *base,
            {"role": "assistant", "content": result.content or ""},
            {"role": "user", "content": reask_message(failure)},
        ]
        failure_for_next_turn, failure = failure, None
    return _finish(document, attempts, failure_for_next_turn, result, claims=None)
