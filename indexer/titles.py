"""Short titles: made for reports that have no manifest entry, short enough for the report filter and
citations, and different for every report (two reports of one series share a long title prefix; two
manifest entries may repeat one short title). Set once, at index time; the web shows the stored ones."""

from __future__ import annotations

from collections import Counter
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
    """A title that fits ``limit`` characters: the whole title when it fits, else the part before its
    colon when that fits and has two words or more ('Community Speedwatch in Rural Villages', not
    'An Evaluation'), else the subtitle, else the title cut at a word. Reports of one series share
    the part before the colon: ``distinct_short_titles`` gives them their subtitles."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    head, sep, tail = (part.strip() for part in title.partition(":"))
    if sep and len(head) <= limit and len(head.split()) >= 2:
        return head
    return subtitle(title, limit) or _cut(head, limit)


def subtitle(title: str, limit: int = SHORT_TITLE_CHARS) -> str:
    """The part of ``title`` after its colon, cut to ``limit`` characters ('' when there is none)."""
    _, sep, tail = " ".join(title.split()).partition(":")
    return _cut(tail.strip(), limit) if sep and len(tail.strip()) >= 3 else ""


def _with_file(meta: DocumentMeta, stems: Counter[str]) -> DocumentMeta:
    """``meta`` with its file name added to its short title, which is cut to fit: the name without its
    suffix, or with it when another report in the same clash has the same stem ('a.pdf', 'a.md')."""
    stem = meta.file.rsplit(".", 1)[0]
    name = stem if stems[stem] < 2 else meta.file
    label = _cut(meta.short_title, max(12, SHORT_TITLE_CHARS - len(name) - 3))
    return replace(meta, short_title=f"{label} ({name})")


def _decorated(clashing: list[DocumentMeta]) -> dict[str, DocumentMeta]:
    """The ``clashing`` metas by doc id, each with its file name added."""
    stems = Counter(m.file.rsplit(".", 1)[0] for m in clashing)
    return {m.doc_id: _with_file(m, stems) for m in clashing}


def _subtitled(metas: list[DocumentMeta], inferred: set[str]) -> list[DocumentMeta]:
    """Inferred short titles that are the shared part before the colon of two titles or more (a
    series: 'Police Disruption of Child Sexual Abuse: A Scoping Review', '…: Findings from a
    National Survey') replaced by their subtitles."""
    keys = Counter(match_key(m.short_title) for m in metas)
    return [replace(m, short_title=subtitle(m.title)) if m.doc_id in inferred and keys[match_key(m.short_title)] > 1
            and subtitle(m.title) and match_key(m.short_title) == match_key(m.title.partition(":")[0]) else m
            for m in metas]


def distinct_short_titles(metas: list[DocumentMeta], inferred: set[str]) -> list[DocumentMeta]:
    """The metas with short titles that tell every report apart. The index stores them, and the report
    filter, cards and citations all show the stored one. Titles are compared by ``match_key`` (letters
    and digits, case folded), and a clash is settled by adding the file name, cut to fit:

    - a manifest short title is kept, unless another manifest entry has the same one: then each of
      them gets its file name (a user may write one short title twice);
    - an inferred short title (doc ids in ``inferred``: no manifest entry) that equals any other
      report's gets its file name, so a manifest's title stays as written."""
    metas = _subtitled(metas, inferred)
    given = [m for m in metas if m.doc_id not in inferred]
    given_keys = Counter(match_key(m.short_title) for m in given)
    changed = _decorated([m for m in given if given_keys[match_key(m.short_title)] > 1])
    taken = {match_key(changed.get(m.doc_id, m).short_title) for m in given}
    all_keys = Counter(match_key(m.short_title) for m in metas)
    changed |= _decorated([m for m in metas if m.doc_id in inferred and (
        match_key(m.short_title) in taken or all_keys[match_key(m.short_title)] > 1)])
    return [changed.get(m.doc_id, m) for m in metas]
