"""Small texts shared by the highlight and answer tests."""

from __future__ import annotations

from indexer.sentences import split_sentences

LIST_PASSAGE = ("Orders were rarely used. Strategic leads wanted other agencies to change in relation to:\n\n"
                "• reducing the use of school exclusions\n\n• more support for children\n\n"
                "• joint safety plans.\n\nOne officer described a hotel case:\n\n"
                "\"We visited every week. Incidents dropped to zero.\" (FL)\n\nA new paragraph starts here.")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences paragraph by paragraph, as the indexer stores them."""
    spans, start = [], 0
    for block in text.split("\n\n"):
        spans += [(start + s, start + e) for s, e in split_sentences(block)]
        start += len(block) + 2
    return spans


