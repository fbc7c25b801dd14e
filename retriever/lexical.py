"""Lexical search: bm25 (bm25s, over passage text and section trail, and over each passage's
questions as a field of its own) for ranking, and SQLite FTS5 for exact phrase queries.

bm25s was chosen over FTS5's own bm25 for ranking because it measures the same on the dev
questions and is ~20× faster on large corpora (FTS5 scores every row an OR query matches;
see eval/NOTES.md and bench/RESULTS.md).
"""

from __future__ import annotations

import sqlite3

import numpy as np

from indexer.store import IndexReader
from reportqa.text import lexical_tokens
from retriever.query import fts_phrase

Scored = list[tuple[int, float]]


class LexicalSearcher:
    """bm25 search over the index; scores are positive, higher is better."""

    def __init__(self, reader: IndexReader) -> None:
        self.reader = reader
        self.n = len(reader.passages)

    def _scores(self, text: str, mask: np.ndarray | None) -> np.ndarray:
        tokens = lexical_tokens(text)
        if not tokens or self.reader.bm25 is None:
            return np.zeros(self.n, dtype=np.float32)
        return np.asarray(self.reader.bm25.get_scores(tokens, weight_mask=mask), dtype=np.float32)

    def question_scores(self, tokens: tuple[str, ...], exclude: frozenset[int] = frozenset()) -> np.ndarray:
        """Each passage's best bm25 score among its questions (0 without questions); the question
        rows in ``exclude`` do not count (the weight fitting leaves a question's own row out)."""
        out = np.zeros(self.n, dtype=np.float32)
        terms = lexical_tokens(" ".join(tokens))
        if not terms or self.reader.question_bm25 is None:
            return out
        per_question = np.asarray(self.reader.question_bm25.get_scores(terms), dtype=np.float32)
        if exclude:
            per_question[list(exclude)] = 0.0
        np.maximum.at(out, self.reader.questions.passage_idx, per_question)
        return out

    def search(self, tokens: tuple[str, ...], expansions: list[tuple[tuple[str, ...], float]] | None = None,
               limit: int = 50, allowed: set[int] | None = None, questions: np.ndarray | None = None,
               question_weight: float = 0.0) -> Scored:
        """Passages matching any query token, best first. Each expansion group (acronym long
        forms, everyday-word equivalents) adds its weight times its own bm25 score, and the
        question field (``questions``, from ``question_scores``) adds ``question_weight`` times its
        score. With ``allowed``, only those passage indexes are returned."""
        if self.n == 0:
            return []
        mask = None
        if allowed is not None:
            mask = np.zeros(self.n, dtype=np.float32)
            mask[list(allowed)] = 1.0
        total = self._scores(" ".join(tokens), mask)
        for texts, weight in expansions or []:
            if texts and weight > 0:
                total = total + weight * self._scores(" ".join(texts), mask)
        if questions is not None and question_weight > 0:
            total = total + question_weight * (questions if mask is None else questions * mask)
        hits = np.flatnonzero(total > 0)
        if not len(hits):
            return []
        top = hits[np.argsort(-total[hits], kind="stable")[:limit]]
        return [(int(i), float(total[i])) for i in top]

    def phrase_matches(self, phrases: tuple[str, ...], limit: int = 2000) -> set[int]:
        """Passages whose FTS5 tokens contain every phrase in order (checked exactly after)."""
        result: set[int] | None = None
        for phrase in phrases:
            expression = fts_phrase(phrase)
            if not expression:
                continue
            try:
                rows = self.reader.connection().execute(
                    "SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? LIMIT ?", (expression, limit)
                ).fetchall()
            except sqlite3.OperationalError:
                rows = []  # expressions are built from quoted tokens only; a failure finds nothing
            found = {int(r[0]) for r in rows}
            result = found if result is None else result & found
        return result or set()
