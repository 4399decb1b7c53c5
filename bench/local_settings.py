"""Which llama-cpp-python server options make the embedded SmolLM2-135M fastest (#14.7).

Run from the repository root with the project venv:

    .venv/bin/python bench/local_settings.py [--docs 3] [--max-tokens 64] [--rounds 2]

For each candidate option set a server is started (the harness's own LocalServer, n_ctx
8192, n_threads = cores) and the first N seed documents are sent with extract@v2 and the
strict schema in json_object mode (what `harness run` sends today), temperature 0. Each
round visits every candidate in turn (A B C, A B C), so a change in machine load hits all
of them alike. A 1-token warm-up request is not timed. Reported per candidate: the median
seconds per request, prompt tokens/s (prompt tokens over the whole request time, an
under-estimate that is fair across candidates) and completion tokens; identical answers
across candidates are checked, since an option that changes the output is not a speed-up.
The server's CPU seconds per request (user + system, from /proc) are reported beside wall
time: on a machine shared with other work they are the steadier figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _chat import ask, cpu_seconds, server, stop_on_sigterm
from _synth import REPO, load_avg, write_json

from harness.corpus import load_documents
from harness.prompts import load_prompt
from harness.schemas import strict_extraction_schema

CANDIDATES: dict[str, tuple[str, ...]] = {
    "defaults (logits_all True)": (),
    "logits_all False": ("--logits_all", "False"),
    "logits_all False + flash_attn": ("--logits_all", "False", "--flash_attn", "True"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--reverse", action="store_true", help="visit candidates last-first")
    args = parser.parse_args()
    order = list(CANDIDATES)[::-1] if args.reverse else list(CANDIDATES)
    documents = load_documents(REPO / "seeds")[: args.docs]
    prompt = load_prompt("extract@v2", REPO / "prompts")
    schema = strict_extraction_schema()
    stop_on_sigterm()
    times: dict[str, list[float]] = {name: [] for name in CANDIDATES}
    cpu: dict[str, list[float]] = {name: [] for name in CANDIDATES}
    tokens: dict[str, list[tuple[int, int]]] = {name: [] for name in CANDIDATES}
    answers: dict[str, list[str]] = {name: [] for name in CANDIDATES}
    load_before = load_avg()
    with tempfile.TemporaryDirectory(prefix="bench-settings-") as tmp:
        for _ in range(args.rounds):
            for name in order:
                with server(Path(tmp), name.split()[0], CANDIDATES[name]) as local:
                    ask(local.base_url, prompt, documents[0], schema, max_tokens=1)  # warm-up
                    assert local.process is not None
                    for doc in documents:
                        before = cpu_seconds(local.process.pid)
                        reply = ask(local.base_url, prompt, doc, schema, args.max_tokens)
                        cpu[name].append(cpu_seconds(local.process.pid) - before)
                        times[name].append(reply.latency_s)
                        tokens[name].append((reply.prompt_tokens, reply.completion_tokens))
                        answers[name].append(reply.content)
    load_after = load_avg()
    reference = answers[next(iter(CANDIDATES))]
    result: dict[str, Any] = {
        "load_before": load_before,
        "load_after": load_after,
        "order": order,
        "runs": {},
    }
    print(f"{len(documents)} documents x {args.rounds} rounds, max_tokens {args.max_tokens}")
    print(f"order: {' -> '.join(order)}")
    print(f"load avg before: {load_before}   after: {load_after}")
    print(
        f"{'candidate':<34} {'median s/req':>12} {'median CPU s':>12} {'prompt tok/s':>12} "
        f"{'same answers':>13}"
    )
    for name in CANDIDATES:
        prompt_tokens = sum(p for p, _ in tokens[name])
        row = {
            "options": list(CANDIDATES[name]),
            "median_s": statistics.median(times[name]),
            "median_cpu_s": statistics.median(cpu[name]),
            "all_cpu_s": [round(t, 2) for t in cpu[name]],
            "all_s": [round(t, 2) for t in times[name]],
            "prompt_tokens_per_s": prompt_tokens / sum(times[name]),
            "completion_tokens": sum(c for _, c in tokens[name]),
            "same_answers": answers[name] == reference,
        }
        result["runs"][name] = row
        print(
            f"{name:<34} {row['median_s']:>12.2f} {row['median_cpu_s']:>12.2f} "
            f"{row['prompt_tokens_per_s']:>12.1f} "
            f"{row['same_answers']!s:>13}"
        )
    print(f"wrote {write_json('local_settings', result)}")


if __name__ == "__main__":
    main()
