"""The embedding cache: every vector a build embedded, stored in its SQLite file by a hash of the
model name and the text, so that the next build embeds only text it has not seen."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

from indexer.corpus import sha256_file
from indexer.store.errors import IndexStoreError
from indexer.store.manifest import read_manifest
from indexer.store.paths import SQLITE, live_build

CACHE_TABLE = "CREATE TABLE embedding_cache (key TEXT PRIMARY KEY, vector BLOB);"
LOOKUP_BATCH = 500  # keys per query: SQLite limits the number of bound parameters


def cache_key(model_name: str, text: str) -> str:
    """The key of ``text`` embedded by ``model_name``."""
    return hashlib.sha256(f"{model_name}\x1f{text}".encode()).hexdigest()


def write_cache(con: sqlite3.Connection, cache: dict[str, np.ndarray]) -> None:
    """Store ``cache`` (key → vector) in the open build database ``con``."""
    con.executemany("INSERT INTO embedding_cache VALUES (?,?)",
                    [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in cache.items()])


def read_embedding_cache(index_dir: Path, keys: list[str]) -> dict[str, np.ndarray]:
    """Stored vectors for ``keys`` from the live build's cache table, whatever its format
    version (so a format change does not force re-embedding), provided its SQLite file matches
    the manifest checksum. Empty when there is no usable previous build."""
    try:
        build = live_build(index_dir)
        if build is None:
            return {}
        expected = read_manifest(build).files.get(SQLITE)
        if expected is None or sha256_file(build / SQLITE) != expected.sha256:
            return {}
        con = sqlite3.connect(f"file:{build / SQLITE}?mode=ro&immutable=1", uri=True)
        try:
            found: dict[str, np.ndarray] = {}
            for i in range(0, len(keys), LOOKUP_BATCH):
                chunk = keys[i:i + LOOKUP_BATCH]
                marks = ",".join("?" * len(chunk))
                for key, blob in con.execute(f"SELECT key, vector FROM embedding_cache WHERE key IN ({marks})",
                                             chunk):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
            return found
        finally:
            con.close()
    except (IndexStoreError, OSError, sqlite3.DatabaseError):
        return {}
