"""Per-document counts (score_document) and corpus metrics (aggregate), worked out by hand.

Corpus used throughout (one article, three gold files):
  A: 4 gold (3 required), 5 predictions: 4 matched, 1 invented. See `score_a` comments.
  B: 2 required gold, the model failed (parse): no predictions.
  C: 1 required gold, predicted perfectly on the first attempt.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from harness.claims import Claim, GoldClaim, GoldDocument
from harness.scoring import ScoringConfig, aggregate, score_document
from harness.scoring.document import DocCounts, DocScore
from harness.scoring.metrics import counts_matrix, per_document_metrics
from harness.scoring.stats import bootstrap_weights

TEXT = (
    "Officials said the bridge will reopen in May. The bridge was closed in 2019. "
    '"We are on schedule," Mayor Ana Ruiz told reporters. '
    "Critics, citing engineers, said costs doubled."
)
E_OFF = "Officials said the bridge will reopen in May."
E_2019 = "The bridge was closed in 2019."
E_RUIZ = "\u201cWe are on schedule,\u201d Mayor Ana Ruiz told reporters."  # curly quotes
E_COST = "Critics, citing engineers, said costs doubled."
AUTHOR: dict[str, Any] = {
    "speaker": None,
    "speaker_type": "author",
    "cue": None,
    "quote_type": "none",
    "via": [],
}


def gold(statement: str, evidence: str, speaker: str | None = None, kind: str = "author",
         quote: str = "none", **kw: Any) -> GoldClaim:  # fmt: skip
    fields = {"speaker": speaker, "speaker_type": kind, "quote_type": quote}
    return GoldClaim.model_validate({**AUTHOR, **fields, **kw, "statement": statement,
                                     "evidence": evidence})  # fmt: skip


def pred(statement: str, evidence: str, speaker: str | None = None, kind: str = "author",
         quote: str = "none", **kw: Any) -> Claim:  # fmt: skip
    return Claim.model_validate(gold(statement, evidence, speaker, kind, quote, **kw).model_dump(
        exclude={"speaker_aliases", "required"}))  # fmt: skip


G_OFF = gold("The bridge will reopen in May.", E_OFF, "officials", "government", "indirect",
             cue="said")  # fmt: skip
G_2019 = gold("The bridge was closed in 2019.", E_2019, required=False)
G_RUIZ = gold("The bridge works are on schedule.", E_RUIZ, "Ana Ruiz", "person", "direct",
              cue="told reporters")  # fmt: skip
G_COST = gold("Costs doubled.", E_COST, "engineers", "anonymous", "indirect", via=["Critics"],
              cue="said")  # fmt: skip

PRED_A = [
    # 0 -> G_OFF: same evidence and statement (sim 1); speaker and cue case differ; all ok
    pred(
        "The bridge will reopen in May.", E_OFF, "Officials", "government", "indirect", cue="Said"
    ),
    # 1 -> G_RUIZ: surname-only speaker matches; quote_type wrong (indirect vs direct);
    #      cue "told" is a run of the gold's "told reporters": ok
    pred("The bridge works are on schedule.", E_RUIZ, "Ruiz", "person", "indirect", cue="told"),
    # 2 -> G_COST: same evidence; statement token F1 = 2*2/(6+2) = 0.5
    #      -> sim = 0.75*1 + 0.25*0.5 = 0.875; speaker, speaker_type, via and cue wrong
    pred(
        "The costs of the bridge doubled.",
        E_COST,
        "Critics",
        "organization",
        "indirect",
        cue="citing",
    ),
    # 3: invented evidence, unrelated statement -> ungrounded and unmatched
    pred("The mayor resigned.", "The mayor resigned on Tuesday after the vote."),
    # 4 -> G_2019 (not required): quote_type wrong (indirect vs none)
    pred("The bridge was closed in 2019.", E_2019, quote="indirect"),
]


def score_a(config: ScoringConfig | None = None) -> DocScore:
    g = GoldDocument(doc_id="a", claims=[G_OFF, G_2019, G_RUIZ, G_COST])
    return score_document("a", TEXT, g, PRED_A, config=config or ScoringConfig())


def score_b() -> DocScore:
    g = GoldDocument(doc_id="b", claims=[G_OFF, G_COST])
    return score_document("b", TEXT, g, [], failure="parse")


def score_c() -> DocScore:
    g = GoldDocument(doc_id="c", claims=[G_2019.model_copy(update={"required": True})])
    p = [pred("The bridge was closed in 2019.", E_2019)]
    return score_document("c", TEXT, g, p, valid_first_attempt=True)


def values(scores: list[DocScore], **kw: Any) -> dict[str, float | None]:
    return {k: v.value for k, v in aggregate(scores, **kw).metrics.items()}


# --- score_document ------------------------------------------------------------------------


def test_document_a_counts() -> None:
    s = score_a()
    # matched 0-0, 1-2, 2-3, 4-1; required among them 3; speaker ok for 0, 1, 4 (null=null)
    # -> attributed 3, attributed_required 2 (0 and 1); speaker_type ok 0, 1, 4 -> 3;
    # quote_type ok 0, 2 -> 2; via ok 0, 1, 4 -> 3; cue ok 0, 1, 4 (null=null) -> 3;
    # innermost relay checked only for G_COST (the one gold chain), lost by pred 2 -> 0 of 1;
    # prediction 3 ungrounded -> 4 of 5.
    assert s.counts == DocCounts(
        n_pred=5, n_pred_grounded=4, n_gold=4, n_gold_required=3, matched=4,
        matched_required=3, attributed=3, attributed_required=2, speaker_type_pairs=4,
        speaker_type_ok=3, quote_type_pairs=4, quote_type_ok=2, via_pairs=4, via_ok=3,
        via_innermost_pairs=1, via_innermost_ok=0, cue_pairs=4, cue_ok=3, valid=1,
        valid_first_attempt=0,
    )  # fmt: skip
    assert [(p.predicted, p.gold, p.similarity) for p in s.pairs] == [
        (0, 0, 1.0), (1, 2, 1.0), (2, 3, 0.875), (4, 1, 1.0)
    ]  # fmt: skip
    assert (s.missed_gold, s.unmatched_predicted, s.ungrounded_predicted) == ([], [3], [3])


def test_failed_document_scores_zero_but_counts_its_gold() -> None:
    s = score_b()
    assert s.failure == "parse"
    assert s.counts == DocCounts(n_gold=2, n_gold_required=2)  # valid = 0
    assert s.missed_gold == [0, 1]


def test_match_threshold_from_config() -> None:
    # 0.875 < 0.9: pair 2-3 dropped -> matched 3, G_COST missed, prediction 2 unmatched
    s = score_a(ScoringConfig(match_threshold=0.9))
    assert (s.counts.matched, s.counts.matched_required) == (3, 2)
    assert (s.missed_gold, s.unmatched_predicted) == ([3], [2, 3])


def test_ungrounded_prediction_can_match_on_statement_alone() -> None:
    # Evidence not in the text -> similarity = statement token F1 = 1 -> matched, ungrounded.
    p = pred("The bridge will reopen in May.", "Officials confirmed a reopening date.")
    s = score_document("d", TEXT, GoldDocument(doc_id="d", claims=[G_OFF]), [p])
    assert (s.counts.matched, s.counts.n_pred_grounded, s.pairs[0].similarity) == (1, 0, 1.0)


def test_unannotated_fields_are_not_checked() -> None:
    g = GoldDocument(doc_id="a", unannotated=["quote_type", "via"], claims=[G_OFF, G_RUIZ])
    s = score_document("a", TEXT, g, PRED_A[:2])
    assert [(p.quote_type, p.via, p.speaker_type) for p in s.pairs] == [(None, None, True)] * 2
    assert (s.counts.quote_type_pairs, s.counts.via_pairs, s.counts.speaker_type_pairs) == (0, 0, 2)
    m = aggregate([s], resamples=50).metrics
    assert (m["quote_type_accuracy"].value, m["quote_type_accuracy"].ci_low) == (None, None)
    assert m["speaker_type_accuracy"].value == 1.0  # 2 ok of 2 pairs
    assert [p.via_innermost for p in s.pairs] == [None, None]


def test_innermost_relay_scores_a_flattened_chain() -> None:
    # Gold: RT-style nesting, outlet then official; the prediction keeps only the official.
    chain = ["Bloomberg", "a senior US official"]
    g = GoldDocument(doc_id="n", claims=[G_COST.model_copy(update={"via": chain})])
    flat = PRED_A[2].model_copy(update={"via": ["a US official"]})
    full = PRED_A[2].model_copy(update={"via": ["Bloomberg News", "a senior U.S. official"]})
    lost = PRED_A[2].model_copy(update={"via": ["Bloomberg"]})
    got = [score_document("n", TEXT, g, [p]).pairs[0] for p in (flat, full, lost)]
    assert [(p.via, p.via_innermost) for p in got] == [(False, True), (True, True), (False, False)]
    v = values([score_document("n", TEXT, g, [p]) for p in (flat, full, lost)], resamples=10)
    assert (v["via_accuracy"], v["via_innermost_accuracy"]) == (round(1 / 3, 6), round(2 / 3, 6))


# --- aggregate: micro and macro ------------------------------------------------------------


def test_micro_metrics_by_hand() -> None:
    v = values([score_a(), score_b(), score_c()], resamples=10)
    # sums: n_pred 5+0+1 = 6, grounded 4+0+1 = 5, required gold 3+2+1 = 6,
    # matched 4+0+1 = 5, matched_required 3+0+1 = 4, attributed 3+0+1 = 4, attr_req 2+0+1 = 3
    assert v["claim_precision"] == round(5 / 6, 6)  # 5 matched of 6 predicted
    assert v["claim_recall"] == round(4 / 6, 6)  # 4 required matched of 6 required
    assert v["claim_f1"] == round(20 / 27, 6)  # 2*(5/6)(2/3)/(5/6+2/3) = (10/9)/(3/2)
    assert v["attributed_precision"] == round(4 / 6, 6)
    assert v["attributed_recall"] == 0.5  # 3 of 6
    assert v["attributed_f1"] == round(4 / 7, 6)  # 2*(2/3)(1/2)/(2/3+1/2) = (2/3)/(7/6)
    assert v["speaker_accuracy"] == 0.8  # attributed 4 of matched 5
    assert v["speaker_type_accuracy"] == 0.8  # (3+1) of (4+1) pairs
    assert v["quote_type_accuracy"] == 0.6  # (2+1) of (4+1)
    assert v["via_accuracy"] == 0.8  # (3+1) of (4+1)
    assert v["via_innermost_accuracy"] == 0.0  # 0 of 1 pair with a gold chain (A's G_COST)
    assert v["cue_accuracy"] == 0.8  # (3+1) of (4+1)
    assert v["grounding_rate"] == round(5 / 6, 6)  # 5 grounded of 6 predicted
    assert v["schema_valid_rate"] == round(2 / 3, 6)  # A and C valid of 3 documents
    assert v["first_attempt_valid_rate"] == round(1 / 3, 6)  # only C


def test_macro_metrics_by_hand() -> None:
    v = values([score_a(), score_b(), score_c()], resamples=10)
    # per doc claim P/R/F1: A 4/5, 3/3, 2*0.8*1/1.8 = 8/9; B 0, 0, 0; C 1, 1, 1
    assert v["claim_precision_macro"] == 0.6  # (0.8 + 0 + 1)/3
    assert v["claim_recall_macro"] == round(2 / 3, 6)  # (1 + 0 + 1)/3
    assert v["claim_f1_macro"] == round(17 / 27, 6)  # (8/9 + 0 + 1)/3
    # attributed: A 3/5, 2/3, 2*(3/5)(2/3)/(3/5+2/3) = (4/5)/(19/15) = 12/19; B 0; C 1
    assert v["attributed_precision_macro"] == round(1.6 / 3, 6)
    assert v["attributed_recall_macro"] == round(5 / 9, 6)  # (2/3 + 0 + 1)/3
    assert v["attributed_f1_macro"] == round(31 / 57, 6)  # (12/19 + 1)/3


def test_failures_and_bootstrap_metadata() -> None:
    m = aggregate([score_a(), score_b(), score_b(), score_c()], resamples=20, seed=7)
    assert (m.n_docs, m.failures) == (4, {"parse": 2})
    assert m.bootstrap == {"resamples": 20, "seed": 7, "alpha": 0.05}


def test_failed_document_stays_in_denominators() -> None:
    # C alone: recall 1/1, valid 1/1. With failed B: recall 1/(1+2) = 1/3, valid 1/2.
    assert values([score_c()], resamples=10)["claim_recall"] == 1.0
    v = values([score_c(), score_b()], resamples=10)
    assert (v["claim_recall"], v["claim_precision"]) == (round(1 / 3, 6), 1.0)
    assert (v["claim_f1"], v["schema_valid_rate"]) == (0.5, 0.5)  # 2*(1)(1/3)/(4/3) = 1/2


def test_empty_predictions_conventions() -> None:
    only_optional = GoldDocument(doc_id="o", claims=[G_2019])  # required=False
    empty = score_document("o", TEXT, only_optional, [])
    # per document: no predictions and no required gold -> P = 1, R = 1, F1 = 1
    per_doc = per_document_metrics(counts_matrix([empty]))
    assert [float(per_doc[k][0]) for k in ("claim_precision", "claim_recall", "claim_f1")] == [
        1.0, 1.0, 1.0
    ]  # fmt: skip
    assert np.isnan(per_doc["speaker_accuracy"][0])  # no pairs: undefined per document
    # micro: 0 predictions in the corpus -> P = 0; no required gold -> R = 1; F1 = 0
    v = values([empty], resamples=10)
    assert (v["claim_precision"], v["claim_recall"], v["claim_f1"]) == (0.0, 1.0, 0.0)
    assert (v["claim_f1_macro"], v["speaker_accuracy"], v["grounding_rate"]) == (1.0, None, None)
    # with required gold, per-document precision of no predictions is 0
    missed = score_document("m", TEXT, GoldDocument(doc_id="m", claims=[G_OFF]), [])
    assert float(per_document_metrics(counts_matrix([missed]))["claim_precision"][0]) == 0.0


def test_optional_gold_matched_counts_for_precision_only() -> None:
    # Predicting only the optional claim: P = 1/1, R = 0 of 1 required -> F1 0.
    g = GoldDocument(doc_id="o", claims=[G_2019, G_OFF])
    v = values([score_document("o", TEXT, g, [pred("x", E_2019)])], resamples=10)
    assert (v["claim_precision"], v["claim_recall"], v["claim_f1"]) == (1.0, 0.0, 0.0)


def test_no_documents() -> None:
    m = aggregate([], resamples=10)
    assert m.n_docs == 0
    assert {(x.value, x.ci_low, x.ci_high) for x in m.metrics.values()} == {(None, None, None)}


# --- bootstrap -----------------------------------------------------------------------------


def test_bootstrap_weights_semantics() -> None:
    w = bootstrap_weights(4, 100, seed=3)
    assert w.shape == (100, 4) and w.dtype == np.float64
    assert (w.sum(axis=1) == 4).all()  # each replicate draws 4 documents
    assert (w == np.round(w)).all() and (w >= 0).all()  # multiplicities
    assert np.array_equal(w, bootstrap_weights(4, 100, seed=3))
    assert not np.array_equal(w, bootstrap_weights(4, 100, seed=4))
    assert bootstrap_weights(0, 5, seed=3).shape == (5, 0)


def _naive_replicates(counts: list[DocCounts], weights: np.ndarray) -> dict[str, list[float]]:
    """One Python loop per replicate over an explicit list of resampled documents."""
    out: dict[str, list[float]] = {"claim_f1": [], "claim_f1_macro": [], "speaker_accuracy": []}
    for row in weights:
        docs = [counts[i] for i, k in enumerate(row) for _ in range(int(k))]
        n_pred = sum(d.n_pred for d in docs)
        n_req = sum(d.n_gold_required for d in docs)
        matched = sum(d.matched for d in docs)
        p = matched / n_pred if n_pred else 0.0
        r = sum(d.matched_required for d in docs) / n_req if n_req else 1.0
        out["claim_f1"].append(2 * p * r / (p + r) if p + r else 0.0)
        f1s = []
        for d in docs:
            dp = d.matched / d.n_pred if d.n_pred else (0.0 if d.n_gold_required else 1.0)
            dr = d.matched_required / d.n_gold_required if d.n_gold_required else 1.0
            f1s.append(2 * dp * dr / (dp + dr) if dp + dr else 0.0)
        out["claim_f1_macro"].append(sum(f1s) / len(f1s))
        if matched:  # replicates without matched pairs have no speaker accuracy
            out["speaker_accuracy"].append(sum(d.attributed for d in docs) / matched)
    return out


def test_bootstrap_equals_naive_loop() -> None:
    scores = [score_a(), score_b(), score_c(), score_b(), score_a()]
    m = aggregate(scores, resamples=300, seed=11)
    naive = _naive_replicates([s.counts for s in scores], bootstrap_weights(5, 300, 11))
    for name, samples in naive.items():
        lo, hi = np.quantile(samples, [0.025, 0.975])
        assert m.metrics[name].ci_low == pytest.approx(lo, abs=2e-6), name
        assert m.metrics[name].ci_high == pytest.approx(hi, abs=2e-6), name
    assert len(naive["speaker_accuracy"]) < 300  # some replicates drew only failed docs


def test_bootstrap_interval_contains_point_and_is_reproducible() -> None:
    scores = [score_a(), score_b(), score_c(), score_c(), score_a(), score_b()]
    m = aggregate(scores, seed=5)
    for name, v in m.metrics.items():
        assert v.value is not None and v.ci_low is not None and v.ci_high is not None, name
        assert v.ci_low <= v.value <= v.ci_high, name
    f1 = m.metrics["claim_f1"]
    assert f1.ci_low is not None and f1.ci_high is not None and f1.ci_low < f1.ci_high
    assert aggregate(scores, seed=5) == m
    # A different seed moves the intervals (resamples=100: quantiles fall between atoms).
    other = aggregate(scores, seed=6, resamples=100).metrics["claim_f1"]
    assert other != aggregate(scores, seed=5, resamples=100).metrics["claim_f1"]


def test_accuracy_interval_ignores_replicates_without_pairs() -> None:
    # Only C has matched pairs (speaker ok); replicates without C have no speaker accuracy
    # and are dropped rather than counted as 0 -> the interval is [1, 1].
    m = aggregate([score_c(), score_b(), score_b()], resamples=500)
    v = m.metrics["speaker_accuracy"]
    assert (v.value, v.ci_low, v.ci_high) == (1.0, 1.0, 1.0)
