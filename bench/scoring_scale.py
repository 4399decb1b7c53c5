"""Scoring at scale: score_document over N documents of 20 predicted x 20 gold claims (#8.2).

Run from the repository root:

    python bench/scoring_scale.py [--sizes 1000,10000,100000] [--pool 256] [--workers 0]

Each synthetic document has 20 sentences; its 20 gold claims cite those sentences. The 20
predictions: 8 cite the gold sentence verbatim with a reworded statement, 4 cite it with
a typo (fuzzy grounding), 4 cite a sentence with a different statement, 4 cite invented
text (not grounded, so partial_ratio scans the whole document). Inputs are built once for
a pool of `--pool` distinct documents and cycled (the scoring code caches nothing, so
cost per document is unaffected); building them is outside the timing.

Timed per size, the way `score_run` scores a run: the documents stream through one
BatchScorer (`lines`: batches of 5,000, jobs of 100 documents on worker processes on every
core, started once; --workers 1 scores serially), only each document's count row kept, then
aggregate_counts (2000 bootstrap resamples, the default). Prints time per document (should
stay flat as N grows), CPU seconds per 1,000 documents (this process and its workers: what
other jobs on the cores do not change much), the aggregate time, the peak RSS of this
process and of the largest worker; target: 10k documents scored + aggregated in < 8 s.
Output: table on stdout and bench/out/scoring_scale.json. Load average is printed.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synth import load_avg, sentence, write_json

from harness import Claim, GoldDocument
from harness.scoring.batch import BatchScorer, CountRows, ScoringTask
from harness.scoring.document import ScoringConfig
from harness.scoring.metrics import aggregate_counts

Case = tuple[str, GoldDocument, list[Claim]]
WORKERS = 1  # set by --workers


def _typo(text: str, rng: random.Random) -> str:
    i = rng.randrange(5, len(text) - 5)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _case(rng: random.Random) -> Case:
    pairs = [sentence(rng) for _ in range(20)]
    text = " ".join(s for s, _ in pairs)
    gold_claims = [c | {"speaker_aliases": [], "required": True} for _, c in pairs]
    gold = GoldDocument.model_validate({"doc_id": "x", "claims": gold_claims})
    predicted: list[dict[str, Any]] = []
    for i, (_, claim) in enumerate(pairs):
        p = dict(claim)
        if i < 8:
            p["statement"] = "Reportedly, " + claim["statement"].lower()
        elif i < 12:
            p["evidence"] = _typo(claim["evidence"], rng)
        elif i < 16:
            p["statement"] = "Something else entirely was said about taxes."
            p["speaker"] = "Someone Else"
        else:
            invented, other = sentence(random.Random(rng.random()))
            p["evidence"] = "Invented: " + invented
            p["statement"] = other["statement"]
        predicted.append(p)
    rng.shuffle(predicted)
    return text, gold, [Claim.model_validate(p) for p in predicted]


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished children (the scoring workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_size(n: int, pool: list[Case]) -> dict[str, Any]:
    """Score like `score_run`: the tasks streamed through one BatchScorer, only the count
    rows kept, metrics from aggregate_counts (bootstrap included)."""
    started, cpu = time.perf_counter(), _cpu_s()
    with BatchScorer(ScoringConfig(), workers=WORKERS) as scorer:
        tasks = (ScoringTask(f"doc{i:07d}", *pool[i % len(pool)], None, True) for i in range(n))
        rows = CountRows()
        for line in scorer.lines(tasks):
            rows.add(line.counts)
    scored, cpu = time.perf_counter() - started, _cpu_s() - cpu
    started = time.perf_counter()
    metrics = aggregate_counts(rows.matrix(), {})
    agg = time.perf_counter() - started
    return {
        "docs": n,
        "score_s": scored,
        "per_doc_ms": scored / n * 1000,
        "cpu_s_per_1k": cpu / n * 1000,
        "aggregate_s": agg,
        "total_s": scored + agg,
        "claim_f1": metrics.metrics["claim_f1"].value,
        "peak_rss_mb_so_far": _peak_rss_mb(),
        "workers_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--pool", type=int, default=256)
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="scoring processes: 0 = all cores (the harness default), 1 = serial",
    )
    args = parser.parse_args()
    global WORKERS
    WORKERS = args.workers or (os.cpu_count() or 1)
    rng = random.Random(11)
    pool = [_case(rng) for _ in range(args.pool)]
    load_before = load_avg()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows.append(run_size(size, pool))
        r = rows[-1]
        print(
            f"  done {size}: {r['total_s']:.1f}s (load {load_avg()})", file=sys.stderr, flush=True
        )
    load_after = load_avg()
    print(f"20 predicted x 20 gold claims per doc; load avg before: {load_before}")
    print(
        f"{'docs':>8} {'score s':>9} {'ms/doc':>8} {'CPU s/1k':>9} {'aggregate s':>12}"
        f" {'total s':>9}"
        f" {'peak RSS MB':>12} {'worker MB':>10} {'claim_f1':>9}"
    )
    for r in rows:
        print(
            f"{r['docs']:>8} {r['score_s']:>9.2f} {r['per_doc_ms']:>8.3f} {r['cpu_s_per_1k']:>9.2f}"
            f" {r['aggregate_s']:>12.2f}"
            f" {r['total_s']:>9.2f} {r['peak_rss_mb_so_far']:>12.0f}"
            f" {r['workers_peak_rss_mb']:>10.0f} {r['claim_f1']:>9.3f}"
        )
    print(f"load avg after: {load_after}; target: 10k docs total < 8 s")
    path = write_json(
        "scoring_scale", {"load_before": load_before, "load_after": load_after, "rows": rows}
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
