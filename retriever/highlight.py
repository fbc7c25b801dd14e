"""Evidence highlighting: score a passage's sentences against the query and pick the 1–2 that
best answer it, as character spans on sentence boundaries. Used by search, ask, web and CLI.

A sentence is widened to the smallest unit a reader can understand on its own: a list item
keeps its lead-in ("…in relation to:"), and a lead-in keeps the list or quotation it introduces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.store import IndexReader
from reportqa.text import is_lead_in, is_list_item, words
from retriever.query import stemmed_set


@dataclass(frozen=True)
class ScoredSentence:
    """One sentence of a passage with its similarity to the query and, once the sentence answer
    model has scored it (``retriever.sentence_model``), how likely it is to answer the query."""

    passage_idx: int
    start: int
    end: int
    cosine: float
    coverage: float
    lexical_weight: float  # RankingConfig.sentence_lexical_weight
    answer: float | None = None  # the sentence answer model's probability

    @property
    def score(self) -> float:
        """The answer probability when the sentence model has scored it, else cosine plus
        ``lexical_weight`` × query-term coverage."""
        if self.answer is not None:
            return self.answer
        return self.cosine + self.lexical_weight * self.coverage


def coverage(terms: set[str], text: str) -> float:
    """Share of the query's stemmed content terms that occur in ``text``."""
    return len(terms & stemmed_set(text)) / len(terms) if terms else 0.0


def score_sentences(reader: IndexReader, idx: int, query_vector: np.ndarray, terms: set[str],
                    lexical_weight: float, sentence_terms=None) -> list[ScoredSentence]:
    """Every sentence of passage ``idx``, scored as cosine + ``lexical_weight`` × query-term coverage
    (in passage order). ``sentence_terms(idx, start, end)`` may supply cached stemmed word sets."""
    first, count = int(reader.sentences.first[idx]), int(reader.sentences.count[idx])
    if count == 0:
        return []
    vectors = np.asarray(reader.sentence_vectors[first:first + count])
    cosines = vectors @ query_vector.astype(np.float32)
    text = reader.passages[idx].text
    out = []
    for k in range(count):
        s, e = int(reader.sentences.start[first + k]), int(reader.sentences.end[first + k])
        if sentence_terms is not None and terms:
            share = len(terms & sentence_terms(idx, s, e)) / len(terms)
        else:
            share = coverage(terms, text[s:e])
        out.append(ScoredSentence(idx, s, e, float(cosines[k]), share, lexical_weight))
    return out


def complete_thought(text: str, spans: list[tuple[int, int]], i: int, max_words: int) -> list[tuple[int, int]]:
    """What a reader needs to understand sentence ``i`` of ``text`` on its own, as spans on
    sentence boundaries, in text order.

    ``spans`` are the passage's sentence spans in order. A list item comes with its lead-in
    (and the whole list when it is short); a lead-in comes with the list or the paragraph it
    introduces, as far as ``max_words`` allows (at least one sentence). Other sentences stand alone.
    """
    sentences = [text[s:e] for s, e in spans]

    def n_words(first: int, last: int) -> int:
        return len(words(text[spans[first][0]:spans[last][1]]))

    if is_list_item(sentences[i]):
        first = i
        while first > 0 and is_list_item(sentences[first - 1]):
            first -= 1
        lead = first - 1
        if lead < 0 or not is_lead_in(sentences[lead]):
            return [spans[i]]
        last = i
        while last + 1 < len(spans) and is_list_item(sentences[last + 1]):
            last += 1
        if n_words(lead, last) <= max_words:
            return [(spans[lead][0], spans[last][1])]
        return [spans[lead], spans[i]]
    if not is_lead_in(sentences[i]) or i + 1 >= len(spans):
        return [spans[i]]
    follows_list = is_list_item(sentences[i + 1])
    last = i + 1
    while last + 1 < len(spans):
        nxt = last + 1
        same_block = (is_list_item(sentences[nxt]) if follows_list
                      else "\n\n" not in text[spans[last][1]:spans[nxt][0]])
        if not same_block or n_words(i, nxt) > max_words:
            break
        last = nxt
    return [(spans[i][0], spans[last][1])]


def unfinished(text: str, spans: list[tuple[int, int]], i: int) -> bool:
    """True for a lead-in that ends the passage: what it introduces is not in this passage."""
    return i == len(spans) - 1 and is_lead_in(text[spans[i][0]:spans[i][1]])


def evidence_spans(sentences: list[ScoredSentence], ratio: float, unit_words: int, text: str | None = None,
                   limit: int = 2) -> list[tuple[int, int]]:
    """The best sentence, plus the runner-up when it scores at least ``ratio`` of the best, in text
    order. ``sentences`` are all of a passage's sentences in order; with the passage ``text``, each is
    widened to a complete thought of at most ``unit_words`` (see ``complete_thought``)."""
    if not sentences:
        return []
    ranked = sorted(range(len(sentences)), key=lambda k: -sentences[k].score)
    best = sentences[ranked[0]].score
    chosen = [ranked[0]] + [k for k in ranked[1:limit]
                            if sentences[k].score >= ratio * best and sentences[k].score > 0]
    if text is None:
        return sorted((sentences[k].start, sentences[k].end) for k in chosen)
    spans = [(s.start, s.end) for s in sentences]
    return merge_spans([span for k in chosen for span in complete_thought(text, spans, k, unit_words)])


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping or repeated ones merged."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
