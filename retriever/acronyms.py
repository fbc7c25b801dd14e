"""Query expansion with the acronyms mined from the corpus, both ways:
'SHPO' → 'sexual harm prevention order', 'child abduction warning notice' → 'CAWN'."""

from __future__ import annotations

from dataclasses import dataclass

from reportqa.text import content_words, words


@dataclass(frozen=True)
class Expansion:
    """One expansion applied to a query: the text added, and which acronym it came from."""

    short: str
    long: str
    added: str  # the text added to the query (a long form, or a short form)


class AcronymExpander:
    """Finds acronyms and their long forms in queries.

    A lower-case token like 'cawn' counts as an acronym only when the corpus never uses it
    as an ordinary lower-case word (so 'set' or 'gain' are not expanded unless typed in capitals).
    """

    def __init__(self, acronyms: list[tuple[str, str, int]], lowercase_vocab: set[str]) -> None:
        self.longs: dict[str, list[str]] = {}
        self.short_display: dict[str, str] = {}
        self.by_long: list[tuple[tuple[str, ...], str, str]] = []
        for short, long, _count in acronyms:
            key = short.lower()
            self.longs.setdefault(key, [])
            if long.lower() not in (x.lower() for x in self.longs[key]):
                self.longs[key].append(long)
            self.short_display.setdefault(key, short)
            terms = tuple(content_words(long))
            if len(terms) >= 2:
                self.by_long.append((terms, short, long))
        self.lowercase_vocab = lowercase_vocab

    def glossary(self) -> list[tuple[str, list[str]]]:
        """(short form, long forms) pairs, sorted by short form."""
        return sorted(((self.short_display[k], v) for k, v in self.longs.items()), key=lambda kv: kv[0].lower())

    def _short_key(self, token: str, raw_tokens: set[str]) -> str | None:
        low = token.lower()
        for key in [low] + ([low[:-1]] if low.endswith("s") else []):
            if key not in self.longs:
                continue
            typed_upper = any(t.lower() in (key, key + "s") and t.rstrip("s").isupper() for t in raw_tokens)
            if typed_upper or (len(key) >= 3 and key not in self.lowercase_vocab):
                return key
        return None

    def expand(self, query: str) -> list[Expansion]:
        """Expansions for ``query``: long forms of acronyms it uses, short forms of long forms
        it spells out. Each acronym is expanded once."""
        raw_tokens = {w.strip(".,;:!?()'\"“”‘’[]") for w in query.split()}
        out: list[Expansion] = []
        seen: set[str] = set()
        for token in words(query):
            key = self._short_key(token, raw_tokens)
            if key and key not in seen:
                seen.add(key)
                for long in self.longs[key]:
                    out.append(Expansion(self.short_display[key], long, long))
        terms = content_words(query)
        joined = " " + " ".join(terms) + " "
        for long_terms, short, long in self.by_long:
            if short.lower() in seen:
                continue
            if " " + " ".join(long_terms) + " " in joined:
                seen.add(short.lower())
                out.append(Expansion(short, long, short))
        return out
