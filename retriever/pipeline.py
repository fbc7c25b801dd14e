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
    questions: bool = True  # match the passage questions (when the index has them)


_PLAIN = dict(acronyms=False, colloquial=False, rerank=False, dedup=False, questions=False)
PIPELINES: dict[str, Pipeline] = {
    "bm25": Pipeline(lexical=True, dense=False, **_PLAIN),
    "dense": Pipeline(lexical=False, dense=True, **_PLAIN),
    "hybrid": Pipeline(**_PLAIN),
    "hybrid-convex": Pipeline(**_PLAIN | {"fusion": "convex"}),
    "bm25+questions": Pipeline(lexical=True, dense=False, **_PLAIN | {"questions": True}),
    "dense+questions": Pipeline(lexical=False, dense=True, **_PLAIN | {"questions": True}),
    "hybrid+questions": Pipeline(**_PLAIN | {"questions": True}),
    "hybrid+expansions": Pipeline(rerank=False, dedup=False, questions=False),
    "fusion": Pipeline(rerank=False),
    "full-no-questions": Pipeline(questions=False),
    "full": Pipeline(),
}
DEFAULT_PIPELINE = "full"
DEFAULT_CONFIGS = ("bm25", "hybrid", "hybrid+questions", "fusion", "full")
