"""The interactive report in a real browser: Playwright for Python driving Debian's Chromium.

Playwright's own browser download does not work here, so it launches /usr/bin/chromium.
Skipped with the reason when either is missing; CI (.ci/run) installs both, and there a
missing one fails instead. Reports come from real runs against the scripted server.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness import load_documents, load_gold
from harness.compare import compare_runs
from harness.fakes import Reply
from harness.report import ReportOptions, build_report
from harness.runs import RunFolder
from tests.report.runs import HOSTILE, REPO, answerer, hostile_corpus, make_run

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
B_BEHAVIOUR = {
    "h1_script": "wrong_speakers",
    "001_a9b8bfead3ee556a": "wrong_speakers",
    "h4_emoji": "truncated",
    "002_53453bb4e1fc4371": "empty",
}
# A generous sanity budget for the 5,000-document report (the figures are printed; the
# machine is shared, so this only catches a report that stopped being usable at all).
BIG_DOCS, LOAD_BUDGET_S, FILTER_BUDGET_S = 5000, 30.0, 10.0


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}: .ci/run must install it")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("playwright is not installed (pip install -e '.[dev]')")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        _skip_or_fail("no chromium on PATH (apt-get install -y chromium)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Page:
    """A report page with everything that would make the test fail recorded."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def rows(self) -> list[str]:
        return list(
            self.page.locator("#doc-table tbody tr").evaluate_all("r => r.map(x => x.dataset.doc)")
        )

    def shown(self) -> str:
        return str(self.page.locator("#shown").text_content())

    def clean(self) -> None:
        assert not self.errors, self.errors
        schemes = {url.split(":", 1)[0] for url in self.requests}
        assert schemes <= {"file", "data"}, self.requests
        assert self.page.evaluate("window.__pwned") is None
        assert self.page.locator("img").count() == 0


def open_page(browser: Any, url: str, javascript: bool = True) -> Page:
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": 1300, "height": 900}
    )
    page = Page(context.new_page())
    page.page.on("pageerror", lambda exc: page.errors.append(f"pageerror: {exc}"))
    # A CSP violation is reported as a console error ("Refused to execute ...").
    page.page.on(
        "console",
        lambda m: (
            page.errors.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
        ),
    )
    page.page.on("request", lambda r: page.requests.append(r.url))
    page.page.goto(url)
    return page


@dataclass(frozen=True)
class Report:
    url: str
    a: Path
    b: Path


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """A = gold answers with prompt v1; B = prompt v2, wrong speakers/truncated/empty on some."""
    root = tmp_path_factory.mktemp("browser")
    docs, gold = hostile_corpus(root / "corpus")
    a = make_run(root / "results", "run-A", docs, gold, answerer(docs, gold, {}), "extract@v1")
    b = make_run(root / "results", "run-B", docs, gold, answerer(docs, gold, B_BEHAVIOUR))
    out = root / "report.html"
    out.write_text(build_report([a, b], ReportOptions(prompts_dir=REPO / "prompts")), "utf-8")
    return Report(out.as_uri(), a, b)


def _scores(run: Path) -> dict[str, Any]:
    return {s.doc_id: s for s in RunFolder.open(run).read_scores()}


def _with_speaker_type(run: Path, kind: str) -> list[str]:
    """Documents with a gold claim, or a claim of `run`, of this speaker type (run order)."""
    manifest = RunFolder.open(run).read_manifest()
    documents = load_documents(Path(manifest.documents_source))
    gold = load_gold(Path(manifest.gold_source), documents)
    predictions = RunFolder.open(run).read_predictions()
    found = []
    for doc_id in _scores(run):
        claims = [*gold[doc_id].claims, *(predictions[doc_id].claims or [])]
        if any(c.speaker_type.value == kind for c in claims):
            found.append(doc_id)
    return found


def test_loads_clean_and_hostile_text_stays_inert(browser: Any, report: Report) -> None:
    page = open_page(browser, report.url)
    assert page.shown() == f"{3 + len(HOSTILE)} of {3 + len(HOSTILE)} shown"
    page.clean()
    for doc_id, title, sentences in HOSTILE:
        page.page.locator(f"button[data-doc='{doc_id}']").click()
        panel = page.page.locator("#doc-panel")
        assert title in str(panel.locator("h3").text_content())
        # The evidence offsets are code points: every highlight is exactly one sentence,
        # even after emoji (two UTF-16 units each) and in right-to-left text.
        marks = panel.locator("p.doctext mark").all_text_contents()
        assert marks == [f"{who} said that {what}." for who, _, what in sentences], doc_id
    page.clean()
    static = open_page(browser, report.url, javascript=False)
    assert static.page.locator("#static-heat table.heat tr td.mono").count() == 3 + len(HOSTILE)
    assert static.page.locator("#explore").is_hidden()
    static.clean()


def test_filters_search_and_sort_change_the_rows(browser: Any, report: Report) -> None:
    page = open_page(browser, report.url)
    every = page.rows()
    failed = [d for d, s in _scores(report.b).items() if s.failure]
    page.page.check("#f-failed")
    assert page.rows() == failed == ["h4_emoji"] and page.shown() == f"1 of {len(every)} shown"
    page.page.uncheck("#f-failed")
    page.page.select_option("#f-fc", "truncated")
    assert page.rows() == ["h4_emoji"]
    page.page.select_option("#f-fc", "")
    page.page.fill("#f-q", "LAUNCH moved")  # claim text, case-insensitive
    assert page.rows() == ["h4_emoji"]
    page.page.fill("#f-q", "h3_")  # document id
    assert page.rows() == ["h3_rtl"]
    page.page.fill("#f-q", "announce deal")  # title only: the article text says it otherwise
    assert page.rows() == ["001_a9b8bfead3ee556a"]
    page.page.fill("#f-q", "")
    page.page.select_option("#f-st", "government")
    assert page.rows() == _with_speaker_type(report.b, "government")
    assert "h2_img" in page.rows() and "h1_script" not in page.rows()
    page.page.select_option("#f-st", "")
    page.page.click("th[data-sort='m.1.1']")  # attributed_f1 of B, ascending
    values = page.page.locator("#doc-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.children[5].textContent)"
    )
    numbers = [float(v.split()[0]) for v in values if not v.startswith("n/a")]
    assert numbers == sorted(numbers) and numbers[0] == 0.0
    page.page.click("th[data-sort='m.1.1']")
    again = page.page.locator("#doc-table tbody tr").evaluate_all(
        "rows => rows.map(r => r.children[5].textContent)"
    )
    assert [float(v.split()[0]) for v in again if not v.startswith("n/a")] == numbers[::-1]
    assert sorted(page.rows()) == sorted(every)
    page.clean()


def test_the_url_round_trips_the_view(browser: Any, report: Report) -> None:
    page = open_page(browser, report.url)
    page.page.select_option("#f-b", "1")
    page.page.select_option("#f-r", "0")
    page.page.fill("#f-q", "h")
    page.page.click("th[data-sort='id']")
    page.page.click("th[data-sort='id']")
    page.page.locator("button[data-doc='h2_img']").click()
    url, rows = page.page.url, page.rows()
    assert "#view?" in url and len(rows) > 1 and rows == sorted(rows, reverse=True)
    again = open_page(browser, url)
    assert again.rows() == rows and again.shown() == page.shown()
    assert again.page.input_value("#f-q") == "h"
    assert again.page.input_value("#f-b") == "1" and again.page.input_value("#f-r") == "0"
    assert "h2_img" in str(again.page.locator("#doc-panel h3").text_content())
    again.page.click("#f-reset")
    assert "#view?" not in again.page.url and len(again.rows()) == 3 + len(HOSTILE)
    again.clean()


def test_baseline_switch_flipped_filter_and_side_by_side(browser: Any, report: Report) -> None:
    comparison = compare_runs(RunFolder.open(report.a), [RunFolder.open(report.b)])
    flipped = [d.doc_id for d in comparison.pairs[0].flipped]
    assert len(flipped) >= 2
    page = open_page(browser, report.url)
    page.page.check("#f-flip")
    assert page.rows() == flipped
    page.page.select_option("#f-b", "1")
    page.page.select_option("#f-r", "0")
    assert page.rows() == flipped  # the same pair, seen from the other side
    page.page.select_option("#f-r", "1")
    assert page.page.is_disabled("#f-flip") and len(page.rows()) == 3 + len(HOSTILE)
    # Side by side against baseline A: B lost every claim of the document it answered empty,
    # and changed the speaker of every claim it matched where it named "Nobody".
    page.page.click("#f-reset")
    a, b = _scores(report.a), _scores(report.b)
    page.page.locator("button[data-doc='002_53453bb4e1fc4371']").click()
    lost = len(a["002_53453bb4e1fc4371"].pairs)
    summary = page.page.locator("#doc-panel td.summary[data-run='B']").text_content()
    assert summary == f"+0 gained, \u2212{lost} lost, 0 speaker changes, 0 spans moved"
    page.page.locator("button[data-doc='001_a9b8bfead3ee556a']").click()
    changed = len(b["001_a9b8bfead3ee556a"].pairs)
    summary = page.page.locator("#doc-panel td.summary[data-run='B']").text_content()
    assert summary == f"+0 gained, \u22120 lost, {changed} speaker changes, 0 spans moved"
    page.page.select_option("#f-b", "1")  # now A is compared with baseline B
    summary = page.page.locator("#doc-panel td.summary[data-run='A']").text_content()
    assert summary == f"+0 gained, \u22120 lost, {changed} speaker changes, 0 spans moved"
    page.clean()


@pytest.fixture(scope="module")
def big_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    """5,000 synthetic documents, run for real against a scripted server with one answer."""
    from bench._synth import FIXED_REPLY, write_corpus

    root = tmp_path_factory.mktemp("big")
    docs, gold = write_corpus(root, BIG_DOCS)
    run = make_run(root / "results", "big", docs, gold, lambda _: Reply(content=FIXED_REPLY))
    out = root / "big.html"
    html = build_report([run], ReportOptions(prompts_dir=REPO / "prompts"))
    out.write_text(html, "utf-8")
    return out.as_uri(), len(html.encode("utf-8"))


def test_a_5000_document_report_stays_interactive(
    browser: Any, big_report: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    url, size = big_report
    start = time.perf_counter()
    page = open_page(browser, url)
    page.page.wait_for_function(
        f"document.getElementById('shown').textContent === '{BIG_DOCS} of {BIG_DOCS} shown'"
    )
    loaded = time.perf_counter() - start
    assert len(page.rows()) == 100  # paged: one page of rows in the DOM
    start = time.perf_counter()
    page.page.fill("#f-q", "doc0004999")
    page.page.wait_for_function(
        f"document.getElementById('shown').textContent === '1 of {BIG_DOCS} shown'"
    )
    filtered = time.perf_counter() - start
    page.page.locator("button[data-doc='doc0004999']").click()
    assert page.page.locator("#doc-panel td.summary").count() == 1
    page.clean()
    with capsys.disabled():
        print(
            f"\n{BIG_DOCS}-document report: {size / 1e6:.1f} MB, loaded + first page in "
            f"{loaded:.2f} s (budget {LOAD_BUDGET_S} s), search in {filtered:.2f} s "
            f"(budget {FILTER_BUDGET_S} s)"
        )
    assert loaded < LOAD_BUDGET_S and filtered < FILTER_BUDGET_S
