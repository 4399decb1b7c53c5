"""A sweep shared by processes: one process vs four `--cells i/4` vs four `--cells 0/1` (issue 20).

Run from the repository root:

    python bench/fanout.py [--docs 40] [--latency-ms 200] [--concurrency 2] [--leases 500]

One bench/_synth.py raw server in its own process (a fixed valid answer after
`--latency-ms`), a sweep of 8 cells (2 prompts x 4 temperatures) over `--docs` documents,
`--concurrency` per cell, no cache, output mode forced to json_object. Each layout runs the
real CLI in fresh results folders and reports wall time from the first process started to
the last one ended (interpreter start-up included), and whether the summary equals the
one-process sweep's. A hash split is uneven for 8 cells (the parts are fixed); with
`--cells 0/1` every process takes whatever cell is free, so the load evens out. Then the
lease's own cost: acquire + release of `--leases` cell leases, in one process.
Output: a table on stdout and bench/out/fanout.json, with the load average.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml
from _synth import REPO, RawServerProcess, load_avg, write_corpus, write_json

from harness.runs.lease import CellLease

HARNESS = [sys.executable, "-c", "from harness.cli import main; main()"]


def _sweep_file(folder: Path, docs: Path, gold: Path, url: str, concurrency: int) -> Path:
    data = {
        "name": "bench",
        "docs": str(docs),
        "gold": str(gold),
        "prompts_dir": str(REPO / "prompts"),
        "results": str(folder / "results"),
        "output_mode": "json_object",
        "reask": 0,
        "endpoints": {"raw": {"base_url": url, "model": "bench", "concurrency": concurrency}},
        "prompts": ["extract@v1", "extract@v2"],
        "models": ["raw"],
        "params": {"temperature": [0.0, 0.3, 0.6, 0.9]},
    }
    folder.mkdir(parents=True)
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _layout(sweep: Path, parts: list[list[str]]) -> float:
    env = {**os.environ, "OPENAI_API_KEY": "bench", "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [*HARNESS, "sweep", str(sweep), "--quiet", "--no-cache", *extra],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for extra in parts
    ]
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"sweep failed: {err}")
    return time.perf_counter() - started


def _lease_cost(folder: Path, n: int) -> float:
    """Milliseconds per acquire + release (one process, no contention)."""
    started = time.perf_counter()
    for i in range(n):
        lease = CellLease(folder / "leases" / f"cell-{i}.lease")
        assert lease.acquire() is None
        lease.release()
    return (time.perf_counter() - started) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--leases", type=int, default=500)
    args = parser.parse_args()
    load_before = load_avg()
    layouts = {
        "one process": [[]],
        "4 x --cells i/4": [["--cells", f"{i}/4"] for i in range(4)],
        "4 x --cells 0/1": [["--cells", "0/1"] for _ in range(4)],
    }
    rows: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, RawServerProcess(args.latency_ms / 1000) as server:
        docs, gold = write_corpus(Path(tmp), args.docs)
        summaries = {}
        for index, (name, parts) in enumerate(layouts.items()):
            sweep = _sweep_file(
                Path(tmp) / f"l{index}", docs, gold, server.base_url, args.concurrency
            )
            rows[name] = {"seconds": round(_layout(sweep, parts), 2)}
            summary = sweep.parent / "results" / "sweeps" / "bench" / "summary.json"
            summaries[name] = summary.read_bytes()
        alone = summaries["one process"]
        for name in layouts:
            rows[name]["summary_equal"] = summaries[name] == alone
            rows[name]["speedup"] = round(rows["one process"]["seconds"] / rows[name]["seconds"], 2)
        lease_ms = round(_lease_cost(Path(tmp) / "leasebench", args.leases), 3)
    print(
        f"8 cells x {args.docs} documents, {args.latency_ms:g} ms latency, "
        f"concurrency {args.concurrency} per cell, no cache"
    )
    print(f"{'':18} {'seconds':>8} {'speedup':>8}  summary equal to one process's")
    for name, row in rows.items():
        print(f"{name:18} {row['seconds']:>8} {row['speedup']:>8}  {row['summary_equal']}")
    print(f"lease acquire + release: {lease_ms} ms per cell ({args.leases} leases)")
    load_after = load_avg()
    print(f"load average before: {load_before}; after: {load_after}")
    data = {
        **vars(args),
        "layouts": rows,
        "lease_ms": lease_ms,
        "load_before": load_before,
        "load_after": load_after,
    }
    print(f"wrote {write_json('fanout', data)}")


if __name__ == "__main__":
    main()
