"""The index on disk: how it is written (atomically), opened and verified.

Layout of the index directory::

    index/
      CURRENT                 name of the live build (replaced atomically)
      leases/                 <pid>-<build>: builds a serving process reads (never pruned)
      build-<id>/
        manifest.json         format, model, chunker settings, source hashes, counts, file hashes
        index.sqlite          documents, passages (+ FTS5), sentences, acronyms, embedding cache
        passages.faiss        passage vectors (exact inner product, or HNSW for large corpora)
        sentences.npy         one vector per passage sentence, for evidence and reranking
        questions.npy         one vector per passage question (indexer.passage_questions)
        bm25/                 bm25s term-weight matrix over passage text and section trail
        bm25q/                bm25s term-weight matrix over the passage questions, one per question
        measures.json         measure cards (indexer.measures); optional: an index without it has no cards

The modules, one job each: ``paths`` (file names, the CURRENT pointer), ``errors``, ``manifest``
(the typed ``IndexManifest``), ``writer`` (a new build, made live atomically, and pruning),
``reader`` (``open_index`` and ``IndexReader``), ``verify`` (build spec and checksums), ``leases``
and ``cache`` (the embedding cache). The names below are the store's public surface.
"""

from __future__ import annotations

from indexer.store.cache import cache_key, read_embedding_cache
from indexer.store.errors import (
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexStaleError,
    IndexStoreError,
)
from indexer.store.leases import LEASES, leased_builds, release_lease, take_lease
from indexer.store.manifest import BuildCounts, IndexManifest, current_manifest, read_manifest
from indexer.store.paths import CURRENT_FILE, FORMAT_VERSION, MEASURES, live_build
from indexer.store.reader import IndexReader, QuestionTable, SentenceTable, StoredDocument, open_index, read_measures
from indexer.store.verify import BuildSpec, verify_files
from indexer.store.writer import WriteBundle, write_index

__all__ = [
    "CURRENT_FILE", "FORMAT_VERSION", "LEASES", "MEASURES", "BuildCounts", "BuildSpec", "IndexCorruptError",
    "IndexManifest", "IndexMismatchError", "IndexMissingError", "IndexReader", "IndexStaleError",
    "IndexStoreError", "QuestionTable", "SentenceTable", "StoredDocument", "WriteBundle", "cache_key",
    "current_manifest", "leased_builds", "live_build", "open_index", "read_embedding_cache", "read_manifest",
    "read_measures", "release_lease", "take_lease", "verify_files", "write_index",
]
