"""A seeded generator of synthetic index bundles for the scale benchmark (no model needed).

The bundle keeps every real passage (so real queries still have their true answers) and adds synthetic
passages: each takes two or three real prose passages as sources, its text is a shuffled selection of
their sentences, its vector a normalised random mix of their vectors plus small Gaussian noise, and each
of its sentence vectors the real sentence's vector plus noise, renormalised. Synthetic vectors stand in
for real embeddings: good enough for timing and memory, not for judging retrieval quality.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from indexer.store import IndexManifest, IndexReader, StoredDocument, WriteBundle
from reportqa.records import DocumentMeta, Passage

PASSAGES_PER_DOCUMENT = 250
NOISE = 0.01  # per dimension; about 0.2 in norm for 384 dimensions


@dataclass
class RealParts:
    """What the generator reads from the real index, as arrays."""

    passages: list[Passage]
    passage_vectors: np.ndarray
    sentences: list[list[tuple[int, int]]]
    first_sentence: np.ndarray
    sentence_vectors: np.ndarray
    prose: np.ndarray  # indexes of prose passages with at least two sentences: the sources


def real_parts(reader: IndexReader) -> RealParts:
    n = len(reader.passages)
    sentences = [reader.sentence_spans(i) for i in range(n)]
    prose = np.array([i for i, p in enumerate(reader.passages) if p.kind == "text" and len(sentences[i]) >= 2])
    return RealParts(reader.passages, reader.faiss.reconstruct_n(0, n), sentences,
                     np.asarray(reader.sentences.first, dtype=np.int64),
                     np.asarray(reader.sentence_vectors, dtype=np.float32), prose)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def _noisy(rng: np.random.Generator, vectors: np.ndarray, noise: float) -> np.ndarray:
    return _normalise(vectors + noise * rng.standard_normal(vectors.shape, dtype=np.float32))


@dataclass
class SyntheticPassages:
    """Synthetic passages with their sentence spans and the global real sentence each one copies."""

    texts: list[str]
    spans: list[list[tuple[int, int]]]
    sources: np.ndarray  # (n, 3) real passage indexes, padded by repeating
    weights: np.ndarray  # (n, 3) mixing weights (0 for padding)
    sentence_origin: np.ndarray  # global index of the real sentence behind each synthetic sentence
    sections: list[tuple[str, ...]]


def _one_passage(rng: np.random.Generator, real: RealParts, lengths: np.ndarray) -> tuple:
    """Text, spans, sources and sentence origins of one synthetic passage."""
    count = int(rng.integers(2, 4))
    sources = rng.choice(real.prose, size=count, replace=False)
    pool = [(int(s), k) for s in sources for k in range(len(real.sentences[s]))]
    take = min(len(pool), int(rng.choice(lengths)))
    picked = [pool[i] for i in rng.permutation(len(pool))[:take]]
    parts, spans, origins, pos = [], [], [], 0
    for src, k in picked:
        start, end = real.sentences[src][k]
        sentence = real.passages[src].text[start:end]
        spans.append((pos, pos + len(sentence)))
        parts.append(sentence)
        origins.append(int(real.first_sentence[src]) + k)
        pos += len(sentence) + 1
    return " ".join(parts), spans, sources, origins


def synthetic_passages(real: RealParts, count: int, seed: int) -> SyntheticPassages:
    """``count`` synthetic passages, deterministic for a given seed and real index."""
    rng = np.random.default_rng(seed)
    lengths = np.array([len(real.sentences[i]) for i in real.prose])
    texts, spans, origins, sections = [], [], [], []
    sources = np.zeros((count, 3), dtype=np.int64)
    weights = np.zeros((count, 3), dtype=np.float32)
    for j in range(count):
        text, passage_spans, src, sentence_origins = _one_passage(rng, real, lengths)
        texts.append(text)
        spans.append(passage_spans)
        origins.extend(sentence_origins)
        sections.append(real.passages[int(src[0])].section)
        sources[j, : len(src)] = src
        sources[j, len(src):] = src[0]
        weights[j, : len(src)] = rng.dirichlet(np.ones(len(src)))
    return SyntheticPassages(texts, spans, sources, weights, np.array(origins, dtype=np.int64), sections)


def synthetic_vectors(real: RealParts, synth: SyntheticPassages, seed: int,
                      noise: float = NOISE) -> tuple[np.ndarray, np.ndarray]:
    """Passage vectors (normalised mixes of the sources plus noise) and sentence vectors (real plus noise)."""
    rng = np.random.default_rng(seed + 1)
    mixed = np.einsum("nk,nkd->nd", synth.weights, real.passage_vectors[synth.sources])
    passage_vectors = _noisy(rng, mixed, noise)
    sentence_vectors = np.empty((len(synth.sentence_origin), real.sentence_vectors.shape[1]), dtype=np.float32)
    for start in range(0, len(sentence_vectors), 50_000):
        chunk = synth.sentence_origin[start:start + 50_000]
        sentence_vectors[start:start + len(chunk)] = _noisy(rng, real.sentence_vectors[chunk], noise)
    return passage_vectors, sentence_vectors


def synthetic_documents(synth: SyntheticPassages) -> tuple[list[StoredDocument], list[Passage]]:
    """Group synthetic passages into synthetic reports (so passage offsets point into real text)."""
    documents, passages = [], []
    for d, first in enumerate(range(0, len(synth.texts), PASSAGES_PER_DOCUMENT)):
        doc_id = f"synthetic-{d + 1:04d}"
        meta = DocumentMeta(doc_id=doc_id, file=f"{doc_id}.txt", title=f"Synthetic report {d + 1}",
                            short_title=f"Synthetic {d + 1}", publisher="bench/synthetic.py")
        pieces, structure, pos = [], [], 0
        for j in range(first, min(first + PASSAGES_PER_DOCUMENT, len(synth.texts))):
            text, section = synth.texts[j], synth.sections[j]
            passages.append(Passage(f"{doc_id}-{j:07d}", doc_id, "text", section, pos, pos + len(text), text))
            structure.append({"kind": "paragraph", "start": pos, "end": pos + len(text), "section": list(section),
                              "pages": None, "rows": []})
            pieces.append(text)
            pos += len(text) + 2
        documents.append(StoredDocument(meta, False, "\n\n".join(pieces), structure))
    return documents, passages


def synthetic_manifest(reader: IndexReader, passages: int, sentences: int, documents: int,
                       seed: int) -> IndexManifest:
    """The real manifest (same format, model and chunker) with the counts of the synthetic set."""
    real = reader.manifest
    counts = real.counts.model_copy(update={"passages": passages, "sentences": sentences, "documents": documents})
    synthetic = {"source_build": real.build_id, "seed": seed, "passages": passages,
                 "note": "synthetic vectors stand in for real embeddings (bench/synthetic.py)"}
    return real.model_copy(update={"build_id": "", "files": {}, "faiss": None, "counts": counts,
                                   "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "synthetic": synthetic})


def build_bundle(reader: IndexReader, total: int, seed: int, faiss_kind: str, hnsw_m: int = 32,
                 hnsw_ef_construction: int = 80) -> WriteBundle:
    """A bundle of ``total`` passages: every real one, then synthetic ones."""
    real = real_parts(reader)
    extra = max(0, total - len(real.passages))
    synth = synthetic_passages(real, extra, seed)
    passage_vectors, sentence_vectors = synthetic_vectors(real, synth, seed)
    documents, passages = synthetic_documents(synth)
    real_documents = list(reader.documents.values())
    all_documents = real_documents + documents
    all_passages = list(real.passages) + passages
    all_sentence_vectors = np.concatenate([real.sentence_vectors, sentence_vectors])
    return WriteBundle(
        documents=all_documents,
        passages=all_passages,
        passage_vectors=np.concatenate([real.passage_vectors, passage_vectors]),
        sentences=real.sentences + synth.spans,
        sentence_vectors=all_sentence_vectors,
        acronyms=list(reader.acronyms),
        cache={},
        manifest=synthetic_manifest(reader, len(all_passages), len(all_sentence_vectors), len(all_documents), seed),
        faiss_kind=faiss_kind,
        hnsw_m=hnsw_m,
        hnsw_ef_construction=hnsw_ef_construction,
    )
