"""Fit the reranker and the answer decision's model on the passage questions; write retriever/weights.json.

    python -m eval.fit [--index DIR] [--out retriever/weights.json] [--limit N]

No eval question is read: the training queries are the passage questions of the bundled reports
(thousands, written from the passages by hand; see corpus/QUESTIONS.md), so every eval split stays
fit-free. Each training query is asked *without its own question row* in the index (and without
identical copies of it), or the question field would find it verbatim.

- **Reranker**: logistic regression on first-stage candidates (the passages holding the question's
  anchor are relevant), over ``retriever.schema.Features``; C is chosen by 5-fold cross-validation
  grouped by passage, on MRR@10 of the reranked lists.
- **Answer decision**: logistic regression over ``schema.MODEL_SIGNALS``. Answerable examples are
  training queries asked as above; unanswerable ones are the same queries asked with the passages
  holding their answer hidden (and every passage overlapping those), which is what a question the
  reports do not answer looks like: on topic, in the reports' vocabulary, its answer absent. Some of
  these are answered by another passage after all, so the labels are noisy on the safe side. The
  threshold answers at most ``fit_false_answer_target`` of the hidden-answer queries (cross-validated).
  The rules around the model (``max_oov``, ``veto_unmet``) are ``DecisionConfig`` settings, recorded in
  the weights' fingerprint.

The fitting's own constants are ``FitConfig`` settings.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from reportqa.settings import FitConfig, Settings
from retriever.candidates import SearchFilters
from retriever.decision import DEFAULT_ABSTAIN, AbstainModel
from retriever.dedup import overlap_share
from retriever.retriever import PIPELINES, Retriever
from retriever.schema import FEATURE_NAMES, MODEL_SIGNALS, LinearModel
from retriever.weights import FittedWeights, fingerprint, weights_document


@dataclass(frozen=True)
class TrainingQuery:
    """One passage question as a training query: its text, the question rows to leave out (its own
    and identical copies), the passages holding its anchor, and its group for cross-validation."""

    text: str
    exclude: frozenset[int]
    relevant: frozenset[int]
    group: int


@dataclass
class QueryCandidates:
    group: int
    features: np.ndarray  # candidates × features
    labels: np.ndarray
    fused: np.ndarray


def training_queries(retriever: Retriever) -> list[TrainingQuery]:
    """Every distinct passage question of the index, as a training query."""
    rows: dict[str, list[int]] = {}
    for row, text in enumerate(retriever.reader.questions.text):
        rows.setdefault(text.strip().casefold(), []).append(row)
    owners = retriever.reader.questions.passage_idx
    out = []
    for key, found in rows.items():
        relevant = frozenset(int(owners[r]) for r in found)
        out.append(TrainingQuery(retriever.reader.questions.text[found[0]], frozenset(found), relevant,
                                 min(relevant)))
    return out


def collect(retriever: Retriever, queries: list[TrainingQuery], first_stage: str) -> list[QueryCandidates]:
    """Each query's first-stage candidates (pipeline ``first_stage``), their features and labels."""
    out = []
    for q in queries:
        candidates, _ = retriever.candidates(q.text, pipeline=PIPELINES[first_stage], exclude=q.exclude)
        labels = np.array([c.idx in q.relevant for c in candidates], dtype=int)
        if not candidates or not labels.any():
            continue  # the first stage missed it: nothing for the reranker to learn from
        feats = np.array([[getattr(c.features, f) for f in FEATURE_NAMES] for c in candidates], dtype=np.float64)
        out.append(QueryCandidates(q.group, feats, labels, np.array([c.fused for c in candidates])))
    return out


def mrr(groups: list[QueryCandidates], scores: list[np.ndarray], k: int = 10) -> tuple[float, float]:
    """(MRR@k, Hit@5) over the candidate lists ranked by ``scores`` (0 when nothing relevant)."""
    rr, hit5 = [], []
    for g, s in zip(groups, scores):
        order = np.argsort(-s, kind="stable")
        ranks = [r for r, i in enumerate(order[:k], start=1) if g.labels[i]]
        rr.append(1.0 / ranks[0] if ranks else 0.0)
        hit5.append(1.0 if ranks and ranks[0] <= 5 else 0.0)
    return float(np.mean(rr)), float(np.mean(hit5))


def fit_logistic(x: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    model.fit(x, y)
    return model


def group_folds(groups: list[int], folds: int, seed: int = 7) -> list[set[int]]:
    """``folds`` folds of item positions such that items of one group share a fold."""
    distinct = sorted(set(groups))
    random.Random(seed).shuffle(distinct)
    fold_of = {g: i % folds for i, g in enumerate(distinct)}
    return [{i for i, g in enumerate(groups) if fold_of[g] == k} for k in range(folds)]


def fit_reranker(groups: list[QueryCandidates], config: FitConfig) -> tuple[LinearModel, dict]:
    """Choose C by cross-validation grouped by passage, then fit on all training candidates."""
    folds = group_folds([g.group for g in groups], config.fit_folds)
    baseline = mrr(groups, [g.fused for g in groups])
    report: dict = {"queries": len(groups), "first_stage": {"MRR@10": baseline[0], "Hit@5": baseline[1]}, "cv": {}}
    best_c, best = config.fit_c_grid[0], -1.0
    for c in config.fit_c_grid:
        scores: list[np.ndarray | None] = [None] * len(groups)
        for fold in folds:
            train = [g for i, g in enumerate(groups) if i not in fold]
            model = fit_logistic(np.vstack([g.features for g in train]), np.concatenate([g.labels for g in train]), c)
            for i in fold:
                scores[i] = model.decision_function(groups[i].features)
        value = mrr(groups, scores)  # type: ignore[arg-type]
        report["cv"][str(c)] = {"MRR@10": value[0], "Hit@5": value[1]}
        if value[0] > best:
            best_c, best = c, value[0]
    model = fit_logistic(np.vstack([g.features for g in groups]), np.concatenate([g.labels for g in groups]), best_c)
    weights = {f: round(float(w), 6) for f, w in zip(FEATURE_NAMES, model.coef_[0])}
    report["chosen_C"] = best_c
    report["enabled"] = best > baseline[0]
    return LinearModel.over("feature", FEATURE_NAMES, weights, round(float(model.intercept_[0]), 6)), report


def hidden_answer(retriever: Retriever, q: TrainingQuery) -> SearchFilters:
    """Filters hiding the passages that hold the query's anchor, and every passage overlapping them."""
    holders = [retriever.passages[i] for i in q.relevant]
    hidden = {p.passage_id for p in retriever.passages
              if any(p.passage_id == h.passage_id or overlap_share(p, h) > 0 for h in holders)}
    return SearchFilters(exclude_passages=frozenset(hidden))


def decision_examples(retriever: Retriever, queries: list[TrainingQuery]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Signals of each query asked with its answer available (label 1) and hidden (label 0)."""
    rows, labels, groups = [], [], []
    for q in queries:
        for label, filters in ((1, None), (0, hidden_answer(retriever, q))):
            hits, evidence = retriever.retrieve(q.text, k=5, filters=filters, exclude=q.exclude)
            if not hits:
                continue
            rows.append([getattr(evidence.signals, s) for s in MODEL_SIGNALS])
            labels.append(label)
            groups.append(q.group)
    return np.array(rows), np.array(labels), groups


def choose_threshold(prob: np.ndarray, y: np.ndarray, target: float) -> tuple[float, float, float]:
    """(threshold, share of answerable answered, share of unanswerable answered): the lowest
    threshold that answers at most ``target`` of the unanswerable examples."""
    best = (1.0, 0.0, 0.0)
    for threshold in sorted(set(np.round(prob, 4)), reverse=True):
        answered = prob >= threshold
        false_answer = float(answered[y == 0].mean()) if (y == 0).any() else 0.0
        if false_answer > target:
            break
        best = (float(threshold), float(answered[y == 1].mean()), false_answer)
    return best


def fit_decision(retriever: Retriever, queries: list[TrainingQuery], config: FitConfig) -> tuple[AbstainModel, dict]:
    """The answer decision's model, its C fixed, its threshold chosen on cross-validated probabilities."""
    x, y, groups = decision_examples(retriever, queries)
    prob = np.zeros(len(y))
    for fold in group_folds(groups, config.fit_folds, seed=11):
        test = sorted(fold)
        train = [i for i in range(len(y)) if i not in fold]
        prob[test] = fit_logistic(x[train], y[train], config.fit_decision_c).predict_proba(x[test])[:, 1]
    threshold, answered, false_answer = choose_threshold(prob, y, config.fit_false_answer_target)
    model = fit_logistic(x, y, config.fit_decision_c)
    weights = {s: round(float(w), 6) for s, w in zip(MODEL_SIGNALS, model.coef_[0])}
    fitted = LinearModel.over("signal", MODEL_SIGNALS, weights, round(float(model.intercept_[0]), 6))
    report = {"examples": int(len(y)), "answerable": int(y.sum()), "threshold": threshold,
              "cv_answered_answerable": answered, "cv_answered_hidden": false_answer}
    return AbstainModel(fitted, threshold), report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="index folder (default: settings)")
    parser.add_argument("--out", type=Path, help="weights file (default: settings.weights_path)")
    parser.add_argument("--limit", type=int, help="use at most this many training queries (quick runs)")
    args = parser.parse_args(argv)
    settings = Settings(**({"index_dir": args.index} if args.index else {}))
    out = args.out or settings.weights_path
    unfitted = FittedWeights(LinearModel.over("feature", FEATURE_NAMES, dict.fromkeys(FEATURE_NAMES, 0.0)),
                             DEFAULT_ABSTAIN, rerank_enabled=False)
    retriever = Retriever.open(settings, weights=unfitted)
    queries = training_queries(retriever)
    random.Random(3).shuffle(queries)
    if args.limit:
        queries = queries[:args.limit]
    if not queries:
        raise SystemExit("no passage questions in the index: nothing to fit on")

    config = settings.fitting
    rerank, rerank_report = fit_reranker(collect(retriever, queries, config.fit_first_stage), config)
    retriever = Retriever.open(settings, weights=FittedWeights(rerank, DEFAULT_ABSTAIN,
                                                               rerank_enabled=rerank_report["enabled"]))
    abstain, abstain_report = fit_decision(retriever, queries[:config.fit_decision_queries], config)
    fitted = FittedWeights(rerank, abstain, rerank_report["enabled"])
    data = weights_document(fitted, fingerprint(settings), {"rerank": rerank_report, "abstain": abstain_report},
                            "passage questions", date.today().isoformat())
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({"rerank": rerank_report, "abstain": abstain_report}, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
