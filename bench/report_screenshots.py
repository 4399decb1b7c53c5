"""Regenerate docs/img/report-*.png: a run, a comparison and a sweep, in headless Chromium.

Run from the repository root (needs Playwright and /usr/bin/chromium):

    python bench/report_screenshots.py

The runs are real runs against the scripted server on 8 seed articles: A answers with
the gold but wrong speakers, B with the gold (one truncated answer), and two more cells
for the sweep picture.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from bench.report_size import ARGS
from harness import load_documents, load_gold
from harness.fakes import GoldAnswerer
from harness.report import ReportOptions, build_report
from tests.report.runs import REPO, behaviours, make_run

IMG = REPO / "docs" / "img"


def _runs(root: Path) -> list[Path]:
    docs, gold = root / "docs", root / "gold"
    docs.mkdir()
    gold.mkdir()
    for path in sorted((REPO / "seeds").glob("*.txt"))[:8]:
        for part in REPO.glob(f"seeds/{path.stem}.*"):
            (docs / part.name).write_bytes(part.read_bytes())
        (gold / f"{path.stem}.json").write_bytes((REPO / "gold" / f"{path.stem}.json").read_bytes())
    documents = load_documents(docs)
    gold_docs = load_gold(gold, documents)
    ids = [d.id for d in documents]
    plans = [
        ("A", "extract@v1", {i: "wrong_speakers" for i in ids}),
        ("B", "extract@v2", {ids[2]: "truncated"}),
        ("C", "extract@v2", {ids[4]: "empty", ids[5]: "wrong_speakers"}),
        ("D", "extract@v1", {ids[1]: "wrong_speakers"}),
    ]
    return [
        make_run(
            root / "results",
            f"run-{name}",
            docs,
            gold,
            GoldAnswerer(documents, gold_docs, behaviours(plan)),
            prompt,
        )
        for name, prompt, plan in plans
    ]


def main() -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        runs = _runs(Path(tmp))
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 820})
        options = ReportOptions(prompts_dir=REPO / "prompts")
        for name, paths, fragment in (
            ("run", runs[1:2], "#view?doc={doc}"),
            ("comparison", runs[:2], "#view?flip=1&doc={doc}"),
            ("sweep", runs, "#view?sort=m.1.0"),
        ):
            out = Path(tmp) / f"{name}.html"
            out.write_text(build_report(paths, options), encoding="utf-8")
            doc = sorted(p.stem for p in (Path(tmp) / "docs").glob("*.txt"))[1]
            page.goto(out.as_uri() + fragment.format(doc=doc))
            target = "#heatmap" if name == "sweep" else "#doc-panel"
            page.locator(target).scroll_into_view_if_needed()
            page.screenshot(path=IMG / f"report-{name}.png", type="png")
            print(f"wrote {IMG / f'report-{name}.png'}")
        browser.close()


if __name__ == "__main__":
    main()
