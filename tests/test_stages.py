"""Each query stage on its own, with no built index: analysis, ranking, the answer decision, and the
registries behind the settings."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from stage_fixtures import ACRONYMS, TEXTS, analyser, features, passage

from indexer.embedding import EMBEDDERS
from reportqa.records import Passage
from reportqa.settings import EMBEDDERS as EMBEDDER_NAMES
from reportqa.settings import FUSIONS, AnalysisConfig, RankingConfig, Settings
from reportqa.text import stem
from retriever.analysis import CorpusStats, QueryAnalyser
from retriever.colloquial import ColloquialExpander
from retriever.decision import DEFAULT_ABSTAIN
from retriever.features import Candidate
from retriever.fusion import STRATEGIES
from retriever.pipeline import PIPELINES
from retriever.ranking import Ranker
from retriever.schema import LinearModel
from retriever.weights import FittedWeights


def test_corpus_stats_count_each_word_once_per_text() -> None:
    stats = CorpusStats.of(TEXTS)
    assert stats.idf["rotherham"] < stats.idf["hotel"] < stats.default_idf  # 2 texts < 1 text < none
    assert stats.names.is_name("rotherham") and not stats.names.is_name("police")


def test_analysis_reads_acronyms_everyday_words_and_names() -> None:
    a = analyser().analyse("can we shut the pub in Kent like a CAWN?")
    assert [e.long for e in a.expansions] == ["child abduction warning notice"]
    assert a.colloquial == ("licensed premises",)
    assert "kent" in a.constraints.names and "kent" in a.constraints.nowhere
    assert "(child abduction warning notice)" in a.dense_text
    assert "child" in a.terms  # terms of the expansion count too


def test_an_acronym_the_reports_spell_out_is_not_an_unknown_word() -> None:
    texts = TEXTS + ["Public Space Protection Orders ban named activities in one area for up to three years."]
    a = QueryAnalyser(CorpusStats.of(texts), ACRONYMS, ColloquialExpander({}), lambda w: False, texts,
                      AnalysisConfig()).analyse("pspo")
    assert [e.long for e in a.expansions] == ["Public Space Protection Orders"]
    assert a.oov == 0.0 and stem("pspo") in a.known  # so no "The reports never mention “pspo”"
    assert analyser().analyse("xqzv").oov == 1.0  # a word nothing translates is still unknown


def test_analysis_corrects_spelling_only_when_switched_on() -> None:
    assert analyser().analyse("police in rotherhem").corrections == {"rotherhem": "rotherham"}
    assert analyser(spelling=False).analyse("police in rotherhem").corrections == {}


def test_analysis_of_an_empty_query() -> None:
    assert analyser().analyse("?!").empty


def test_pipelines_switch_expansions_off() -> None:
    a = analyser().analyse("CAWN at the pub", acronyms=False, colloquial=False)
    assert a.expansions == () and a.colloquial == ()






def ranker(weights: FittedWeights, passages: list[Passage]) -> Ranker:
    vectors = np.eye(len(passages), dtype=np.float32)
    dense = SimpleNamespace(index=SimpleNamespace(reconstruct_batch=lambda ids: vectors[ids]))
    return Ranker(SimpleNamespace(passages=passages), dense, None, weights, RankingConfig(), lambda d: "Doc",
                  sentences=None)  # rank() alone: the candidates come with their sentences scored


def test_ranking_follows_the_fitted_reranker_not_the_first_stage() -> None:
    passages = [passage("a", "First stage liked this."), passage("b", "The reranker likes this.", 100)]
    candidates = [Candidate(0, passages[0], fused=0.9, dense=0.1, lexical=1.0, sentences=[],
                            features=features(fused=1.0, coverage=0.1)),
                  Candidate(1, passages[1], fused=0.5, dense=0.1, lexical=1.0, sentences=[],
                            features=features(fused=0.5, coverage=0.9))]
    by_coverage = FittedWeights(LinearModel(("coverage",), (1.0,)), DEFAULT_ABSTAIN)
    ranked = ranker(by_coverage, passages).rank(list(candidates), k=2, pipeline=PIPELINES["full"])
    assert [h.passage.passage_id for h in ranked.hits] == ["b", "a"]
    assert ranked.hits[0].score > ranked.hits[1].score
    unranked = ranker(by_coverage, passages).rank(list(candidates), k=2, pipeline=PIPELINES["fusion"])
    assert [h.passage.passage_id for h in unranked.hits] == ["a", "b"]


def test_ranking_collapses_overlapping_passages() -> None:
    passages = [passage("a", "One two three four.", 0), passage("b", "two three four. Five.", 4)]
    candidates = [Candidate(i, p, fused=1.0 - i / 10, dense=0.0, lexical=0.0, sentences=[],
                            features=features(fused=1.0 - i / 10)) for i, p in enumerate(passages)]
    weights = FittedWeights(LinearModel(("fused",), (1.0,)), DEFAULT_ABSTAIN)
    assert [h.passage.passage_id for h in ranker(weights, passages).rank(candidates, 2, PIPELINES["full"]).hits] \
        == ["a"]










@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_fusion_strategy_is_a_valid_setting_and_pipeline_choice(name: str) -> None:
    assert Settings(fusion=name).candidates.fusion == name


def test_registries_and_settings_agree() -> None:
    assert set(FUSIONS) == set(STRATEGIES)
    assert set(EMBEDDER_NAMES) == set(EMBEDDERS)
    assert {p.fusion for p in PIPELINES.values()} - {None} <= set(STRATEGIES)
    with pytest.raises(ValueError, match="unknown fusion"):
        Settings(fusion="borda")
    with pytest.raises(ValueError, match="unknown embedder"):
        Settings(embedder="bert")


def test_calibration_is_bounded() -> None:
    with pytest.raises(ValueError):
        Settings(dedup_similarity=1.5)
    with pytest.raises(ValueError):
        Settings(answer_max_sentences=0)


def test_long_queries_are_read_up_to_a_bound() -> None:
    from retriever.analysis import bounded

    assert bounded("one two three four five", 3) == "one two three"
    assert bounded("one, two?", 3) == "one, two?"
    long = " ".join(f"zq{i}x" for i in range(500))
    analysis = analyser(max_query_words=20).analyse(long)
    assert len(analysis.parsed.words) == 20
