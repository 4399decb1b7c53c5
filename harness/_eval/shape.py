"""A run's request shape: the prompt's caps (computed once, from the run's gold) and its
grounding option, turned into one request schema per document.

Caps come from the gold of the documents being evaluated, so a run records (in its
manifest) the numbers it sent and a resumed run recomputes the same ones. A prompt with
neither option has no shape: requests carry the full strict schema, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from harness.claims import Document, GoldDocument
from harness.corpus import GoldSet
from harness.prompts import PromptMeta
from harness.schemas.request import (
    Grounding,
    RequestCaps,
    RequestSchema,
    caps_from_gold,
    document_request_schema,
)

__all__ = ["RequestShape", "request_shape"]


@dataclass(frozen=True)
class RequestShape:
    caps: RequestCaps | None
    grounding: Grounding

    def for_document(self, document: Document) -> RequestSchema:
        return document_request_schema(document.text, self.caps, self.grounding)


def _golds(documents: list[Document], gold: GoldSet) -> Iterator[GoldDocument]:
    """One gold file at a time: a large corpus is never held in memory for its caps."""
    for document in documents:
        yield from gold.load([document]).values()


def request_shape(
    meta: PromptMeta, documents: list[Document], gold: GoldSet
) -> RequestShape | None:
    """The shape a prompt asks for on these documents, or None (send the full schema)."""
    if meta.request_caps is None and meta.grounding is Grounding.NONE:
        return None
    caps = None
    if meta.request_caps is not None:
        caps = caps_from_gold(_golds(documents, gold), meta.request_caps)
    return RequestShape(caps, meta.grounding)
