"""Peak RSS of one run_evaluation over many documents against a loopback server (#8.4).

Run from the repository root:

    python bench/memory.py [--docs 50000] [--concurrency 64] [--server raw|scripted]
    python bench/memory.py --docs 5000,10000      # several sizes + linear extrapolation

The parent writes the synthetic corpus (short documents + gold) and serves a fixed valid
answer on 127.0.0.1 (`raw`: minimal asyncio server; `scripted`: the project's
ScriptedServer); each run_evaluation (concurrency C, json_object forced, reask 0,
predictions streamed to disk in a temp results dir) runs in a fresh subprocess, so the
peak RSS (resource.getrusage ru_maxrss of that child) is the run's own: interpreter +
imports + documents + gold + in-flight requests + scoring + aggregate. A baseline child
that only imports the harness is measured too. Target: peak RSS < 500 MB at 50k docs.
With several sizes, peak RSS is fitted linearly and extrapolated to 50k.
Output: table on stdout and bench/out/memory.json. Load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synth import FIXED_REPLY, REPO, RawServer, load_avg, write_corpus, write_json


def _child(base_url: str, docs: Path, gold: Path, results: Path, concurrency: int) -> None:
    from harness import Endpoint, RunConfig, run_evaluation
    from harness.endpoints.client import OutputMode

    if not base_url:  # baseline: imports only
        print(
            json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
        )
        return
    config = RunConfig(
        prompts_dir=REPO / "prompts",
        docs=docs,
        gold=gold,
        results_dir=results,
        endpoint=Endpoint(
            base_url=base_url, model="bench", concurrency=concurrency, max_attempts=1, timeout_s=60
        ),
        output_mode=OutputMode.JSON_OBJECT,
        reask=0,
    )
    started = time.perf_counter()
    outcome = asyncio.run(run_evaluation(config, None))
    print(
        json.dumps(
            {
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "wall_s": time.perf_counter() - started,
                "extract_s": outcome.manifest.duration_s,
                "failures": outcome.metrics.failures,
                "n_docs": outcome.metrics.n_docs,
            }
        )
    )


def _run_child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _server(kind: str) -> Any:
    if kind == "raw":
        return RawServer()
    from harness.fakes import Reply, ScriptedServer

    server = ScriptedServer(lambda request: Reply(content=FIXED_REPLY))
    server._server.socket.listen(512)  # socketserver's backlog of 5 resets 64 clients
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", default="50000", help="one size or a comma list")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--server", choices=("raw", "scripted"), default="raw")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, docs, gold, results, conc = args.child
        _child(url, Path(docs), Path(gold), Path(results), int(conc))
        return

    sizes = [int(s) for s in args.docs.split(",")]
    load_before = load_avg()
    baseline = _run_child(["", "-", "-", "-", "0"])
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp_name,
        _server(args.server) as server,
    ):
        for n in sizes:
            folder = Path(tmp_name) / str(n)
            docs, gold = write_corpus(folder, n)
            result = _run_child(
                [
                    server.base_url,
                    str(docs),
                    str(gold),
                    str(folder / "results"),
                    str(args.concurrency),
                ]
            )
            result["docs"] = n
            rows.append(result)
            print(f"  done {n}: {result}", file=sys.stderr, flush=True)
    fit: dict[str, float] = {}
    if len(rows) >= 2:
        (x0, y0), (x1, y1) = [(r["docs"], r["peak_rss_mb"]) for r in (rows[0], rows[-1])]
        slope = (y1 - y0) / (x1 - x0)
        fit = {"mb_per_1k_docs": slope * 1000, "extrapolated_50k_mb": y1 + slope * (50000 - x1)}
    load_after = load_avg()
    print(f"server={args.server} concurrency={args.concurrency}; load avg before: {load_before}")
    print(f"baseline child (imports only): {baseline['peak_rss_mb']:.0f} MB")
    print(f"{'docs':>8} {'peak RSS MB':>12} {'wall s':>8} {'extract s':>10} {'failures':>9}")
    for r in rows:
        print(
            f"{r['docs']:>8} {r['peak_rss_mb']:>12.0f} {r['wall_s']:>8.1f} {r['extract_s']:>10.1f}"
            f" {sum(r['failures'].values()):>9}"
        )
    if fit:
        print(
            f"linear fit: {fit['mb_per_1k_docs']:.1f} MB per 1k docs ->"
            f" extrapolated 50k: {fit['extrapolated_50k_mb']:.0f} MB"
        )
    print(f"load avg after: {load_after}; target: peak RSS < 500 MB at 50k docs")
    path = write_json(
        "memory",
        {
            "server": args.server,
            "concurrency": args.concurrency,
            "baseline": baseline,
            "rows": rows,
            "fit": fit,
            "load_before": load_before,
            "load_after": load_after,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
