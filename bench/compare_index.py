"""Compare the live builds of two index folders: the same documents, passages (ids, text, offsets,
pages, sections), sentences, passage questions, acronyms, measure cards, manifest (its build id,
time and file checksums aside), bm25 scores and vectors. For proving that a refactor did not change the index:

    python -m bench.compare_index INDEX_A INDEX_B

Prints every difference found (at most a few of each kind) and exits 1 when there is one.
Vectors are compared to within 1e-6 (the same model on the same text gives the same vector).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from indexer.store import IndexReader, open_index

SHOWN = 3  # differences shown of each kind


def _rows(reader: IndexReader, sql: str) -> list[tuple]:
    return [tuple(r) for r in reader.connection().execute(sql)]


def _manifest_view(reader: IndexReader) -> dict:
    """The manifest without what differs between any two builds (id, time, file checksums)."""
    data = json.loads(reader.manifest.to_json())
    for name in ("build_id", "built_at", "files"):
        data.pop(name, None)
    return data


def _vectors(reader: IndexReader) -> dict[str, np.ndarray]:
    n = reader.faiss.ntotal
    return {"passages": reader.faiss.reconstruct_n(0, n) if n else np.zeros((0, reader.dim), np.float32),
            "sentences": reader.sentence_vectors, "questions": reader.question_vectors}


def _bm25_differences(a: IndexReader, b: IndexReader) -> list[str]:
    """Both bm25 indexes score every term of their vocabulary alike on every document (their files
    differ between any two builds: bm25s numbers its vocabulary in set order)."""
    out = []
    for name, x, y in (("bm25", a.bm25, b.bm25), ("question bm25", a.question_bm25, b.question_bm25)):
        if (x is None) != (y is None):
            out.append(f"{name}: present in one build only")
            continue
        if x is None:
            continue
        terms = sorted(t for t in x.vocab_dict if t)
        if terms != sorted(t for t in y.vocab_dict if t):
            out.append(f"{name}: other vocabulary")
            continue
        worst = max((float(np.abs(x.get_scores([t]) - y.get_scores([t])).max()) for t in terms), default=0.0)
        if worst > 1e-6:
            out.append(f"{name}: scores differ by up to {worst:.2e}")
    return out


def differences(a: IndexReader, b: IndexReader) -> list[str]:
    """What differs between the builds read by ``a`` and ``b`` (empty: nothing)."""
    out: list[str] = []
    tables = {
        "documents": "SELECT * FROM documents ORDER BY doc_id",
        "passages": "SELECT * FROM passages ORDER BY idx",
        "sentences": "SELECT * FROM sentences ORDER BY idx",
        "passage questions": "SELECT * FROM passage_questions ORDER BY idx",
        "acronyms": "SELECT * FROM acronyms ORDER BY short, long",
    }
    for name, sql in tables.items():
        rows_a, rows_b = _rows(a, sql), _rows(b, sql)
        if len(rows_a) != len(rows_b):
            out.append(f"{name}: {len(rows_a)} rows against {len(rows_b)}")
        bad = [(x, y) for x, y in zip(rows_a, rows_b) if x != y]
        out += [f"{name}: {str(x)[:200]} != {str(y)[:200]}" for x, y in bad[:SHOWN]]
    if a.measures != b.measures:
        out.append("measure cards differ")
    if _manifest_view(a) != _manifest_view(b):
        view_a, view_b = _manifest_view(a), _manifest_view(b)
        out += [f"manifest {key}: {view_a.get(key)} != {view_b.get(key)}"
                for key in sorted(set(view_a) | set(view_b)) if view_a.get(key) != view_b.get(key)]
    out += _bm25_differences(a, b)
    vectors_a, vectors_b = _vectors(a), _vectors(b)
    for name in vectors_a:
        x, y = vectors_a[name], vectors_b[name]
        if x.shape != y.shape:
            out.append(f"{name} vectors: shape {x.shape} against {y.shape}")
        elif len(x) and float(np.abs(x - y).max()) > 1e-6:
            out.append(f"{name} vectors: largest difference {float(np.abs(x - y).max()):.2e}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    args = parser.parse_args(argv)
    a, b = open_index(args.first), open_index(args.second)
    found = differences(a, b)
    for line in found:
        print(line)
    print(f"{len(a.passages)} passages, {len(a.sentence_vectors)} sentences, {len(a.questions)} questions, "
          f"{len(a.measures)} measure cards: " + ("identical" if not found else f"{len(found)} differences"))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
