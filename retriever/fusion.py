"""Fuse ranked lists into one, by a strategy named in settings (a registry: name → function).

- ``rrf``: reciprocal rank fusion, score(d) = Σ_lists 1 / (k + rank_list(d)), rank from 1.
- ``convex``: α·dense + (1 − α)·lexical, each min–max normalised over its own list
  (a passage missing from a list scores 0 there).

Both return scores that strictly decrease with rank (ties broken by passage index and
separated by a tiny epsilon), as metric tools rank by score. To add a strategy, write its
function here and register it in ``STRATEGIES`` with the settings it reads (its ``parameters``, which
the fitted weights' fingerprint records while it is the active strategy); add its name to
``reportqa.settings.FUSIONS``. tests/test_fusion.py runs its battery over every registered strategy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reportqa.settings import CandidateConfig

Scored = list[tuple[int, float]]
EPSILON = 1e-9


def strictly_decreasing(scores: list[float]) -> list[float]:
    """``scores`` (already in rank order) with each tie or inversion pushed just below the score
    before it, as metric tools rank by score."""
    out: list[float] = []
    for score in scores:
        if out and score >= out[-1]:
            score = out[-1] - EPSILON
        out.append(score)
    return out


def _strict(scores: dict[int, float]) -> Scored:
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return list(zip([idx for idx, _ in ranked], strictly_decreasing([score for _, score in ranked])))


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


@dataclass(frozen=True)
class FusionStrategy:
    """A registered strategy: how it fuses a dense and a lexical list, and which settings it reads."""

    name: str
    fuse: Callable[[Scored, Scored, CandidateConfig], Scored]
    parameters: tuple[str, ...]


STRATEGIES: dict[str, FusionStrategy] = {
    "rrf": FusionStrategy("rrf", lambda dense, lexical, c: rrf([dense, lexical], k=c.rrf_k), ("rrf_k",)),
    "convex": FusionStrategy("convex", lambda dense, lexical, c: convex(dense, lexical, alpha=c.convex_alpha),
                             ("convex_alpha",)),
}


def fuse(strategy: str, dense: Scored, lexical: Scored, config: CandidateConfig) -> Scored:
    """Fuse by the named strategy, with its parameters from ``config``. Raises ValueError for an
    unregistered name."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown fusion strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    return STRATEGIES[strategy].fuse(dense, lexical, config)
