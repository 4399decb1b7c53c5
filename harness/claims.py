"""The vocabulary of the harness: documents, claims, extractions and gold.

Every other module speaks in these types. They are strict (`extra='forbid'`) because a
misspelt field in a hand-edited gold file must be an error, not a silently ignored key.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "SCHEMA_VERSION",
    "Claim",
    "Document",
    "Extraction",
    "GoldClaim",
    "GoldDocument",
    "GoldField",
    "QuoteType",
    "SpeakerType",
]

SCHEMA_VERSION = 1

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=False, min_length=1)]


class SpeakerType(StrEnum):
    """Who is behind a claim; `author` is the article speaking in its own voice."""

    PERSON = "person"
    ORGANIZATION = "organization"
    GOVERNMENT = "government"
    MEDIA = "media"
    ANONYMOUS = "anonymous"
    AUTHOR = "author"


class QuoteType(StrEnum):
    """How the claim is reported: verbatim, paraphrased, both, or not attributed at all."""

    DIRECT = "direct"
    INDIRECT = "indirect"
    MIXED = "mixed"
    NONE = "none"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Document(_Strict):
    """One news article. `id` names its files everywhere (gold, predictions, reports)."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    text: NonEmpty
    title: str | None = None
    url: str | None = None
    date: str | None = None
    licence: str | None = None


class Claim(_Strict):
    """One proposition a document puts forward, with who asserts it and how it is reported."""

    statement: NonEmpty = Field(
        description="The claim as a standalone proposition, pronouns resolved."
    )
    evidence: NonEmpty = Field(
        description="The verbatim passage of the document that makes the claim."
    )
    speaker: str | None = Field(
        description="Canonical name of who asserts the claim; null when the article "
        "asserts it in its own voice."
    )
    speaker_type: SpeakerType
    cue: str | None = Field(
        description="The attribution verb or phrase ('said', 'according to'), or null."
    )
    quote_type: QuoteType
    via: list[str] = Field(
        default_factory=list,
        description="Reporting chain between the article and the speaker, outer to inner.",
    )


class Extraction(_Strict):
    """What a model must return for one document."""

    claims: list[Claim]


class GoldField(StrEnum):
    """Claim fields an imported corpus may not annotate; metrics needing them skip that gold."""

    STATEMENT = "statement"
    SPEAKER_TYPE = "speaker_type"
    CUE = "cue"
    QUOTE_TYPE = "quote_type"
    VIA = "via"


class GoldClaim(Claim):
    """A hand-labelled claim: other acceptable speaker names, and whether missing it counts."""

    speaker_aliases: list[str] = Field(
        default_factory=list,
        description="Other names that identify the same speaker ('the agency', 'Pompeo').",
    )
    required: bool = Field(
        default=True,
        description="False for minor claims: matched if predicted, never counted as missed.",
    )


class GoldDocument(_Strict):
    """All gold claims of one document, as stored in `gold/<doc_id>.json`."""

    schema_version: int = SCHEMA_VERSION
    doc_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    annotator: str | None = None
    unannotated: list[GoldField] = Field(
        default_factory=list,
        description="Fields this gold does not annotate (e.g. an imported corpus without "
        "quote types); metrics that need them exclude this document.",
    )
    claims: list[GoldClaim]
