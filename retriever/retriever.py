"""The Retriever: a thin facade, opened on an index, that the CLI, the web app and eval all use.
It composes the query stages, each a module with one job and a typed result:

    query → analysis (QueryAnalysis) → candidates (CandidateSet) → ranking (Ranking)
          → decision (Decision) → answer (Answer)

It also offers the few read methods the web needs: documents, a passage, the glossary, health.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from threading import Lock

import numpy as np

from indexer.acronyms import GlossaryEntry, build_glossary
from indexer.corpus import discover
from indexer.embedding import Embedder, create_embedder, embedder_spec
from indexer.spec import build_spec, corpus_changes
from indexer.store import IndexManifest, IndexReader, IndexStaleError, StoredDocument, open_index
from reportqa.measures_records import MeasureCard
from reportqa.records import Passage
from reportqa.settings import Settings
from reportqa.speaker_codes import SPEAKER_CODES
from retriever.analysis import CorpusStats, QueryAnalyser, QueryAnalysis
from retriever.answer import Evidence, ExtractiveComposer
from retriever.candidates import CandidateGenerator, SearchFilters
from retriever.colloquial import ColloquialExpander
from retriever.decision import AnswerDecision
from retriever.features import Candidate
from retriever.measures import CardSearch, MeasureCatalog
from retriever.pipeline import DEFAULT_PIPELINE, PIPELINES, Pipeline
from retriever.ranking import Ranker
from retriever.results import Answer, Hit
from retriever.schema import Signals
from retriever.sentence_model import SentenceScorer
from retriever.spelling import english_lexicon
from retriever.suggestions import QuestionBook, SuggestedQuestion
from retriever.terms import TermCache
from retriever.weights import FittedWeights, WeightsMismatchError, fingerprint, load_weights

__all__ = ["PIPELINES", "Pipeline", "Retriever", "SearchFilters"]

log = logging.getLogger(__name__)
QUERY_CACHE_SIZE = 512


class Retriever:
    """Search and answer over one opened index. Thread-safe for concurrent queries."""

    def __init__(self, reader: IndexReader, embedder: Embedder, settings: Settings,
                 weights: FittedWeights | None = None, strict_weights: bool = True) -> None:
        self.reader = reader
        self.embedder = embedder
        self.settings = settings
        self.weights = weights or self._load_weights(strict_weights)
        self._query_prefix = embedder_spec(settings.embedder).query_prefix
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = Lock()
        stats = CorpusStats.of(p.text for p in reader.passages)
        colloquial = ColloquialExpander.load(settings.colloquial_path)
        is_model_word = lambda w: embedder.count_tokens([w])[0] == 1  # noqa: E731
        self.analyser = QueryAnalyser(stats, reader.acronyms, colloquial, english_lexicon(is_model_word),
                                      (d.text for d in reader.documents.values()), settings.analysis)
        terms = TermCache(reader)
        self.generator = CandidateGenerator(reader, self.analyser, terms, self.encode, settings.candidates)
        self.sentence_scorer = SentenceScorer(reader, stats, terms, self.weights.sentence)
        self.ranker = Ranker(reader, self.generator.dense, terms, self.weights, settings.ranking, self.doc_title,
                             self.sentence_scorer)
        self.decision = AnswerDecision(self.weights.abstain, stats, settings.decision,
                                       settings.answering.answer_source_hits)
        self.measures = MeasureCatalog(reader.measures, CardSearch(  # the measure cards (retriever.measures)
            lambda query, k: [hit.passage for hit in self.search(query, k)],
            {doc_id: d.meta.short_title for doc_id, d in reader.documents.items()},
            settings.measure_search_depth, settings.measure_search_coverage, settings.measures, stats.idf_of))
        self.composer = ExtractiveComposer(settings.answering, settings.ranking.unit_words, self.measures.slugs_named)
        self._questions: QuestionBook | None = None
        self._glossary: list[GlossaryEntry] | None = None

    # --- opening ------------------------------------------------------------------------------
    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None, check_corpus: bool = True,
             weights: FittedWeights | None = None, strict_weights: bool = True) -> Retriever:
        """Open the live index for ``settings``.

        Raises IndexMissingError, IndexMismatchError or IndexCorruptError (see indexer.store),
        IndexStaleError when ``check_corpus`` and the corpus changed since the build, and (with
        ``strict_weights``) WeightsMismatchError when the weights were fitted under another
        configuration; without it, that is a logged warning.
        """
        reader = open_index(settings.index_dir, build_spec(settings))
        if check_corpus:
            changes = corpus_changes(reader.manifest, discover(settings.corpus_dir))
            if changes:
                raise IndexStaleError(
                    f"the index in {settings.index_dir} is out of date ({'; '.join(changes)}); "
                    "run `reportqa index`")
        return cls(reader, embedder or create_embedder(settings.embedder, settings), settings, weights, strict_weights)

    def _load_weights(self, strict: bool) -> FittedWeights:
        expected = fingerprint(self.settings)
        try:
            return load_weights(self.settings.weights_path, expected)
        except WeightsMismatchError as exc:
            if strict:
                raise
            log.warning("%s", exc)
            return load_weights(self.settings.weights_path)

    # --- what the web reads ----------------------------------------------------------------------
    @property
    def documents(self) -> dict[str, StoredDocument]:
        return self.reader.documents

    @property
    def passages(self) -> list[Passage]:
        return self.reader.passages

    @property
    def passage_positions(self) -> dict[str, int]:
        """Each passage's position in reading order (its index in ``passages``), by id."""
        return self.reader.index_by_id

    def passage(self, passage_id: str) -> Passage | None:
        """A passage by id, or None."""
        return self.reader.passage(passage_id)

    def doc_title(self, doc_id: str) -> str:
        """The full title of a report (its id when unknown)."""
        doc = self.reader.documents.get(doc_id)
        return doc.meta.title if doc else doc_id

    def measure_for(self, query: str) -> MeasureCard | None:
        """The measure card whose name or acronym ``query`` is, or None."""
        return self.measures.for_query(query)

    def glossary_entries(self) -> list[GlossaryEntry]:
        """Every acronym the reports define or use at least ``glossary_min_uses`` times, with its
        long forms (as defined, else spelled out in the reports, else the survey's speaker codes)."""
        if self._glossary is None:
            self._glossary = build_glossary([d.text for d in self.reader.documents.values()], self.reader.acronyms,
                                            self.settings.glossary_min_uses, SPEAKER_CODES)
        return self._glossary

    @property
    def question_book(self) -> QuestionBook:
        """The stored passage questions, by passage (read on first use)."""
        if self._questions is None:
            self._questions = QuestionBook(self.reader.passages, self.reader.questions)
        return self._questions

    def related_questions(self, hits: list[Hit], query: str, n: int = 3) -> list[SuggestedQuestion]:
        """Up to ``n`` passage questions of ``hits`` ("questions the reports also answer"), none
        identical to ``query``."""
        return self.question_book.related(hits, query, n)

    def sample_questions(self, n: int = 4) -> list[SuggestedQuestion]:
        """``n`` passage questions from different sections of the reports, chosen deterministically."""
        return self.question_book.samples(n)

    def health(self) -> dict:
        """What the index holds and how it was built."""
        manifest = self.reader.manifest
        return {"passages": len(self.reader.passages), "documents": len(self.reader.documents),
                "model": manifest.model.name, "build_id": manifest.build_id,
                "built_at": manifest.built_at, "weights": self.weights.source}

    def damage(self) -> str | None:
        """What changed on disk in the live build since it was opened and verified, or None."""
        return self.reader.damage()

    @property
    def manifest(self) -> IndexManifest:
        return self.reader.manifest

    # --- encoding --------------------------------------------------------------------------------
    def encode(self, text: str) -> np.ndarray:
        """The query vector (the model is loaded once; recent queries are cached in memory)."""
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        vector = self.embedder.embed([self._query_prefix + text])[0]
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > QUERY_CACHE_SIZE:
                self._cache.popitem(last=False)
        return vector

    def clear_cache(self) -> None:
        """Forget cached query vectors (eval does this so each configuration pays for encoding)."""
        with self._lock:
            self._cache.clear()

    def warm_up(self) -> None:
        """Run one query so that the first user query does not pay for lazy initialisation."""
        self.search("warm up", k=1)

    # --- the stages ----------------------------------------------------------------------------------
    def analyse(self, query: str, pipeline: Pipeline | None = None) -> QueryAnalysis:
        pipeline = pipeline or PIPELINES[DEFAULT_PIPELINE]
        return self.analyser.analyse(query, acronyms=pipeline.acronyms, colloquial=pipeline.colloquial)

    def candidates(self, query: str, filters: SearchFilters | None = None, pipeline: Pipeline | None = None,
                   depth: int | None = None, exclude: frozenset[int] = frozenset()
                   ) -> tuple[list[Candidate], QueryAnalysis]:
        """First-stage candidates with their features (before reranking), and the analysis.
        Used by ``retrieve`` and by the weight fitting (which leaves a passage question's own
        row out with ``exclude``)."""
        pipeline = pipeline or PIPELINES[DEFAULT_PIPELINE]
        analysis = self.analyse(query, pipeline)
        found = self.generator.generate(analysis, filters, pipeline, depth or self.settings.rerank_depth, exclude)
        return (self.ranker.candidates(found, analysis) if found else []), analysis

    def retrieve(self, query: str, k: int = 10, filters: SearchFilters | None = None,
                 pipeline: Pipeline | None = None, exclude: frozenset[int] = frozenset()
                 ) -> tuple[list[Hit], Evidence]:
        """Ranked hits and the evidence behind them (sentences, signals, unmet constraints)."""
        pipeline = pipeline or PIPELINES[DEFAULT_PIPELINE]
        candidates, analysis = self.candidates(query, filters, pipeline, max(k, self.settings.rerank_depth), exclude)
        if not candidates:
            return [], Evidence(query, [], {}, Signals(oov=1.0), corrections=analysis.corrections, analysis=analysis)
        ranking = self.ranker.rank(candidates, k, pipeline)
        check = self.decision.check(analysis, ranking.hits)
        signals = self.decision.signals(analysis, ranking.hits, ranking.sentences, ranking.features, check)
        return ranking.hits[:k], Evidence(query, ranking.hits, ranking.sentences, signals, check,
                                          analysis.corrections, analysis)

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None,
               pipeline: Pipeline | None = None) -> list[Hit]:
        """The top ``k`` hits for ``query`` (empty for an empty query or no match)."""
        return self.retrieve(query, k, filters, pipeline)[0]

    def ask(self, query: str, filters: SearchFilters | None = None, k: int = 5) -> Answer:
        """An extractive answer with citations, or an abstention with the nearest passages."""
        return self.explain(query, filters, k)[0]

    def explain(self, query: str, filters: SearchFilters | None = None, k: int = 5) -> tuple[Answer, Evidence]:
        """``ask``, with the evidence the answer was decided and composed from (for eval and the
        workbench: the scored sentences and the signals)."""
        hits, evidence = self.retrieve(query, max(k, self.settings.min_ranked_hits), filters)
        decision = self.decision.decide(evidence.analysis, evidence.signals, evidence.check, bool(evidence.hits))
        answer = self.composer.compose(evidence, decision)
        answer.hits = hits[:k]
        return answer, evidence
