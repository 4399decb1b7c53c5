"""What the template shows: the verdict of a comparison and each document's evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.claims import Claim, GoldClaim, GoldDocument
from harness.compare import Comparison, FlippedDoc, PairComparison
from harness.render.numbers import interval, number, p_value
from harness.report.data import RunData
from harness.report.highlight import Segment, TextMap, evidence_spans, segments

__all__ = ["DocRunView", "DocView", "PairView", "Verdict", "doc_views", "verdicts"]

_RAW_LIMIT = 4000


@dataclass(frozen=True)
class Verdict:
    run_a: str
    run_b: str
    headline: str
    tone: str  # "better" | "worse" | "mixed" | "same"
    reasons: list[str]


def _sig(m_p: float | None, alpha: float) -> bool:
    return m_p is not None and m_p < alpha


def _failures(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    detail = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    return f"{total} ({detail})" if total else "0"


def _verdict(
    pair: PairComparison, labels: dict[str, str], alpha: float, failures: dict[str, dict[str, int]]
) -> Verdict:
    a, b = labels[pair.run_a], labels[pair.run_b]
    better = [m for m in pair.metrics if _sig(m.p_holm, alpha) and (m.delta or 0) > 0]
    worse = [m for m in pair.metrics if _sig(m.p_holm, alpha) and (m.delta or 0) < 0]
    if better and not worse:
        tone, headline = "better", f"{b} beats the baseline {a}"
    elif worse and not better:
        tone, headline = "worse", f"{b} is worse than the baseline {a}"
    elif better:
        tone, headline = (
            "mixed",
            f"{b} vs the baseline {a}: better on some metrics, worse on others",
        )
    else:
        tone, headline = "same", f"{b} vs the baseline {a}: no significant difference"
    reasons = [
        f"{m.metric} {number(m.value_a)} -> {number(m.value_b)} ({number(m.delta, signed=True)}, "
        f"95% CI {interval(m.ci_low, m.ci_high, signed=True)}, Holm p = {p_value(m.p_holm, 3)})"
        for m in better + worse
        if None not in (m.value_a, m.value_b, m.delta, m.ci_low, m.ci_high, m.p_holm)
    ]
    directions = [_direction(d) for d in pair.flipped]
    up, down = directions.count(1), directions.count(-1)
    fa, fb = failures.get(a, {}), failures.get(b, {})
    if fa != fb:
        reasons.append(f"failed documents: {a} {_failures(fa)}, {b} {_failures(fb)}")
    if pair.flipped:
        mixed = len(directions) - up - down
        reasons.append(
            f"{len(pair.flipped)} documents flipped: {up} improved, {down} worsened"
            + (f", {mixed} changed failure class only" if mixed else "")
        )
    rest = [m for m in pair.metrics if m not in better and m not in worse and m.delta]
    if rest:
        moves = ", ".join(f"{m.metric} {m.delta:+.3f}" for m in rest if m.delta is not None)
        reasons.append(f"not significant at Holm-corrected p < {alpha:g}: {moves}")
    return Verdict(a, b, headline, tone, reasons)


def verdicts(
    comparison: Comparison, labels: dict[str, str], failures: dict[str, dict[str, int]]
) -> list[Verdict]:
    """One verdict per run against the baseline; `failures` by run label."""
    return [_verdict(pair, labels, comparison.alpha, failures) for pair in comparison.pairs]


@dataclass(frozen=True)
class PairView:
    gold_index: int
    pred_index: int
    gold: GoldClaim
    predicted: Claim
    similarity: float
    speaker: bool
    speaker_type: bool | None
    quote_type: bool | None
    via: bool | None
    grounded: bool


@dataclass
class DocRunView:
    run: RunData
    scored: bool
    failure: str | None = None
    failure_message: str | None = None
    raw_answer: str | None = None
    n_pred: int = 0
    values: dict[str, float | None] = field(default_factory=dict)
    segments: list[Segment] | None = None
    pairs: list[PairView] = field(default_factory=list)
    missed: list[tuple[int, GoldClaim]] = field(default_factory=list)
    unmatched: list[tuple[int, Claim, bool]] = field(default_factory=list)
    invented: list[tuple[int, Claim]] = field(default_factory=list)
    note: str | None = None


@dataclass
class DocView:
    doc_id: str
    title: str | None
    runs: list[DocRunView]


def _doc_run(run: RunData, doc_id: str) -> DocRunView:
    score = run.scores.get(doc_id)
    if score is None:
        return DocRunView(run=run, scored=False, note="not scored in this run")
    record = run.predictions.get(doc_id)
    claims = (record.claims if record else None) or []
    view = DocRunView(
        run=run,
        scored=True,
        failure=score.failure,
        n_pred=len(claims),
        values=run.per_doc.get(doc_id, {}),
    )
    if record is not None and record.failure is not None:
        view.failure_message = record.failure.message
        raw = record.raw
        view.raw_answer = (
            raw[:_RAW_LIMIT] + (" [...]" if len(raw) > _RAW_LIMIT else "") if raw else raw
        )
    ungrounded = set(score.ungrounded_predicted)
    gold = run.gold_for(doc_id)
    document = run.corpus.documents.get(doc_id)
    view.invented = [(i, claims[i]) for i in score.ungrounded_predicted if i < len(claims)]
    view.unmatched = [
        (i, claims[i], i not in ungrounded) for i in score.unmatched_predicted if i < len(claims)
    ]
    if gold is None:
        view.note = "gold unavailable (or changed since scoring): matched pairs not shown"
        return view
    view.missed = [(i, gold.claims[i]) for i in score.missed_gold]
    view.pairs = [
        PairView(
            p.gold,
            p.predicted,
            gold.claims[p.gold],
            claims[p.predicted],
            p.similarity,
            p.speaker,
            p.speaker_type,
            p.quote_type,
            p.via,
            p.predicted not in ungrounded,
        )
        for p in score.pairs
    ]
    if document is not None:
        view.segments = _highlighted(document.text, gold, claims, ungrounded, run.threshold)
    return view


def _highlighted(
    text: str, gold: GoldDocument, claims: Sequence[Claim], ungrounded: set[int], threshold: float
) -> list[Segment]:
    """The document cut into segments, each marked with the gold and predicted evidence over it."""
    mapped = TextMap(text)
    gold_spans = evidence_spans([c.evidence for c in gold.claims], mapped, threshold)
    pred_spans = evidence_spans(
        [c.evidence for c in claims], mapped, threshold, frozenset(ungrounded)
    )
    return segments(text, list(gold_spans.items()), list(pred_spans.items()))


def doc_views(runs: list[RunData], doc_ids: Sequence[str]) -> list[DocView]:
    """One view per document in `doc_ids`, with every run's side."""
    out = []
    for doc_id in doc_ids:
        document = next(
            (r.corpus.documents[doc_id] for r in runs if doc_id in r.corpus.documents), None
        )
        out.append(
            DocView(
                doc_id,
                document.title if document else None,
                [_doc_run(run, doc_id) for run in runs],
            )
        )
    return out


def _direction(doc: FlippedDoc) -> int:
    """+1 improved, -1 worsened, 0 neither: scores first, then failing versus not failing."""
    score = max(doc.claim_f1_b - doc.claim_f1_a, doc.attributed_f1_b - doc.attributed_f1_a)
    drop = min(doc.claim_f1_b - doc.claim_f1_a, doc.attributed_f1_b - doc.attributed_f1_a)
    if score > 0 and drop >= 0:
        return 1
    if drop < 0 and score <= 0:
        return -1
    if (doc.failure_a is None) != (doc.failure_b is None):
        return 1 if doc.failure_b is None else -1
    return 0
