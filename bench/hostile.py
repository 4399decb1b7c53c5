"""Validating hostile answers: time per answer, and the cost of the worker-thread hop (#15).

Run from the repository root:

    python bench/hostile.py [--repeat 5] [--answers 2000]

Table 1: `validate_response` on each hostile answer (the ones `harness.fakes.hostile` serves,
plus answers near the 1,000,000-character limit built to defeat a naive parser), the best of
--repeat, with the failure class it gave. Every answer must be classified, none may take
seconds: before issue 15 the 50,000-deep answer raised RecursionError and 20 MB of `{` took
minutes.

Table 2: --answers valid 200-claim answers (~43 kB, over the size validated in place)
validated inline (`validate_response`) and through `validate_answer` (worker thread +
deadline), one after the other in one event loop: the difference is what running
validation off the event loop costs per answer.
Output: the tables on stdout and bench/out/hostile.json. Load average before/after is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _synth import load_avg, write_json

from harness.fakes.hostile import HOSTILE
from harness.validation import validate_answer, validate_response

CLAIM = {
    "statement": "The bridge will reopen in May.",
    "evidence": "Officials said the bridge will reopen in May.",
    "speaker": "officials",
    "speaker_type": "government",
    "cue": None,
    "quote_type": "indirect",
    "via": [],
}
ANSWER = json.dumps({"claims": [CLAIM] * 8})


def hostile_answers() -> dict[str, str]:
    answers = {}
    for name in ("nested", "huge", "single_quoted", "python_none", "unterminated", "html_answer"):
        content = HOSTILE[name](ANSWER).content
        assert content is not None
        answers[name] = content
    answers |= {
        "999k '{'": "{" * 999_000,
        "999k '[]'": "[]" * 499_500,
        "999k escaped quotes": '"' + '\\"' * 499_000,
        "999k fence + spaces": "```" + " " * 999_000,
        "7,000 valid claims": json.dumps({"claims": [CLAIM] * 7_000}),
        "5,000 invalid claims": json.dumps({"claims": [{**CLAIM, "quote_type": "x"}] * 5_000}),
    }
    return answers


def time_hostile(repeat: int) -> list[dict[str, object]]:
    rows = []
    for name, raw in hostile_answers().items():
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            validated = validate_response(raw)
            best = min(best, time.perf_counter() - started)
        kind = validated.failure.kind if validated.failure else "valid"
        rows.append({"answer": name, "chars": len(raw), "ms": round(best * 1000, 2), "class": kind})
    return rows


async def time_thread_hop(answers: int) -> dict[str, float]:
    big = json.dumps({"claims": [CLAIM] * 200})
    started = time.perf_counter()
    for _ in range(answers):
        validate_response(big)
    inline = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(answers):
        await validate_answer(big, deadline_s=60)
    threaded = time.perf_counter() - started
    return {
        "inline_us": round(inline / answers * 1e6, 1),
        "thread_us": round(threaded / answers * 1e6, 1),
        "hop_us": round((threaded - inline) / answers * 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--answers", type=int, default=2000)
    args = parser.parse_args()
    load_before = load_avg()
    rows = time_hostile(args.repeat)
    print(f"{'answer':24} {'chars':>10} {'ms':>9}  class")
    for row in rows:
        print(f"{row['answer']:24} {row['chars']:>10} {row['ms']:>9}  {row['class']}")
    hop = asyncio.run(time_thread_hop(args.answers))
    print(
        f"\n{args.answers} valid 200-claim answers: {hop['inline_us']} us inline, "
        f"{hop['thread_us']} us through the worker thread ({hop['hop_us']} us per hop)"
    )
    load_after = load_avg()
    print(f"load average before: {load_before}, after: {load_after}")
    write_json("hostile", {"answers": rows, "thread_hop": hop, "load": [load_before, load_after]})


if __name__ == "__main__":
    main()
