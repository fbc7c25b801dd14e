"""The Retriever: one object, opened on an index, that the CLI, the web app and eval all use.

    query → parse (phrases, terms) → acronym expansion → lexical (FTS5 bm25) + dense (FAISS)
          → fusion → rerank (features, fitted weights) → collapse duplicates → highlight → hits
    hits → extractive answer or abstention
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from threading import Lock

import numpy as np

from indexer.build import build_spec, corpus_changes
from indexer.corpus import discover
from indexer.embedding import Embedder, create_embedder
from indexer.store import IndexReader, IndexStaleError, open_index
from reportqa.records import Answer, Hit, Passage
from reportqa.settings import Settings
from reportqa.text import STOPWORDS, stem, words
from retriever.acronyms import AcronymExpander, Expansion, guess_long_form, long_form_heads
from retriever.answer import SOURCE_HITS, Evidence, ExtractiveComposer
from retriever.colloquial import ColloquialExpander
from retriever.confidence import confidence_signals, document_frequencies
from retriever.constraints import Constraints, NameProfile
from retriever.dedup import collapse
from retriever.dense import DenseSearcher
from retriever.fusion import fuse
from retriever.highlight import evidence_spans, score_sentences
from retriever.lexical import LexicalSearcher
from retriever.query import ParsedQuery, parse_query
from retriever.rerank import Candidate, FittedWeights, extract_features, load_weights, query_numbers
from retriever.spelling import SpellingCorrector, english_lexicon
from retriever.terms import TermCache

MIN_UNKNOWN_LENGTH = 4
MAX_ACRONYM_LENGTH = 6  # 'pspos', 'csods'
GUESS_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Pipeline:
    """Which stages run. Named configurations are compared by ``reportqa eval``."""

    lexical: bool = True
    dense: bool = True
    acronyms: bool = True
    colloquial: bool = True
    rerank: bool = True
    dedup: bool = True


PIPELINES: dict[str, Pipeline] = {
    "bm25": Pipeline(lexical=True, dense=False, acronyms=False, colloquial=False, rerank=False, dedup=False),
    "dense": Pipeline(lexical=False, dense=True, acronyms=False, colloquial=False, rerank=False, dedup=False),
    "hybrid": Pipeline(acronyms=False, colloquial=False, rerank=False, dedup=False),
    "hybrid+acronyms": Pipeline(colloquial=False, rerank=False, dedup=False),
    "hybrid+expansions": Pipeline(rerank=False, dedup=False),
    "fusion": Pipeline(rerank=False),
    "full": Pipeline(),
}


@dataclass(frozen=True)
class SearchFilters:
    """Restrict search to some reports and/or a section (by number or title prefix)."""

    doc_ids: frozenset[str] | None = None
    section_prefix: str | None = None

    def admits(self, passage: Passage) -> bool:
        if self.doc_ids and passage.doc_id not in self.doc_ids:
            return False
        if self.section_prefix:
            prefix = self.section_prefix.strip().casefold()
            if not any(t.casefold().startswith(prefix) for t in passage.section) and \
                    not passage.section_label.casefold().startswith(prefix):
                return False
        return True

    @property
    def active(self) -> bool:
        return bool(self.doc_ids) or bool(self.section_prefix)


class Retriever:
    """Search and answer over one opened index. Thread-safe for concurrent queries."""

    def __init__(self, reader: IndexReader, embedder: Embedder, settings: Settings,
                 weights: FittedWeights | None = None) -> None:
        self.reader = reader
        self.embedder = embedder
        self.settings = settings
        self.weights = weights or load_weights(settings.weights_path)
        self.lexical = LexicalSearcher(reader)
        self.dense = DenseSearcher(reader, settings.hnsw_ef_search, settings.dense_sentences,
                                   settings.dense_rescore_depth)
        self.names = NameProfile.from_texts(p.text for p in reader.passages)
        self.idf, self.default_idf = document_frequencies([p.text for p in reader.passages])
        self.colloquial = ColloquialExpander.load(settings.colloquial_path)
        is_model_word = lambda w: embedder.count_tokens([w])[0] == 1  # noqa: E731
        self.speller = SpellingCorrector(self.names.every, english_lexicon(is_model_word),
                                         {w for k in self.colloquial.table for w in k.split()})
        self._heads = long_form_heads(reader.acronyms)
        self._guesses: dict[str, str | None] = {}
        self.expander = AcronymExpander(reader.acronyms, self.names.lowercase_vocab, self._guess_acronym)
        self.composer = ExtractiveComposer(self.weights.abstain, settings.answer_max_sentences)
        self.terms = TermCache(reader)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = Lock()

    # --- opening ------------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None, check_corpus: bool = True,
             weights: FittedWeights | None = None) -> Retriever:
        """Open the live index for ``settings``.

        Raises IndexMissingError, IndexMismatchError or IndexCorruptError (see indexer.store),
        and IndexStaleError when ``check_corpus`` and the corpus changed since the build.
        """
        reader = open_index(settings.index_dir, build_spec(settings))
        if check_corpus:
            changes = corpus_changes(reader.manifest, discover(settings.corpus_dir))
            if changes:
                raise IndexStaleError(
                    f"the index in {settings.index_dir} is out of date ({'; '.join(changes)}); "
                    "run `reportqa index`")
        return cls(reader, embedder or create_embedder(settings.embedder), settings, weights)

    @property
    def documents(self):
        return self.reader.documents

    def doc_title(self, doc_id: str) -> str:
        """The full title of a report (its id when unknown)."""
        doc = self.reader.documents.get(doc_id)
        return doc.meta.title if doc else doc_id

    # --- encoding --------------------------------------------------------------------------------
    def encode(self, text: str) -> np.ndarray:
        """The query vector (the model is loaded once; recent queries are cached in memory)."""
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        vector = self.embedder.embed([text])[0]
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > 512:
                self._cache.popitem(last=False)
        return vector

    def clear_cache(self) -> None:
        """Forget cached query vectors (eval does this so each configuration pays for encoding)."""
        with self._lock:
            self._cache.clear()

    def warm_up(self) -> None:
        """Run one query so that the first user query does not pay for lazy initialisation."""
        self.search("warm up", k=1)

    # --- search ------------------------------------------------------------------------------------
    def _allowed(self, query: ParsedQuery, filters: SearchFilters | None) -> set[int] | None:
        allowed: set[int] | None = None
        if filters is not None and filters.active:
            allowed = {i for i, p in enumerate(self.reader.passages) if filters.admits(p)}
        if query.is_phrase_search:
            found = self.lexical.phrase_matches(query.phrases)
            exact = {i for i in found if all(k in self.terms.passage_key(i) for k in query.phrase_keys)}
            allowed = exact if allowed is None else allowed & exact
        return allowed

    def _expansions(self, query: ParsedQuery, pipeline: Pipeline) -> list[Expansion]:
        if not (pipeline.acronyms and self.settings.acronym_expansion):
            return []
        return self.expander.expand(query.raw)

    def featurized(self, raw_query: str, filters: SearchFilters | None = None,
                   pipeline: Pipeline | None = None, depth: int | None = None) -> tuple[list[Candidate], dict]:
        """First-stage candidates with their reranking features (before reranking and
        collapsing), and the query context. Used by ``retrieve`` and by the weight fitting."""
        pipeline = pipeline or self.default_pipeline()
        text, corrections = self.speller.fix(raw_query) if self.settings.spelling else (raw_query, {})
        query = parse_query(text)
        context = {"query": query, "text": text, "corrections": corrections, "added": (), "colloquial": ()}
        if not query.words:
            return [], context
        allowed = self._allowed(query, filters)
        if allowed is not None and not allowed:
            return [], context
        added = tuple(e.added for e in self._expansions(query, pipeline))
        colloquial = tuple(self.colloquial.expand(text)) if pipeline.colloquial else ()
        context.update(added=added, colloquial=colloquial)
        dense_text = query.text + (" (" + "; ".join(added) + ")" if added else "")
        vector = self.encode(dense_text)
        groups = [(self._selective(tuple(words(" ".join(added))), keep=0), self.settings.acronym_weight),
                  (self._selective(tuple(words(" ".join(colloquial))), keep=0), self.settings.colloquial_weight)]
        lexical = self.lexical.search(self._selective(query.words), groups, self.settings.lexical_candidates,
                                      allowed) if pipeline.lexical else []
        dense = self.dense.search(vector, self.settings.dense_candidates, allowed) if pipeline.dense else []
        if pipeline.lexical and pipeline.dense:
            fused = fuse(self.settings.fusion, dense, lexical, self.settings.rrf_k, self.settings.convex_alpha)
        else:
            fused = lexical or dense
        fused = fused[: depth or self.settings.rerank_depth]
        terms = set(query.terms) | {stem(w) for a in added for w in words(a) if w not in STOPWORDS}
        candidates = self._candidates(fused, dense, lexical, vector, terms)
        extract_features(candidates, terms, added, query_numbers(query.text), colloquial)
        context["oov"] = self._oov(query, added + colloquial)
        return candidates, context

    def retrieve(self, raw_query: str, k: int = 10, filters: SearchFilters | None = None,
                 pipeline: Pipeline | None = None) -> tuple[list[Hit], Evidence]:
        """Ranked hits and the evidence behind them (sentences, confidence signals)."""
        pipeline = pipeline or self.default_pipeline()
        candidates, context = self.featurized(raw_query, filters, pipeline, max(k, self.settings.rerank_depth))
        if not candidates:
            return [], Evidence(raw_query, [], {}, confidence_signals(raw_query, [], {}, 1.0, {}, 0.0))
        use_rerank = pipeline.rerank and self.settings.rerank and self.weights.rerank_enabled
        for c in candidates:
            c.score = self.weights.rerank.score(c.features) if use_rerank else c.fused
        candidates.sort(key=lambda c: (-c.score, c.idx))
        order = [c.idx for c in candidates]
        if pipeline.dedup:
            order = collapse(order, lambda i: self.reader.passages[i], self._similarity(candidates),
                             self.settings.dedup_overlap, self.settings.dedup_similarity)
        by_idx = {c.idx: c for c in candidates}
        shown = order[:max(k, 5)]
        hits = _strictly_decreasing([
            Hit(by_idx[i].passage, self.doc_title(by_idx[i].passage.doc_id), float(by_idx[i].score), rank,
                evidence_spans(by_idx[i].sentences, by_idx[i].passage.text), dict(by_idx[i].features or {}))
            for rank, i in enumerate(shown, start=1)])
        sentences = {by_idx[i].passage.passage_id: by_idx[i].sentences for i in shown}
        text = context["text"]
        known = {stem(w) for w in words(" ".join(self.colloquial.keys_in(text)))}
        check = self.constraints(text).check([h.passage.text for h in hits[:SOURCE_HITS]])
        signals = confidence_signals(text, hits, sentences, context["oov"], self.idf, self.default_idf, known, check)
        return hits[:k], Evidence(raw_query, hits, sentences, signals, check, context["corrections"])

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None,
               pipeline: Pipeline | None = None) -> list[Hit]:
        """The top ``k`` hits for ``query`` (empty for an empty query or no match)."""
        return self.retrieve(query, k, filters, pipeline)[0]

    def ask(self, query: str, filters: SearchFilters | None = None, k: int = 5) -> Answer:
        """An extractive answer with citations, or an abstention with the nearest passages."""
        hits, evidence = self.retrieve(query, max(k, 5), filters)
        answer = self.composer.compose(evidence)
        answer.hits = hits[:k]
        return answer

    def constraints(self, query: str) -> Constraints:
        """The names, years and count the query pins its answer to, with the acronym (or
        everyday-word) equivalents of each name."""
        pairs = [(e.short, e.long) for e in self.expander.expand(query)]
        pairs += [(key, self.colloquial.table[key]) for key in self.colloquial.keys_in(query)]
        return Constraints.of(query, self.names, pairs, self.unknown_word)

    def unknown_word(self, word: str) -> bool:
        """True for a word that is most likely a name or an acronym the reports do not use
        (see ``SpellingCorrector.is_unknown``)."""
        return self.speller.is_unknown(word, MIN_UNKNOWN_LENGTH)

    def _guess_acronym(self, token: str) -> str | None:
        """The long form the reports spell out for an acronym they never use (cached; each guess
        scans the reports' text once)."""
        low = token.lower()
        if not MIN_UNKNOWN_LENGTH <= len(low) <= MAX_ACRONYM_LENGTH:
            return None
        if low not in self._guesses:
            if len(self._guesses) >= GUESS_CACHE_SIZE:
                self._guesses.clear()
            self._guesses[low] = guess_long_form(
                low, (d.text for d in self.documents.values()), self._heads) \
                if self.speller.foreign(low, MIN_UNKNOWN_LENGTH) else None
        return self._guesses[low]

    def default_pipeline(self) -> Pipeline:
        return PIPELINES["full"]

    # --- helpers -----------------------------------------------------------------------------------
    def _candidates(self, fused, dense, lexical, vector: np.ndarray, terms: set[str]) -> list[Candidate]:
        idxs = [i for i, _ in fused]
        dense_scores = dict(dense)
        missing = [i for i in idxs if i not in dense_scores]
        dense_scores.update(self.dense.similarity(vector, missing))
        lexical_scores = dict(lexical)
        out = []
        for idx, score in fused:
            sentences = score_sentences(self.reader, idx, vector, terms, self.terms.sentence_terms)
            out.append(Candidate(idx, self.reader.passages[idx], score, dense_scores.get(idx, 0.0),
                                 lexical_scores.get(idx, 0.0), sentences, terms=self.terms.passage_terms(idx),
                                 section_terms=self.terms.section_terms(idx), key=self.terms.passage_key(idx)))
        return out

    def _similarity(self, candidates: list[Candidate]):
        idxs = [c.idx for c in candidates]
        if not idxs:
            return lambda a, b: 0.0
        vectors = {i: self.dense.index.reconstruct(int(i)) for i in idxs}
        return lambda a, b: float(np.dot(vectors[a], vectors[b]))

    def _selective(self, tokens: tuple[str, ...], keep: int = 2) -> tuple[str, ...]:
        """Query tokens worth a bm25 lookup: words found in most passages ('child', 'abuse')
        add almost nothing to bm25 but make FTS5 score every row they match, so they are left
        out (keeping at least the ``keep`` rarest tokens)."""
        floor = self.settings.lexical_min_idf
        if floor <= 0 or len(tokens) <= keep:
            return tokens
        idf = {t: self.idf.get(stem(t), self.default_idf) for t in tokens}
        kept = tuple(t for t in tokens if idf[t] >= floor)
        if len(kept) >= keep:
            return kept
        return tuple(sorted(tokens, key=lambda t: -idf[t])[:keep])

    def _oov(self, query: ParsedQuery, expansions: tuple[str, ...]) -> float:
        """Share of the query's content terms that never occur in the corpus (an everyday word
        or acronym we can translate does not count as unknown)."""
        if not query.terms:
            return 0.0
        translated = {stem(w) for w in words(" ".join(self.colloquial.keys_in(query.raw)))}
        known = {stem(w) for a in expansions for w in words(a)} | translated
        unknown = [t for t in query.terms if t not in self.idf and t not in known]
        return len(unknown) / len(query.terms)


def _strictly_decreasing(hits: list[Hit]) -> list[Hit]:
    out: list[Hit] = []
    for hit in hits:
        if out and hit.score >= out[-1].score:
            hit = replace(hit, score=out[-1].score - 1e-9)
        out.append(hit)
    return out
