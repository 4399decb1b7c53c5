"""Documents per minute on the embedded SmolLM2 server, and time spent outside it (#8.5).

Run from the repository root with the project venv (it has llama-cpp-python):

    .venv/bin/python bench/local_model.py [--limit 4] [--keep]

Runs the real CLI, `.venv/bin/harness run --limit N --quiet --no-cache --results <tmp>`
(embedded model: LOCAL_DEFAULTS for max_tokens, repeat_penalty, concurrency 1), timed end
to end from this process, then reads the run folder's manifest.json and predictions.jsonl:

* docs/min:       N over the CLI's wall time (interpreter start, imports, llama.cpp server
                  start, probe, extraction, scoring, summary: everything a user waits for).
* in server:      sum of the per-attempt `latency_s` (one HTTP request each, incl. the
                  loopback HTTP and client overhead; the probe is not in it).
* extract phase:  manifest.duration_s (probe + extraction, as run_evaluation measured it).
* outside share:  1 - in_server / wall; split into "before/after run_evaluation"
                  (wall - extract phase: startup, server start, loading, scoring) and
                  "extraction but not a request" (extract phase - in server: probe, queueing,
                  validation, appends).
* tokens/s:       completion tokens / in-server time (prefill of the ~1.8k-token prompt
                  is inside that time too, so prompt+completion tokens/s is shown as well).

Output: a table on stdout and bench/out/local_model.json. Load average before/after is
printed: another process on the 2 cores slows llama.cpp directly.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synth import REPO, load_avg, write_json

HARNESS = REPO / ".venv" / "bin" / "harness"


def _read_run(results: Path) -> tuple[dict[str, Any], list[dict[str, Any]], Path]:
    folders = [p for p in results.iterdir() if (p / "manifest.json").is_file()]
    if len(folders) != 1:
        raise SystemExit(f"expected one run folder in {results}, found {folders}")
    folder = folders[0]
    manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    lines = (folder / "predictions.jsonl").read_text(encoding="utf-8").splitlines()
    return manifest, [json.loads(line) for line in lines if line.strip()], folder


def measure(limit: int, results: Path) -> dict[str, Any]:
    command = [str(HARNESS), "run", "--limit", str(limit), "--quiet", "--no-cache"]
    command += ["--results", str(results)]
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    wall = time.perf_counter() - started
    if out.returncode != 0:
        raise SystemExit(f"harness run failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    manifest, predictions, folder = _read_run(results)
    attempts = [a for p in predictions for a in p.get("attempts", [])]
    in_server = sum(float(a["latency_s"]) for a in attempts)
    extract = float(manifest["duration_s"])
    completion = sum(int(p.get("completion_tokens", 0)) for p in predictions)
    prompt_tokens = sum(int(p.get("prompt_tokens", 0)) for p in predictions)
    failures = [p["failure"]["kind"] for p in predictions if p.get("failure")]
    finish = [a.get("finish_reason") for a in attempts]
    return {
        "limit": limit,
        "command": " ".join([*command[:-1], "<tmp>"]),
        "run_folder": folder.name,
        "n_docs": len(predictions),
        "requests": len(attempts),
        "wall_s": wall,
        "extract_phase_s": extract,
        "in_server_s": in_server,
        "outside_server_s": wall - in_server,
        "outside_share": 1 - in_server / wall,
        "outside_run_evaluation_s": wall - extract,
        "extract_not_in_request_s": extract - in_server,
        "docs_per_min": len(predictions) / wall * 60,
        "docs_per_min_extract_phase": len(predictions) / extract * 60,
        "completion_tokens": completion,
        "prompt_tokens": prompt_tokens,
        "completion_tokens_per_s": completion / in_server if in_server else 0.0,
        "all_tokens_per_s": (prompt_tokens + completion) / in_server if in_server else 0.0,
        "per_request_latency_s": [round(float(a["latency_s"]), 2) for a in attempts],
        "finish_reasons": finish,
        "failures": failures,
        "output_mode": manifest.get("output_mode"),
        "max_tokens": manifest.get("params", {}).get("max_tokens"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="print the run folder, keep it")
    args = parser.parse_args()

    load_before = load_avg()
    if args.keep:
        result = measure(args.limit, Path(tempfile.mkdtemp(prefix="bench-local-")))
    else:
        with tempfile.TemporaryDirectory(prefix="bench-local-") as tmp:
            result = measure(args.limit, Path(tmp))
    load_after = load_avg()
    result |= {"load_before": load_before, "load_after": load_after}

    r = result
    print(f"harness run --limit {r['limit']} (embedded SmolLM2-135M, max_tokens {r['max_tokens']})")
    print(f"load avg before: {load_before}   after: {load_after}")
    rows = [
        ("documents", f"{r['n_docs']} ({r['requests']} requests, mode {r['output_mode']})"),
        ("wall time (CLI, end to end)", f"{r['wall_s']:.1f} s"),
        ("extraction phase (manifest.duration_s)", f"{r['extract_phase_s']:.1f} s"),
        ("in server (sum of request latency)", f"{r['in_server_s']:.1f} s"),
        ("outside server", f"{r['outside_server_s']:.1f} s = {r['outside_share']:.1%} of wall"),
        ("  startup+server start+load+scoring", f"{r['outside_run_evaluation_s']:.1f} s"),
        ("  probe+harness work during extraction", f"{r['extract_not_in_request_s']:.1f} s"),
        ("documents / minute (wall)", f"{r['docs_per_min']:.2f}"),
        ("documents / minute (extraction phase)", f"{r['docs_per_min_extract_phase']:.2f}"),
        ("prompt / completion tokens (total)", f"{r['prompt_tokens']} / {r['completion_tokens']}"),
        ("completion tokens / s (in server)", f"{r['completion_tokens_per_s']:.1f}"),
        ("prompt+completion tokens / s (in server)", f"{r['all_tokens_per_s']:.1f}"),
        ("per-request latency s", f"{r['per_request_latency_s']}"),
        ("finish reasons", f"{r['finish_reasons']}"),
        ("failures", f"{r['failures'] or 'none'}"),
    ]
    for name, value in rows:
        print(f"{name:<40} {value}")
    print(f"wrote {write_json('local_model', result)}")


if __name__ == "__main__":
    main()
