"""The bare loop the harness is compared with: what a careful user writes by hand.

    python bench/bare_loop.py REQUESTS.jsonl --base-url URL [--concurrency 64]
                              [--raw] [--http-client httpx|aiohttp] [--out replies.jsonl]

REQUESTS.jsonl holds one `chat.completions.create` kwargs object per line (bench/overhead.py
writes the harness's exact request bodies there). The loop: an `asyncio.Semaphore` around
`AsyncOpenAI.chat.completions.create` (typed request transform and `ChatCompletion` model),
or with `--raw` around `client.post("/chat/completions", cast_to=object)`, the SDK route the
harness uses; max_retries=0; every reply's content is written to --out. bench/overhead.py
imports `bare_loop` for the in-process figures and runs this file as a script for the
whole-process one (interpreter start to exit). It imports only the openai SDK, like a
user's script would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import openai


def make_client(base_url: str, http_client: str = "httpx") -> openai.AsyncOpenAI:
    """The SDK's client; `httpx` is the SDK's default transport."""
    return openai.AsyncOpenAI(
        base_url=base_url,
        api_key="no-key",
        max_retries=0,
        timeout=60,
        http_client=openai.DefaultAioHttpClient() if http_client == "aiohttp" else None,
    )


async def bare_loop(
    base_url: str,
    requests: list[dict[str, Any]],
    concurrency: int,
    raw: bool = False,
    http_client: str = "httpx",
) -> tuple[float, list[str]]:
    """Seconds from the first request to the last reply, and every reply's content."""
    client = make_client(base_url, http_client)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(kwargs: dict[str, Any]) -> str:
        async with semaphore:
            if raw:
                body = {k: v for k, v in kwargs.items() if k != "extra_body"}
                data: Any = await client.post(
                    "/chat/completions", cast_to=object, body={**body, **kwargs["extra_body"]}
                )
                return str(data["choices"][0]["message"]["content"])
            response = await client.chat.completions.create(**kwargs)
        return response.choices[0].message.content or ""

    started = time.perf_counter()
    contents = await asyncio.gather(*(one(kwargs) for kwargs in requests))
    elapsed = time.perf_counter() - started
    await client.close()
    if not all(contents):
        raise SystemExit(f"bare loop: {sum(not c for c in contents)} empty replies")
    return elapsed, contents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("requests", type=Path)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--raw", action="store_true")
    parser.add_argument("--http-client", choices=["httpx", "aiohttp"], default="httpx")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    lines = args.requests.read_text(encoding="utf-8").splitlines()
    requests = [json.loads(line) for line in lines]
    elapsed, contents = asyncio.run(
        bare_loop(args.base_url, requests, args.concurrency, args.raw, args.http_client)
    )
    if args.out is not None:
        with args.out.open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps({"content": c}) + "\n" for c in contents)
    print(f"{len(requests)} requests in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
