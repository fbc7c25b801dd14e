"""Everyday words → report vocabulary ('pub' → 'licensed premises'), from colloquial.toml.

Frontline staff type the words they use on shift; the reports use policy language. This
table widens lexical search with the reports' words, weighted separately from the query.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from reportqa.text import key_tokens

DEFAULT_TABLE = Path(__file__).with_name("colloquial.toml")


class ColloquialExpander:
    """Finds table keys in a query (single words and multi-word phrases) and returns the
    report terms they stand for."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = {k.lower(): v for k, v in table.items()}
        self.longest = max((len(k.split()) for k in self.table), default=1)

    @classmethod
    def load(cls, path: Path = DEFAULT_TABLE) -> ColloquialExpander:
        """The table in ``path``. Raises ValueError when the file is not valid TOML."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: cannot read the colloquial table ({exc})") from exc
        return cls({str(k): str(v) for k, v in data.get("terms", {}).items()})

    def keys_in(self, query: str) -> list[str]:
        """The table keys found in ``query``, longest match first, left to right."""
        tokens = key_tokens(query)
        keys: list[str] = []
        i = 0
        while i < len(tokens):
            for n in range(min(self.longest, len(tokens) - i), 0, -1):
                key = " ".join(tokens[i:i + n])
                if key in self.table:
                    keys.append(key)
                    i += n - 1
                    break
            i += 1
        return keys

    def expand(self, query: str) -> list[str]:
        """Report terms for the everyday words in ``query`` (each used once, in order)."""
        return list(dict.fromkeys(self.table[k] for k in self.keys_in(query)))
