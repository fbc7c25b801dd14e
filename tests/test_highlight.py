"""Evidence highlighting: which sentences of a passage are highlighted, widened to a complete thought."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest
from text_fixtures import LIST_PASSAGE, sentence_spans

from indexer.store import SentenceTable
from retriever.highlight import ScoredSentence, complete_thought, evidence_spans, score_sentences
from retriever.query import stemmed_set


def test_evidence_spans_pick_best_sentences() -> None:
    sentences = [ScoredSentence(0, 0, 10, 0.2, 0.0, 0.3), ScoredSentence(0, 11, 30, 0.8, 0.5, 0.3),
                 ScoredSentence(0, 31, 50, 0.79, 0.5, 0.3), ScoredSentence(0, 51, 60, 0.1, 0.0, 0.3)]
    assert evidence_spans(sentences, 0.9, 90) == [(11, 30), (31, 50)]
    assert evidence_spans(sentences[:2], 0.9, 90) == [(11, 30)]
    assert evidence_spans([], 0.9, 90) == []


def test_query_words_outrank_a_sentence_only_slightly_closer_in_meaning() -> None:
    """A sentence's score is cosine plus ``lexical_weight`` × query-term coverage: here ranking by
    cosine alone would highlight the other sentence."""
    text = "The weather that week was mild. Officers issued 40 notices in Rotherham."
    spans = sentence_spans(text)
    assert len(spans) == 2
    passage = SimpleNamespace(text=text)
    reader = SimpleNamespace(
        sentences=SentenceTable(passage_idx=np.zeros(2, int), start=np.array([s for s, _ in spans]),
                                end=np.array([e for _, e in spans]), first=np.array([0]), count=np.array([2])),
        sentence_vectors=np.array([[0.62, np.sqrt(1 - 0.62 ** 2)], [0.55, -np.sqrt(1 - 0.55 ** 2)]], np.float32),
        passages=[passage])
    scored = score_sentences(reader, 0, np.array([1.0, 0.0]), stemmed_set("notices issued in Rotherham"), 0.3)
    assert [s.coverage for s in scored] == [0.0, 1.0]
    assert [s.cosine for s in scored] == pytest.approx([0.62, 0.55])
    assert [s.score for s in scored] == pytest.approx([0.62, 0.85])
    assert evidence_spans(scored, 0.95, 90) == [spans[1]], "the sentence with the query's words"
    # once the sentence answer model has scored them, its probability decides instead
    judged = [replace(scored[0], answer=0.7), replace(scored[1], answer=0.2)]
    assert evidence_spans(judged, 0.95, 90) == [spans[0]]






def test_list_items_keep_their_lead_in_and_lead_ins_their_content() -> None:
    spans = sentence_spans(LIST_PASSAGE)
    text = [LIST_PASSAGE[s:e] for s, e in spans]
    item = text.index("• more support for children")
    [unit] = complete_thought(LIST_PASSAGE, spans, item, 90)
    assert LIST_PASSAGE[unit[0]:unit[1]].startswith("Strategic leads wanted")
    assert LIST_PASSAGE[unit[0]:unit[1]].endswith("joint safety plans.")
    lead = text.index("One officer described a hotel case:")
    [unit] = complete_thought(LIST_PASSAGE, spans, lead, 90)
    assert LIST_PASSAGE[unit[0]:unit[1]].endswith("Incidents dropped to zero.\" (FL)"), "the whole quotation"
    assert complete_thought(LIST_PASSAGE, spans, 0, 90) == [spans[0]], "an ordinary sentence stands alone"
    short = complete_thought(LIST_PASSAGE, spans, item, 8)
    assert [LIST_PASSAGE[s:e] for s, e in short] == [text[item - 2], text[item]], "long list: lead-in and item"


def test_highlights_fall_on_sentence_boundaries(fake_retriever) -> None:
    reader = fake_retriever.reader
    for query in ("hotel guests information", "breach of a notice", "who answered the survey in London"):
        for hit in fake_retriever.search(query, k=5):
            idx = reader.index_by_id[hit.passage.passage_id]
            sentences = reader.sentence_spans(idx)
            starts, ends = {s for s, _ in sentences}, {e for _, e in sentences}
            assert 1 <= len(hit.highlights) <= 2
            for s, e in hit.highlights:
                assert s in starts and e in ends, "a highlight is one or more whole sentences"
                assert 0 <= s < e <= len(hit.passage.text)


