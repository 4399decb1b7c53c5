"""Batch submit / collect / run-from-cache on a synthetic corpus (issue 20 item 2).

Run from the repository root:

    python bench/batch.py [--docs 5000] [--max-lines 50000]

Against the scripted server (its `/v1/files` and `/v1/batches`, answering every line with a
fixed valid answer), through the public API: `harness.submit_batch` (plan each document
against the cache, write the JSONL parts, upload), `harness.collect_batch` (download, fill
the cache), then `harness.run` with the same options, which must send 0 HTTP requests.
Output: a table on stdout and bench/out/batch.json, with the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synth import REPO, load_avg, write_corpus, write_json

import harness
from harness.batch import Limits
from harness.fakes import ChatRequest, Reply, ScriptedServer
from harness.request import (
    CacheOptions,
    CorpusOptions,
    EndpointOptions,
    EvaluationOptions,
    RunRequest,
)


def _answer(request: ChatRequest) -> Reply:
    return Reply(content='{"claims": []}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--max-lines", type=int, default=50_000)
    args = parser.parse_args()
    before = load_avg()
    with tempfile.TemporaryDirectory() as tmp, ScriptedServer(_answer) as server:
        root = Path(tmp)
        docs, gold = write_corpus(root, args.docs)
        os.environ["OPENAI_API_KEY"] = "bench"
        request = RunRequest(
            endpoint=EndpointOptions(model="m", base_url=server.base_url),
            corpus=CorpusOptions(docs=docs, gold=gold, prompts_dir=REPO / "prompts"),
            evaluation=EvaluationOptions(results=root / "results"),
            cache=CacheOptions(cache_dir=root / "cache"),
        )
        started = time.perf_counter()
        submitted = harness.submit_batch(request, root / "batch", Limits(lines=args.max_lines))
        submit_s = time.perf_counter() - started
        started = time.perf_counter()
        collected = harness.collect_batch(root / "batch", wait=True, poll_s=0.1)
        collect_s = time.perf_counter() - started
        sent = len(server.http_log)
        started = time.perf_counter()
        outcome = harness.run(request)
        run_s = time.perf_counter() - started
        run_requests = len(server.http_log) - sent
    figures = {
        "documents": args.docs,
        "parts": submitted.parts,
        "submit_s": round(submit_s, 2),
        "submit_docs_per_s": round(args.docs / submit_s),
        "collect_s": round(collect_s, 2),
        "answers_cached": collected.succeeded,
        "run_from_cache_s": round(run_s, 2),
        "run_http_requests": run_requests,
        "run_requested_documents": outcome.requested,
        "load_before": before,
        "load_after": load_avg(),
    }
    for name, value in figures.items():
        print(f"{name:24} {value}")
    write_json("batch", figures)


if __name__ == "__main__":
    main()
