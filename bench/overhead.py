"""Harness overhead vs a bare AsyncOpenAI loop against a zero-latency loopback server (#8.1).

Run from the repository root:

    python bench/overhead.py [--docs 2000] [--concurrency 64] [--servers scripted,raw]
                             [--rounds 2] [--no-profile]

What it measures, in one process, against the same loopback server:

* bare:    asyncio.Semaphore(C) around `AsyncOpenAI.chat.completions.create` (max_retries=0)
           with the harness's own request body for every document (rendered beforehand).
* raw route: the same loop on `client.post("/chat/completions", cast_to=object)`, the SDK
           route the harness itself uses (no typed request transform, no response model).
           harness / raw route isolates the harness's own per-document cost.
* harness: `run_evaluation` with concurrency C, output_mode forced to json_object (no
           probe), reask 0, results in a temp dir. Reported twice: the extraction phase
           (manifest.duration_s) and end to end (loading, gold validation, scoring included).

Rounds alternate the order (bare, raw, harness, harness, raw, bare, then reversed).
Servers: `scripted` is the project's ScriptedServer (stdlib ThreadingHTTPServer, in a
thread of this process), `raw` a minimal asyncio keep-alive server (own thread) to see
whether the server is the limit, `raw-process` the same server in its own process (no GIL
shared with the client, as with a real server), or any base URL: start
`python bench/_synth.py serve` once and point this script and other harnesses at it.
Then one harness run under cProfile; the top functions go to bench/out/overhead_profile.txt.
Output: a table on stdout and bench/out/overhead.json. The machine load is printed: other
processes on the 2 cores skew every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openai

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synth import (
    FIXED_REPLY,
    OUT,
    REPO,
    RawServer,
    RawServerProcess,
    load_avg,
    write_corpus,
    write_json,
)

from harness import Endpoint, RunConfig, SamplingParams, load_documents, load_prompt, run_evaluation
from harness.endpoints.client import ChatClient, OutputMode
from harness.fakes import Reply, ScriptedServer


def _server(kind: str) -> AbstractContextManager[Any]:
    if kind == "scripted":  # listens with a backlog of 1024 (harness.fakes.server)
        return ScriptedServer(lambda request: Reply(content=FIXED_REPLY))
    if kind == "raw":
        return RawServer()
    if kind == "raw-process":
        return RawServerProcess()
    if kind.startswith("http://") or kind.startswith("https://"):
        return contextlib.nullcontext(SimpleNamespace(base_url=kind))
    raise SystemExit(f"unknown server {kind!r}")


def _config(base_url: str, docs: Path, gold: Path, results: Path, concurrency: int) -> RunConfig:
    return RunConfig(
        prompt="extract@v2",
        prompts_dir=REPO / "prompts",
        docs=docs,
        gold=gold,
        results_dir=results,
        endpoint=Endpoint(
            base_url=base_url,
            model="bench",
            concurrency=concurrency,
            max_attempts=1,
            timeout_s=60,
        ),
        params=SamplingParams(),
        output_mode=OutputMode.JSON_OBJECT,
        reask=0,
    )


_TYPED = ("model", "messages", "temperature", "max_tokens")


def _request_kwargs(config: RunConfig) -> list[dict[str, Any]]:
    """`create` kwargs sending the harness's exact body, one per document (built outside
    the timing). The schema-bearing `response_format` goes in `extra_body`, as a careful
    user would pass it: as a typed argument the SDK would walk the whole schema per call."""
    prompt = load_prompt(config.prompt, config.prompts_dir)
    client = ChatClient(config.endpoint, "no-key", config.params, mode=OutputMode.JSON_OBJECT)
    kwargs = []
    for doc in load_documents(config.docs):
        body = client._request(prompt.render(doc).messages(), OutputMode.JSON_OBJECT)
        typed = {k: body.pop(k) for k in _TYPED}
        kwargs.append({**typed, "extra_body": body})
    asyncio.run(client.close())
    return kwargs


async def _bare(
    base_url: str, bodies: list[dict[str, Any]], concurrency: int, raw: bool = False
) -> float:
    """The naive loop; with `raw`, the same loop on the SDK route the harness uses."""
    client = openai.AsyncOpenAI(base_url=base_url, api_key="no-key", max_retries=0, timeout=60)
    semaphore = asyncio.Semaphore(concurrency)
    ok = 0

    async def one(kwargs: dict[str, Any]) -> None:
        nonlocal ok
        async with semaphore:
            if raw:
                body = {k: v for k, v in kwargs.items() if k != "extra_body"}
                data: Any = await client.post(
                    "/chat/completions", cast_to=object, body={**body, **kwargs["extra_body"]}
                )
                ok += bool(data["choices"][0]["message"]["content"])
                return
            response = await client.chat.completions.create(**kwargs)
        ok += bool(response.choices[0].message.content)

    started = time.perf_counter()
    await asyncio.gather(*(one(b) for b in bodies))
    elapsed = time.perf_counter() - started
    await client.close()
    assert ok == len(bodies), f"bare: only {ok}/{len(bodies)} answered"
    return elapsed


async def _harness(config: RunConfig) -> tuple[float, float]:
    started = time.perf_counter()
    outcome = await run_evaluation(config, None)
    total = time.perf_counter() - started
    assert not outcome.metrics.failures, outcome.metrics.failures
    assert outcome.manifest.duration_s is not None
    return outcome.manifest.duration_s, total


def _profile(config: RunConfig, top: int = 10) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(run_evaluation(config, None))
    profiler.disable()
    parts = []
    for key, n in (("cumulative", top), ("tottime", 25)):
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats(key)
        stats.print_stats(n)
        parts.append(f"==== top {n} by {key} (harness thread only; server not profiled) ====\n")
        parts.append(buffer.getvalue())
    return "".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--servers",
        default="scripted,raw,raw-process",
        help="comma list of scripted, raw, raw-process, or a base URL (any OpenAI-compatible "
        "server answering a valid extraction, e.g. `python bench/_synth.py serve`)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="each round runs both twice")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()

    load_before = load_avg()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp_name:
        tmp = Path(tmp_name)
        docs, gold = write_corpus(tmp, args.docs)
        results = tmp / "results"
        for kind in args.servers.split(","):
            with _server(kind) as server:
                config = _config(server.base_url, docs, gold, results, args.concurrency)
                bodies = _request_kwargs(config)
                asyncio.run(_bare(server.base_url, bodies[:200], args.concurrency))  # warm-up
                times: dict[str, list[float]] = {"bare": [], "raw": [], "phase": [], "total": []}
                for r in range(args.rounds):
                    order = ("bare", "raw", "harness", "harness", "raw", "bare")
                    for which in order if r % 2 == 0 else order[::-1]:
                        if which == "harness":
                            phase, total = asyncio.run(_harness(config))
                            times["phase"].append(phase)
                            times["total"].append(total)
                        else:
                            times[which].append(
                                asyncio.run(
                                    _bare(server.base_url, bodies, args.concurrency, which == "raw")
                                )
                            )
                n = args.docs
                rate = {key: n / statistics.median(values) for key, values in times.items()}
                rows.append(
                    {
                        "server": kind,
                        "bare_docs_s": rate["bare"],
                        "bare_raw_route_docs_s": rate["raw"],
                        "harness_extract_docs_s": rate["phase"],
                        "harness_e2e_docs_s": rate["total"],
                        "ratio_extract": rate["phase"] / rate["bare"],
                        "ratio_e2e": rate["total"] / rate["bare"],
                        "ratio_extract_vs_raw_route": rate["phase"] / rate["raw"],
                        "seconds": times,
                    }
                )
        profile_text = ""
        if not args.no_profile:
            with _server("scripted") as server:
                config = _config(server.base_url, docs, gold, results, args.concurrency)
                profile_text = _profile(config)
            OUT.mkdir(parents=True, exist_ok=True)
            (OUT / "overhead_profile.txt").write_text(profile_text, encoding="utf-8")
    load_after = load_avg()

    print(f"docs={args.docs} concurrency={args.concurrency} rounds={args.rounds} (median of runs)")
    print(f"load avg before: {load_before}   after: {load_after}")
    header = f"{'server':<12} {'bare d/s':>9} {'raw route d/s':>14} {'harn.extract d/s':>17}"
    print(header + f" {'harn.e2e d/s':>13} {'ratio extract':>14} {'ratio e2e':>10}")
    for row in rows:
        print(
            f"{row['server']:<12} {row['bare_docs_s']:>9.0f} {row['bare_raw_route_docs_s']:>14.0f}"
            f" {row['harness_extract_docs_s']:>17.0f} {row['harness_e2e_docs_s']:>13.0f}"
            f" {row['ratio_extract']:>14.2f} {row['ratio_e2e']:>10.2f}"
        )
    print("target: ratio (harness / bare `create` loop) >= 1.0")
    print("raw route: the bare loop on `client.post(cast_to=object)`, the SDK route the harness")
    print("uses; harness extract / raw route = what the harness's own work costs on top of it")
    path = write_json(
        "overhead",
        {
            "docs": args.docs,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "load_before": load_before,
            "load_after": load_after,
            "rows": rows,
        },
    )
    print(f"wrote {path}" + ("" if args.no_profile else f" and {OUT / 'overhead_profile.txt'}"))


if __name__ == "__main__":
    main()
