"""How fast a baseline scores the whole seed corpus, end to end in one process (#14.6).

Run from the repository root with the project venv:

    .venv/bin/python bench/baseline_speed.py [--baseline lead-3] [--repeat 3]

What `harness run --model baseline:lead-3 --all` will do once the engine plumbs baselines
(issue 14 part B), minus writing the run folder: a fresh interpreter imports the harness,
loads and checks every seed document and gold file, predicts with the baseline, scores
with `score_many` (the first call pays for scipy's lazy import, about a second), scores
again to show the warm cost, and aggregates with the default 2,000 bootstrap resamples.
The child times each phase; the parent times the whole process (interpreter start and
the second scoring included).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synth import REPO, load_avg, write_json

CHILD = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from harness.baselines import resolve_baseline
from harness.corpus import load_documents, load_gold
from harness.scoring import ScoringConfig, aggregate
from harness.scoring.batch import ScoringTask, score_many
t1 = time.perf_counter()
docs = load_documents(Path("seeds"))
gold = load_gold(Path("gold"), docs)
t2 = time.perf_counter()
baseline = resolve_baseline(sys.argv[1])
predicted = {d.id: baseline(d, gold.get(d.id)).claims for d in docs}
t3 = time.perf_counter()
tasks = [ScoringTask(d.id, d.text, gold[d.id], predicted[d.id], None, True)
         for d in docs if d.id in gold]
scores = score_many(tasks, ScoringConfig())
t4 = time.perf_counter()
serial = score_many(tasks, ScoringConfig(), workers=1)
serial_s = time.perf_counter() - t4
assert serial == scores
t4 = time.perf_counter()
metrics = aggregate(scores)
t5 = time.perf_counter()
print(json.dumps({"docs": len(docs), "scored": len(scores),
    "claims": sum(len(c) for c in predicted.values()),
    "import_s": t1 - t0, "load_s": t2 - t1, "predict_s": t3 - t2, "score_s": t4 - t3 - serial_s,
    "score_again_s": serial_s,
    "aggregate_s": t5 - t4, "claim_f1": metrics.metrics["claim_f1"].value,
    "attributed_f1": metrics.metrics["attributed_f1"].value}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="lead-3")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load_before = load_avg()
    runs = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, args.baseline],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
        )
        result = json.loads(out.stdout)
        result["process_s"] = time.perf_counter() - started
        runs.append(result)
    best = min(runs, key=lambda r: r["process_s"])
    print(
        f"baseline:{args.baseline} on seeds/ ({best['scored']} documents with gold, "
        f"{best['claims']} predicted claims); load avg before: {load_before}, "
        f"after: {load_avg()}"
    )
    keys = ("process_s", "import_s", "load_s", "predict_s", "score_s", "score_again_s")
    for key in (*keys, "aggregate_s"):
        values = ", ".join(f"{r[key]:.3f}" for r in runs)
        print(f"{key:<12} best {best[key]:.3f} s   (all: {values})")
    print(f"claim_f1 {best['claim_f1']}  attributed_f1 {best['attributed_f1']}")
    print(f"wrote {write_json('baseline_speed', {'baseline': args.baseline, 'runs': runs})}")


if __name__ == "__main__":
    main()
