"""Named pipelines: which stages run, and with which fusion. ``reportqa eval --config`` compares them
in one run. Kept free of heavy imports so that the command line can list them cheaply."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pipeline:
    """Which stages run. ``fusion`` names a strategy of ``retriever.fusion.STRATEGIES``; None
    uses the one in the settings."""

    lexical: bool = True
    dense: bool = True
    acronyms: bool = True
    colloquial: bool = True
    rerank: bool = True
    dedup: bool = True
    fusion: str | None = None


PIPELINES: dict[str, Pipeline] = {
    "bm25": Pipeline(lexical=True, dense=False, acronyms=False, colloquial=False, rerank=False, dedup=False),
    "dense": Pipeline(lexical=False, dense=True, acronyms=False, colloquial=False, rerank=False, dedup=False),
    "hybrid": Pipeline(acronyms=False, colloquial=False, rerank=False, dedup=False),
    "hybrid-convex": Pipeline(acronyms=False, colloquial=False, rerank=False, dedup=False, fusion="convex"),
    "hybrid+acronyms": Pipeline(colloquial=False, rerank=False, dedup=False),
    "hybrid+expansions": Pipeline(rerank=False, dedup=False),
    "fusion": Pipeline(rerank=False),
    "full": Pipeline(),
}
DEFAULT_PIPELINE = "full"
DEFAULT_CONFIGS = ("bm25", "dense", "hybrid", "full")
