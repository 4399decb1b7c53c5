"""What scoring reads from a claim, and the plain-tuple copy sent to a scoring worker.

`score_document` reads a handful of fields from each claim and from the gold document;
the `Scorable*` protocols name them, so pydantic claims and the tuples below both score.
A worker process receives its documents by pickle: pydantic models cost ~8 us each to
rebuild there (40 claims a document, ~0.3 ms, a quarter of scoring one), named tuples of
strings almost nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import NamedTuple, Protocol

__all__ = [
    "GoldFacts",
    "PackedClaim",
    "Scorable",
    "ScorableGold",
    "ScorableGoldClaim",
    "pack_claims",
    "pack_gold",
]


class Scorable(Protocol):
    """A predicted claim as scoring reads it."""

    @property
    def statement(self) -> str: ...
    @property
    def evidence(self) -> str: ...
    @property
    def speaker(self) -> str | None: ...
    @property
    def speaker_type(self) -> str: ...
    @property
    def cue(self) -> str | None: ...
    @property
    def quote_type(self) -> str: ...
    @property
    def via(self) -> Sequence[str]: ...


class ScorableGoldClaim(Scorable, Protocol):
    @property
    def speaker_aliases(self) -> Sequence[str]: ...
    @property
    def required(self) -> bool: ...


class ScorableGold(Protocol):
    """A gold document as scoring reads it; `unannotated` holds GoldField members (scoring
    asks `field in unannotated`)."""

    @property
    def claims(self) -> Sequence[ScorableGoldClaim]: ...
    @property
    def unannotated(self) -> Sequence[str]: ...


class PackedClaim(NamedTuple):
    """A predicted or gold claim; a prediction leaves the gold-only fields at their defaults."""

    statement: str
    evidence: str
    speaker: str | None
    speaker_type: str
    cue: str | None
    quote_type: str
    via: Sequence[str]
    speaker_aliases: Sequence[str] = ()
    required: bool = True


class GoldFacts(NamedTuple):
    claims: tuple[PackedClaim, ...]
    unannotated: tuple[str, ...]


# One C call reads a claim's fields in the tuple's order. Enum members stay members (not
# their strings): pickle sends each distinct member once per job and refers back to it.
_GOLD_CLAIM = attrgetter(*PackedClaim._fields)
_CLAIM = attrgetter(*PackedClaim._fields[:7])


def pack_claims(claims: Sequence[Scorable]) -> tuple[PackedClaim, ...]:
    return tuple(c if isinstance(c, PackedClaim) else PackedClaim(*_CLAIM(c)) for c in claims)


def pack_gold(gold: ScorableGold) -> GoldFacts:
    if isinstance(gold, GoldFacts):
        return gold
    claims = tuple(PackedClaim._make(_GOLD_CLAIM(c)) for c in gold.claims)
    return GoldFacts(claims, tuple(gold.unannotated))
