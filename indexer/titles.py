"""Short titles for reports that have no manifest entry: short enough for the report filter and
citations, and different for every report (two reports of one series share a long title prefix)."""

from __future__ import annotations

from dataclasses import replace

from reportqa.records import DocumentMeta
from reportqa.text import match_key

SHORT_TITLE_CHARS = 40


def _cut(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    words = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return words.rstrip(" ,;:–-") + "…"


def short_title(title: str, limit: int = SHORT_TITLE_CHARS) -> str:
    """A title that fits ``limit`` characters: the whole title when it fits, else the part after
    its colon (the subtitle, which is what tells a series apart), else the title cut at a word."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    head, sep, tail = title.partition(":")
    if sep and len(tail.strip()) >= 3:
        return _cut(tail.strip(), limit)
    return _cut(head, limit)


def distinct_short_titles(metas: list[DocumentMeta], inferred: set[str]) -> list[DocumentMeta]:
    """The metas with every inferred short title (doc ids in ``inferred``: no manifest entry) made
    unique: one equal to another report's short title gets its file name added, cut to fit."""
    taken = {match_key(m.short_title) for m in metas if m.doc_id not in inferred}
    out = []
    for meta in metas:
        if meta.doc_id in inferred:
            key = match_key(meta.short_title)
            clash = key in taken or sum(1 for m in metas if match_key(m.short_title) == key) > 1
            if clash:
                stem = meta.file.rsplit(".", 1)[0]
                label = _cut(meta.short_title, max(12, SHORT_TITLE_CHARS - len(stem) - 3))
                meta = replace(meta, short_title=f"{label} ({stem})")
            taken.add(match_key(meta.short_title))
        out.append(meta)
    return out
