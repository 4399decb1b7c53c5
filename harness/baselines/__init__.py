"""Baselines: predictors with no model, no server and no tokens, scored like any model.

A score means little without a baseline beside it: a model that cannot beat "the first
three sentences, in the article's own voice" has learnt nothing about attribution. Each
baseline is a pure, deterministic function `(Document, GoldDocument | None) -> Extraction`
named like a model (`--model baseline:lead-3`, plumbed by the engine):

* `lead-N`  the first N sentences as the article's own claims (speaker null, author).
* `quotes`  quoted spans attributed to the nearest say-verb's subject (the classic rule).
* `gold`    the gold claims themselves: an upper bound and a check of the scorer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from harness.baselines.lead import lead_claims
from harness.baselines.quotes import quote_claims
from harness.claims import Claim, Document, Extraction, GoldDocument
from harness.endpoints.settings import BASELINE_PREFIX, Kind, kind_of
from harness.errors import UserInputError

__all__ = ["BASELINE_NAMES", "Baseline", "is_baseline", "resolve_baseline"]

PREFIX = BASELINE_PREFIX
BASELINE_NAMES = ("lead-N", "quotes", "gold")
_LEAD = re.compile(r"^lead-([1-9][0-9]{0,2})$")

Predict = Callable[[Document, GoldDocument | None], Extraction]


@dataclass(frozen=True, slots=True)
class Baseline:
    """One baseline: its full name (`lead-3`), whether it reads gold, and the predictor."""

    name: str
    needs_gold: bool
    predict: Predict
    description: str  # what the rule does, in words a reader of a results table knows

    def __call__(self, document: Document, gold: GoldDocument | None) -> Extraction:
        if self.needs_gold and gold is None:
            raise UserInputError(
                f"--model baseline:{self.name}: document {document.id!r} has no gold file"
            )
        return self.predict(document, gold)


def _gold(document: Document, gold: GoldDocument | None) -> Extraction:
    """The gold claims as a model would return them (gold-only fields dropped)."""
    assert gold is not None  # Baseline.__call__ checked
    fields = set(Claim.model_fields)
    return Extraction(
        claims=[Claim.model_validate(c.model_dump(include=fields)) for c in gold.claims]
    )


def is_baseline(model: str) -> bool:
    return kind_of(model) is Kind.BASELINE


def resolve_baseline(model: str, flag: str = "--model") -> Baseline:
    """`baseline:lead-3` (or just `lead-3`) -> the Baseline; an unknown name is a user error."""
    name = model.removeprefix(PREFIX)
    lead = _LEAD.match(name)
    if lead is not None:
        n = int(lead.group(1))
        return Baseline(
            name,
            False,
            lambda doc, _gold: Extraction(claims=lead_claims(doc, n)),
            f"taking the first {n} sentence{'s' if n > 1 else ''}",
        )
    if name == "quotes":
        return Baseline(
            name,
            False,
            lambda doc, _gold: Extraction(claims=quote_claims(doc)),
            "taking quoted spans with the nearest say-verb's subject",
        )
    if name == "gold":
        return Baseline(name, True, _gold, "copying the gold claims")
    raise UserInputError(
        f"{flag} {model}: unknown baseline {name!r} "
        f"(known: {', '.join(PREFIX + b for b in BASELINE_NAMES)}; lead-N takes N from 1 to 999)"
    )
