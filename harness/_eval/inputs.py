"""What a run reads before any request (prompt, documents, gold), each checked up front,
so a bad input stops the run before a server is started or a token is paid for."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness._eval.config import RunConfig
from harness.claims import Document
from harness.corpus import GoldSet, check_gold, load_documents
from harness.errors import UserInputError
from harness.prompts import Prompt, load_prompt

__all__ = ["Inputs", "gold_notice", "inputs_of", "load_corpus", "load_inputs"]


@dataclass(frozen=True)
class Inputs:
    """What a run reads before any request, each checked up front."""

    prompt: Prompt
    documents: list[Document]
    gold: GoldSet


def load_corpus(docs: Path, gold: Path, limit: int | None) -> tuple[list[Document], GoldSet]:
    """Documents and their checked gold; bad gold, or gold for none of the documents (a
    wrong folder: every request would be wasted, "0 scored"), stops us before any request."""
    documents = load_documents(docs)[:limit]
    gold_set = check_gold(gold, documents)
    if documents and not gold_set.doc_ids:
        raise UserInputError(
            f"{gold}: --gold: no gold file for any of the {len(documents)} documents of "
            f"{docs} (gold files are named <document id>.json, e.g. {documents[0].id}.json)"
        )
    return documents, gold_set


def gold_notice(documents: list[Document], gold: GoldSet) -> str | None:
    """One line when some documents have no gold (they are requested but not scored)."""
    missing = len(documents) - len(gold.doc_ids)
    if not missing:
        return None
    return (
        f"{missing} of {len(documents)} documents have no gold in {gold.folder}: "
        "their answers are kept but not scored"
    )


def load_inputs(
    prompt_ref: str, prompts_dir: Path, documents: list[Document], gold: GoldSet
) -> Inputs:
    prompt = load_prompt(prompt_ref, prompts_dir)
    prompt.render(documents[0])  # a template error stops us before any request
    return Inputs(prompt, documents, gold)


def inputs_of(config: RunConfig) -> Inputs:
    """A run config's inputs, for callers that did not load them already."""
    documents, gold = load_corpus(config.docs, config.gold, config.limit)
    return load_inputs(config.prompt, config.prompts_dir, documents, gold)
