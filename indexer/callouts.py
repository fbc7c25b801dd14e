"""Pull-quote call-outs: layout boxes that repeat nearby body text. They are detected so they
do not become duplicate passages.

A block is a candidate when the layout marks it (narrow column, or a Markdown '>' line);
it is a call-out only if most of its content words occur in the body text around it (a
'>' mark is stronger evidence, so it needs less overlap). Word overlap alone cannot tell
an unmarked call-out from a summary sentence, so unmarked paragraphs are never removed:
the retriever collapses near-duplicate hits instead.
"""

from __future__ import annotations

from indexer.blocks import Block
from reportqa.text import content_words

CONTEXT_BLOCKS = 15
MIN_OVERLAP = {"narrow": 0.6, "marked": 0.4}


def overlap_with_context(blocks: list[Block], i: int, window: int = CONTEXT_BLOCKS) -> float:
    """Share of block i's content words found in the prose blocks within ``window`` of it."""
    words = set(content_words(blocks[i].text))
    if not words:
        return 0.0
    context: set[str] = set()
    for j in range(max(0, i - window), min(len(blocks), i + window + 1)):
        other = blocks[j]
        if j != i and other.kind in ("paragraph", "list_item") and not _is_candidate(other):
            context.update(content_words(other.text))
    return len(words & context) / len(words)


def _is_candidate(block: Block) -> bool:
    return block.kind == "paragraph" and (block.narrow or block.explicit_callout)


def mark_callouts(blocks: list[Block]) -> list[Block]:
    """Turn confirmed call-out candidates into ``callout`` blocks; others stay paragraphs."""
    for i, block in enumerate(blocks):
        needed = MIN_OVERLAP["marked" if block.explicit_callout else "narrow"]
        if _is_candidate(block) and overlap_with_context(blocks, i) >= needed:
            block.kind = "callout"
    return blocks
