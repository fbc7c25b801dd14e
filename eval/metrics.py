"""Retrieval metrics, computed with ir-measures on qrels and runs in the standard shapes
(qrels {qid: {pid: rel}}, run {qid: {pid: score}}).

Reported measures (ir-measures names in brackets):
- Hit@k [Success@k]: 1 if any relevant passage is in the top k, else 0 — "was the answer
  found in the first k results". Our headline recall figure: a question usually has several
  relevant passages (a table row, its table, a restatement in the summary) and the answerer
  deliberately shows only one of each group.
- R@k [R@k]: share of all relevant passages retrieved in the top k.
- MRR@10 [RR@10]: 1 / rank of the first relevant passage within 10, else 0.
- nDCG@10 [nDCG@10]: discounted gain of relevant passages in the top 10.
"""

from __future__ import annotations

import math
from statistics import mean

import ir_measures
from ir_measures import RR, R, Success, nDCG

MEASURES = {
    "Hit@1": Success @ 1, "Hit@3": Success @ 3, "Hit@5": Success @ 5, "Hit@10": Success @ 10,
    "R@1": R @ 1, "R@3": R @ 3, "R@5": R @ 5, "R@10": R @ 10, "MRR@10": RR @ 10, "nDCG@10": nDCG @ 10,
}
Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]


def per_query(qrels: Qrels, run: Run) -> dict[str, dict[str, float]]:
    """Every measure for every query in ``qrels`` (a query with no results scores 0)."""
    names = {str(m): name for name, m in MEASURES.items()}
    judged = {q: r for q, r in qrels.items() if any(v > 0 for v in r.values())}
    values: dict[str, dict[str, float]] = {q: {n: 0.0 for n in MEASURES} for q in judged}
    run = {q: docs for q, docs in run.items() if q in judged and docs}
    if run:
        for metric in ir_measures.iter_calc(list(MEASURES.values()), judged, run):
            values[metric.query_id][names[str(metric.measure)]] = float(metric.value)
    return values


def aggregate(values: dict[str, dict[str, float]], qids: list[str] | None = None) -> dict[str, float]:
    """Mean of each measure over ``qids`` (default: all queries)."""
    chosen = [values[q] for q in (qids if qids is not None else list(values)) if q in values]
    if not chosen:
        return {name: 0.0 for name in MEASURES}
    return {name: mean(v[name] for v in chosen) for name in MEASURES}


def first_relevant_rank(relevant: dict[str, int], ranked: list[str]) -> int | None:
    """1-based rank of the first relevant passage in ``ranked``, or None."""
    for rank, pid in enumerate(ranked, start=1):
        if relevant.get(pid, 0) > 0:
            return rank
    return None


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest-rank) of ``values``; 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]
