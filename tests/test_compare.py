"""`harness compare`: paired deltas, intervals and tests checked against naive versions."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from harness.cli.compare import compare_command
from harness.compare import compare_runs, holm
from harness.errors import UserInputError
from harness.render.summaries import comparison_table
from harness.runs import Manifest, RunFolder
from harness.scoring.document import DocCounts, DocScore
from harness.scoring.metrics import counts_matrix, micro_metrics
from harness.scoring.stats import paired_bootstrap_deltas, paired_permutation_pvalue

# (n_pred, matched, n_gold_required, matched_required, attributed); one claim per gold.
Doc = tuple[int, int, int, int, int]


def _score(doc_id: str, d: Doc, failure: str | None = None) -> DocScore:
    n_pred, matched, n_req, m_req, attributed = d
    counts = DocCounts(
        n_pred=n_pred,
        n_pred_grounded=n_pred,
        n_gold=n_req,
        n_gold_required=n_req,
        matched=matched,
        matched_required=m_req,
        attributed=attributed,
        attributed_required=min(attributed, m_req),
        valid=int(failure is None),
    )
    return DocScore(
        doc_id=doc_id,
        failure=failure,
        counts=counts,
        pairs=[],
        missed_gold=[],
        unmatched_predicted=[],
        ungrounded_predicted=[],
    )


def _run(
    tmp: Path,
    name: str,
    docs: list[Doc],
    gold_hash: str = "g1",
    scoring: dict[str, float] | None = None,
    **failed: str,
) -> Path:
    folder = RunFolder.create(tmp, name)
    folder.write_manifest(
        Manifest(
            run_id=name,
            status="completed",
            harness_version="0",
            git_commit=None,
            prompt="extract@v2",
            prompt_hash="p",
            prompt_description="",
            base_url="http://x",
            model="m",
            endpoint={},
            params={},
            reask=0,
            scoring=scoring or {},
            documents_source="d",
            documents_hash="h",
            n_documents=len(docs),
            gold_source="g",
            gold_hash=gold_hash,
            n_gold_documents=len(docs),
            started_at="2026-01-01T00:00:00Z",
        )
    )
    folder.write_scores([_score(f"d{i}", d, failed.get(f"d{i}")) for i, d in enumerate(docs)])
    return folder.path


# Eight documents; B improves most of them, d7 fails in B.
DOCS_A: list[Doc] = [
    (3, 1, 3, 1, 1),
    (2, 1, 2, 1, 0),
    (4, 2, 3, 2, 2),
    (1, 0, 1, 0, 0),
    (2, 2, 2, 2, 1),
    (3, 1, 2, 1, 1),
    (2, 0, 2, 0, 0),
    (3, 3, 3, 3, 3),
]
DOCS_B: list[Doc] = [
    (3, 3, 3, 3, 3),
    (2, 2, 2, 2, 1),
    (3, 3, 3, 3, 2),
    (1, 1, 1, 1, 1),
    (2, 2, 2, 2, 2),
    (2, 2, 2, 2, 1),
    (2, 1, 2, 1, 1),
    (0, 0, 3, 0, 0),
]


def _f1(sums: np.ndarray, n: np.ndarray) -> np.ndarray:
    return micro_metrics(sums, n)["claim_f1"]


def _matrices() -> tuple[np.ndarray, np.ndarray]:
    a = counts_matrix([_score(f"d{i}", d) for i, d in enumerate(DOCS_A)])
    b = counts_matrix([_score(f"d{i}", d) for i, d in enumerate(DOCS_B)])
    return a, b


def _claim_f1(docs: list[Doc]) -> float:
    n_pred, matched, n_req, m_req = (sum(d[k] for d in docs) for k in range(4))
    p, r = matched / n_pred, m_req / n_req
    return 2 * p * r / (p + r)


def test_delta_and_flipped_documents(tmp_path: Path) -> None:
    a = RunFolder.open(_run(tmp_path, "a", DOCS_A))
    b = RunFolder.open(_run(tmp_path, "b", DOCS_B, d7="parse"))
    result = compare_runs(a, [b], resamples=500, seed=1)
    rows = {m.metric: m for m in result.pairs[0].metrics}
    expected = _claim_f1(DOCS_B) - _claim_f1(DOCS_A)
    assert rows["claim_f1"].delta == pytest.approx(expected, abs=1e-6)
    assert rows["schema_valid_rate"].delta == pytest.approx(-1 / 8)
    low, high = rows["claim_f1"].ci_low, rows["claim_f1"].ci_high
    assert low is not None and high is not None and low <= expected <= high
    flipped = {d.doc_id: d.reasons for d in result.pairs[0].flipped}
    # Per-document (claim F1, attributed F1), A -> B: d1 (.5, 0) -> (1, .5); d4 (1, .5) -> (1, 1);
    # d5 claim .4 -> 1; d6 (0, 0) -> (.5, .5); d0, d3 reach 1; d7 fails. d2 moves < .5 only.
    assert set(flipped) == {"d0", "d1", "d3", "d4", "d5", "d6", "d7"}
    assert any(r.startswith("failure none->parse") for r in flipped["d7"])


def test_paired_bootstrap_equals_naive_loop() -> None:
    a, b = _matrices()
    n, resamples, seed = a.shape[0], 300, 7
    fast = paired_bootstrap_deltas(a, b, _f1, resamples, seed)
    # Naive: draw the same document indices (250 replicates per draw, as the harness does)
    # and sum each run's counts over them, one replicate at a time.
    rng = np.random.default_rng(seed)
    picks = [
        row
        for start in range(0, resamples, 250)
        for row in rng.integers(0, n, size=(min(250, resamples - start), n))
    ]
    naive = []
    for idx in picks:
        naive.append(float(_f1(b[idx].sum(0), np.array(n)) - _f1(a[idx].sum(0), np.array(n))))
    np.testing.assert_allclose(fast, naive, atol=1e-12)
    # And an independent index-resampling loop with another seed: same CI up to MC error.
    other = np.random.default_rng(99)
    loop = []
    for _ in range(4000):
        pick = other.integers(0, n, size=n)
        loop.append(float(_f1(b[pick].sum(0), np.array(n)) - _f1(a[pick].sum(0), np.array(n))))
    big = paired_bootstrap_deltas(a, b, _f1, 4000, seed)
    assert np.quantile(big, [0.025, 0.975]) == pytest.approx(
        np.quantile(loop, [0.025, 0.975]), abs=0.04
    )


def test_permutation_pvalue_matches_exact_enumeration() -> None:
    a, b = _matrices()
    n = a.shape[0]
    total = np.array(float(n))
    observed = abs(float(_f1(b.sum(0), total) - _f1(a.sum(0), total)))
    extreme = 0
    for signs in itertools.product((0, 1), repeat=n):
        s = np.array(signs, dtype=float)[:, None]
        sa, sb = (1 - s) * a + s * b, s * a + (1 - s) * b
        delta = float(_f1(sb.sum(0), total) - _f1(sa.sum(0), total))
        extreme += abs(delta) >= observed - 1e-9
    exact = extreme / 2**n
    resamples = 20000
    p = paired_permutation_pvalue(a, b, _f1, resamples, seed=3)
    assert abs(p - exact) < 4 * np.sqrt(exact * (1 - exact) / resamples) + 1 / resamples
    assert 0.0 < exact < 0.2  # the case is informative, not trivially 0 or 1


def test_holm_hand_worked() -> None:
    # sorted 0.01, 0.02, 0.04, 0.30 -> 4x0.01=0.04, 3x0.02=0.06, max(0.06, 2x0.04=0.08), 0.30
    assert holm([0.04, 0.30, 0.01, 0.02]) == pytest.approx([0.08, 0.30, 0.04, 0.06])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    out = holm([float("nan"), 0.02])
    assert np.isnan(out[0]) and out[1] == pytest.approx(0.02)


def test_refuses_different_documents_and_gold(tmp_path: Path) -> None:
    a = RunFolder.open(_run(tmp_path, "a", DOCS_A))
    short = RunFolder.open(_run(tmp_path, "short", DOCS_B[:6]))
    with pytest.raises(UserInputError, match="different documents") as info:
        compare_runs(a, [short])
    assert info.value.exit_code == 2 and "\n" not in str(info.value)
    result = compare_runs(a, [short], resamples=100, intersection=True)
    assert result.n_docs == 6 and result.n_dropped[str(a.path)] == 2
    other_gold = RunFolder.open(_run(tmp_path, "g2", DOCS_B, gold_hash="g2"))
    with pytest.raises(UserInputError, match="different gold"):
        compare_runs(a, [other_gold])


def test_fail_on_regression_exit_codes(tmp_path: Path) -> None:
    good = [(3, 3, 3, 3, 3)] * 12
    bad = [(3, 0, 3, 0, 0)] * 12
    base, worse = str(_run(tmp_path, "base", good)), str(_run(tmp_path, "worse", bad))
    runner = CliRunner()
    opts = ["--resamples", "300"]
    ok = runner.invoke(compare_command, [base, worse, *opts])
    assert ok.exit_code == 0, ok.output
    assert "claim_f1" in ok.output and "-1.0000" in ok.output
    gated = runner.invoke(
        compare_command, [base, worse, *opts, "--fail-on-regression", "claim_f1:0.1"]
    )
    assert gated.exit_code == 1
    # Dropped by 1.0, not more than 1.0: passes.
    lax = runner.invoke(compare_command, [base, worse, *opts, "--fail-on-regression", "claim_f1:1"])
    assert lax.exit_code == 0
    # An improvement never fails the gate.
    better = runner.invoke(
        compare_command, [worse, base, *opts, "--fail-on-regression", "claim_f1:0"]
    )
    assert better.exit_code == 0
    # A drop that is not significant (2 documents cannot give Holm p < 0.05) passes.
    s1, s2 = str(_run(tmp_path, "s1", good[:2])), str(_run(tmp_path, "s2", bad[:2]))
    small = runner.invoke(compare_command, [s1, s2, *opts, "--fail-on-regression", "claim_f1:0.1"])
    assert small.exit_code == 0, small.output


def test_markdown_report(tmp_path: Path) -> None:
    a, b = str(_run(tmp_path, "a", DOCS_A)), str(_run(tmp_path, "b", DOCS_B, d7="parse"))
    out = tmp_path / "cmp.md"
    result = CliRunner().invoke(
        compare_command, [a, b, "--resamples", "200", "--markdown", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "| claim_f1 |" in text and "`d7`" in text


def test_holm_covers_every_pair_and_metric_in_one_table(tmp_path: Path) -> None:
    runs = [RunFolder.open(_run(tmp_path, n, d)) for n, d in [("a", DOCS_A), ("b", DOCS_B)]]
    runs.append(RunFolder.open(_run(tmp_path, "c", DOCS_B, d0="parse", d1="parse")))
    result = compare_runs(runs[0], runs[1:], metrics=["claim_f1", "attributed_f1"], resamples=400)
    deltas = [m for pair in result.pairs for m in pair.metrics]
    raw = [m.p_value for m in deltas]
    assert None not in raw and result.family == 4
    family = holm([float(p) for p in raw if p is not None])
    assert [m.p_holm for m in deltas] == pytest.approx(family, abs=1e-5)
    per_pair = holm([float(m.p_value or 0) for m in result.pairs[0].metrics])
    assert [m.p_holm for m in result.pairs[0].metrics] != pytest.approx(per_pair)
    table = comparison_table(result)
    assert [c.name for c in table.columns][:2] == ["B", "metric"] and len(table.rows) == 4
    assert [row[0] for row in table.rows] == ["b", "b", "c", "c"]


def test_json_markdown_and_wide_output_without_a_terminal(tmp_path: Path) -> None:
    long = "run-" + "x" * 150  # wider than any 80-column log
    a, b = str(_run(tmp_path, "a", DOCS_A)), str(_run(tmp_path, long, DOCS_B))
    runner, opts = CliRunner(), ["--resamples", "200"]
    for args in ([a, b, "--json", *opts], [a, b, "--format", "json", *opts]):
        as_json = runner.invoke(compare_command, args)
        assert as_json.exit_code == 0, as_json.output
        data = json.loads(as_json.stdout)
        assert data["pairs"][0]["label_b"] == long and data["family"] == 6
    markdown = runner.invoke(compare_command, [a, b, "--format", "markdown", *opts])
    assert markdown.stdout.startswith("# Run comparison") and "| claim_f1 |" in markdown.stdout
    table = runner.invoke(compare_command, [a, b, *opts])
    assert any(long in line for line in table.stdout.splitlines()), table.stdout
    assert "…" not in table.stdout


def test_different_scoring_settings_are_named(tmp_path: Path) -> None:
    a = str(_run(tmp_path, "a", DOCS_A))
    b = str(_run(tmp_path, "b", DOCS_B, scoring={"match_threshold": 0.7}))
    result = CliRunner().invoke(compare_command, [a, b, "--json", "--resamples", "100"])
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr and "match_threshold 0.5 vs 0.7" in result.stderr
    assert json.loads(result.stdout)["warnings"] == [result.stderr.strip()[len("warning: ") :]]
