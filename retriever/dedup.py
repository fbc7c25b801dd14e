"""Collapse near-duplicate and overlapping hits: overlapping neighbours, a table row and its
table, or the same words repeated as a pull-quote. The better-ranked hit stays."""

from __future__ import annotations

from collections.abc import Callable

from reportqa.records import Passage


def overlap_share(a: Passage, b: Passage) -> float:
    """Overlap of two passages' character ranges, as a share of the shorter one."""
    if a.doc_id != b.doc_id:
        return 0.0
    inter = min(a.end, b.end) - max(a.start, b.start)
    shorter = min(a.end - a.start, b.end - b.start)
    return inter / shorter if inter > 0 and shorter > 0 else 0.0


def collapse(ranked: list[int], passage: Callable[[int], Passage], similarity: Callable[[int, int], float],
             max_overlap: float = 0.5, max_similarity: float = 0.92, limit: int | None = None) -> list[int]:
    """Keep, in order, each passage that neither overlaps (beyond ``max_overlap``) nor nearly
    repeats (cosine beyond ``max_similarity``) one already kept."""
    kept: list[int] = []
    for idx in ranked:
        p = passage(idx)
        if any(overlap_share(p, passage(k)) > max_overlap or similarity(idx, k) > max_similarity for k in kept):
            continue
        kept.append(idx)
        if limit is not None and len(kept) >= limit:
            break
    return kept
