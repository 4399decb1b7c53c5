"""Harness vs bare SDK loops, at 0 ms and 200 ms server latency, and whole process (#18).

Run from the repository root:

    python bench/overhead.py [--docs 2000] [--concurrency 64] [--latencies 0,200]
                             [--servers raw-process] [--rounds 2] [--no-profile]

In one run, against the same loopback server, for every latency:

* bare typed:  asyncio.Semaphore(C) around `AsyncOpenAI.chat.completions.create`
               (max_retries=0) with the harness's own request body for every document,
               rendered beforehand (bench/bare_loop.py). The target baseline is this loop on
               the SDK's default transport (httpx); it is also run on aiohttp.
* bare raw route: the same loop on `client.post("/chat/completions", cast_to=object)`,
               the SDK route the harness uses: harness / raw route (same transport) is the
               cost of the harness's own work per document. The bare loops get neither the
               harness's eager body writes on Python 3.11 (harness/endpoints/eager.py) nor
               its quiet garbage collector (harness/_gc.py): at 200 ms those win it back.
* harness:     `run_evaluation` with concurrency C, output_mode forced to json_object (no
               probe), reask 0, no cache, once per HTTP transport (`Endpoint.http_client`).
               Extraction = manifest.duration_s; end to end adds loading, gold checks,
               scoring and the bootstrap.

Ratios are throughput over the bare typed httpx loop's; "of limit" is the physical limit
(documents x latency / concurrency) over the measured time. Then the whole process at 0 ms:
`harness run` (CLI, interpreter start to exit, scoring included) against
`python bench/bare_loop.py` (interpreter start to exit, typed loop, replies written).
Rounds alternate the order. Servers: `raw-process` (default) is a minimal asyncio server in
its own process (no GIL shared with the client, as with a real server), `raw` the same in a
thread of this process, `scripted` the project's ScriptedServer (thread), or a base URL
(fixed latency: its own). A cProfile of one harness run goes to bench/out/overhead_profile.txt.
Output: tables on stdout and bench/out/overhead.json, with the load average before and after:
other processes on the 2 cores skew every absolute figure; ratios from one run are comparable.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import importlib.metadata
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

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
from bare_loop import bare_loop

from harness import Endpoint, RunConfig, SamplingParams, load_documents, load_prompt, run_evaluation
from harness.endpoints.client import ChatClient, OutputMode
from harness.endpoints.settings import HttpClient
from harness.fakes import Reply, ScriptedServer

TRANSPORTS = ("httpx", "aiohttp")
LOOPS = [(kind, t) for kind in ("typed", "raw", "harness") for t in TRANSPORTS]
BASELINE = ("typed", "httpx")
_TYPED = ("model", "messages", "temperature", "max_tokens")


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _server(kind: str, latency_s: float) -> AbstractContextManager[Any]:
    if kind == "scripted":  # listens with a backlog of 1024 (harness.fakes.server)
        return ScriptedServer(lambda request: Reply(content=FIXED_REPLY, hang_s=latency_s))
    if kind == "raw":
        return RawServer(latency_s=latency_s)
    if kind == "raw-process":
        return RawServerProcess(latency_s=latency_s)
    if kind.startswith("http://") or kind.startswith("https://"):
        return contextlib.nullcontext(SimpleNamespace(base_url=kind))
    raise SystemExit(f"unknown server {kind!r}")


def _config(
    base_url: str, tmp: Path, docs: Path, gold: Path, concurrency: int, http: str
) -> RunConfig:
    endpoint = Endpoint(
        base_url=base_url,
        model="bench",
        concurrency=concurrency,
        max_attempts=1,
        timeout_s=60,
        http_client=HttpClient(http),
    )
    return RunConfig(
        prompt="extract@v2",
        prompts_dir=REPO / "prompts",
        docs=docs,
        gold=gold,
        results_dir=tmp / "results",
        endpoint=endpoint,
        params=SamplingParams(),
        output_mode=OutputMode.JSON_OBJECT,
        reask=0,
    )


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


async def _harness(config: RunConfig) -> tuple[float, float]:
    started = time.perf_counter()
    outcome = await run_evaluation(config, None)
    total = time.perf_counter() - started
    assert not outcome.metrics.failures, outcome.metrics.failures
    assert outcome.manifest.duration_s is not None
    return outcome.manifest.duration_s, total


def _time_loops(
    base_url: str, tmp: Path, corpus: tuple[Path, Path], args: argparse.Namespace
) -> dict[str, list[float]]:
    """Seconds per run of every loop, rounds alternating the order."""
    configs = {t: _config(base_url, tmp, *corpus, args.concurrency, t) for t in TRANSPORTS}
    bodies = _request_kwargs(configs["httpx"])
    for t in TRANSPORTS:  # warm-up: connections, caches, the server's first requests
        asyncio.run(bare_loop(base_url, bodies[:200], args.concurrency, http_client=t))
    times: dict[str, list[float]] = {}
    for r in range(args.rounds):
        for kind, t in LOOPS if r % 2 == 0 else LOOPS[::-1]:
            if kind == "harness":
                phase, total = asyncio.run(_harness(configs[t]))
                times.setdefault(f"harness/{t}", []).append(phase)
                times.setdefault(f"harness e2e/{t}", []).append(total)
            else:
                seconds, _ = asyncio.run(
                    bare_loop(base_url, bodies, args.concurrency, kind == "raw", t)
                )
                times.setdefault(f"{kind}/{t}", []).append(seconds)
    return times


def _whole_process(
    base_url: str, tmp: Path, corpus: tuple[Path, Path], args: argparse.Namespace
) -> dict[str, list[float]]:
    """Interpreter start to exit: `harness run` vs `python bench/bare_loop.py`."""
    docs, gold = corpus
    requests = tmp / "requests.jsonl"
    bodies = _request_kwargs(_config(base_url, tmp, docs, gold, args.concurrency, "httpx"))
    requests.write_text("".join(json.dumps(b) + "\n" for b in bodies), encoding="utf-8")
    env = os.environ | {"OPENAI_API_KEY": "no-key", "PYTHONPATH": str(REPO)}
    bare = [sys.executable, str(REPO / "bench" / "bare_loop.py"), str(requests)]
    bare += ["--base-url", base_url, "--concurrency", str(args.concurrency)]
    bare += ["--out", str(tmp / "bare_replies.jsonl")]
    cli = [sys.executable, "-c", "from harness.cli import main; main()", "run"]
    cli += ["--base-url", base_url, "--model", "bench", "--docs", str(docs), "--gold", str(gold)]
    cli += ["--prompts-dir", str(REPO / "prompts"), "--results", str(tmp / "cli-results")]
    cli += ["--concurrency", str(args.concurrency), "--max-attempts", "1", "--reask", "0"]
    cli += ["--output-mode", "json_object", "--no-cache", "--quiet"]
    times: dict[str, list[float]] = {"bare script": [], "harness CLI": []}
    for r in range(args.rounds * 2):
        for name in ("bare script", "harness CLI")[:: 1 if r % 2 == 0 else -1]:
            argv = bare if name == "bare script" else [*cli, "--run-id", f"cli{r}"]
            started = time.perf_counter()
            done = subprocess.run(
                argv, env=env, cwd=REPO, capture_output=True, text=True, check=False
            )
            times[name].append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"{name} failed ({done.returncode}): {done.stderr[-2000:]}")
    return times


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


def _rows(
    times: dict[str, list[float]], docs: int, latency_s: float, concurrency: int
) -> list[dict[str, Any]]:
    limit_s = docs * latency_s / concurrency
    base = statistics.median(times["/".join(BASELINE)])
    rows = []
    for name, values in times.items():
        seconds = statistics.median(values)
        loop, transport = name.split("/")
        raw = times.get(f"raw/{transport}") if loop.startswith("harness") else None
        rows.append(
            {
                "latency_ms": round(latency_s * 1000),
                "loop": loop,
                "transport": transport,
                "seconds": seconds,
                "docs_s": docs / seconds,
                "x_bare_typed_httpx": base / seconds,
                "x_raw_route": statistics.median(raw) / seconds if raw else None,
                "of_limit": limit_s / seconds if limit_s else None,
                "runs": values,
            }
        )
    return rows


def _print(server: str, rows: list[dict[str, Any]]) -> None:
    print(f"\nserver {server}")
    head = f"{'latency':>7} {'loop':<12} {'transport':<9} {'s':>7} {'docs/s':>7}"
    print(head + f" {'x bare typed':>12} {'x raw route':>11} {'of limit':>8}")
    for r in rows:
        raw = f"{r['x_raw_route']:.2f}" if r["x_raw_route"] else "-"
        limit = f"{r['of_limit']:.3f}" if r["of_limit"] else "-"
        print(
            f"{r['latency_ms']:>5}ms {r['loop']:<12} {r['transport']:<9} {r['seconds']:>7.2f}"
            f" {r['docs_s']:>7.0f} {r['x_bare_typed_httpx']:>12.2f} {raw:>11} {limit:>8}"
        )


def _whole_summary(runs: dict[str, list[float]]) -> dict[str, Any]:
    bare, cli = (statistics.median(runs[k]) for k in ("bare script", "harness CLI"))
    print(f"whole process, 0 ms: bare script {bare:.2f} s, harness CLI {cli:.2f} s", end="")
    print(f", ratio (bare / harness) {bare / cli:.2f}")
    return {"runs": runs, "bare_s": bare, "cli_s": cli, "ratio": bare / cli}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latencies", default="0,200", help="server latencies in ms")
    parser.add_argument(
        "--servers",
        default="raw-process",
        help="comma list of raw-process, raw, scripted, or a base URL (any OpenAI-compatible "
        "server answering a valid extraction, e.g. `python bench/_synth.py serve`)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="each round runs every loop once")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()

    load_before = load_avg()
    report: dict[str, Any] = {
        "docs": args.docs,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
    }
    rows: list[dict[str, Any]] = []
    whole: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp_name:
        tmp = Path(tmp_name)
        corpus = write_corpus(tmp, args.docs)
        for kind in args.servers.split(","):
            for latency_ms in (float(x) for x in args.latencies.split(",")):
                with _server(kind, latency_ms / 1000) as server:
                    times = _time_loops(server.base_url, tmp, corpus, args)
                    server_rows = _rows(times, args.docs, latency_ms / 1000, args.concurrency)
                    rows += [r | {"server": kind} for r in server_rows]
                    _print(kind, server_rows)
                    if latency_ms == 0:
                        whole[kind] = _whole_summary(
                            _whole_process(server.base_url, tmp, corpus, args)
                        )
        if not args.no_profile:
            with _server("raw-process", 0.0) as server:
                config = _config(server.base_url, tmp, *corpus, args.concurrency, "aiohttp")
                OUT.mkdir(parents=True, exist_ok=True)
                (OUT / "overhead_profile.txt").write_text(_profile(config), encoding="utf-8")
    load_after = load_avg()
    print(f"\ndocs={args.docs} concurrency={args.concurrency} rounds={args.rounds} (medians)")
    print(f"load avg before: {load_before}   after: {load_after}")
    versions = f"aiohttp {_version('aiohttp')}, openai {_version('openai')}"
    print(f"python {platform.python_version()}, {versions}")
    print("targets: harness extraction >= 2.0x bare typed (httpx) at 0 ms; whole process >= 1.3x;")
    print("         >= 0.92 of the limit (docs x latency / concurrency) at 200 ms")
    report |= {
        "load_before": load_before,
        "load_after": load_after,
        "python": platform.python_version(),
        "rows": rows,
        "whole_process": whole,
    }
    path = write_json("overhead", report)
    print(f"wrote {path}" + ("" if args.no_profile else f" and {OUT / 'overhead_profile.txt'}"))


if __name__ == "__main__":
    main()
