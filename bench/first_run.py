"""What a newcomer's first run shows: the embedded model under v2 and v3 beside lead-3 (#14.5).

Run from the repository root with the project venv:

    .venv/bin/python bench/first_run.py [--limit 8] [--configs v2,v3-caps,v3,lead-3]

One embedded llama.cpp server (the harness's LocalServer and its default options) answers
every configuration on the first N seed documents with gold; requests are sent one at a
time in json_object mode with the request schema of the configuration (what part B of
issue 14 will make the engine send), temperature 0, max_tokens 384, repeat_penalty 1.3
(the CLI's local defaults), one attempt and no re-ask. Answers are validated and scored by
the harness's own `validate_response`, `score_document` and `aggregate`, so the figures
are those `harness run` would print for the same answers (the engine re-asks invalid
answers once; here an invalid answer is a failure).

Configurations:
  v2        extract@v2 with the full strict schema (today's default run)
  v3-caps   extract@v3 with its caps (max 3 claims, gold p90 lengths) but no grounding
  v3        extract@v3 as its prompt.yaml says: caps + evidence enum of the document
  lead-3    the baseline: no server, no tokens

Copying: a claim counts as copied from the prompt when its statement or evidence shares a
token F1 of at least 0.6 with a sentence (or JSON string) of the rendered prompt outside
the article and its title: a worked example's claims, or the instructions themselves.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _chat import ask, server, stop_on_sigterm
from _synth import REPO, load_avg, write_json

from harness.baselines import resolve_baseline
from harness.claims import Claim, Document, GoldDocument
from harness.corpus import load_documents, load_gold
from harness.prompts import Prompt, load_prompt
from harness.schemas.request import (
    Grounding,
    RequestCaps,
    caps_from_gold,
    document_request_schema,
)
from harness.scoring import DocScore, aggregate, score_document
from harness.scoring.matching import token_f1
from harness.scoring.text import tokens
from harness.validation import validate_response

CONFIGS = {  # name -> (prompt, use the prompt's caps, grounding)
    "v2": ("extract@v2", False, Grounding.NONE),
    "v3-caps": ("extract@v3", True, Grounding.NONE),
    "v3": ("extract@v3", True, Grounding.SENTENCES),
}
METRICS = ("claim_precision", "claim_recall", "claim_f1", "attributed_f1", "grounding_rate")


def _prompt_sentences(prompt: Prompt, document: Document) -> list[tuple[str, ...]]:
    """Token tuples of every sentence of the rendered prompt outside the article."""
    rendered = prompt.render(document)
    text = f"{rendered.system}\n{rendered.user}".replace(document.text.strip(), " ")
    if document.title:  # the title is the article's text too, not the prompt's
        text = text.replace(document.title, " ")
    pieces = (p for line in text.splitlines() for p in re.split(r"(?<=[.!?])\s+|\"\s*,\s*\"", line))
    return [t for t in (tuple(tokens(p)) for p in pieces) if len(t) >= 4]


def _copied(claim: Claim, prompt_sentences: list[tuple[str, ...]]) -> bool:
    """Statement or evidence shares token F1 >= 0.6 with a sentence of the prompt itself."""
    mine = [tuple(tokens(claim.statement)), tuple(tokens(claim.evidence))]
    return any(token_f1(a, b) >= 0.6 for a in mine for b in prompt_sentences)


def _run_model(
    base_url: str,
    name: str,
    documents: list[Document],
    gold: dict[str, GoldDocument],
    caps: RequestCaps,
) -> dict[str, Any]:
    ref, capped, grounding = CONFIGS[name]
    prompt = load_prompt(ref, REPO / "prompts")
    scores: list[DocScore] = []
    rows = []
    for doc in documents:
        request = document_request_schema(doc.text, caps if capped else None, grounding)
        reply = ask(base_url, prompt, doc, request.schema)
        failure, claims = None, []
        if reply.finish_reason == "length":
            failure = "truncated"
        else:
            validated = validate_response(reply.content)
            if validated.extraction is None:
                failure = str(validated.failure.kind) if validated.failure else "invalid"
            else:
                claims = list(validated.extraction.claims)
        enum = request.schema["properties"]["claims"]["items"]["properties"]["evidence"]
        scores.append(
            score_document(
                doc.id,
                doc.text,
                gold[doc.id],
                claims,
                failure=failure,
                valid_first_attempt=failure is None,
            )
        )
        rows.append(
            {
                "doc_id": doc.id,
                "failure": failure,
                "latency_s": round(reply.latency_s, 2),
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "n_claims": len(claims),
                "copied": sum(_copied(c, _prompt_sentences(prompt, doc)) for c in claims),
                "outside_enum": sum(
                    c.evidence not in enum.get("enum", [c.evidence]) for c in claims
                ),
                "grounded_request": request.grounded,
                "raw": reply.content,
            }
        )
        print(
            f"  {name} {doc.id}: {failure or 'ok'} {len(claims)} claims "
            f"{reply.latency_s:.1f} s {reply.completion_tokens} tok",
            flush=True,
        )
    return {"scores": scores, "rows": rows}


def _summary(name: str, scores: list[DocScore], rows: list[dict[str, Any]]) -> dict[str, Any]:
    metrics = aggregate(scores).metrics
    seconds = sum(r["latency_s"] for r in rows)
    completion = sum(r["completion_tokens"] for r in rows)
    return {
        "config": name,
        **{m: metrics[m].value for m in METRICS},
        "schema_valid_rate": metrics["schema_valid_rate"].value,
        "truncated": sum(r["failure"] == "truncated" for r in rows),
        "s_per_doc": seconds / len(rows) if rows else 0.0,
        "completion_tok_per_s": completion / seconds if seconds else 0.0,
        "claims": sum(r["n_claims"] for r in rows),
        "copied_claims": sum(r["copied"] for r in rows),
        "docs_with_copy": sum(r["copied"] > 0 for r in rows),
        "evidence_outside_enum": sum(r["outside_enum"] for r in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=8)
    parser.add_argument("--configs", default="v2,v3-caps,v3,lead-3")
    args = parser.parse_args()
    stop_on_sigterm()
    names = args.configs.split(",")
    all_docs = load_documents(REPO / "seeds")
    gold = load_gold(REPO / "gold", all_docs)
    documents = [d for d in all_docs if d.id in gold][: args.limit]
    spec = load_prompt("extract@v3", REPO / "prompts").meta.request_caps
    assert spec is not None
    caps = caps_from_gold(gold.values(), spec)
    print(f"caps: {caps.model_dump(mode='json')}")
    load_before = load_avg()
    summaries, details = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-first-run-") as tmp:
        if any(n in CONFIGS for n in names):
            with server(Path(tmp), "server") as local:
                for name in [n for n in names if n in CONFIGS]:
                    run = _run_model(local.base_url, name, documents, gold, caps)
                    summaries.append(_summary(name, run["scores"], run["rows"]))
                    details[name] = run["rows"]
    for name in [n for n in names if n not in CONFIGS]:
        baseline = resolve_baseline(name)
        started = time.perf_counter()
        scores = [
            score_document(
                d.id, d.text, gold[d.id], baseline(d, gold[d.id]).claims, valid_first_attempt=True
            )
            for d in documents
        ]
        elapsed = time.perf_counter() - started
        rows = [
            {
                "latency_s": elapsed / len(documents),
                "completion_tokens": 0,
                "failure": None,
                "n_claims": s.counts.n_pred,
                "copied": 0,
                "outside_enum": 0,
            }
            for s in scores
        ]
        summaries.append(_summary(name, scores, rows))
    load_after = load_avg()
    print(f"{len(documents)} documents; load avg before: {load_before}   after: {load_after}")
    header = [
        "config",
        "P",
        "R",
        "F1",
        "attrF1",
        "ground",
        "valid",
        "trunc",
        "s/doc",
        "tok/s",
        "claims",
        "copied",
        "outside_enum",
    ]
    print(" ".join(f"{h:>8}" for h in header))
    for s in summaries:
        values = [
            s["config"],
            s["claim_precision"],
            s["claim_recall"],
            s["claim_f1"],
            s["attributed_f1"],
            s["grounding_rate"],
            s["schema_valid_rate"],
            s["truncated"],
            s["s_per_doc"],
            s["completion_tok_per_s"],
            s["claims"],
            s["copied_claims"],
            s["evidence_outside_enum"],
        ]
        print(" ".join(f"{v:>8.3f}" if isinstance(v, float) else f"{v!s:>8}" for v in values))
    out = {
        "caps": caps.model_dump(mode="json"),
        "load_before": load_before,
        "load_after": load_after,
        "documents": [d.id for d in documents],
        "summaries": summaries,
        "details": details,
    }
    print(f"wrote {write_json('first_run', out)}")


if __name__ == "__main__":
    main()
