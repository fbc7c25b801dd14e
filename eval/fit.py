"""Fit the sentence answer model, the reranker and the answer decision; write retriever/weights.json.

    python -m eval.fit [--index DIR] [--out retriever/weights.json] [--limit N]

Training queries are the dev questions (real labels: their evidence spans) and the passage questions
of the bundled reports (each asked *without its own question row*, or the question field would find
it verbatim). The sealed set is never read. Cross-validation folds group dev questions by writer
(the id prefix), so a fold never holds a writer it was fitted on, and passage questions by passage.
Which questions each model is fitted on is a setting (``fit_sentence_on``, ``fit_rerank_on``): on
dev, leave-writer-out, the models fitted on dev questions beat those fitted on passage questions,
whose wording follows the passage they were written from (eval/NOTES.md).

1. **Sentence answer model** (``retriever.sentence_model``): logistic regression over
   ``schema.SentenceFeatures`` of every sentence of the first-stage candidates. A sentence is positive
   when what would be shown for it (the sentence widened to a complete thought: a lead-in with its
   list) carries an evidence span (dev, ``eval.glance``) or holds the question's anchor (passage
   questions). C is chosen on cross-validated sentence Hit@1 (the top-scored sentence of the top
   five candidates is positive).
2. **Reranker**: logistic regression over ``schema.Features`` of the candidates (a passage holding
   the answer is positive), its ``best_answer`` the sentence model's *out-of-fold* score; C chosen
   on cross-validated MRR@10.
3. **Answer decision**: logistic regression over ``schema.MODEL_SIGNALS``. Every dev question, and
   ``fit_decision_queries`` passage questions asked twice (answer shown; answer hidden with every
   passage overlapping it), are run through the whole pipeline with the sentence model and reranker
   of the *other* folds. An example is positive when the answer the composer would give carries the
   fact. The threshold is the lowest whose cross-validated precision on the dev questions (answerable
   and unanswerable, the rules applied first) reaches ``fit_answer_precision``; the precision–coverage
   curve is recorded in weights.json and printed.

The out-of-fold dev figures printed at the end (glance, answer precision, answered share) are the
honest dev estimate; an eval run on dev with the fitted weights is in-sample. The fitting's own
constants are ``FitConfig`` settings.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from eval.glance import DecisionPoint, EvidenceSpans, carries, precision_curve
from eval.qrels import build_qrels
from eval.questions import load_questions
from reportqa.settings import FitConfig, Settings
from retriever.answer import Evidence
from retriever.candidates import SearchFilters
from retriever.decision import DEFAULT_ABSTAIN, AbstainModel
from retriever.dedup import overlap_share
from retriever.highlight import complete_thought
from retriever.results import AnswerSentence
from retriever.retriever import PIPELINES, Retriever
from retriever.schema import FEATURE_NAMES, MODEL_SIGNALS, SENTENCE_FEATURE_NAMES, LinearModel
from retriever.sentence_model import DEFAULT_SENTENCE_MODEL
from retriever.weights import FittedWeights, fingerprint, weights_document

Span = tuple[int, int]
SENTENCE_HIT_DEPTH = 5  # sentence Hit@1 looks at the sentences of the top five candidates
MIN_ANCHOR_COVER = 0.5  # a sentence holds an anchor when it covers half of it (as eval.qrels)


# --- training queries -------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainingQuery:
    """One query to fit on: a passage question or a dev question, with what answers it."""

    qid: str
    text: str
    source: str  # "pq" (passage question) or "dev"
    fold: int
    persona: str = "passage question"
    answerable: bool = True
    exclude: frozenset[int] = frozenset()  # question rows left out (its own, and identical copies)
    relevant: frozenset[int] = frozenset()  # passages holding the answer
    anchors: tuple[tuple[int, Span], ...] = ()  # passage questions: (passage, anchor span in its text)
    evidence: EvidenceSpans | None = None  # dev questions


def _fold_of(groups: Iterable[str], folds: int, seed: int) -> dict[str, int]:
    """Groups dealt to folds, largest first, each to the smallest fold so far (deterministic)."""
    counts: dict[str, int] = {}
    for g in groups:
        counts[g] = counts.get(g, 0) + 1
    order = sorted(counts, key=lambda g: (-counts[g], g))
    random.Random(seed).shuffle(order)
    order.sort(key=lambda g: -counts[g])
    sizes = [0] * folds
    out = {}
    for g in order:
        k = min(range(folds), key=lambda i: (sizes[i], i))
        out[g] = k
        sizes[k] += counts[g]
    return out


def passage_question_queries(retriever: Retriever, folds: int) -> list[TrainingQuery]:
    """Every distinct passage question of the index, grouped by its first passage."""
    table = retriever.reader.questions
    rows: dict[str, list[int]] = {}
    for row, text in enumerate(table.text):
        rows.setdefault(text.strip().casefold(), []).append(row)
    owners = table.passage_idx
    fold = _fold_of((str(int(owners[r[0]])) for r in rows.values()), folds, seed=7)
    out = []
    for n, found in enumerate(rows.values()):
        anchors = tuple((int(owners[r]), (int(table.anchor_start[r]), int(table.anchor_end[r]))) for r in found)
        out.append(TrainingQuery(f"pq-{n}", table.text[found[0]], "pq", fold[str(int(owners[found[0]]))],
                                 exclude=frozenset(found), relevant=frozenset(p for p, _ in anchors),
                                 anchors=anchors))
    return out


def writer(qid: str) -> str:
    """The writer group of a dev question: its id without the number ('sealed-a-012' → 'sealed-a')."""
    return re.sub(r"-?\d+$", "", qid)


def dev_queries(retriever: Retriever, path: Path, folds: int) -> list[TrainingQuery]:
    """The dev questions, answerable and not, with their evidence located, grouped by writer."""
    questions = load_questions(path, "dev")
    documents = {d: doc.text for d, doc in retriever.documents.items()}
    qrels = build_qrels(questions, documents, retriever.passages)
    index = retriever.passage_positions
    fold = _fold_of((writer(q.id) for q in questions), folds, seed=11)
    return [TrainingQuery(q.id, q.question, "dev", fold[writer(q.id)], q.persona, q.answerable,
                          relevant=frozenset(index[p] for p, v in qrels.get(q.id, {}).items() if v > 0),
                          evidence=EvidenceSpans.of(q, documents))
            for q in questions]


# --- labels ---------------------------------------------------------------------------------------------
class Labeller:
    """Whether a shown sentence holds a training query's answer."""

    def __init__(self, retriever: Retriever) -> None:
        self.passages = retriever.passages
        self.documents = {d: doc.text for d, doc in retriever.documents.items()}

    def unit(self, q: TrainingQuery, idx: int, spans: list[Span]) -> bool:
        """True when one of the spans shown for a sentence (its complete thought) holds the answer."""
        return any(self.sentence(q, idx, a, b) for a, b in spans)

    def sentence(self, q: TrainingQuery, idx: int, start: int, end: int) -> bool:
        if q.evidence is not None:
            return carries(q.evidence, self.passages[idx], start, end, self.documents)
        return any(p == idx and min(end, b) - max(start, a) >= MIN_ANCHOR_COVER * (b - a) for p, (a, b) in q.anchors)

    def lines(self, q: TrainingQuery, lines: list[AnswerSentence], position: dict[str, int]) -> bool:
        """True when one of the answer lines (or the lead) holds the answer."""
        return q.answerable and any(self.sentence(q, position[s.passage_id], s.start, s.end) for s in lines)


# --- what the first stage finds -------------------------------------------------------------------------
@dataclass
class QueryData:
    """One query's first-stage candidates: their features and labels, and their sentences'."""

    query: TrainingQuery
    features: np.ndarray  # candidates × FEATURE_NAMES
    relevant: np.ndarray  # per candidate
    fused: np.ndarray  # first-stage score, per candidate
    sentences: np.ndarray  # sentences × SENTENCE_FEATURE_NAMES
    sentence_labels: np.ndarray
    owner: np.ndarray  # per sentence: its candidate's position
    passages: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # per candidate: its index
    sentence_oof: np.ndarray = field(default_factory=lambda: np.zeros(0))


def collect(retriever: Retriever, queries: list[TrainingQuery], first_stage: str, labeller: Labeller,
            progress: Callable[[int], None] | None = None) -> list[QueryData]:
    """Each query's first-stage candidates, labelled (a sentence by what would be shown for it)."""
    unit_words = retriever.settings.unit_words
    out = []
    for n, q in enumerate(queries):
        if progress:
            progress(n)
        candidates, _ = retriever.candidates(q.text, pipeline=PIPELINES[first_stage], exclude=q.exclude)
        if not candidates:
            continue
        rows, labels, owner = [], [], []
        for position, c in enumerate(candidates):
            spans = [(s.start, s.end) for s in c.sentences]
            for k, f in enumerate(c.sentence_features or []):
                rows.append([getattr(f, name) for name in SENTENCE_FEATURE_NAMES])
                shown = complete_thought(c.passage.text, spans, k, unit_words)
                labels.append(labeller.unit(q, c.idx, shown))
                owner.append(position)
        out.append(QueryData(
            q, np.array([[getattr(c.features, f) for f in FEATURE_NAMES] for c in candidates], dtype=np.float64),
            np.array([c.idx in q.relevant for c in candidates]), np.array([c.fused for c in candidates]),
            np.array(rows, dtype=np.float64).reshape(-1, len(SENTENCE_FEATURE_NAMES)),
            np.array(labels, dtype=bool), np.array(owner, dtype=np.int64),
            np.array([c.idx for c in candidates], dtype=np.int64)))
    return out


# --- models ---------------------------------------------------------------------------------------------------
def fit_logistic(x: np.ndarray, y: np.ndarray, c: float, balanced: bool = False):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, class_weight="balanced" if balanced else None, max_iter=3000)
    model.fit(x, y)
    return model


def as_linear(model, names: tuple[str, ...], kind: str) -> LinearModel:
    weights = {n: round(float(w), 6) for n, w in zip(names, model.coef_[0])}
    return LinearModel.over(kind, names, weights, round(float(model.intercept_[0]), 6))


def sentence_hit(data: QueryData, scores: np.ndarray) -> float | None:
    """1.0 when the top-scored sentence of the top candidates holds the answer; None when none does."""
    top = set(np.argsort(-data.fused, kind="stable")[:SENTENCE_HIT_DEPTH].tolist())
    mask = np.array([o in top for o in data.owner], dtype=bool)
    if not mask.any() or not data.sentence_labels[mask].any():
        return None
    best = np.flatnonzero(mask)[int(np.argmax(scores[mask]))]
    return float(data.sentence_labels[best])


def reciprocal_rank(data: QueryData, scores: np.ndarray, k: int = 10) -> float:
    order = np.argsort(-scores, kind="stable")[:k]
    ranks = [r for r, i in enumerate(order, start=1) if data.relevant[i]]
    return 1.0 / ranks[0] if ranks else 0.0


def _mean(values: Iterable[float | None]) -> float:
    kept = [v for v in values if v is not None]
    return round(float(np.mean(kept)), 4) if kept else 0.0


def by_source(data: list[QueryData], values: list[float | None]) -> dict[str, float]:
    """The mean of ``values`` (aligned with ``data``) for passage questions and for dev questions."""
    return {source: _mean(v for d, v in zip(data, values) if d.query.source == source) for source in ("pq", "dev")}


def _combined(values: dict[str, float]) -> float:
    present = [v for v in values.values() if v]
    return sum(present) / len(present) if present else 0.0


def _fit_sentence(train: list[QueryData], c: float):
    return fit_logistic(np.vstack([d.sentences for d in train]), np.concatenate([d.sentence_labels for d in train]), c)


SOURCES = {"dev": {"dev"}, "passage questions": {"pq"}, "both": {"dev", "pq"}}


def fitted_on(data: list[QueryData], which: str) -> list[QueryData]:
    """The queries a model is fitted on (``FitConfig.fit_sentence_on`` / ``fit_rerank_on``); all
    queries when none of that kind was collected."""
    chosen = [d for d in data if d.query.source in SOURCES[which]]
    return chosen or data


def fit_sentence_model(data: list[QueryData], config: FitConfig) -> tuple[LinearModel, dict]:
    """C by cross-validated sentence Hit@1 on the queries of ``fit_sentence_on``; sets every query's
    out-of-fold sentence probabilities (``sentence_oof``), the reranker's ``best_answer``."""
    folds = sorted({d.query.fold for d in data})
    train_on = fitted_on(data, config.fit_sentence_on)
    report: dict = {"fitted on": config.fit_sentence_on, "queries": len(train_on),
                    "sentences": int(sum(len(d.sentence_labels) for d in train_on)), "cv": {}}
    best_c, best, best_oof = config.fit_c_grid[0], -1.0, None
    for c in config.fit_c_grid:
        oof = [np.zeros(len(d.sentence_labels)) for d in data]
        for k in folds:
            model = _fit_sentence([d for d in train_on if d.query.fold != k], c)
            for i, d in enumerate(data):
                if d.query.fold == k and len(d.sentence_labels):
                    oof[i] = model.decision_function(d.sentences)
        hits = by_source(data, [sentence_hit(d, o) for d, o in zip(data, oof)])
        report["cv"][str(c)] = hits
        value = _selected(hits, config.fit_sentence_on)
        if value > best:
            best_c, best, best_oof = c, value, oof
    baseline = [d.sentences @ _default_weights() for d in data]
    report["baseline (cosine + 0.3 coverage)"] = by_source(data, [sentence_hit(d, b) for d, b in zip(data, baseline)])
    for d, scores in zip(data, best_oof):
        d.sentence_oof = 1.0 / (1.0 + np.exp(-np.clip(scores, -50, 50)))
    report["chosen_C"] = best_c
    return as_linear(_fit_sentence(train_on, best_c), SENTENCE_FEATURE_NAMES, "sentence feature"), report


def _selected(values: dict[str, float], which: str) -> float:
    """The cross-validated figure a fit is chosen on: that of the questions it is fitted on."""
    return _combined({k: v for k, v in values.items() if k in SOURCES[which]})


def _default_weights() -> np.ndarray:
    weights = DEFAULT_SENTENCE_MODEL.as_dict()
    return np.array([weights.get(n, 0.0) for n in SENTENCE_FEATURE_NAMES])


def rerank_matrix(d: QueryData) -> np.ndarray:
    """The candidates' features with ``best_answer`` the sentence model's out-of-fold best."""
    x = d.features.copy()
    best = np.zeros(len(x))
    if len(d.owner):
        np.maximum.at(best, d.owner, d.sentence_oof)
    x[:, FEATURE_NAMES.index("best_answer")] = best
    return x


def _fit_reranker(train: list[QueryData], c: float):
    return fit_logistic(np.vstack([rerank_matrix(d) for d in train]), np.concatenate([d.relevant for d in train]), c,
                        balanced=True)


def fit_reranker(data: list[QueryData], config: FitConfig) -> tuple[LinearModel, dict, bool]:
    """C by cross-validated MRR@10 (grouped folds); enabled only when it beats the first stage."""
    data = [d for d in data if d.relevant.any()]  # the first stage missed it: nothing to learn from
    folds = sorted({d.query.fold for d in data})
    train_on = fitted_on(data, config.fit_rerank_on)
    matrices = [rerank_matrix(d) for d in data]
    baseline = by_source(data, [reciprocal_rank(d, d.fused) for d in data])
    report: dict = {"fitted on": config.fit_rerank_on, "queries": len(train_on), "first_stage MRR@10": baseline,
                    "cv": {}}
    best_c, best = config.fit_c_grid[0], -1.0
    for c in config.fit_c_grid:
        scores: list[np.ndarray] = [np.zeros(0)] * len(data)
        for k in folds:
            model = _fit_reranker([d for d in train_on if d.query.fold != k], c)
            for i, d in enumerate(data):
                if d.query.fold == k:
                    scores[i] = model.decision_function(matrices[i])
        value = by_source(data, [reciprocal_rank(d, s) for d, s in zip(data, scores)])
        report["cv"][str(c)] = value
        if _selected(value, config.fit_rerank_on) > best:
            best_c, best = c, _selected(value, config.fit_rerank_on)
    enabled = best > _selected(baseline, config.fit_rerank_on)
    report.update(chosen_C=best_c, enabled=enabled)
    return as_linear(_fit_reranker(train_on, best_c), FEATURE_NAMES, "feature"), report, enabled


# --- the decision, on the whole pipeline, out of fold ----------------------------------------------------
@dataclass
class DecisionExample:
    query: TrainingQuery
    signals: list[float]
    correct: bool  # the answer the composer would give carries the fact
    lead_carries: bool  # the lead closest would show carries it
    ruled: str | None  # the outcome a rule gives before the model (None: the model decides)
    hidden: bool = False
    every_signal: dict[str, float] = field(default_factory=dict)  # all of them, for inspection


def hidden_answer(retriever: Retriever, q: TrainingQuery) -> SearchFilters:
    """Filters hiding the passages that hold the query's answer, and every passage overlapping them."""
    holders = [retriever.passages[i] for i in q.relevant]
    hidden = {p.passage_id for p in retriever.passages
              if any(p.passage_id == h.passage_id or overlap_share(p, h) > 0 for h in holders)}
    return SearchFilters(exclude_passages=frozenset(hidden))


def decision_examples(retriever: Retriever, queries: list[TrainingQuery], labeller: Labeller) -> list[DecisionExample]:
    out = []
    for q in queries:
        asks = [(False, None)]
        if q.source == "pq":
            asks.append((True, hidden_answer(retriever, q)))
        for hidden, filters in asks:
            hits, evidence = retriever.retrieve(q.text, k=retriever.settings.min_ranked_hits, filters=filters,
                                                exclude=q.exclude)
            if not hits and q.source == "pq":
                continue
            out.append(_example(retriever, q, evidence, labeller, hidden))
    return out


def _example(retriever: Retriever, q: TrainingQuery, evidence: Evidence, labeller: Labeller,
             hidden: bool) -> DecisionExample:
    position = retriever.passage_positions
    ruled = retriever.decision.rules(evidence.analysis, evidence.signals, evidence.check, bool(evidence.hits))
    lines = retriever.composer.lines(evidence) if evidence.hits else []
    lead = retriever.composer.lead(evidence) if evidence.hits else None
    answerable = q.answerable and not hidden
    correct = answerable and labeller.lines(q, lines, position)
    lead_carries = answerable and lead is not None and labeller.lines(q, [lead], position)
    return DecisionExample(q, [getattr(evidence.signals, s) for s in MODEL_SIGNALS], correct, lead_carries,
                           ruled[0] if ruled else None, hidden, evidence.signals.as_dict())


def example_record(e: DecisionExample) -> dict:
    """A decision example as JSON: the question, its fold, the signals by name and the labels."""
    return {"qid": e.query.qid, "source": e.query.source, "persona": e.query.persona, "fold": e.query.fold,
            "answerable": e.query.answerable, "hidden": e.hidden, "signals": e.every_signal,
            "correct": e.correct, "lead_carries": e.lead_carries, "ruled": e.ruled}


def decision_curve(p: np.ndarray, examples: list[DecisionExample]) -> list[dict]:
    """The precision–coverage curve of the dev examples at probabilities ``p``."""
    return precision_curve([DecisionPoint(float(pi), e.ruled is not None, e.query.answerable, e.correct)
                            for pi, e in zip(p, examples) if e.query.source == "dev"])


def choose_threshold(curve: list[dict], precision: float) -> float:
    """The lowest threshold at which the answers given (all those at or above it) still reach
    ``precision``: the most questions answered at that precision. 1.0 (never answer) when no
    threshold reaches it."""
    reaching = [point["threshold"] for point in curve if point["precision"] >= precision]
    return min(reaching) if reaching else 1.0


def fit_decision(examples: list[DecisionExample], config: FitConfig) -> tuple[AbstainModel, dict, np.ndarray]:
    """The decision's model, its threshold chosen on out-of-fold probabilities for the target precision."""
    x = np.array([e.signals for e in examples])
    y = np.array([e.correct for e in examples])
    folds = np.array([e.query.fold for e in examples])
    oof = np.zeros(len(y))
    for k in sorted(set(folds.tolist())):
        model = fit_logistic(x[folds != k], y[folds != k], config.fit_decision_c)
        oof[folds == k] = model.predict_proba(x[folds == k])[:, 1]
    curve = decision_curve(oof, examples)
    threshold = choose_threshold(curve, config.fit_answer_precision)
    model = fit_logistic(x, y, config.fit_decision_c)
    report = {"examples": len(y), "positive": int(y.sum()), "target_precision": config.fit_answer_precision,
              "threshold": threshold, "curve": curve}
    return AbstainModel(as_linear(model, MODEL_SIGNALS, "signal"), threshold), report, oof


def dev_figures(examples: list[DecisionExample], p: np.ndarray, threshold: float) -> dict:
    """Out-of-fold dev figures: glance (what a user reads first carries the fact), answer precision,
    answered share, outcomes on unanswerable questions, per persona."""
    def figures(chosen: list[tuple[float, DecisionExample]]) -> dict:
        answerable = [(pi, e) for pi, e in chosen if e.query.answerable]
        answered = [(pi, e) for pi, e in chosen if e.ruled is None and pi >= threshold]
        glance = [(e.correct if e.ruled is None and pi >= threshold else
                   e.lead_carries if e.ruled != "not_covered" else False) for pi, e in answerable]
        return {"questions": len(chosen), "glance": _mean(map(float, glance)),
                "answered": _mean(float(e.ruled is None and pi >= threshold) for pi, e in answerable),
                "precision": _mean(float(e.correct) for _, e in answered),
                "not_covered_answerable": _mean(float(e.ruled == "not_covered") for _, e in answerable)}
    dev = [(pi, e) for pi, e in zip(p, examples) if e.query.source == "dev"]
    out = {"all": figures(dev)}
    for persona in sorted({e.query.persona for _, e in dev}):
        out[persona] = figures([(pi, e) for pi, e in dev if e.query.persona == persona])
    unanswerable = [(pi, e) for pi, e in dev if not e.query.answerable]
    out["unanswerable"] = {"answered": _mean(float(e.ruled is None and pi >= threshold) for pi, e in unanswerable),
                           "not_covered": _mean(float(e.ruled == "not_covered") for _, e in unanswerable)}
    return out


# --- the whole fit --------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="index folder (default: settings)")
    parser.add_argument("--out", type=Path, help="weights file (default: settings.weights_path)")
    parser.add_argument("--limit", type=int, help="use at most this many passage questions (quick runs)")
    parser.add_argument("--examples", type=Path, help="also write the decision's examples here (JSON lines: "
                        "question, fold, signals, labels), for inspection")
    args = parser.parse_args(argv)
    settings = Settings(**({"index_dir": args.index} if args.index else {}))
    config = settings.fitting
    out = args.out or settings.weights_path
    unfitted = FittedWeights(LinearModel.over("feature", FEATURE_NAMES, dict.fromkeys(FEATURE_NAMES, 0.0)),
                             DEFAULT_ABSTAIN, rerank_enabled=False)
    retriever = Retriever.open(settings, weights=unfitted)
    queries = passage_question_queries(retriever, config.fit_folds)
    random.Random(3).shuffle(queries)
    if args.limit:
        queries = queries[:args.limit]
    if not queries:
        raise SystemExit("no passage questions in the index: nothing to fit on")
    dev = dev_queries(retriever, settings.eval_dir / "questions.jsonl", config.fit_folds)
    labeller = Labeller(retriever)
    first_stage = [q for q in dev if q.answerable]
    if "pq" in SOURCES[config.fit_sentence_on] | SOURCES[config.fit_rerank_on]:
        first_stage += queries
    data = collect(retriever, first_stage, config.fit_first_stage, labeller, _progress(len(first_stage), "first stage"))
    sentence, sentence_report = fit_sentence_model(data, config)
    rerank, rerank_report, enabled = fit_reranker(data, config)

    decision_queries = queries[:config.fit_decision_queries] + dev
    examples: list[DecisionExample] = []
    for k in range(config.fit_folds):  # the whole pipeline, with the models of the other folds
        train = [d for d in data if d.query.fold != k]
        fold_sentence = as_linear(_fit_sentence(fitted_on(train, config.fit_sentence_on), sentence_report["chosen_C"]),
                                  SENTENCE_FEATURE_NAMES, "sentence feature")
        fold_rerank = as_linear(_fit_reranker([d for d in fitted_on(train, config.fit_rerank_on) if d.relevant.any()],
                                              rerank_report["chosen_C"]), FEATURE_NAMES, "feature")
        fold = Retriever(retriever.reader, retriever.embedder, settings,
                         FittedWeights(fold_rerank, DEFAULT_ABSTAIN, enabled, fold_sentence))
        examples += decision_examples(fold, [q for q in decision_queries if q.fold == k], labeller)
        print(f"decision examples: fold {k + 1} of {config.fit_folds} done", flush=True)
    if args.examples:
        args.examples.write_text("".join(json.dumps(example_record(e)) + "\n" for e in examples), encoding="utf-8")
    abstain, abstain_report, oof = fit_decision(examples, config)
    abstain_report["dev (out of fold)"] = dev_figures(examples, oof, abstain.threshold)

    fitted = FittedWeights(rerank, abstain, enabled, sentence)
    reports = {"sentence": sentence_report, "rerank": rerank_report, "abstain": abstain_report}
    source = (f"sentence model: {config.fit_sentence_on}; reranker: {config.fit_rerank_on}; decision: dev and "
              f"{len(queries[:config.fit_decision_queries])} passage questions (answer shown and hidden)")
    data_doc = weights_document(fitted, fingerprint(settings), reports, source, date.today().isoformat())
    out.write_text(json.dumps(data_doc, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: {x: y for x, y in v.items() if x != "curve"} for k, v in reports.items()}, indent=2))
    print(f"wrote {out}")
    return 0


def _progress(total: int, stage: str) -> Callable[[int], None]:
    def say(n: int) -> None:
        if n % 500 == 0:
            print(f"{stage}: {n} of {total}", flush=True)
    return say


if __name__ == "__main__":
    raise SystemExit(main())
