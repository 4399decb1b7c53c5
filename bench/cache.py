"""An identical re-run served from the response cache: time and requests (#8.3).

Run from the repository root:

    python bench/cache.py [--docs 2000] [--concurrency 64] [--runs2 3]

Writes a synthetic corpus (short documents + gold, bench/_synth.py), starts the raw asyncio
loopback server (counts the requests it answers), then in this process:

* run 1: run_evaluation with cache_dir=<tmp>/cache, output_mode forced to json_object (no
         probe), reask 0: every document is requested and stored in the SQLite cache.
* run 2: the identical evaluation again (new run_id, same cache_dir), repeated --runs2
         times: wall time of run_evaluation end to end (loading, gold validation, cache
         lookups, predictions written, scoring, in-process for these
         one-claim documents), the requests the server received during it (must be 0) and
         manifest.cache (hits/misses). The extraction phase (manifest.duration_s) is shown
         apart from the rest (loading + scoring).

Target (#8.3): 2,000 documents re-run from the cache in under 5 s with zero requests.
Interpreter start and imports are not included (the same process runs everything).
Output: a table on stdout and bench/out/cache.json. Load average before/after is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synth import REPO, RawServer, load_avg, write_corpus, write_json

from harness import Endpoint, RunConfig, run_evaluation
from harness.endpoints.client import OutputMode


def _config(
    base_url: str, docs: Path, gold: Path, tmp: Path, concurrency: int, run_id: str
) -> RunConfig:
    return RunConfig(
        prompts_dir=REPO / "prompts",
        docs=docs,
        gold=gold,
        results_dir=tmp / "results",
        endpoint=Endpoint(
            base_url=base_url, model="bench", concurrency=concurrency, max_attempts=1, timeout_s=60
        ),
        output_mode=OutputMode.JSON_OBJECT,
        reask=0,
        run_id=run_id,
        cache_dir=tmp / "cache",
    )


def _one(server: RawServer, config: RunConfig) -> dict[str, Any]:
    before = server.requests
    started = time.perf_counter()
    outcome = asyncio.run(run_evaluation(config, None))
    wall = time.perf_counter() - started
    manifest = outcome.manifest
    extract = manifest.duration_s or 0.0
    return {
        "run_id": manifest.run_id,
        "wall_s": wall,
        "extract_phase_s": extract,
        "load_and_score_s": wall - extract,
        "server_requests": server.requests - before,
        "cache": manifest.cache.model_dump() if manifest.cache else None,
        "tokens_cached": manifest.tokens.cached,
        "n_docs": outcome.metrics.n_docs,
        "failures": dict(outcome.metrics.failures),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--runs2", type=int, default=3, help="repetitions of the cached run")
    args = parser.parse_args()

    load_before = load_avg()
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp_name, RawServer() as server:
        tmp = Path(tmp_name)
        docs, gold = write_corpus(tmp, args.docs)
        run1 = _one(server, _config(server.base_url, docs, gold, tmp, args.concurrency, "run1"))
        runs2 = [
            _one(server, _config(server.base_url, docs, gold, tmp, args.concurrency, f"run2-{i}"))
            for i in range(args.runs2)
        ]
        cache_bytes = (tmp / "cache" / "responses.sqlite").stat().st_size
    load_after = load_avg()

    median2 = statistics.median(r["wall_s"] for r in runs2)
    worst_requests = max(r["server_requests"] for r in runs2)
    verdict = "PASS" if median2 < 5 and worst_requests == 0 else "FAIL"
    print(f"docs={args.docs} concurrency={args.concurrency} server=raw (loopback)")
    print(f"load avg before: {load_before}   after: {load_after}")
    print(
        f"{'run':<8} {'wall s':>7} {'extract s':>10} {'load+score s':>13} {'requests':>9}"
        f" {'cache hits':>11} {'misses':>7} {'failures':>9}"
    )
    for r in [run1, *runs2]:
        cache = r["cache"] or {}
        print(
            f"{r['run_id']:<8} {r['wall_s']:>7.2f} {r['extract_phase_s']:>10.2f}"
            f" {r['load_and_score_s']:>13.2f} {r['server_requests']:>9}"
            f" {cache.get('hits', '-'):>11} {cache.get('misses', '-'):>7}"
            f" {sum(r['failures'].values()):>9}"
        )
    print(
        f"run 2 median wall: {median2:.2f} s, max requests during run 2: {worst_requests}"
        f" -> {verdict} (target < 5 s, 0 requests); cache file {cache_bytes / 1e6:.1f} MB"
    )
    path = write_json(
        "cache",
        {
            "docs": args.docs,
            "concurrency": args.concurrency,
            "run1": run1,
            "run2": runs2,
            "run2_median_wall_s": median2,
            "run2_max_requests": worst_requests,
            "verdict": verdict,
            "cache_bytes": cache_bytes,
            "load_before": load_before,
            "load_after": load_after,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
