"""Peak RSS of one run_evaluation over many documents against a loopback server (#8.4).

Run from the repository root:

    python bench/memory.py [--docs 50000] [--concurrency 64] [--server raw|scripted]
                           [--timeout S] [--tracemalloc N] [--docs-format jsonl|txt]
    python bench/memory.py --docs 5000,10000      # several sizes + linear extrapolation
    python bench/memory.py --docs 5000 --tracemalloc 15   # + top allocations at the end

The parent writes the synthetic corpus (short documents + gold) and serves a fixed valid
answer on 127.0.0.1 (`raw`: minimal asyncio server; `scripted`: the project's
ScriptedServer); each run_evaluation (concurrency C, json_object forced, reask 0,
predictions streamed to disk in a temp results dir) runs in a fresh subprocess, so the
peak RSS (resource.getrusage ru_maxrss of that child) is the run's own: interpreter +
imports + documents + gold + in-flight requests + scoring + aggregate. score_run scores
a batch in worker processes when its serial scoring is estimated at over a second
(harness/scoring/batch.py; these one-claim documents stay in-process). The whole tree is
sampled from this script every 50 ms: `tree peak PSS` is the largest sum of PSS over the
run's process and its children (PSS splits each shared page among the processes mapping
it, so a forked child is not charged again for its parent's pages). `workers peak` is
ru_maxrss of RUSAGE_CHILDREN (the largest single child, shared pages included: a `git`
started from a 130 MB process reports 130 MB).
A baseline child that only imports the harness is measured too. With --tracemalloc N the
run is traced (8 frames: several times slower; tracemalloc's bookkeeping inflates RSS)
and the N largest allocation sites (charged to their innermost harness/ frame) alive when
the first scoring batch starts (documents, that batch's gold, predictions and tasks held) and
when run_evaluation returns (RunOutcome still referenced), plus the traced peak, are shown.
Target: peak RSS < 500 MB at 50k docs.
With several sizes, peak RSS is fitted linearly and extrapolated to 50k.
Output: table on stdout and bench/out/memory.json. Load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synth import FIXED_REPLY, REPO, RawServer, load_avg, write_corpus, write_json


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def _top_allocations(snapshot: tracemalloc.Snapshot, n: int) -> list[dict[str, Any]]:
    """Largest sites, each charged to its innermost frame in harness/ (else the allocator)."""
    prefix = str(REPO) + "/"
    sizes: dict[str, list[int]] = {}
    for stat in snapshot.statistics("traceback"):
        frames = list(stat.traceback)
        inner = next((f for f in reversed(frames) if "/harness/" in f.filename), frames[-1])
        where = f"{inner.filename.replace(prefix, '')}:{inner.lineno}"
        entry = sizes.setdefault(where, [0, 0])
        entry[0] += stat.size
        entry[1] += stat.count
    top = sorted(sizes.items(), key=lambda item: -item[1][0])[:n]
    return [{"where": where, "mb": size / 2**20, "count": count} for where, (size, count) in top]


def _child(
    base_url: str, docs: Path, gold: Path, results: Path, concurrency: int, trace: int = 0
) -> None:
    if trace:
        tracemalloc.start(8)
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
    at_scoring: dict[str, Any] = {}
    if trace:
        from harness.scoring.batch import BatchScorer

        lines = BatchScorer.lines

        def traced_lines(self: BatchScorer, tasks: Any) -> Any:
            # Snapshot when the first document is scored: documents, gold of the batch, its
            # predictions read back and its scoring tasks (queued jobs) are all alive here.
            for line in lines(self, tasks):
                if not at_scoring:
                    current, _ = tracemalloc.get_traced_memory()
                    at_scoring["traced_mb"] = current / 2**20
                    at_scoring["rss_now_mb"] = _rss_now_mb()
                    at_scoring["top"] = _top_allocations(tracemalloc.take_snapshot(), trace)
                yield line

        setattr(BatchScorer, "lines", traced_lines)  # noqa: B010
    started = time.perf_counter()
    outcome = asyncio.run(run_evaluation(config, None))
    wall = time.perf_counter() - started
    result: dict[str, Any] = {
        "peak_rss_mb": _rss_mb(resource.RUSAGE_SELF),
        "children_peak_rss_mb": _rss_mb(resource.RUSAGE_CHILDREN),
        "workers": os.cpu_count() or 1,
        "wall_s": wall,
        "extract_s": outcome.manifest.duration_s,
        "failures": outcome.metrics.failures,
        "n_docs": outcome.metrics.n_docs,
        "predictions_mb": (outcome.folder.path / "predictions.jsonl").stat().st_size / 1e6,
    }
    if trace:
        current, peak = tracemalloc.get_traced_memory()
        result["traced_current_mb"] = current / 2**20
        result["traced_peak_mb"] = peak / 2**20
        result["top_allocations"] = _top_allocations(tracemalloc.take_snapshot(), trace)
        result["at_scoring_start"] = at_scoring
    print(json.dumps(result))


def _descendants(pid: int) -> list[int]:
    """`pid` and every process below it, from /proc/<pid>/task/*/children."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                queue += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return found


def _tree_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) in kB summed over the process tree. PSS shares every page among the
    processes mapping it, so the PSS sum is the tree's real footprint: forked workers are
    not charged again for the pages they share with the parent."""
    pss = rss = 0
    for member in _descendants(pid):
        try:
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
            elif line.startswith("Rss:"):
                rss += int(line.split()[1])
    return pss, rss


def _run_child(args: list[str], timeout: float | None = None) -> dict[str, Any]:
    """Run one measurement child, sampling its process tree's memory every 50 ms."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    peak = {"pss": 0, "rss": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            pss, rss = _tree_kb(child.pid)
            peak["pss"], peak["rss"] = max(peak["pss"], pss), max(peak["rss"], rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    finally:
        done.set()
        sampler.join()
        child.kill()
    if child.returncode != 0:
        raise SystemExit(f"run child failed ({child.returncode}):\n{stderr[-4000:]}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    result["tree_peak_pss_mb"] = peak["pss"] / 1024
    result["tree_peak_rss_sum_mb"] = peak["rss"] / 1024
    return result


def _server(kind: str) -> Any:
    if kind == "raw":
        return RawServer()
    from harness.fakes import Reply, ScriptedServer

    return ScriptedServer(lambda request: Reply(content=FIXED_REPLY))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", default="50000", help="one size or a comma list")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--server", choices=("raw", "scripted"), default="raw")
    parser.add_argument(
        "--docs-format",
        choices=("jsonl", "txt"),
        default="jsonl",
        help="txt: a folder of .txt files (load_documents rejects a .jsonl over 8 MB)",
    )
    parser.add_argument("--timeout", type=float, default=None, help="seconds per run child")
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="N", help="top N sites")
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, docs, gold, results, conc, trace = args.child
        _child(url, Path(docs), Path(gold), Path(results), int(conc), int(trace))
        return

    sizes = [int(s) for s in args.docs.split(",")]
    load_before = load_avg()
    baseline = _run_child(["", "-", "-", "-", "0", "0"])
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp_name,
        _server(args.server) as server,
    ):
        for n in sizes:
            folder = Path(tmp_name) / str(n)
            docs, gold = write_corpus(folder, n, as_txt=args.docs_format == "txt")
            result = _run_child(
                [
                    server.base_url,
                    str(docs),
                    str(gold),
                    str(folder / "results"),
                    str(args.concurrency),
                    str(args.tracemalloc),
                ],
                args.timeout,
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
    print(
        f"{'docs':>8} {'own peak MB':>12} {'tree peak PSS MB':>17} {'workers peak MB':>16}"
        f" {'wall s':>8} {'extract s':>10} {'failures':>9} {'preds MB':>9}"
    )
    for r in rows:
        print(
            f"{r['docs']:>8} {r['peak_rss_mb']:>12.0f} {r['tree_peak_pss_mb']:>17.0f}"
            f" {r['children_peak_rss_mb']:>16.0f} {r['wall_s']:>8.1f} {r['extract_s']:>10.1f}"
            f" {sum(r['failures'].values()):>9} {r['predictions_mb']:>9.1f}"
        )
        if "top_allocations" in r:
            print(
                f"  tracemalloc ({r['docs']} docs): peak {r['traced_peak_mb']:.0f} MB,"
                f" alive at the end {r['traced_current_mb']:.0f} MB; top sites:"
            )
            for a in r["top_allocations"]:
                print(f"    {a['mb']:>8.1f} MB {a['count']:>9} blocks  {a['where']}")
            start = r.get("at_scoring_start") or {}
            if start:
                print(
                    f"  tracemalloc when scoring starts: {start['traced_mb']:.0f} MB traced,"
                    f" RSS then {start['rss_now_mb']:.0f} MB; top sites:"
                )
                for a in start["top"]:
                    print(f"    {a['mb']:>8.1f} MB {a['count']:>9} blocks  {a['where']}")
    if fit:
        print(
            f"linear fit: {fit['mb_per_1k_docs']:.1f} MB per 1k docs ->"
            f" extrapolated 50k: {fit['extrapolated_50k_mb']:.0f} MB"
        )
    print(f"load avg after: {load_after}; target: peak RSS < 500 MB at 50k docs")
    print("own peak: ru_maxrss of the run's process; tree peak PSS: the largest sum of PSS")
    print("over the run's process and its children (sampled every 50 ms); workers peak:")
    print("ru_maxrss of its largest child, shared pages included")
    path = write_json(
        "memory",
        {
            "server": args.server,
            "concurrency": args.concurrency,
            "docs_format": args.docs_format,
            "tracemalloc": args.tracemalloc,
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
