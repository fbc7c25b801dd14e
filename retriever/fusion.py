"""Fuse ranked lists into one, by a strategy named in settings.

- ``rrf``: reciprocal rank fusion, score(d) = Σ_lists 1 / (k + rank_list(d)), rank from 1.
- ``convex``: α·dense + (1 − α)·lexical, each min–max normalised over its own list
  (a passage missing from a list scores 0 there).

Both return scores that strictly decrease with rank (ties broken by passage index and
separated by a tiny epsilon), as metric tools rank by score.
"""

from __future__ import annotations

Scored = list[tuple[int, float]]
EPSILON = 1e-9


def _strict(scores: dict[int, float]) -> Scored:
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    out: Scored = []
    for idx, score in ranked:
        if out and score >= out[-1][1]:
            score = out[-1][1] - EPSILON
        out.append((idx, score))
    return out


def rrf(lists: list[Scored], k: int = 60) -> Scored:
    """Reciprocal rank fusion of several ranked lists."""
    scores: dict[int, float] = {}
    for ranked in lists:
        for rank, (idx, _) in enumerate(ranked, start=1):
            scores[idx] = scores.get(idx, 0.0) + 1.0 / (k + rank)
    return _strict(scores)


def minmax(ranked: Scored) -> dict[int, float]:
    """Scores rescaled to [0, 1] over the list (all 1.0 when they are equal)."""
    if not ranked:
        return {}
    values = [s for _, s in ranked]
    lo, hi = min(values), max(values)
    span = hi - lo
    return {idx: (s - lo) / span if span > 0 else 1.0 for idx, s in ranked}


def convex(dense: Scored, lexical: Scored, alpha: float = 0.5) -> Scored:
    """α·minmax(dense) + (1 − α)·minmax(lexical)."""
    d, lx = minmax(dense), minmax(lexical)
    scores = {idx: alpha * d.get(idx, 0.0) + (1 - alpha) * lx.get(idx, 0.0) for idx in d.keys() | lx.keys()}
    return _strict(scores)


def fuse(strategy: str, dense: Scored, lexical: Scored, rrf_k: int = 60, alpha: float = 0.5) -> Scored:
    """Fuse by the named strategy ('rrf' or 'convex'). Raises ValueError for another name."""
    if strategy == "rrf":
        return rrf([dense, lexical], k=rrf_k)
    if strategy == "convex":
        return convex(dense, lexical, alpha=alpha)
    raise ValueError(f"unknown fusion strategy {strategy!r}; use 'rrf' or 'convex'")
