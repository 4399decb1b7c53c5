"""The data the report's one script explores, built here and embedded as escaped JSON.

Python computes every number, evidence span, gold alignment and flip; the script in
`templates/report.js` only filters, sorts, pages and lays these side by side, so no metric
or flip rule exists twice. Arrays rather than objects keep a 5,000-document report small:
a predicted claim is `[statement, speaker, speaker_type index, span | null, gold index
(-1 unmatched), speaker ok (1/0, null unmatched)]`, a gold claim the first four of those.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from harness.claims import Claim
from harness.flips import flipped_documents
from harness.report.data import DOC_METRICS, SPEAKER_TYPES, RunData
from harness.report.highlight import TextMap, evidence_spans

__all__ = ["PAGE_SIZE", "csp_hash", "embed_json", "explore_data"]

PAGE_SIZE = 100
_TYPE_INDEX = {t: i for i, t in enumerate(SPEAKER_TYPES)}
# JSON is JavaScript-safe only after these: `<` stops `</script>` and `<!--` ending or
# changing the data block; U+2028/2029 are line breaks to older JavaScript parsers.
_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_ESCAPE_TABLE = str.maketrans(_ESCAPES)


def embed_json(value: Any) -> Markup:
    """`value` as JSON that cannot end or alter the `<script type="application/json">` it is in."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return Markup(text.translate(_ESCAPE_TABLE))


def csp_hash(script: str) -> str:
    """The CSP source allowing exactly this inline script text (CSP level 2 hash)."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


Span = list[int] | None


def _span(spans: dict[int, tuple[int, int]], i: int) -> Span:
    found = spans.get(i)
    return list(found) if found else None


def _claim(c: Claim, span: Span) -> list[Any]:
    return [c.statement, c.speaker, _TYPE_INDEX[c.speaker_type.value], span]


def _run_side(run: RunData, doc_id: str, text: TextMap | None) -> dict[str, Any] | None:
    """One run's side of one document; None if the run did not score it."""
    score = run.scores.get(doc_id)
    if score is None:
        return None
    record = run.predictions.get(doc_id)
    claims = (record.claims if record else None) or []
    spans: dict[int, tuple[int, int]] = {}
    if text is not None:
        skip = frozenset(score.ungrounded_predicted)
        spans = evidence_spans([c.evidence for c in claims], text, run.threshold, skip)
    aligned = {p.predicted: (p.gold, int(p.speaker)) for p in score.pairs}
    predicted = []
    for i, c in enumerate(claims):
        gold, speaker_ok = aligned.get(i, (-1, None))
        predicted.append([*_claim(c, _span(spans, i)), gold, speaker_ok])
    values = run.per_doc.get(doc_id, {})
    return {
        "v": [values.get(key) for _, key in DOC_METRICS],
        "f": score.failure,
        "n": len(claims),
        "p": predicted,
    }


def _document(runs: Sequence[RunData], doc_id: str) -> dict[str, Any]:
    document = next(
        (r.corpus.documents[doc_id] for r in runs if doc_id in r.corpus.documents), None
    )
    scorer = next((r for r in runs if r.gold_for(doc_id) is not None), None)
    gold = scorer.gold_for(doc_id) if scorer else None
    text = TextMap(document.text) if document is not None else None
    gold_claims: list[list[Any]] = []
    if gold is not None and scorer is not None:
        spans = {}
        if text is not None:
            spans = evidence_spans([c.evidence for c in gold.claims], text, scorer.threshold)
        gold_claims = [_claim(c, _span(spans, i)) for i, c in enumerate(gold.claims)]
    return {
        "id": doc_id,
        "title": document.title if document else None,
        "text": document.text if document else None,
        "gold": gold_claims,
        "runs": [_run_side(run, doc_id, text) for run in runs],
    }


def _flips(runs: Sequence[RunData], index: dict[str, int]) -> dict[str, list[int]]:
    """Flipped documents of every pair of runs ("i-j", i < j), by the comparison's own rule."""
    out = {}
    for (i, a), (j, b) in itertools.combinations(enumerate(runs), 2):
        common = [d for d in a.scores if d in b.scores]
        flipped = flipped_documents([a.scores[d] for d in common], [b.scores[d] for d in common])
        out[f"{i}-{j}"] = [index[f.doc_id] for f in flipped]
    return out


def explore_data(runs: Sequence[RunData], doc_ids: Sequence[str]) -> dict[str, Any]:
    """Everything the script needs: runs, documents (in `doc_ids` order) and flips."""
    index = {doc_id: i for i, doc_id in enumerate(doc_ids)}
    failures = sorted({s.failure for r in runs for s in r.scores.values() if s.failure})
    return {
        "runs": [
            {
                "label": r.label,
                "name": r.name,
                "color": r.color,
                "prompt": r.manifest.prompt,
                "model": r.manifest.model,
            }
            for r in runs
        ],
        "metrics": [title for title, _ in DOC_METRICS],
        "speaker_types": list(SPEAKER_TYPES),
        "failures": failures,
        "page": PAGE_SIZE,
        "flips": _flips(runs, index),
        "docs": [_document(runs, doc_id) for doc_id in doc_ids],
    }
