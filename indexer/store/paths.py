"""Where an index keeps its files: the CURRENT pointer to the live build, and the names of the
files inside a build folder."""

from __future__ import annotations

from pathlib import Path

from indexer.store.errors import IndexCorruptError

FORMAT_VERSION = 5  # 4: passage questions keep their anchor's offsets; 5: a table line takes its row's vector
CURRENT_FILE = "CURRENT"
MANIFEST = "manifest.json"
SQLITE = "index.sqlite"
PASSAGE_VECTORS = "passages.faiss"
SENTENCE_VECTORS = "sentences.npy"
QUESTION_VECTORS = "questions.npy"
BM25_DIR = "bm25"
QUESTION_BM25_DIR = "bm25q"
MEASURES = "measures.json"  # optional, listed in the manifest when written
INDEX_FILES = (SQLITE, PASSAGE_VECTORS, SENTENCE_VECTORS, QUESTION_VECTORS)  # bm25 files are listed in the manifest
BUILD_PREFIX = "build-"
TMP_PREFIX = ".tmp-build-"


def live_build(index_dir: Path) -> Path | None:
    """The live build directory named by CURRENT, or None when there is no index.

    Raises IndexCorruptError when CURRENT does not hold a plain build name."""
    pointer = index_dir / CURRENT_FILE
    if not pointer.exists():
        return None
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        name = ""
    if not name or "/" in name or name.startswith(".") or not name.isprintable():
        raise IndexCorruptError(f"{pointer} is damaged; run `reportqa index --rebuild`")
    return index_dir / name
