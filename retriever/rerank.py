"""Second-stage reranking with features computable offline, combined by a linear model whose
weights are fitted on the dev questions (``eval/fit.py``) and kept in ``retriever/weights.json``."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from reportqa.records import Passage
from reportqa.text import match_key
from retriever.highlight import ScoredSentence
from retriever.query import stemmed_set

FEATURES = (
    "dense",          # cosine of query and passage vectors
    "lexical",        # bm25, as a share of the best bm25 among the candidates
    "fused",          # first-stage fused score, as a share of the best
    "best_sentence",  # cosine of the query with the passage's best sentence
    "coverage",       # share of query terms in the passage
    "section_match",  # share of query terms in the section trail
    "acronym_match",  # the passage spells an acronym (or long form) the query used
    "colloquial_match",  # share of the query's everyday words whose report terms the passage has
    "table_row",      # passage is one table row …
    "row_coverage",   # … times its term coverage
    "table",          # passage is a whole table
    "figure",         # passage is a figure
    "number_match",   # a number in the query appears in the passage
    "length",         # log characters / 7
)

NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass
class Candidate:
    """A first-stage candidate with its raw scores and computed features."""

    idx: int
    passage: Passage
    fused: float
    dense: float
    lexical: float
    sentences: list[ScoredSentence]
    features: dict[str, float] | None = None
    score: float = 0.0
    terms: frozenset[str] | None = None  # cached stemmed words of the passage, when available
    section_terms: frozenset[str] | None = None
    key: str | None = None


def extract_features(candidates: list[Candidate], terms: set[str], expansions: tuple[str, ...],
                     numbers: set[str], colloquial: tuple[str, ...] = ()) -> None:
    """Fill ``candidate.features`` for every candidate (depends on the whole candidate set)."""
    best_lex = max((c.lexical for c in candidates), default=0.0) or 1.0
    best_fused = max((c.fused for c in candidates), default=0.0) or 1.0
    expansion_keys = [match_key(e) for e in expansions if match_key(e)]
    colloquial_groups = [stemmed_set(c) for c in colloquial]
    for c in candidates:
        p = c.passage
        words = c.terms if c.terms is not None else stemmed_set(p.text)
        section_words = c.section_terms if c.section_terms is not None else stemmed_set(" ".join(p.section))
        cov = len(terms & words) / len(terms) if terms else 0.0
        key = (c.key if c.key is not None else match_key(p.text)) if expansion_keys or numbers else ""
        c.features = {
            "dense": c.dense,
            "lexical": c.lexical / best_lex,
            "fused": c.fused / best_fused,
            "best_sentence": max((s.cosine for s in c.sentences), default=c.dense),
            "coverage": cov,
            "section_match": len(terms & section_words) / len(terms) if terms else 0.0,
            "acronym_match": float(any(k in key for k in expansion_keys)),
            "colloquial_match": (sum(1 for g in colloquial_groups if g & words) / len(colloquial_groups)
                                 if colloquial_groups else 0.0),
            "table_row": float(p.kind == "table_row"),
            "row_coverage": cov if p.kind == "table_row" else 0.0,
            "table": float(p.kind == "table"),
            "figure": float(p.kind == "figure"),
            "number_match": float(bool(numbers) and any(match_key(n) in key for n in numbers)),
            "length": math.log(max(len(p.text), 1)) / 7.0,
        }


def query_numbers(text: str) -> set[str]:
    return set(NUMBER_RE.findall(text))


@dataclass
class LinearModel:
    """score = bias + Σ weight·feature."""

    weights: dict[str, float]
    bias: float = 0.0

    def score(self, features: dict[str, float]) -> float:
        return self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())


# Used until weights are fitted: the first-stage order, nudged by sentence evidence and coverage.
DEFAULT_RERANK = LinearModel({"fused": 1.0, "best_sentence": 0.5, "coverage": 0.5})


@dataclass
class AbstainModel:
    """Logistic model over answer-confidence signals; answer when p(answerable) ≥ threshold.

    Two guards sit outside the fitted model. When more than ``max_oov`` of the query's content
    words never occur in the reports, the reports cannot cover it, whatever the model says
    (the dev questions are all on-topic, so the model never learns this). With ``veto_unmet``,
    a question whose name, year or count the top passages leave unmet is not answered
    (see ``retriever.constraints``).
    """

    weights: dict[str, float]
    bias: float
    threshold: float
    max_oov: float = 0.5
    veto_unmet: bool = False

    def answers(self, signals: dict[str, float]) -> bool:
        """True when the evidence is strong enough to answer."""
        if signals.get("oov", 0.0) > self.max_oov:
            return False
        if self.veto_unmet and not constraints_met(signals):
            return False
        return self.probability(signals) >= self.threshold

    def probability(self, signals: dict[str, float]) -> float:
        z = self.bias + sum(w * signals.get(n, 0.0) for n, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def constraints_met(signals: dict[str, float]) -> bool:
    """False when the top passages miss a name, a year or a count the question asks about."""
    return (signals.get("missing_names", 0.0) == 0 and signals.get("year_match", 1.0) >= 1
            and signals.get("count_met", 1.0) >= 1)


DEFAULT_ABSTAIN = AbstainModel({"top_best_sentence": 10.0, "top_coverage": 3.0}, bias=-7.0, threshold=0.5,
                               veto_unmet=True)


@dataclass
class FittedWeights:
    """The reranker and abstention models, as loaded from weights.json."""

    rerank: LinearModel
    abstain: AbstainModel
    rerank_enabled: bool = True
    source: str = "defaults"


def load_weights(path: Path) -> FittedWeights:
    """Fitted weights from ``path``, or the defaults when the file does not exist.

    Raises ValueError when the file exists but is not valid.
    """
    if not path.exists():
        return FittedWeights(DEFAULT_RERANK, DEFAULT_ABSTAIN)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rerank = LinearModel({k: float(v) for k, v in data["rerank"]["weights"].items()},
                             float(data["rerank"]["bias"]))
        abstain = AbstainModel({k: float(v) for k, v in data["abstain"]["weights"].items()},
                               float(data["abstain"]["bias"]), float(data["abstain"]["threshold"]),
                               float(data["abstain"].get("max_oov", 0.5)),
                               bool(data["abstain"].get("veto_unmet", True)))
        enabled = bool(data["rerank"].get("enabled", True))
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a valid weights file ({exc}); re-run `python -m eval.fit`") from exc
    return FittedWeights(rerank, abstain, enabled, str(path))
