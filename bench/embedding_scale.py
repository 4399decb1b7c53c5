"""The embedding matcher at scale: N documents x 20 predicted x 20 gold claims.

Run from the repository root (needs the [embedding] extra):

    python bench/embedding_scale.py [--docs 10000] [--threads 0]

Each synthetic document has 20 gold claims (attributed sentences with a random place,
count and date, ~20 words, so texts almost never repeat across documents and the per-text
cache only serves the verbatim predictions) and 20 predictions: 8 reworded ("Reportedly,
..."), 4 verbatim, 4 about something else, 4 from another random sentence. Timed per
document, the way scoring uses the matcher:
`EmbeddingMatcher.similarity` (tokenise, embed the texts not yet cached, cosine) + the
one-to-one assignment at threshold 0.5. Building the claims is outside the timing. One
process; onnxruntime spreads each batch over `--threads` cores (0 = its default, all
cores). `kill PID` stops early and prints what was measured. Prints docs/s, texts
embedded/s, the cache hit rate (over the distinct texts of each document, so it counts
only repeats ACROSS documents: ~0 means every text was new), wall and peak RSS; writes
bench/out/embedding_scale.json. Progress (docs done, rate) goes to stderr every 500 docs.
Nothing is downloaded (the model is a PyPI package).
"""

from __future__ import annotations

import argparse
import random
import resource
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synth import load_avg, sentence, write_json

from harness.scoring.grounding import Grounding, GroundingKind, NormalisedDocument
from harness.scoring.matchers import embedding
from harness.scoring.matching import ClaimView, assign

_NOWHERE = Grounding(GroundingKind.NOT_FOUND, -1, -1, 0.0)


_PLACES = ["the capital", "the north", "the coastal province", "the border region", "the valley"]


def _statement(rng: random.Random) -> str:
    """A claim-like sentence; the random place, count and date make repeats across
    documents rare (about 1 in 10^8), so the per-text cache cannot flatter the figure."""
    what = sentence(rng)[1]["statement"].rstrip(".")
    place, count = rng.choice(_PLACES), rng.randint(2, 99_999)
    return f"{what}, with {count} people affected in {place} by {rng.randint(1, 28)} June."


def document(rng: random.Random) -> tuple[list[ClaimView], list[ClaimView]]:
    gold = [_statement(rng) for _ in range(20)]
    predicted = []
    for i, statement in enumerate(gold):
        if i < 8:
            predicted.append("Reportedly, " + statement.lower())
        elif i < 12:
            predicted.append(statement)
        elif i < 16:
            predicted.append(f"Something else was said about taxes in {rng.randint(1, 99_999)}.")
        else:
            predicted.append(_statement(rng))
    rng.shuffle(predicted)
    views = (
        [ClaimView.of(_NOWHERE, s) for s in predicted],
        [ClaimView.of(_NOWHERE, s) for s in gold],
    )
    return views


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # `kill PID` (SIGTERM) stops the run and still prints it


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    print(f"load average at start: {load_avg()}")
    encoder = embedding.MiniLMEncoder(threads=args.threads or None)
    matcher = embedding.EmbeddingMatcher(encoder)
    doc, rng = NormalisedDocument(""), random.Random(13)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    timed, matched, done, requested = 0.0, 0, 0, 0
    wall_started = time.perf_counter()
    try:
        for index in range(args.docs):
            predicted, gold = document(rng)
            requested += len({v.statement for v in (*predicted, *gold)})
            started = time.perf_counter()
            matched += len(assign(matcher.similarity(predicted, gold, doc), 0.5))
            timed += time.perf_counter() - started
            done = index + 1
            if done % 500 == 0:
                rate = done / timed
                print(
                    f"  {done} docs, {timed:.0f} s, {rate:.2f} docs/s, load {load_avg()}",
                    file=sys.stderr,
                    flush=True,
                )
    except KeyboardInterrupt:  # a partial run still reports what it measured
        print(f"interrupted after {done} of {args.docs} documents", file=sys.stderr)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "docs": done,
        "docs_requested": args.docs,
        "claims_per_doc": "20 x 20",
        "wall_s": round(timed, 1),
        "wall_incl_building_claims_s": round(time.perf_counter() - wall_started, 1),
        "docs_per_s": round(done / timed, 2),
        "distinct_texts_per_doc_summed": requested,
        "texts_embedded": encoder.encoded,
        "texts_per_s": round(encoder.encoded / timed, 1),
        "cache_hit_rate": round(1 - encoder.encoded / requested, 4) if requested else 0.0,
        "matched_pairs": matched,
        "peak_rss_mb": round(peak, 1),
        "rss_after_model_load_mb": round(rss_before, 1),
        "load_avg_end": load_avg(),
    }
    for key, value in result.items():
        print(f"{key}: {value}")
    write_json("embedding_scale", result)


if __name__ == "__main__":
    main()
