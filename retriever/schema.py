"""The reranker's features and the answer decision's signals, declared once as typed records.

Fitting (``eval.fit``), loading (``retriever.weights``) and scoring all read these declarations:
a model's weights must name exactly the fields it scores, so a misspelt or missing name is an
error when the weights load, never a silent 0.0. The defaults of ``Signals`` are its values
when a query finds nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields


class SchemaError(ValueError):
    """Weights name a feature or signal that is not declared, or leave a declared one out."""


@dataclass(frozen=True, slots=True)
class Features:
    """What the reranker knows about one candidate passage for one query."""

    dense: float  # cosine of query and passage vectors (or the passage's best sentence)
    lexical: float  # bm25, as a share of the best bm25 among the candidates
    fused: float  # first-stage fused score, as a share of the best
    best_sentence: float  # cosine of the query with the passage's best sentence
    coverage: float  # share of query terms in the passage
    section_match: float  # share of query terms in the section trail
    acronym_match: float  # the passage spells an acronym (or long form) the query used
    colloquial_match: float  # share of the query's everyday words whose report terms the passage has
    table_row: float  # passage is one table row …
    row_coverage: float  # … times its term coverage
    table: float  # passage is a whole table
    figure: float  # passage is a figure
    number_match: float  # a number in the query appears in the passage
    length: float  # log characters / length_scale
    question_dense: float  # best cosine of the query with one of the passage's questions (0 without)
    question_lexical: float  # best bm25 of the query against one of its questions, as a share of the best
    best_answer: float = 0.0  # the sentence answer model's best probability among the passage's sentences

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SentenceFeatures:
    """What the sentence answer model knows about one sentence of a candidate passage for one query
    (a table row is one sentence). ``retriever.sentence_model`` computes them."""

    cosine: float  # query · sentence vector
    relative: float  # cosine minus the best sentence cosine of the same passage
    leading: float  # cosine minus the best sentence cosine of all candidates
    coverage: float  # share of the query's terms in the sentence
    idf_coverage: float  # IDF-weighted share of the query's terms in the sentence
    anchored: float  # best cosine of the query with a passage question anchored in this sentence (0: none)
    passage_question: float  # best cosine of the query with any question of the passage (0: none)
    asks_kind: float  # the query asks for a kind of answer (a figure, a duration, a penalty…)
    type_match: float  # … and the sentence holds that kind
    figure: float  # the sentence holds a figure
    table_row: float  # the passage is one table row
    caption: float  # a bare table or figure caption
    unfinished: float  # a lead-in whose list is in the next passage
    list_item: float  # a bulleted line
    reference: float  # an entry of a reference list
    position: float  # place in the passage: 0 first … 1 last
    length: float  # log(1 + words) / 4
    passage_dense: float  # the passage's dense score
    passage_fused: float  # the passage's first-stage fused score, as a share of the best
    passage_lexical: float  # the passage's bm25, as a share of the best
    passage_rank: float  # 1 / the passage's first-stage rank
    section_match: float  # share of the query's terms in the passage's section trail
    before: float  # cosine of the sentence before (0 for the first)
    after: float  # cosine of the sentence after (0 for the last)
    query_terms: float  # log(1 + the query's content terms)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _model(default: float) -> float:
    """A signal the answer decision's fitted model weighs (listed in ``MODEL_SIGNALS``)."""
    return field(default=default, metadata={"model": True})


@dataclass(frozen=True, slots=True)
class Signals:
    """How well the top hits answer a query. The defaults are the values when nothing is found.
    Fields declared with ``_model`` are the fitted model's inputs; the others feed the rules."""

    top_score: float = _model(-5.0)
    top_dense: float = 0.0
    top_best_sentence: float = 0.0
    top_coverage: float = 0.0
    top_question: float = 0.0  # best cosine of the query with a question of the top passage
    margin: float = _model(0.0)
    oov: float = 0.0  # share of the query's content terms the reports never use
    year_match: float = 0.0
    missing_specific: float = _model(3.0)  # specific (high-IDF) query terms none of the best sentences has
    missing_names: float = 1.0  # names of the query the top passages never mention
    count_met: float = 0.0  # a counting question finds a figure next to what it counts
    top_answer: float = _model(0.0)  # the sentence answer model's best probability in the top passage
    answer_gap: float = _model(0.0)  # the best probability among the answer's passages minus the best of
    # another of them (0: none)
    answer_rank: float = _model(0.0)  # 1 / the rank of the hit holding the best sentence

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Features))
SENTENCE_FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(SentenceFeatures))
SIGNAL_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Signals))
MODEL_SIGNALS: tuple[str, ...] = tuple(f.name for f in fields(Signals) if f.metadata.get("model"))


def check_names(kind: str, given: Iterable[str], declared: Iterable[str]) -> None:
    """Raise SchemaError unless ``given`` names exactly the ``declared`` fields."""
    given, declared = list(given), list(declared)
    unknown = [n for n in given if n not in declared]
    missing = [n for n in declared if n not in given]
    if unknown or missing:
        parts = ([f"unknown {kind}(s) {', '.join(unknown)}"] if unknown else []) + \
                ([f"missing {kind}(s) {', '.join(missing)}"] if missing else [])
        raise SchemaError("; ".join(parts) + f" (declared: {', '.join(declared)})")


@dataclass(frozen=True)
class LinearModel:
    """score = bias + Σ weight·field, over exactly the fields it was declared with."""

    names: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float = 0.0

    @classmethod
    def over(cls, kind: str, declared: tuple[str, ...], weights: Mapping[str, float], bias: float = 0.0
             ) -> LinearModel:
        """A model over ``declared`` fields. Raises SchemaError when ``weights`` names an
        undeclared field or leaves a declared one out."""
        check_names(kind, weights, declared)
        names = tuple(weights)
        return cls(names, tuple(float(weights[n]) for n in names), float(bias))

    def score(self, record: Features | Signals | SentenceFeatures) -> float:
        return self.bias + sum(w * getattr(record, n) for n, w in zip(self.names, self.weights))

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.names, self.weights))
