"""The report's embedded data, prompt texts and diffs, history page and size warning,
on real runs against the scripted server (no browser needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.report import report_command
from harness.report import ReportOptions, build_report, size_warning
from harness.report.explore import csp_hash, embed_json
from harness.report.render import SIZE_WARNING_BYTES, STATIC_DOCS
from harness.runs import RunFolder
from harness.scoring.metrics import HEADLINE_METRICS
from tests.report.runs import HOSTILE, REPO, answerer, hostile_corpus, make_run

HOSTILE_STRINGS = ("</script>", "<!--", "\u2028", "<img src=x onerror=")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("explore")
    docs, gold = hostile_corpus(root / "corpus")
    a = make_run(root / "results", "run-A", docs, gold, answerer(docs, gold, {}), "extract@v1")
    b = make_run(
        root / "results", "run-B", docs, gold, answerer(docs, gold, {"h2_img": "truncated"})
    )
    return a, b, root / "results"


def _data(html: str) -> str:
    found = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S
    )
    assert found is not None
    return found.group(1)


def test_embedded_json_cannot_break_out_and_round_trips(runs: tuple[Path, Path, Path]) -> None:
    html = build_report(list(runs[:2]), ReportOptions(prompts_dir=REPO / "prompts"))
    data = _data(html)
    for bad in ("<", ">", "\u2028", "\u2029"):
        assert bad not in data
    value = json.loads(data)
    titles = {d["id"]: d["title"] for d in value["docs"]}
    for doc_id, title, _ in HOSTILE:
        assert titles[doc_id] == title  # escaped in the file, intact once parsed
    text = {d["id"]: d["text"] for d in value["docs"]}["h1_script"]
    assert "</script><script>window.__pwned = 1</script>" in text
    assert embed_json({"x": "</script><!--\u2028&"}) == (
        '{"x":"\\u003c/script\\u003e\\u003c!--\\u2028\\u0026"}'
    )
    assert json.loads(str(embed_json({"x": "</script><!--\u2028&"}))) == {
        "x": "</script><!--\u2028&"
    }
    assert csp_hash(data) in html.split("script-src", 1)[1].split('"', 1)[0]


def test_data_carries_what_the_runs_scored(runs: tuple[Path, Path, Path]) -> None:
    html = build_report(list(runs[:2]), ReportOptions(prompts_dir=REPO / "prompts"))
    value = json.loads(_data(html))
    scores_b = {s.doc_id: s for s in RunFolder.open(runs[1]).read_scores()}
    docs = {d["id"]: d for d in value["docs"]}
    assert set(docs) == set(scores_b)
    side = docs["h2_img"]["runs"][1]
    assert side["f"] == scores_b["h2_img"].failure == "truncated" and side["n"] == 0
    assert value["failures"] == ["truncated"]
    assert value["flips"] == {"0-1": [list(docs).index("h2_img")]}
    for doc_id, score in scores_b.items():
        aligned = {p.predicted: p.gold for p in score.pairs}
        for k, claim in enumerate(docs[doc_id]["runs"][1]["p"]):
            assert claim[4] == aligned.get(k, -1)


def test_prompt_texts_hashes_and_diff(runs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    html = build_report(list(runs[:2]), ReportOptions(prompts_dir=REPO / "prompts"))
    section = html.split('<section id="prompts">', 1)[1].split("</section>", 1)[0]
    for run in runs[:2]:
        manifest = RunFolder.open(run).read_manifest()
        assert f'data-prompt-hash="{manifest.prompt_hash}"' in section
    assert section.count('<details class="diff"') == 1
    assert '<span class="del">-You extract claims and their attribution' in section
    assert '<span class="add">+You are a meticulous news analyst.' in section
    # A prompts folder edited since the runs: the text is shown with a warning.
    edited = tmp_path / "prompts"
    for version in ("v1", "v2"):
        folder = edited / "extract" / version
        folder.mkdir(parents=True)
        for f in (REPO / "prompts/extract" / version).iterdir():
            (folder / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (edited / "extract/v2/user.j2").write_text("changed {{ document.text }}", encoding="utf-8")
    html = build_report(list(runs[:2]), ReportOptions(prompts_dir=edited))
    assert html.count("changed since the run (hash now") == 1
    html = build_report(list(runs[:2]), ReportOptions(prompts_dir=tmp_path / "nowhere"))
    assert html.count("prompt text unavailable") == 2


def test_history_page_and_run_reports(runs: tuple[Path, Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "history.html"
    args = ["--history", str(runs[2]), "-o", str(out), "--prompts-dir", str(REPO / "prompts")]
    result = CliRunner().invoke(report_command, args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"wrote {out}: 2 runs, 2 run reports in history-runs/"
    html = out.read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-run="([^"]*)">', html)
    assert rows == ["run-A", "run-B"]  # oldest first
    for name, run in zip(rows, runs[:2], strict=True):
        assert f'<a href="history-runs/{name}.html">' in html
        report = (tmp_path / "history-runs" / f"{name}.html").read_text(encoding="utf-8")
        assert report.startswith("<!DOCTYPE html>") and RunFolder.open(run).path.name in report
        metrics = json.loads((run / "metrics.json").read_text())["metrics"]
        row = html.split(f'<tr data-run="{name}">', 1)[1].split("</tr>", 1)[0]
        shown = re.search(r'data-metric="claim_f1" data-value="([^"]*)"', row)
        assert shown is not None and float(shown.group(1)) == metrics["claim_f1"]["value"]
    assert html.count("<svg") == len(HEADLINE_METRICS) and "<script" not in html
    both = CliRunner().invoke(report_command, [str(runs[0]), "--history", str(runs[2])])
    assert both.exit_code == 2 and "not both" in both.output
    none = CliRunner().invoke(report_command, [])
    assert none.exit_code == 2 and "at least one RUN" in none.output
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = CliRunner().invoke(report_command, ["--history", str(empty), "-o", str(out)])
    assert nothing.exit_code != 0 and "no run folders" in str(nothing.exception or nothing.output)


def test_size_warning_and_static_limit() -> None:
    assert size_warning("x" * 10) is None
    warning = size_warning("x" * (SIZE_WARNING_BYTES + 1))
    assert warning is not None and warning.startswith("warning: the report is 40 MB")
    assert STATIC_DOCS >= 100
