"""Everything the report shows about one run, read back from its folder.

Numbers come from `metrics.json` (never recomputed), per-document values from
`scores.jsonl` via `per_document_metrics`, and the attribution views from the stored
predictions plus the gold the run was scored against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.claims import Document, GoldDocument, SpeakerType
from harness.corpus import gold_hash, load_documents, load_gold
from harness.errors import HarnessError, UserInputError
from harness.runs import Manifest, PredictionRecord, RunFolder
from harness.scoring.document import DocScore, ScoringConfig
from harness.scoring.metrics import Metrics, counts_matrix, per_document_metrics

__all__ = [
    "DOC_METRICS",
    "SPEAKER_TYPES",
    "Corpus",
    "Price",
    "RunData",
    "Usage",
    "load_corpus",
    "load_prices",
    "load_run",
]

# Per-document metrics of the heatmap: (column title, key of per_document_metrics).
DOC_METRICS: tuple[tuple[str, str], ...] = (
    ("claim_f1", "claim_f1"),
    ("attributed_f1", "attributed_f1"),
    ("grounding", "grounding_rate"),
)
SPEAKER_TYPES: tuple[str, ...] = tuple(t.value for t in SpeakerType)


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


def load_prices(path: Path) -> dict[str, Price]:
    """`--prices FILE`: YAML or JSON mapping model name -> {input_per_mtok, output_per_mtok}."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserInputError(f"{path}: --prices: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise UserInputError(f"{path}: --prices: not YAML/JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise UserInputError(f"{path}: --prices: expected a mapping model -> prices")
    prices = {}
    for model, entry in data.items():
        try:
            prices[str(model)] = Price.model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            where = f"{model}.{loc}" if loc else str(model)
            raise UserInputError(f"{path}: --prices: {where}: {first['msg']}") from exc
    return prices


@dataclass(frozen=True)
class Corpus:
    """Documents and gold of a run; empty (with a note) when they cannot be read."""

    documents: dict[str, Document]
    gold: dict[str, GoldDocument]
    note: str | None = None


def load_corpus(docs: Path, gold: Path) -> Corpus:
    """Never fails: a report without document texts is still a report."""
    try:
        documents = load_documents(docs)
    except HarnessError as exc:
        return Corpus({}, {}, f"document texts unavailable: {exc}")
    try:
        gold_docs = load_gold(gold, documents)
    except HarnessError as exc:
        return Corpus({d.id: d for d in documents}, {}, f"gold unavailable: {exc}")
    return Corpus({d.id: d for d in documents}, gold_docs)


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    requests: int
    http_attempts: int
    duration_s: float | None
    latency_p50: float | None
    latency_p95: float | None
    cost: float | None
    cost_note: str | None


@dataclass
class RunData:
    label: str
    path: Path
    manifest: Manifest
    metrics: Metrics
    scores: dict[str, DocScore]
    predictions: dict[str, PredictionRecord]
    corpus: Corpus
    per_doc: dict[str, dict[str, float | None]]
    usage: Usage
    confusion: list[list[int]] | None
    confusion_note: str | None
    warnings: list[str] = field(default_factory=list)
    color: str = "#000000"

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def threshold(self) -> float:
        """The fuzzy grounding threshold this run was scored with (highlights must agree)."""
        return ScoringConfig.model_validate(self.manifest.scoring).fuzzy_threshold

    def gold_for(self, doc_id: str) -> GoldDocument | None:
        """The gold of a document, only if it is the gold the scores were computed with."""
        gold = self.corpus.gold.get(doc_id)
        score = self.scores.get(doc_id)
        if gold is None or score is None:
            return None
        if (len(gold.claims), sum(c.required for c in gold.claims)) != (
            score.counts.n_gold,
            score.counts.n_gold_required,
        ):
            return None
        return gold


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def _usage(
    manifest: Manifest, predictions: dict[str, PredictionRecord], prices: dict[str, Price] | None
) -> Usage:
    latencies = [r.latency_s for r in predictions.values()]
    tokens = manifest.tokens
    cost, note = None, None
    if prices is not None:
        price = prices.get(manifest.model) or prices.get(manifest.server_model or "")
        if price is None:
            note = f"no price for model {manifest.model!r} in --prices"
        else:
            cost = (
                tokens.prompt_tokens * price.input_per_mtok
                + tokens.completion_tokens * price.output_per_mtok
            ) / 1_000_000
    return Usage(
        prompt_tokens=tokens.prompt_tokens,
        completion_tokens=tokens.completion_tokens,
        requests=tokens.requests,
        http_attempts=tokens.http_attempts,
        duration_s=manifest.duration_s,
        latency_p50=_percentile(latencies, 50),
        latency_p95=_percentile(latencies, 95),
        cost=cost,
        cost_note=note,
    )


def _confusion(run: RunData) -> tuple[list[list[int]] | None, str | None]:
    """Gold (rows) x predicted (columns) speaker_type over matched pairs with the check made."""
    if not run.corpus.gold:
        return None, run.corpus.note or "no gold available"
    index = {t: i for i, t in enumerate(SPEAKER_TYPES)}
    matrix = [[0] * len(SPEAKER_TYPES) for _ in SPEAKER_TYPES]
    skipped = 0
    for doc_id, score in run.scores.items():
        record, gold = run.predictions.get(doc_id), run.gold_for(doc_id)
        if not score.pairs:
            continue
        if gold is None or record is None or record.claims is None:
            skipped += 1
            continue
        for pair in score.pairs:
            if pair.speaker_type is None:
                continue
            g = gold.claims[pair.gold].speaker_type.value
            p = record.claims[pair.predicted].speaker_type.value
            matrix[index[g]][index[p]] += 1
    note = f"{skipped} documents skipped: their gold changed since scoring" if skipped else None
    return matrix, note


def _value(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def load_run(path: Path, label: str, corpus: Corpus, prices: dict[str, Price] | None) -> RunData:
    folder = RunFolder.open(path)
    manifest = folder.read_manifest()
    metrics = folder.read_metrics()
    scores = {s.doc_id: s for s in folder.read_scores()}
    predictions = folder.read_predictions()
    ordered = list(scores.values())
    table = per_document_metrics(counts_matrix(ordered)) if ordered else {}
    per_doc = {
        s.doc_id: {key: _value(table[key][i]) for _, key in DOC_METRICS}
        for i, s in enumerate(ordered)
    }
    run = RunData(
        label=label,
        path=path,
        manifest=manifest,
        metrics=metrics,
        scores=scores,
        predictions=predictions,
        corpus=corpus,
        per_doc=per_doc,
        usage=_usage(manifest, predictions, prices),
        confusion=None,
        confusion_note=None,
    )
    if corpus.note:
        run.warnings.append(corpus.note)
    else:
        # The run hashed the gold of its own documents (the first n_documents loaded).
        current = gold_hash({k: corpus.gold[k] for k in scores if k in corpus.gold})
        if current != manifest.gold_hash:
            run.warnings.append(
                f"the gold in {manifest.gold_source} changed since this run was scored "
                f"(hash {current} vs {manifest.gold_hash}); documents whose gold no longer "
                "fits the scores are shown without gold"
            )
    if manifest.status != "completed":
        run.warnings.append(f"run status is {manifest.status!r}")
    run.confusion, run.confusion_note = _confusion(run)
    return run
