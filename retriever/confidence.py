"""Signals of how well the top hits answer a query, combined by the abstention model.

No single signal decides (a lone cosine threshold abstains poorly): the model weighs how
close the best passages and sentences are, how much of the query's *specific* vocabulary
(IDF-weighted) they contain, whether query words are unknown to the corpus, and whether the
kind of answer asked for (a number, a duration) appears in the best sentences at all.
"""

from __future__ import annotations

import math
import re

from reportqa.records import Hit
from reportqa.text import NUMBER_WORDS, STOPWORDS, stem, words
from retriever.constraints import ConstraintCheck
from retriever.highlight import ScoredSentence

MONEY_Q = re.compile(r"\b(cost|costs|price|how much (?:does|do|did|would|will) .{0,40}(?:cost|pay|spend|charge)|"
                     r"spend|spent|budget|funding|fee|fees)\b", re.IGNORECASE)
MONEY_A = re.compile(r"£|\b(cost|costs|funding|funded|budget|fee|fees|price|spend|spent)\b", re.IGNORECASE)
PENALTY_Q = re.compile(r"\b(?:(?:a|the|any) fine|fined|fines|penalt(?:y|ies)|jail|prison|imprison\w*|locked up"
                       r"|sentence for)\b", re.IGNORECASE)
PENALTY_A = re.compile(r"£|\b(?:fine|fined|fines|penalt(?:y|ies)|jail\w*|prison\w*|imprison\w*|custod\w*|sentenc\w*)\b",
                       re.IGNORECASE)
EXTREME_Q = re.compile(r"\b(maximum|minimum|max|min|average|longest|shortest|most ever|least)\b", re.IGNORECASE)
EXTREME_A = re.compile(r"\b(maximum|minimum|average|mean|up to|at least|at most|no more than|no less than|"
                       r"longest|shortest)\b", re.IGNORECASE)
QUANTITY_Q = re.compile(r"\b(how many|how much|how often|what (?:share|proportion|percentage|number|fraction)"
                        r"|number of|percentage|per ?cent|cost|figure)\b", re.IGNORECASE)
DURATION_Q = re.compile(r"\b(how long|how soon|duration|expire|expires|last for|period)\b", re.IGNORECASE)
QUANTITY_A = re.compile(r"\d|%|\b(" + "|".join(sorted(NUMBER_WORDS)) + r")\b", re.IGNORECASE)
DURATION_A = re.compile(r"\b(\d+|one|two|three|four|six|twelve|48|72)[- ]?(hours?|days?|weeks?|months?|years?)\b"
                        r"|\b(hours|days|weeks|months|years)\b", re.IGNORECASE)
# Words that frame a question rather than constrain its answer ("where does the report say …").
FRAMING = frozenset(
    "report reports review survey source sources quote quotes quoted study studies section chapter table "
    "figure page mention mention say says said find found according describe described example examples "
    "explain list name named which what where when who why how does do did".split()
)
SPECIFIC_IDF = 3.0  # a term in fewer than about one passage in twenty
NO_HITS = {"top_score": -5.0, "top_dense": 0.0, "top_best_sentence": 0.0, "top_coverage": 0.0,
           "max_coverage": 0.0, "margin": 0.0, "idf_coverage": 0.0, "idf_sentence": 0.0, "type_match": 0.0,
           "year_match": 0.0, "missing_specific": 3.0, "missing_names": 1.0, "count_met": 0.0}


def answer_type(query: str) -> str:
    """'money', 'extreme', 'duration', 'quantity' or 'other': the kind of answer the query asks for."""
    if MONEY_Q.search(query):
        return "money"
    if EXTREME_Q.search(query):
        return "extreme"
    if DURATION_Q.search(query):
        return "duration"
    if QUANTITY_Q.search(query):
        return "quantity"
    return "other"


def answer_kinds(query: str) -> tuple[str, ...]:
    """Every kind of answer the query asks for: its ``answer_type``, plus 'penalty' when it asks
    about a fine or a prison sentence ("what's the maximum prison sentence" needs both)."""
    kinds = (answer_type(query),)
    return kinds + ("penalty",) if PENALTY_Q.search(query) else kinds


def type_matches(kind: str, text: str) -> bool:
    """Whether ``text`` contains the kind of answer asked for (always true for 'other')."""
    pattern = {"money": MONEY_A, "penalty": PENALTY_A, "extreme": EXTREME_A, "duration": DURATION_A,
               "quantity": QUANTITY_A}.get(kind)
    return pattern is None or bool(pattern.search(text))


def idf_coverage(weights: dict[str, float], text: str) -> float:
    """IDF-weighted share of the query's terms found in ``text``."""
    total = sum(weights.values())
    if not total:
        return 0.0
    present = {stem(w) for w in words(text)}
    return sum(w for t, w in weights.items() if t in present) / total


def term_weights(query: str, idf: dict[str, float], default_idf: float) -> dict[str, float]:
    """IDF of each stemmed content term of the query (unknown terms get ``default_idf``)."""
    terms = {stem(w) for w in words(query) if w not in STOPWORDS and len(w) > 1}
    return {t: idf.get(t, default_idf) for t in terms if t not in FRAMING}


def missing_specific(weights: dict[str, float], texts: list[str], known: set[str]) -> float:
    """How many of the query's specific (high-IDF) terms none of ``texts`` contains; framing
    words and translatable everyday words (``known``) do not count."""
    present = {stem(w) for t in texts for w in words(t)}
    specific = [t for t, w in weights.items() if w >= SPECIFIC_IDF and t not in FRAMING and t not in known]
    return float(sum(1 for t in specific if t not in present))


def confidence_signals(query: str, hits: list[Hit], sentences: dict[str, list[ScoredSentence]], oov: float,
                       idf: dict[str, float], default_idf: float, known: set[str] | None = None,
                       check: ConstraintCheck | None = None) -> dict[str, float]:
    """The signals for ``query`` given its ranked hits and their scored sentences."""
    if not hits:
        return dict(NO_HITS, oov=oov)
    top = hits[0]
    second = hits[1].score if len(hits) > 1 else top.score - 1.0
    weights = term_weights(query, idf, default_idf)
    kinds = answer_kinds(query)
    best_idf_sentence = 0.0
    type_match = 0.0
    best_texts = []
    for hit in hits[:3]:
        scored = sorted(sentences.get(hit.passage.passage_id, []), key=lambda s: -s.score)[:2]
        for s in scored:
            text = hit.passage.text[s.start:s.end]
            best_texts.append(text)
            best_idf_sentence = max(best_idf_sentence, idf_coverage(weights, text))
            type_match = max(type_match, float(all(type_matches(k, text) for k in kinds)))
    return {
        "top_score": top.score,
        "top_dense": top.features.get("dense", 0.0),
        "top_best_sentence": max((s.cosine for s in sentences.get(top.passage.passage_id, [])), default=0.0),
        "top_coverage": top.features.get("coverage", 0.0),
        "max_coverage": max(h.features.get("coverage", 0.0) for h in hits[:5]),
        "margin": top.score - second,
        "oov": oov,
        "idf_coverage": max(idf_coverage(weights, h.passage.text) for h in hits[:3]),
        "idf_sentence": best_idf_sentence,
        "type_match": type_match,
        "missing_specific": missing_specific(weights, best_texts, known or set()),
        **(check or ConstraintCheck()).signals(),
    }


def document_frequencies(texts: list[str]) -> tuple[dict[str, float], float]:
    """Smoothed IDF of every stemmed word over ``texts``, and the IDF of an unseen word."""
    df: dict[str, int] = {}
    for text in texts:
        for term in {stem(w) for w in words(text)}:
            df[term] = df.get(term, 0) + 1
    n = len(texts)
    idf = {t: math.log((n + 1) / (d + 0.5)) for t, d in df.items()}
    return idf, math.log((n + 1) / 0.5)
