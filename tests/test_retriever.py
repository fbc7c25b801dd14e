"""Search and answering behaviour on the fixture corpus (fake embedder) and the real one."""

from __future__ import annotations

import re
from types import SimpleNamespace

import faiss
import numpy as np
import pytest

from indexer.store import QuestionTable, SentenceTable
from reportqa.records import Passage
from reportqa.text import words
from retriever.acronyms import AcronymExpander, guess_long_form, long_form_heads
from retriever.dedup import collapse, overlap_share
from retriever.dense import DenseSearcher
from retriever.features import Candidate, extract_features
from retriever.highlight import ScoredSentence
from retriever.query import fts_phrase, parse_query
from retriever.retriever import PIPELINES, SearchFilters

HOSTILE = ['"', '"unbalanced', "*", "NEAR(", "NEAR(orders notices", "-", "- orders", "AND", "OR OR",
           "orders AND", ":", "text: orders", "(", ")", "((orders", "orders)", "^start", "col:*", "'",
           "\x00", "💥", "NOT", "a\u202eb"]


# --- fusion ----------------------------------------------------------------------------------------






# --- query safety, phrases, filters ----------------------------------------------------------------
@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_fts_syntax_is_searched_as_its_plain_words(fake_retriever, query: str) -> None:
    """FTS5 syntax in a query is neither an error nor a way to lose results: the query finds what its
    plain words find, and one with no words finds nothing and says so."""
    hits = [h.passage.passage_id for h in fake_retriever.search(query, k=5)]
    answer = fake_retriever.ask(query)
    plain = " ".join(re.findall(r"[^\W_]+", query))  # its words as typed (capitals can mark a name)
    if words(query):
        assert hits and hits == [h.passage.passage_id for h in fake_retriever.search(plain, k=5)]
        assert answer.outcome == fake_retriever.ask(plain).outcome
    else:
        assert hits == [] and answer.outcome == "not_covered"
        assert answer.reasons == ["The question has no words to look up."]


def test_fts_phrase_is_only_quoted_words() -> None:
    assert fts_phrase('NEAR(orders "notices" AND -flags*') == '"near orders notices and flags"'
    assert fts_phrase('"" :: ()') == ""
    assert parse_query('find "no penalty attached" please').phrases == ("no penalty attached",)


def test_phrase_search_is_exact(fake_retriever) -> None:
    hits = fake_retriever.search('"no penalty attached to the breach"', k=5)
    assert len(hits) == 1 and "no penalty attached to the breach" in hits[0].passage.text
    # a quoted phrase the reports never use is searched as plain words, not answered with nothing
    loose = fake_retriever.search('"breach attached penalty"', k=5)
    assert loose and not any("breach attached penalty" in h.passage.text for h in loose)


def test_filter_by_report(fake_retriever) -> None:
    filters = SearchFilters(doc_ids=frozenset({"beta-survey"}))
    hits = fake_retriever.search("orders notices breach", k=10, filters=filters)
    assert hits and all(h.passage.doc_id == "beta-survey" for h in hits)


def test_filter_by_section_prefix(fake_retriever) -> None:
    hits = fake_retriever.search("notice", k=10, filters=SearchFilters(section_prefix="1.1"))
    assert hits and all(any(t.startswith("1.1") for t in h.passage.section) for h in hits)
    titled = fake_retriever.search("notice", k=10, filters=SearchFilters(section_prefix="appendix a"))
    assert titled and all(h.passage.section[0].startswith("Appendix A") for h in titled)


def test_empty_query_finds_nothing(fake_retriever) -> None:
    assert fake_retriever.search("   ", k=5) == []
    assert fake_retriever.ask("?!").abstained


# --- dense search ------------------------------------------------------------------------------------
def _reader_with(passages: list[list[float]], sentences: list[list[list[float]]]):
    """A stand-in for IndexReader with the vectors dense search reads."""
    index = faiss.IndexFlatIP(3)
    index.add(np.array(passages, dtype=np.float32))
    counts = [len(s) for s in sentences]
    firsts = [sum(counts[:i]) for i in range(len(counts))]
    owners = [i for i, c in enumerate(counts) for _ in range(c)]
    vectors = np.array([v for s in sentences for v in s], dtype=np.float32).reshape(-1, 3)
    zeros = np.zeros(len(owners), dtype=np.int64)
    table = SentenceTable(np.array(owners), zeros, zeros, np.array(firsts), np.array(counts))
    no_questions = QuestionTable(np.zeros(0, dtype=np.int64), [], [], np.zeros(0, dtype=np.int64),
                                 np.zeros(0, dtype=np.int64))
    return SimpleNamespace(faiss=index, sentence_vectors=vectors, sentences=table, passages=[None] * len(counts),
                           question_vectors=np.zeros((0, 3), dtype=np.float32), questions=no_questions, dim=3)


def test_dense_score_is_the_better_of_passage_and_best_sentence() -> None:
    # passage 0 is about something else on the whole, but one of its sentences is the answer
    reader = _reader_with([[0, 0, 1], [0, 0.8, 0.6], [0.6, 0.8, 0]],
                          [[[0, 0, 1], [1, 0, 0]], [[0, 0.8, 0.6]], []])
    query = np.array([1, 0, 0], dtype=np.float32)
    with_sentences = DenseSearcher(reader, sentence_level=True)
    assert with_sentences.search(query, 3) == [(0, 1.0), (2, pytest.approx(0.6)), (1, 0.0)]
    assert with_sentences.search(query, 3, allowed={1, 2}) == [(2, pytest.approx(0.6)), (1, 0.0)]
    assert with_sentences.similarity(query, [1, 0]) == {1: 0.0, 0: 1.0}
    passages_only = DenseSearcher(reader, sentence_level=False)
    assert passages_only.search(query, 1) == [(2, pytest.approx(0.6))], "passage vectors alone miss passage 0"


# --- acronyms --------------------------------------------------------------------------------------
def test_acronym_expansion_both_ways() -> None:
    expander = AcronymExpander([("SHPO", "sexual harm prevention order", 5),
                                ("CAWN", "child abduction warning notice", 7), ("SET", "sexual exploitation team", 1)],
                               lowercase_vocab={"set", "team"})
    assert [e.added for e in expander.expand("what is an SHPO")] == ["sexual harm prevention order"]
    assert [e.added for e in expander.expand("cawns for 17 year olds?")] == ["child abduction warning notice"]
    assert [e.added for e in expander.expand("do child abduction warning notices work")] == ["CAWN"]
    assert expander.expand("set up a meeting") == []  # an ordinary word, typed in lower case
    assert [e.added for e in expander.expand("the SET team")] == ["sexual exploitation team"]


def test_a_curated_long_form_finds_its_acronym_but_is_not_added_to_it() -> None:
    # count 0: from corpus/glossary.toml, a long form the reports never write
    expander = AcronymExpander([("CCTV", "closed-circuit television", 0), ("UK", "United Kingdom", 0)], set())
    assert [e.added for e in expander.expand("is closed-circuit television used")] == ["CCTV"]
    assert expander.expand("CCTV in the UK") == []


def test_unknown_acronyms_are_guessed_from_the_initials_of_named_things() -> None:
    texts = ["Public space protection orders\tThese identify an area.",
             "Police should protect others; payment service providers in order to help.",
             "They used a Sexual Risk Order. Some relevant outcomes were seen."]
    heads = long_form_heads([("SHPO", "sexual harm prevention order", 3)])
    assert heads == {"order"}
    assert guess_long_form("pspo", texts, heads) == "Public space protection orders"  # a capital beats prose
    assert guess_long_form("pspos", texts, heads) == "Public space protection orders"  # plural acronym
    assert guess_long_form("sro", texts, heads) == "Sexual Risk Order"  # short: title case only
    assert guess_long_form("pspo", texts[1:], heads) is None, "a phrase in prose alone is not a name"
    assert guess_long_form("xyz", texts, heads) is None
    expander = AcronymExpander([], lowercase_vocab=set(), guess={"pspo": "Public space protection orders"}.get)
    expanded = expander.expand("pspo how long")
    assert [(e.short, e.added) for e in expanded] == [("PSPO", "Public space protection orders")]
    asked: list[str] = []
    counting = AcronymExpander([], lowercase_vocab={"how", "long", "does", "a", "last"},
                               guess=lambda t: asked.append(t))
    assert counting.expand("how long does a qwer tyui opas dfgh jklz last") == []
    assert asked == ["qwer", "tyui", "opas"], "only words the reports never use; at most three per query"


def test_acronym_query_finds_the_long_form(fake_retriever) -> None:
    hits = fake_retriever.search("CAWN", k=3)
    assert any("child" in h.passage.text.lower() and "notice" in h.passage.text.lower() for h in hits)


# --- duplicates ------------------------------------------------------------------------------------
def _p(pid: str, start: int, end: int, doc: str = "d") -> Passage:
    return Passage(pid, doc, "text", ("S",), start, end, "x" * (end - start))


def test_collapse_overlapping_and_similar_hits() -> None:
    passages = {0: _p("a", 0, 100), 1: _p("b", 10, 90), 2: _p("c", 95, 200), 3: _p("d", 0, 100, doc="e"),
                4: _p("f", 300, 400)}
    similar = {(4, 0), (0, 4)}
    kept = collapse([0, 1, 2, 3, 4], passages.__getitem__, lambda a, b: 0.99 if (a, b) in similar else 0.1)
    assert kept == [0, 2, 3]  # 1 overlaps 0 entirely; 4 repeats 0's words
    assert overlap_share(passages[0], passages[2]) == pytest.approx(5 / 100)


def test_search_results_have_no_duplicates(fake_retriever) -> None:
    hits = fake_retriever.search("licenced premises review period", k=10)
    for i, a in enumerate(hits):
        for b in hits[i + 1:]:
            assert overlap_share(a.passage, b.passage) <= 0.5


# --- highlighting and reranking features -----------------------------------------------------------










def test_rerank_features_on_fixed_inputs() -> None:
    row = Passage("r", "d", "table_row", ("Appendix A: Measures",), 0, 10,
                  "Reviews of licenced premises; a 28-day review period may be called")
    text = Passage("t", "d", "text", ("2. Orders",), 20, 90,
                   "Orders are recorded on the PNC (Police National Computer).")
    candidates = [Candidate(0, row, fused=0.03, dense=0.5, lexical=8.0,
                            sentences=[ScoredSentence(0, 0, 10, 0.7, 1.0, 0.3)]),
                  Candidate(1, text, fused=0.015, dense=0.4, lexical=2.0, sentences=[])]
    extract_features(candidates, terms={"review", "premis", "28"}, expansions=("Police National Computer",),
                     numbers={"28"}, length_scale=7.0)
    f0, f1 = candidates[0].features.as_dict(), candidates[1].features.as_dict()
    assert f0["lexical"] == 1.0 and f1["lexical"] == pytest.approx(0.25)
    assert f0["fused"] == 1.0 and f1["fused"] == pytest.approx(0.5)
    assert f0["table_row"] == 1.0 and f0["row_coverage"] == f0["coverage"] > 0
    assert f0["number_match"] == 1.0 and f1["number_match"] == 0.0
    assert f0["acronym_match"] == 0.0 and f1["acronym_match"] == 1.0
    assert f0["best_sentence"] == pytest.approx(0.7) and f1["best_sentence"] == pytest.approx(0.4)
    assert f1["section_match"] == 0.0


def test_pipelines_are_named() -> None:
    assert {"bm25", "dense", "hybrid", "full"} <= set(PIPELINES)


# --- ask -------------------------------------------------------------------------------------------
def test_ask_sentences_are_verbatim_and_cited(fake_retriever) -> None:
    answer = fake_retriever.ask("how long is the review period for licenced premises?")
    assert not answer.abstained
    assert 1 <= len(answer.sentences) <= 3
    cited = {c.n: c.passage for c in answer.citations}
    for sentence in answer.sentences:
        assert sentence.text in cited[sentence.citation].text
    for c in answer.citations:
        assert fake_retriever.reader.passage(c.passage.passage_id) == c.passage
    assert "28-day" in answer.text








def test_ask_abstains_out_of_corpus(fake_retriever) -> None:
    answer = fake_retriever.ask("What is the capital of Peru and its population?")
    assert answer.abstained and answer.sentences == [] and answer.citations == []
    assert answer.outcome == "not_covered" and "don't cover" in answer.text
    assert any("Peru" in r for r in answer.reasons)
    assert answer.hits, "the nearest passages are still listed"


@pytest.mark.model
def test_real_model_abstains_on_out_of_corpus_question(real_retriever) -> None:
    """Off the reports' subject: not covered. On it: never "not covered", and what the user reads first
    (the answer, or the lead under ``closest`` since the decision is fitted for precision) is the
    reports' definition."""
    assert real_retriever.ask("What is the best recipe for a Victoria sponge cake?").outcome == "not_covered"
    answer = real_retriever.ask("what is a child abduction warning notice")
    assert answer.outcome != "not_covered"
    assert answer.read_first and "break contact" in answer.read_first[0].text


# --- everyday words and confidence signals ------------------------------------------------------------
def test_colloquial_expansion_finds_phrases_and_words() -> None:
    from retriever.colloquial import ColloquialExpander

    expander = ColloquialExpander({"pub": "licensed premises", "shut down": "closure", "shut": "close", "kid": "child"})
    assert expander.expand("can we shut down the pub where the kid drinks?") == [
        "closure", "licensed premises", "child"]
    assert expander.keys_in("Shut it") == ["shut"]
    assert expander.expand("nothing to see") == []
    assert ColloquialExpander.load().expand("takeaway")  # the shipped table loads


def test_answer_type_signals() -> None:
    from retriever.answer_kinds import answer_kinds, answer_type, type_matches
    from retriever.decision import missing_specific

    assert answer_type("how many CAWNs were issued?") == "quantity"
    assert answer_type("how long does a licence review take") == "duration"
    assert answer_type("how much does an ANPR camera cost") == "money"
    assert answer_type("what is the maximum sentence") == "extreme"
    assert answer_type("what is a CAWN") == "other"
    assert answer_kinds("is there a fine if the hotel refuses") == ("other", "penalty")
    assert answer_kinds("what's the maximum prison sentence") == ("extreme", "penalty")
    assert answer_kinds("is it fine to serve it at school") == ("other",)
    assert type_matches("penalty", "there is no civil or criminal penalty for breaching a CAWN")
    assert not type_matches("penalty", "owners can be issued with a notice")
    assert type_matches("duration", "a 28-day review period") and not type_matches("duration", "a review")
    assert type_matches("quantity", "two-thirds of respondents") and not type_matches("money", "the camera")
    assert missing_specific({"scotland": 6.0, "cawn": 4.0, "child": 0.5}, ["CAWNs were issued"], set(), 3.0) == 1.0


@pytest.mark.model
def test_real_model_finds_table_rows_and_answers_in_everyday_words(real_retriever) -> None:
    hits = real_retriever.search("how long does a licence review of a pub take", k=5)
    assert any(h.passage.kind in ("table_row", "table") and "28-day review period" in h.passage.text for h in hits)
    hits = real_retriever.search("SHPO", k=3)
    assert any("sexual harm prevention order" in h.passage.text.lower() for h in hits)
