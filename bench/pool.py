"""A pool of replicas vs one replica, at 200 ms server latency (issue 20).

Run from the repository root:

    python bench/pool.py [--docs 1600] [--replicas 4] [--concurrency 4] [--latency-ms 200]

Every replica is bench/_synth.py's raw server in its own process (a fixed valid answer,
`--latency-ms` after each request, so requests in flight overlap as on a model server).
Three `harness run`s through the public API (`harness.run`), output mode forced to
json_object, no re-ask, no cache, `--concurrency` per replica:

* one replica;
* a pool of `--replicas` replicas: throughput over one replica's (target >= 3.6x for 4),
  and max/min documents answered per replica (target <= 1.2);
* the same pool with one replica killed (SIGKILL) a third of the way through: documents
  lost (target 0) and how many needed a retry.

Throughput is documents over the run's extraction time (manifest.duration_s, the pool's
model check included). Output: a table on stdout and bench/out/pool.json, with the load
average before and after (other processes on the machine skew the absolute figures).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synth import REPO, RawServerProcess, load_avg, write_corpus, write_json

import harness
from harness.request import (
    CacheOptions,
    CorpusOptions,
    EndpointOptions,
    EvaluationOptions,
    RunRequest,
)


def _run(
    urls: list[str], docs: Path, gold: Path, results: Path, run_id: str, concurrency: int
) -> harness.RunOutcome:
    request = RunRequest(
        endpoint=EndpointOptions(model="bench", base_url=urls, concurrency=concurrency),
        corpus=CorpusOptions(docs=docs, gold=gold, prompts_dir=REPO / "prompts"),
        evaluation=EvaluationOptions(
            results=results, run_id=run_id, output_mode=harness.OutputMode.JSON_OBJECT, reask=0
        ),
        cache=CacheOptions(no_cache=True),
    )
    return harness.run(request)


def _figures(outcome: harness.RunOutcome) -> dict[str, Any]:
    records = list(outcome.folder.read_predictions().values())
    answered = Counter(r.attempts[-1].replica for r in records if r.failure is None)
    duration = outcome.manifest.duration_s or float("nan")
    return {
        "documents": len(records),
        "lost": sum(1 for r in records if r.failure is not None or r.claims is None),
        "retried": sum(1 for r in records if r.attempts[-1].http_attempts > 1),
        "seconds": round(duration, 2),
        "docs_per_s": round(len(records) / duration, 1),
        "per_replica": sorted(answered.values()),
    }


def _spread(counts: list[int]) -> float:
    return round(max(counts) / min(counts), 3) if counts and min(counts) else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1600)
    parser.add_argument("--replicas", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=4, help="per replica")
    parser.add_argument("--latency-ms", type=float, default=200.0)
    args = parser.parse_args()
    load_before = load_avg()
    latency = args.latency_ms / 1000
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        docs, gold = write_corpus(Path(tmp), args.docs)
        results = Path(tmp) / "results"
        servers = [stack.enter_context(RawServerProcess(latency)) for _ in range(args.replicas)]
        urls = [s.base_url for s in servers]
        one = _figures(_run(urls[:1], docs, gold, results, "one", args.concurrency))
        pool = _figures(_run(urls, docs, gold, results, "pool", args.concurrency))
        expected_s = args.docs * latency / (args.concurrency * args.replicas)
        victim = servers[1]._process
        assert victim is not None

        def kill() -> None:
            time.sleep(expected_s / 3)
            victim.send_signal(signal.SIGKILL)

        killer = threading.Thread(target=kill)
        killer.start()
        killed = _figures(_run(urls, docs, gold, results, "killed", args.concurrency))
        killer.join()
    ratio = round(pool["docs_per_s"] / one["docs_per_s"], 2)
    rows = [("one replica", one), (f"pool of {args.replicas}", pool), ("one killed", killed)]
    print(f"{args.docs} documents, {args.latency_ms:g} ms latency, concurrency {args.concurrency}")
    print(f"{'':14} {'docs/s':>8} {'seconds':>8} {'lost':>5} {'retried':>8}  per replica")
    for name, row in rows:
        print(
            f"{name:14} {row['docs_per_s']:>8} {row['seconds']:>8} {row['lost']:>5} "
            f"{row['retried']:>8}  {row['per_replica']}"
        )
    print(f"pool / one replica: {ratio}x (target >= 3.6)")
    print(f"max/min per replica: {_spread(pool['per_replica'])} (target <= 1.2)")
    print(f"documents lost with one replica killed: {killed['lost']} (target 0)")
    load_after = load_avg()
    print(f"load average before: {load_before}; after: {load_after}")
    data = {
        "docs": args.docs,
        "replicas": args.replicas,
        "concurrency_per_replica": args.concurrency,
        "latency_ms": args.latency_ms,
        "one": one,
        "pool": pool,
        "killed": killed,
        "ratio": ratio,
        "max_min": _spread(pool["per_replica"]),
        "load_before": load_before,
        "load_after": load_after,
    }
    print(f"wrote {write_json('pool', data)}")


if __name__ == "__main__":
    main()
