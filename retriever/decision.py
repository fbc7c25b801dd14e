"""The answer decision, three ways: ``answer``; ``closest`` ("the reports may not answer this
directly; the closest passages are…"); or ``not_covered`` ("the reports don't cover this", with the
reason). This module owns all of it: the signals (declared in ``retriever.schema.Signals``), the
fitted model that weighs them, and the rules that overrule it.

``not_covered`` needs evidence of absence: the question hinges on a name, place or year the reports
never use, or on words they mostly never use, or has no words to look up at all. Uncertainty alone
(a weak match, a name the top passages miss but the reports mention elsewhere, a count with no
figure beside it) gives ``closest``, never ``not_covered``: a wrong "not covered" hides an answer the
reports do give. A question about something else altogether ("how do I make a cake") is
``not_covered`` when words the reports never use carry a good share of it *and* nothing is close in
meaning (``off_topic``; thresholds in ``DecisionConfig``).

No single signal decides (a lone cosine threshold abstains poorly): the model weighs how close the
best passages and sentences are, how much of the query's *specific* vocabulary (IDF-weighted) they
contain, and whether the kind of answer asked for (a number, a duration) appears in the best
sentences at all. Two vetoes sit outside the model: when more than ``max_oov`` of the query's
content words never occur in the reports, the reports cannot cover it (the dev questions are all
on-topic, so the model never learns this); and with ``veto_unmet``, a question whose name, year or
count the top passages leave unmet is not answered (see ``retriever.constraints``).

``AnswerDecision.decide`` is the one place an outcome is made. Its rules and thresholds are
``DecisionConfig`` fields (recorded with the fitted model in weights.json); the fitted model and its
threshold are the ``AbstainModel``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reportqa.settings import DecisionConfig
from reportqa.text import STOPWORDS, stem, words
from retriever.analysis import CorpusStats, QueryAnalysis
from retriever.constraints import ConstraintCheck, quoted
from retriever.highlight import ScoredSentence
from retriever.results import Hit, Outcome
from retriever.schema import Features, LinearModel, Signals

# Words that frame a question rather than constrain its answer ("where does the report say …").
FRAMING = frozenset(
    "report reports review survey source sources quote quotes quoted study studies section chapter table "
    "figure page mention mention say says said find found according describe described example examples "
    "explain list name named which what where when who why how does do did".split()
)


@dataclass(frozen=True)
class AbstainModel:
    """The fitted logistic model over ``schema.MODEL_SIGNALS`` and its threshold: ``decide`` answers
    when p(answerable) reaches the threshold and no rule overrules it."""

    model: LinearModel
    threshold: float

    def probability(self, signals: Signals) -> float:
        z = self.model.score(signals)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def constraints_met(signals: Signals) -> bool:
    """False when the top passages miss a name, a year or a count the question asks about."""
    return signals.missing_names == 0 and signals.year_match >= 1 and signals.count_met >= 1


# Used until weights are fitted.
DEFAULT_ABSTAIN = AbstainModel(LinearModel(("top_best_sentence", "top_coverage"), (10.0, 3.0), -7.0), threshold=0.5)


@dataclass(frozen=True)
class Decision:
    """The outcome, how confident the model is, and why it did not answer (in plain words)."""

    outcome: Outcome
    confidence: float
    reasons: tuple[str, ...] = ()

    @property
    def answer(self) -> bool:
        return self.outcome == "answer"


def absence(analysis: QueryAnalysis, stats: CorpusStats, max_oov: float) -> list[str]:
    """Evidence that the reports do not cover a question, as plain reasons (empty when there is none):
    no words to look up; a name or place the reports never use, nor any equivalent of it; a year
    they never mention, or 'last year'; or most of its words unknown to the reports."""
    if not analysis.parsed.terms:
        return ["The question has no words to look up."]
    c = analysis.constraints
    reasons = []
    nowhere = [c.typed.get(n, n) for n in c.nowhere]
    if nowhere:
        reasons.append("The reports never mention " + quoted(nowhere) + ".")
    absent_years = [y for y in c.years if y[0].isdigit() and y not in stats.idf]
    if absent_years:
        reasons.append("The reports never mention " + quoted(absent_years) + ".")
    relative = [y for y in c.years if not y[0].isdigit()]
    if relative:
        reasons.append("The reports cannot say what happened " + quoted(relative) + ".")
    if analysis.oov > max_oov:
        missing = [analysis.as_typed(w) for w in unknown_words(analysis, stats)]
        reasons.append("The reports never mention " + quoted(missing) + "." if missing else
                       "The reports do not use most of the words of this question.")
    return reasons


def unknown_words(analysis: QueryAnalysis, stats: CorpusStats) -> list[str]:
    """The query's content words (after spelling correction) that the reports never use and that
    no everyday-word table entry or acronym expansion translates, in query order (reasons show each
    as typed: ``QueryAnalysis.as_typed``)."""
    translated = set(analysis.known) | {stem(w) for a in analysis.added + analysis.colloquial for w in words(a)}
    unknown = {t for t in analysis.parsed.terms if t not in stats.idf and t not in translated}
    seen: list[str] = []
    for w in words(analysis.text):
        if stem(w) in unknown and w not in seen and w not in STOPWORDS:
            seen.append(w)
    return seen


def off_topic(analysis: QueryAnalysis, signals: Signals, stats: CorpusStats, config: DecisionConfig) -> list[str]:
    """Evidence that a question is about something else altogether ("how do I make a cake"), as a
    plain reason (empty when there is none). Two things together: words the reports never use
    (after spelling correction, everyday-word and acronym translation) carry at least
    ``off_topic_unknown_share`` of the question's IDF weight; and by meaning nothing is close,
    neither a passage, nor a sentence, nor a passage question (all below ``off_topic_similarity``).
    Everyday frontline wording the reports lack still lands near a passage question, so it is not
    caught."""
    missing = unknown_words(analysis, stats)
    if not missing:
        return []
    similarity = max(signals.top_dense, signals.top_question, signals.top_best_sentence)
    if similarity >= config.off_topic_similarity:
        return []
    weights = term_weights(analysis.text, stats)
    total = sum(weights.values())
    missing_terms = {stem(w) for w in missing}
    share = sum(v for t, v in weights.items() if t in missing_terms) / total if total else 1.0
    if share < config.off_topic_unknown_share:
        return []
    return ["The reports never mention " + quoted([analysis.as_typed(w) for w in missing]) + "."]


def term_weights(query: str, stats: CorpusStats) -> dict[str, float]:
    """IDF of each stemmed content term of the query (unknown terms get the default IDF)."""
    terms = {stem(w) for w in words(query) if w not in STOPWORDS and len(w) > 1}
    return {t: stats.idf_of(t) for t in terms if t not in FRAMING}


def missing_specific(weights: dict[str, float], texts: list[str], known: set[str] | frozenset[str],
                     specific_idf: float) -> float:
    """How many of the query's specific (high-IDF) terms none of ``texts`` contains; framing
    words and translatable everyday words (``known``) do not count."""
    present = {stem(w) for t in texts for w in words(t)}
    specific = [t for t, w in weights.items() if w >= specific_idf and t not in FRAMING and t not in known]
    return float(sum(1 for t in specific if t not in present))


class AnswerDecision:
    """Computes the signals for a ranked result and decides whether to answer."""

    def __init__(self, model: AbstainModel, stats: CorpusStats, config: DecisionConfig, source_hits: int) -> None:
        self.model = model
        self.stats = stats
        self.config = config
        self.source_hits = source_hits

    def check(self, analysis: QueryAnalysis, hits: list[Hit]) -> ConstraintCheck:
        """Which of the query's constraints the top passages leave unmet."""
        return analysis.constraints.check([h.passage.text for h in hits[:self.source_hits]],
                                          self.config.count_number_window)

    def signals(self, analysis: QueryAnalysis, hits: list[Hit], sentences: dict[str, list[ScoredSentence]],
                features: dict[str, Features], check: ConstraintCheck) -> Signals:
        """The signals for a query given its ranked hits, their scored sentences and features."""
        if not hits:
            return Signals(oov=analysis.oov)
        query = analysis.text
        top = hits[0]
        second = hits[1].score if len(hits) > 1 else top.score - 1.0
        weights = term_weights(query, self.stats)
        best_texts = []
        for hit in hits[:self.source_hits]:
            scored = sorted(sentences.get(hit.passage.passage_id, []), key=lambda s: -s.score)
            best_texts += [hit.passage.text[s.start:s.end] for s in scored[:self.config.signal_sentences]]
        met = check.signals()
        answers = sorted(((s.score, rank) for rank, h in enumerate(hits[:self.source_hits], start=1)
                          for s in sentences.get(h.passage.passage_id, [])), reverse=True)
        return Signals(
            top_score=top.score,
            top_dense=features[top.passage.passage_id].dense,
            top_question=features[top.passage.passage_id].question_dense,
            top_best_sentence=max((s.cosine for s in sentences.get(top.passage.passage_id, [])), default=0.0),
            top_coverage=features[top.passage.passage_id].coverage,
            margin=top.score - second,
            oov=analysis.oov,
            year_match=met.year_match,
            missing_specific=missing_specific(weights, best_texts, analysis.known, self.config.specific_idf),
            missing_names=met.missing_names,
            count_met=met.count_met,
            top_answer=max((s.score for s in sentences.get(top.passage.passage_id, [])), default=0.0),
            answer_gap=answers[0][0] - next((a for a, r in answers if r != answers[0][1]), answers[0][0])
            if answers else 0.0,
            answer_rank=1.0 / answers[0][1] if answers else 0.0,
        )

    def decide(self, analysis: QueryAnalysis | None, signals: Signals, check: ConstraintCheck,
               has_hits: bool) -> Decision:
        """``not_covered`` on evidence of absence; ``closest`` when the top passages leave a
        constraint unmet (with the veto on) or the model is not confident; ``answer`` otherwise."""
        confidence = self.model.probability(signals)
        ruled = self.rules(analysis, signals, check, has_hits)
        if ruled is not None:
            return Decision(ruled[0], confidence, ruled[1])
        if confidence >= self.model.threshold:
            return Decision("answer", confidence)
        return Decision("closest", confidence)

    def rules(self, analysis: QueryAnalysis | None, signals: Signals, check: ConstraintCheck,
              has_hits: bool) -> tuple[Outcome, tuple[str, ...]] | None:
        """The outcome and reasons when a rule decides before the model does (evidence of absence,
        an off-topic question, nothing found, an unmet constraint), else None."""
        gone = absence(analysis, self.stats, self.config.max_oov) if analysis is not None else []
        if gone:
            return "not_covered", tuple(gone)
        elsewhere = off_topic(analysis, signals, self.stats, self.config) if analysis is not None else []
        if elsewhere:
            return "not_covered", tuple(elsewhere)
        if not has_hits:
            return "not_covered", ("Nothing in the reports matches these words.",)
        if self.config.veto_unmet and not constraints_met(signals):
            return "closest", tuple(check.reasons())
        return None
