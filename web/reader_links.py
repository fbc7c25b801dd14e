"""Find where a reader link points, even after a re-index changed its passage id.

A passage link (see ``reportqa.citation.passage_link``) carries the passage id ``p``, the section
key ``s`` (its number, '6.1.1', or a slug of its title) and a short text anchor ``t`` (its first
words). When ``p`` is gone, the passage holding the anchor text is shown; else the start of the
section; else the top of the report, always with a note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportqa.citation import section_key, section_ref
from reportqa.records import Passage
from reportqa.text import match_key

MIN_ANCHOR_KEY = 12  # shorter anchors ('The', 'Table 3') would match the wrong passage

MOVED_TEXT = "This link pointed to a passage that has changed; showing the passage with the same words."
MOVED_SECTION = "This link pointed to a passage that has changed; showing the section it was in ({section})."
MOVED_LOST = ("This link pointed to a passage that has changed and could not be found; showing the start "
              "of the report.")


@dataclass(frozen=True)
class LinkTarget:
    """Where a reader link lands: a passage to highlight and/or a passage to scroll to, and a note."""

    focus: Passage | None = None  # highlighted: the linked passage, or the one holding its text
    section_start: Passage | None = None  # the first passage of the linked section (not highlighted)
    note: str | None = None


def _by_anchor(passages: list[Passage], anchor: str, section: str | None) -> Passage | None:
    key = match_key(anchor)
    if len(key) < MIN_ANCHOR_KEY:
        return None
    holding = [p for p in passages if key in match_key(p.text)]
    if not holding:
        return None

    def preference(p: Passage) -> tuple[int, int, int]:
        heading = p.section[-1] if p.section else ""
        return (0 if match_key(p.text).startswith(key) else 1,
                0 if section and section_key(heading) == section else 1,
                0 if p.kind == "text" else 1)

    return min(holding, key=preference)


def _by_section(passages: list[Passage], section: str) -> Passage | None:
    deepest = [p for p in passages if p.section and section_key(p.section[-1]) == section]
    if deepest:
        return deepest[0]
    return next((p for p in passages if any(section_key(h) == section for h in p.section)), None)


def resolve_link(passages: list[Passage], linked: Passage | None, passage_id: str | None,
                 section: str | None = None, anchor: str | None = None) -> LinkTarget:
    """Where a link into one report's ``passages`` lands. ``linked`` is the passage with
    ``passage_id`` if it still exists anywhere."""
    doc_ids = {p.doc_id for p in passages}
    if linked is not None and linked.doc_id in doc_ids:
        return LinkTarget(focus=linked)
    if not (passage_id or section or anchor):
        return LinkTarget()
    found = _by_anchor(passages, anchor, section) if anchor else None
    if found is not None:
        return LinkTarget(focus=found, note=MOVED_TEXT)
    start = _by_section(passages, section) if section else None
    if start is not None:
        heading = next((h for h in reversed(start.section) if section_key(h) == section), start.section[-1])
        return LinkTarget(section_start=start, note=MOVED_SECTION.format(section=section_ref(heading)))
    return LinkTarget(note=MOVED_LOST)
