"""Lexical search: SQLite FTS5 with bm25 over passage text and section trail."""

from __future__ import annotations

import sqlite3

from indexer.store import IndexReader
from reportqa.text import words
from retriever.query import fts_or, fts_phrase

Scored = list[tuple[int, float]]


class LexicalSearcher:
    """bm25 search over the index's FTS5 table; scores are positive, higher is better."""

    def __init__(self, reader: IndexReader, section_weight: float = 0.4) -> None:
        self.reader = reader
        self.section_weight = section_weight

    def _match(self, expression: str, limit: int) -> Scored:
        if not expression:
            return []
        sql = (
            "SELECT rowid, -bm25(passages_fts, 1.0, ?) FROM passages_fts WHERE passages_fts MATCH ? "
            "ORDER BY bm25(passages_fts, 1.0, ?) LIMIT ?"
        )
        try:
            rows = self.reader.connection().execute(
                sql, (self.section_weight, expression, self.section_weight, limit)).fetchall()
        except sqlite3.OperationalError:
            # Our expressions are built from quoted tokens only, so this should not happen;
            # a query we cannot express simply finds nothing lexically.
            return []
        return [(int(r), float(s)) for r, s in rows]

    def search(self, tokens: tuple[str, ...], expansions: list[tuple[tuple[str, ...], float]] | None = None,
               limit: int = 50, allowed: set[int] | None = None) -> Scored:
        """Passages matching any query token. Each expansion group (acronym long forms,
        everyday-word equivalents) adds its weight times its own bm25 score. With ``allowed``,
        only those passage indexes are returned."""
        scores: dict[int, float] = {}
        fetch = limit if allowed is None else max(limit * 4, 400)
        for idx, score in self._match(fts_or(tokens), fetch):
            scores[idx] = score
        for texts, weight in expansions or []:
            if not texts or weight <= 0:
                continue
            exp_tokens = tuple(t for text in texts for t in words(text))
            if not exp_tokens:
                continue
            for idx, score in self._match(fts_or(exp_tokens), fetch):
                scores[idx] = scores.get(idx, 0.0) + weight * score
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        if allowed is not None:
            ranked = [(i, s) for i, s in ranked if i in allowed]
        return ranked[:limit]

    def phrase_matches(self, phrases: tuple[str, ...], limit: int = 2000) -> set[int]:
        """Passages whose FTS tokens contain every phrase in order (to be checked exactly after)."""
        result: set[int] | None = None
        for phrase in phrases:
            found = {idx for idx, _ in self._match(fts_phrase(phrase), limit)}
            result = found if result is None else result & found
        return result or set()
