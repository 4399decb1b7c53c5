"""Report size and speed at scale (#19.6): build time, bytes, and the time a browser takes.

Run from the repository root:

    python bench/report_size.py [--sizes 500,5000] [--runs 1,2] [--sweep] [--no-browser]

For each (documents, runs) pair, synthetic documents (bench/_synth.py) are run for real
against the scripted server (one fixed answer), then `build_report` is timed and the file
size printed next to `SIZE_WARNING_BYTES`. `--sweep` adds the issue's case: 12 runs of the
28 seed articles answered with their gold. With Playwright and /usr/bin/chromium present,
each report is also opened headless and timed until its table shows "N of N shown", then
a search is timed until its count changes (one page of rows is in the DOM at any time).
Output: a table on stdout and bench/out/report_size.json. Load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._synth import FIXED_REPLY, OUT, REPO, write_corpus
from harness import load_documents, load_gold
from harness.fakes import GoldAnswerer, Reply
from harness.report import ReportOptions, build_report
from harness.report.render import SIZE_WARNING_BYTES
from tests.report.runs import make_run

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def _browser_times(path: Path, n_docs: int, search: str) -> dict[str, float] | None:
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page()
        start = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_function(
            f"document.getElementById('shown').textContent === '{n_docs} of {n_docs} shown'"
        )
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        page.fill("#f-q", search)
        page.wait_for_function(
            f"!document.getElementById('shown').textContent.startsWith('{n_docs} of')"
        )
        searched = time.perf_counter() - start
        browser.close()
    return {"load_s": round(loaded, 3), "search_s": round(searched, 3)}


def _case(root: Path, n_docs: int, n_runs: int, browser: bool) -> dict[str, Any]:
    folder = root / f"{n_docs}x{n_runs}"
    if n_docs == 0:  # the seed sweep: 28 articles answered with their gold, 12 times
        docs, gold = REPO / "seeds", REPO / "gold"
        documents = load_documents(docs)
        n_docs = len(documents)
        script: Any = GoldAnswerer(documents, load_gold(gold, documents))
        search = "said"
    else:
        docs, gold = write_corpus(folder, n_docs)
        script, search = (lambda _: Reply(content=FIXED_REPLY)), f"doc{n_docs - 1:07d}"
    runs = [make_run(folder / "results", f"r{i}", docs, gold, script) for i in range(n_runs)]
    start = time.perf_counter()
    html = build_report(runs, ReportOptions(prompts_dir=REPO / "prompts"))
    built = time.perf_counter() - start
    out = folder / "report.html"
    out.write_text(html, encoding="utf-8")
    size = len(html.encode("utf-8"))
    row: dict[str, Any] = {"docs": n_docs, "runs": n_runs, "bytes": size}
    row["build_s"] = round(built, 3)
    row["bytes_per_doc_run"] = size // (n_docs * n_runs)
    if browser:
        row["browser"] = _browser_times(out, n_docs, search)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="500,5000")
    parser.add_argument("--runs", default="1,2")
    parser.add_argument("--sweep", action="store_true", help="add 12 runs x 28 seed articles")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    cases = [(int(n), int(r)) for n in args.sizes.split(",") for r in args.runs.split(",")]
    if args.sweep:
        cases.insert(0, (0, 12))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n_docs, n_runs in cases:
            row = _case(Path(tmp), n_docs, n_runs, not args.no_browser)
            rows.append(row)
            timing = row.get("browser") or {}
            print(
                f"{row['docs']:>6} docs x {n_runs:>2} runs: {row['bytes'] / 1e6:7.2f} MB "
                f"({row['bytes_per_doc_run']} B per document-run), built in {row['build_s']:.2f} s"
                + (
                    f", browser: loaded {timing['load_s']:.2f} s, search {timing['search_s']:.2f} s"
                    if timing
                    else ""
                ),
                flush=True,
            )
    print(f"warning threshold: {SIZE_WARNING_BYTES / 1e6:.0f} MB; load average {os.getloadavg()}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report_size.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
