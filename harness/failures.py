"""Why a document produced no usable extraction, and whose fault that is.

A failure is data: it is recorded with the prediction, counted in the summary, and the
document stays in every denominator. `fault` tells a user where to look first.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Failure", "FailureClass", "Fault"]

from pydantic import BaseModel, ConfigDict

from harness.errors import valid_text


class Fault(StrEnum):
    USER = "user"
    SERVER = "server"
    MODEL = "model"


class FailureClass(StrEnum):
    TRANSPORT = "transport"
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    REJECTED = "rejected"
    CONTEXT_OVERFLOW = "context_overflow"
    TRUNCATED = "truncated"
    OVERSIZE = "oversize"
    REFUSAL = "refusal"
    PARSE = "parse"
    SCHEMA = "schema"
    VALIDATION = "validation"

    @property
    def fault(self) -> Fault:
        return _FAULTS[self]

    @property
    def is_model_output(self) -> bool:
        """Failures of the answer itself, which a re-ask may fix. Not `truncated` (the same
        max_tokens would cut it again) nor `oversize` (the re-ask would send it back)."""
        return self in (FailureClass.PARSE, FailureClass.SCHEMA, FailureClass.VALIDATION)


_FAULTS = {
    FailureClass.TRANSPORT: Fault.SERVER,
    FailureClass.TIMEOUT: Fault.SERVER,
    FailureClass.RATE_LIMITED: Fault.SERVER,
    FailureClass.SERVER_ERROR: Fault.SERVER,
    FailureClass.REJECTED: Fault.USER,
    FailureClass.CONTEXT_OVERFLOW: Fault.USER,
    FailureClass.TRUNCATED: Fault.MODEL,
    FailureClass.OVERSIZE: Fault.MODEL,
    FailureClass.REFUSAL: Fault.MODEL,
    FailureClass.PARSE: Fault.MODEL,
    FailureClass.SCHEMA: Fault.MODEL,
    FailureClass.VALIDATION: Fault.MODEL,
}


class Failure(BaseModel):
    """A recorded failure: its class, who is at fault, and the last error's text."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: FailureClass
    fault: Fault
    message: str

    @classmethod
    def of(cls, kind: FailureClass, message: str) -> Failure:
        return cls(kind=kind, fault=kind.fault, message=valid_text(message[:2000]))
