"""`harness report`: a self-contained HTML report on real runs made against the scripted server."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness import Endpoint, RunConfig, evaluate, load_documents, load_gold
from harness.cli.report import report_command
from harness.compare import compare_runs
from harness.fakes import ChatRequest, GoldAnswerer, Reply, Script, ScriptedServer
from harness.report import ReportOptions, TextMap, build_report, load_run, locate
from harness.report.data import load_corpus
from harness.report.explore import csp_hash
from harness.runs import RunFolder
from harness.scoring.text import normalise

REPO = Path(__file__).resolve().parents[2]
N_DOCS = 8
INJECTED = "<script>alert(1)</script>"
SECTIONS = (
    "verdict",
    "metrics",
    "comparison",
    "heatmap",
    "attribution",
    "usage",
    "prompts",
    "documents",
)


class _Injecting:
    """Gold answers, plus one claim with HTML in every field for one document."""

    def __init__(self, inner: GoldAnswerer, doc_id: str) -> None:
        self.inner, self.doc_id = inner, doc_id

    def __call__(self, request: ChatRequest) -> Reply:
        reply = self.inner(request)
        if self.inner.doc_id_for(request) != self.doc_id or request.is_reask or not reply.content:
            return reply
        data = json.loads(reply.content)
        data["claims"].append(
            {
                "statement": INJECTED,
                "evidence": f"{INJECTED} said nobody, ever, anywhere",
                "speaker": "<b>Mallory</b>",
                "speaker_type": "person",
                "cue": None,
                "quote_type": "direct",
                "via": [],
            }
        )
        return Reply(content=json.dumps(data))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """A = every speaker wrong; B = gold answers, one truncated document, one injected claim."""
    results = tmp_path_factory.mktemp("results")
    documents = load_documents(REPO / "seeds")[:N_DOCS]
    gold = load_gold(REPO / "gold", documents)
    ids = [d.id for d in documents]
    scripts: dict[str, Script] = {
        "A": GoldAnswerer(documents, gold, behaviour="wrong_speakers"),
        "B": _Injecting(
            GoldAnswerer(documents, gold, lambda d: "truncated" if d == ids[2] else "gold"), ids[1]
        ),
    }
    paths = []
    for name, script in scripts.items():
        with ScriptedServer(script) as server:
            config = RunConfig(
                endpoint=Endpoint(base_url=server.base_url, model=f"model-{name}"),
                docs=REPO / "seeds",
                gold=REPO / "gold",
                prompts_dir=REPO / "prompts",
                limit=N_DOCS,
                results_dir=results,
                run_id=f"run-{name}",
            )
            paths.append(evaluate(config).folder.path)
    return paths


@pytest.fixture(scope="module")
def prices(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prices") / "prices.yaml"
    path.write_text("model-A: {input_per_mtok: 0.15, output_per_mtok: 0.6}\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def html(runs: list[Path], prices: Path) -> str:
    return build_report(runs, ReportOptions(prices=prices, prompts_dir=REPO / "prompts"))


def _cells(html: str, attr: tuple[str, str]) -> dict[tuple[str, str], str]:
    found = re.findall(
        rf'data-(?:run|pair)="([^"]*)" data-{attr[0]}="([^"]*)" '
        rf'data-{attr[1]}="([^"]*)"',
        html,
    )
    return {(run, key): value for run, key, value in found}


def test_sections_and_self_contained(html: str) -> None:
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    # Exactly two scripts: the embedded data and the one script, both allowed by hash.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert [attrs for attrs, _ in scripts] == [' type="application/json" id="report-data"', ""]
    assert html.lower().count("<script") == 2
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    assert csp is not None and "default-src 'none'" in csp.group(1)
    for _, body in scripts:
        assert csp_hash(body) in csp.group(1).split("script-src", 1)[1]
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html
    assert "run-A" in html and "run-B" in html


def test_untrusted_text_is_escaped(html: str) -> None:
    assert INJECTED not in html and "<b>Mallory</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in html
    # The injected evidence is not in the article: listed as an invented quote.
    invented = html.split("invented quotes (1)", 1)[1].split("</ul>", 1)[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; said nobody" in invented


def test_numbers_equal_metrics_json(runs: list[Path], html: str) -> None:
    cells = _cells(html, ("metric", "value"))
    for label, path in zip("AB", runs, strict=True):
        metrics = json.loads((path / "metrics.json").read_text())["metrics"]
        for name, entry in metrics.items():
            shown = cells[(label, name)]
            assert (float(shown) if shown else None) == entry["value"], (label, name)
    assert float(cells[("A", "claim_f1")]) == 1.0 and float(cells[("A", "attributed_f1")]) == 0.0


def test_comparison_deltas_and_flips(runs: list[Path], html: str) -> None:
    comparison = compare_runs(RunFolder.open(runs[0]), [RunFolder.open(runs[1])])
    deltas = _cells(html, ("metric", "delta"))
    for m in comparison.pairs[0].metrics:
        assert deltas[("B", m.metric)] == ("" if m.delta is None else str(m.delta))
    flipped = html.split("Flipped documents (", 1)[1]
    assert flipped.startswith(f"{len(comparison.pairs[0].flipped)})")
    for doc in comparison.pairs[0].flipped:
        assert f'href="#doc-{doc.doc_id}"' in flipped
    assert "B beats the baseline A" in html
    assert "failed documents: A 0, B 1 (truncated 1)" in html


def test_confusion_failures_and_cost(runs: list[Path], html: str, prices: Path) -> None:
    corpus = load_corpus(REPO / "seeds", REPO / "gold")
    for label, path in zip("AB", runs, strict=True):
        run = load_run(path, label, corpus, None)
        assert run.confusion is not None and not run.warnings
        scores = RunFolder.open(path).read_scores()
        total = sum(map(sum, run.confusion))
        diagonal = sum(run.confusion[i][i] for i in range(len(run.confusion)))
        assert total == sum(s.counts.speaker_type_pairs for s in scores)
        assert diagonal == sum(s.counts.speaker_type_ok for s in scores)
    assert 'data-run="B" data-failure="truncated">1<' in html
    costs: dict[Any, str] = _cells(html, ("cost", "cost")) or dict(
        re.findall(r'data-run="([^"]*)" data-cost="([^"]*)"', html)
    )
    tokens = json.loads((runs[0] / "manifest.json").read_text())["tokens"]
    expected = (tokens["prompt_tokens"] * 0.15 + tokens["completion_tokens"] * 0.6) / 1e6
    assert float(costs["A"]) == pytest.approx(expected)
    assert costs["B"] == "" and "no price for model" in html


def test_highlight_maps_every_gold_evidence_to_the_raw_text() -> None:
    documents = load_documents(REPO / "seeds")[:8]
    gold = load_gold(REPO / "gold", documents)
    for doc in documents:
        text = TextMap(doc.text)
        assert text.ok
        for claim in gold[doc.id].claims:
            span = locate(claim.evidence, text, 90)
            assert span is not None
            assert normalise(doc.text[span[0] : span[1]]) == normalise(claim.evidence)
    odd = TextMap("A  Stra\u00dfe \u201cquoted\u201d  te\u00adxt, cafe\u0301.")
    span = locate('strasse "quoted" text', odd, 90)
    assert (
        span is not None
        and odd.raw[span[0] : span[1]] == "Stra\u00dfe \u201cquoted\u201d  te\u00adxt"
    )
    assert locate("not in this text at all, not at all", odd, 90) is None


def test_cli_writes_the_report(runs: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(report_command, [*map(str, runs), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    single = CliRunner().invoke(report_command, [str(runs[0]), "-o", str(tmp_path / "one.html")])
    assert single.exit_code == 0, single.output
    assert 'id="comparison"' not in (tmp_path / "one.html").read_text(encoding="utf-8")


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def chromium() -> Path:
    """Debian's chromium: skipped locally if absent, required in CI (.ci/run installs it)."""
    found = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if found:
        return Path(found)
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but /usr/bin/chromium is missing: .ci/run must apt-get install it")
    pytest.skip("headless check needs /usr/bin/chromium (apt-get install -y chromium)")


def _chromium(binary: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [
        str(binary),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def test_report_renders_in_headless_chromium(
    chromium: Path, html: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.html"
    report.write_text(html, encoding="utf-8")
    url = report.as_uri()
    dom = _chromium(chromium, tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    for section in SECTIONS:
        assert f'id="{section}"' in dom.stdout
    assert "<svg" in dom.stdout and dom.stdout.lower().count("<script") == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom.stdout
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert not console, console
    png = tmp_path / "report.png"
    shot = _chromium(
        chromium, tmp_path / "profile-shot", f"--screenshot={png}", "--window-size=1400,2000", url
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    with capsys.disabled():
        print(f"\nreport screenshot: {png}")
