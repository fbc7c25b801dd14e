"""Per-passage text features that do not depend on the query (stemmed word sets, match keys),
computed once per passage or sentence and kept, so each query only intersects sets."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from indexer.store import IndexReader
from reportqa.text import match_key
from retriever.query import stemmed_set

MAX_ENTRIES = 100_000


class TermCache:
    """Bounded, thread-safe cache of stemmed word sets and match keys for passages and sentences."""

    def __init__(self, reader: IndexReader, max_entries: int = MAX_ENTRIES) -> None:
        self.reader = reader
        self.max_entries = max_entries
        self._data: OrderedDict[tuple, object] = OrderedDict()
        self._lock = Lock()

    def cached(self, key: tuple, make):
        """The value kept under ``key``, made (and kept) on first use. Keys start with a tag of
        their own ('p', 's', 'k', 't' are this class's)."""
        return self._get(key, make)

    def _get(self, key: tuple, make):
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = make()
        with self._lock:
            self._data[key] = value
            if len(self._data) > self.max_entries:
                self._data.popitem(last=False)
        return value

    def passage_terms(self, idx: int) -> frozenset[str]:
        return self._get(("p", idx), lambda: frozenset(stemmed_set(self.reader.passages[idx].text)))

    def section_terms(self, idx: int) -> frozenset[str]:
        return self._get(("s", idx), lambda: frozenset(stemmed_set(" ".join(self.reader.passages[idx].section))))

    def passage_key(self, idx: int) -> str:
        return self._get(("k", idx), lambda: match_key(self.reader.passages[idx].text))

    def sentence_terms(self, idx: int, start: int, end: int) -> frozenset[str]:
        return self._get(("t", idx, start), lambda: frozenset(stemmed_set(self.reader.passages[idx].text[start:end])))
