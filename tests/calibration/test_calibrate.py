"""`harness matchers calibrate`: pair loading, the statistics, and the command on a fixture.

The fixture (tests/data/calibration/pairs.jsonl, see its README) has 24 pairs over 6 seed
documents; annotator_a says yes to 12 (verbatim + paraphrase), annotator_b to 12 with two
disagreements, so human-human kappa = (22/24 - 1/2) / (1 - 1/2) = 5/6.
"""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from harness.calibration import calibrate, consensus, load_pairs, pair_scores
from harness.calibration.stats import best_f1_threshold, doc_bootstrap, held_out, roc_auc
from harness.corpus import load_documents
from harness.errors import UserInputError
from harness.scoring.matchers import get_matcher
from tests.conftest import HARNESS, cli_env

FIXTURE = Path(__file__).parents[1] / "data" / "calibration" / "pairs.jsonl"
SEEDS = Path(__file__).parents[2] / "seeds"


def brute_auc(scores: list[float], labels: list[bool]) -> float:
    """AUC by its definition: every (positive, negative) pair, ties worth one half."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_roc_auc_by_hand() -> None:
    # positives 0.35, 0.8; negatives 0.1, 0.4: of 4 comparisons 0.35 loses to 0.4 -> 3/4
    scores, labels = np.array([0.1, 0.4, 0.35, 0.8]), np.array([False, False, True, True])
    assert roc_auc(scores, labels) == pytest.approx(0.75)
    assert roc_auc(np.array([0.5, 0.5]), np.array([False, True])) == 0.5  # a tie is half
    assert roc_auc(np.array([0.5]), np.array([True])) is None  # one class only


def test_best_f1_threshold_by_hand() -> None:
    # cut 0.8: TP 1, said 1, pos 2 -> F1 2/3; cut 0.35: TP 2, said 3 -> 4/5; cut 0.1: 4/6
    scores, labels = np.array([0.1, 0.4, 0.35, 0.8]), np.array([False, False, True, True])
    assert best_f1_threshold(scores, labels) == 0.35
    assert best_f1_threshold(scores, np.zeros(4, dtype=bool)) is None


def test_split_is_stable_and_about_half() -> None:
    ids = [f"doc{i}" for i in range(200)]
    first = [held_out(i) for i in ids]
    assert first == [held_out(i) for i in ids]
    assert 70 < sum(first) < 130


def test_bootstrap_resamples_whole_documents() -> None:
    # Two documents of 3 and 1 pairs: any replicate holds 2, 4, 6 pairs (never 3 or 5).
    sizes = set()

    def size(index: np.ndarray) -> float:
        sizes.add(len(index))
        return float(len(index))

    interval = doc_bootstrap(size, ["a", "a", "a", "b"], resamples=200)
    assert interval.value == 4.0
    assert sizes <= {2, 4, 6}


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def good_line(pair_id: str = "x1") -> dict[str, object]:
    record = json.loads(FIXTURE.read_text(encoding="utf-8").splitlines()[0])
    return {**record, "pair_id": pair_id}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: "{not json", r"pairs.jsonl:2: not JSON"),
        (lambda r: json.dumps({**r, "labels": {}}), r"pairs.jsonl:2: \$\.labels: "),
        (lambda r: json.dumps({**r, "labels": {"a": "yes"}}), r"pairs.jsonl:2: \$\.labels\.a: "),
        (lambda r: json.dumps({**r, "extra": 1}), r"pairs.jsonl:2: \$\.extra: "),
        (
            lambda r: json.dumps({**r, "predicted": {**r["predicted"], "speaker_type": "alien"}}),
            r"pairs.jsonl:2: \$\.predicted\.speaker_type: ",
        ),
        (lambda r: json.dumps({**r, "pair_id": "x1"}), r"pairs.jsonl:2: \$\.pair_id: duplicate"),
    ],
)
def test_bad_pairs_name_file_line_and_field(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, [json.dumps(good_line("x1")), mutate(good_line("x2"))])
    with pytest.raises(UserInputError, match=message):
        load_pairs(path)


def test_missing_document_and_empty_file(tmp_path: Path) -> None:
    pairs = load_pairs(write(tmp_path, [json.dumps({**good_line(), "doc_id": "nope"})]))
    with pytest.raises(UserInputError, match=r"pair x1: \$\.doc_id: no document 'nope'"):
        pair_scores(pairs, {}, get_matcher("lexical"))
    with pytest.raises(UserInputError, match="no pairs"):
        load_pairs(write(tmp_path, [""]))


def test_calibrate_fixture_against_hand_numbers() -> None:
    pairs = load_pairs(FIXTURE)
    texts = {d.id: d.text for d in load_documents(SEEDS)}
    matchers = [get_matcher("lexical"), get_matcher("lexical+guards")]
    report = calibrate(pairs, texts, matchers)
    assert (report.pairs, report.documents, report.disagreements) == (24, 6, 2)
    assert report.human_kappa is not None
    assert report.human_kappa.value == pytest.approx(5 / 6)
    agreed = [p for p in pairs if consensus(p) is not None]
    for matcher, result in zip(matchers, report.matchers, strict=True):
        scores = pair_scores(agreed, texts, matcher)
        expected = brute_auc(list(scores), [bool(consensus(p)) for p in agreed])
        assert result.auc.value == pytest.approx(expected)
        assert result.train_pairs + result.test_pairs == 22
    lexical, guarded = report.matchers
    # The negated pairs keep the gold evidence, so lexical rates them ~0.9+: guards fix that.
    assert guarded.auc.value is not None and lexical.auc.value is not None
    assert guarded.auc.value > lexical.auc.value


def _calibrate(*args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process: an in-process click invocation would leave click's
    cached help options behind and change what scripts/gen_cli_docs.py renders."""
    return subprocess.run(
        [*HARNESS, "matchers", "calibrate", str(FIXTURE), "--docs", str(SEEDS), *args],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_calibrate_command_prints_every_matcher() -> None:
    result = _calibrate("--matcher", "lexical", "--matcher", "lexical+guards")
    assert result.returncode == 0, result.stderr
    assert "human-human kappa: 0.833" in result.stdout
    assert "\nlexical " in result.stdout and "\nlexical+guards " in result.stdout


def test_a_fixed_threshold_is_used_as_given() -> None:
    pairs = load_pairs(FIXTURE)
    texts = {d.id: d.text for d in load_documents(SEEDS)}
    report = calibrate(pairs, texts, [get_matcher("lexical")], threshold=0.5)
    assert report.matchers[0].threshold == 0.5


def test_judge_needs_an_endpoint() -> None:
    result = _calibrate("--matcher", "judge")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().endswith("needs --judge-base-url and --judge-model")
