"""The one settings object for ReportQA: paths, model, chunking, retrieval and web options.

Every value can be overridden by an environment variable with the prefix ``REPORTQA_``
(for example ``REPORTQA_INDEX_DIR=/srv/index``); command-line flags override both.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """All tunable values in one place. Build-affecting values are recorded in the index manifest."""

    model_config = SettingsConfigDict(env_prefix="REPORTQA_", extra="ignore")

    # --- paths -------------------------------------------------------------------------
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    eval_dir: Path = PROJECT_ROOT / "eval"

    # --- embedding ---------------------------------------------------------------------
    embedder: Literal["minilm", "fake"] = "minilm"
    embed_batch_size: int = 16

    # --- chunking (recorded in the manifest: a change asks for a re-index) --------------
    chunk_target_tokens: int = 150
    chunk_overlap_sentences: int = 1
    embed_section_titles: bool = True

    # --- FAISS --------------------------------------------------------------------------
    hnsw_threshold: int = 100_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 96

    # --- first-stage retrieval ------------------------------------------------------------
    lexical_candidates: int = 50
    dense_candidates: int = 50
    dense_sentences: bool = Field(True, description="dense score: the better of the passage and its best sentence")
    dense_rescore_depth: int = Field(200, description="nearest passage vectors rescored by their sentence vectors")
    fusion: Literal["rrf", "convex"] = "rrf"
    rrf_k: int = 60
    convex_alpha: float = Field(0.5, description="weight of the dense score in the convex blend")
    lexical_min_idf: float = Field(0.8, description="query words rarer than this (IDF) go to bm25; 0 keeps all")
    spelling: bool = Field(True, description="correct query words the reports never use, one edit away")

    # --- answering ----------------------------------------------------------------------------
    acronym_expansion: bool = True
    acronym_weight: float = Field(0.5, description="bm25 weight of acronym expansions vs the query")
    colloquial_weight: float = Field(0.3, description="bm25 weight of everyday-word equivalents vs the query")
    colloquial_path: Path = PROJECT_ROOT / "retriever" / "colloquial.toml"
    rerank: bool = True
    rerank_depth: int = 40
    weights_path: Path = PROJECT_ROOT / "retriever" / "weights.json"
    dedup_overlap: float = Field(0.5, description="overlap share above which two hits collapse")
    dedup_similarity: float = Field(0.92, description="cosine above which two hits collapse")
    answer_max_sentences: int = 3

    # --- web ---------------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    api_token: SecretStr | None = None
    log_queries: bool = False
    evaluator_mode: bool = False
    max_query_chars: int = 1000
    max_request_bytes: int = 16_384
    judgements_path: Path = PROJECT_ROOT / "eval" / "judgements.jsonl"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once from the environment."""
    return Settings()
