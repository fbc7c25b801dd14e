"""Passage questions (document expansion, "doc2query" written by hand): for each report, a curated
file ``corpus/<doc-id>.questions.jsonl`` lists verbatim *anchors* of the report and the questions
users would ask that each anchor answers, in their own words. The indexer attaches each entry to
every passage that holds its anchor, so the questions survive any re-chunking, and search matches a
user's everyday words against them (see corpus/QUESTIONS.md for how they are written).

One entry per line::

    {"anchor": "6-25 words copied from the report",
     "questions": [{"style": "frontline" | "blunt" | "trainer" | "keywords", "text": "..."}],
     "provenance": {"writer": "who or what wrote it", "date": "YYYY-MM-DD", ...}}

A bad line, or an anchor no passage holds, is a warning naming the file and line; it never stops
the build. A report without a questions file is indexed as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reportqa.records import Passage
from reportqa.text import match_key, match_key_with_map

STYLES = ("frontline", "blunt", "trainer", "keywords")
SUFFIX = ".questions.jsonl"


class QuestionItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    style: Literal["frontline", "blunt", "trainer", "keywords"]
    text: str = Field(min_length=1, max_length=500)


class Provenance(BaseModel):
    model_config = ConfigDict(extra="allow")

    writer: str = Field(min_length=1, max_length=500)
    date: str = Field(min_length=4, max_length=40)


class QuestionEntry(BaseModel):
    """One anchor and the questions it answers."""

    model_config = ConfigDict(extra="forbid")

    anchor: str = Field(min_length=1, max_length=2000)
    questions: list[QuestionItem] = Field(min_length=1, max_length=50)
    provenance: Provenance


@dataclass(frozen=True)
class PassageQuestion:
    """One question attached to one passage (by its index in the build), with where its anchor lies
    in the passage's text: the sentence a matched question points at."""

    passage_idx: int
    style: str
    text: str
    anchor_start: int = 0
    anchor_end: int = 0


def anchor_span(anchor_key: str, text: str) -> tuple[int, int] | None:
    """[start, end) of the anchor (given by its match key) in ``text``, or None when ``text`` does not
    hold it."""
    key, offsets = match_key_with_map(text)
    at = key.find(anchor_key) if anchor_key else -1
    if at < 0:
        return None
    return offsets[at], offsets[at + len(anchor_key) - 1] + 1


@dataclass
class Attachment:
    """The questions attached to one report's passages, and what could not be attached."""

    questions: list[PassageQuestion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    entries: int = 0


def read_entries(path: Path, max_bytes: int | None = None) -> tuple[list[tuple[int, QuestionEntry]], list[str]]:
    """The valid entries of a questions file with their line numbers, and a warning per bad line (one
    that is not JSON, nests too deeply, or is not an entry). A file over ``max_bytes`` is not read."""
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            return [], [f"{path.name}: {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit per file "
                        "(REPORTQA_MAX_FILE_MB); its questions are not used"]
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [f"{path.name}: cannot be read ({exc}); its questions are not used"]
    entries: list[tuple[int, QuestionEntry]] = []
    warnings: list[str] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entries.append((n, QuestionEntry.model_validate(json.loads(line))))
        except json.JSONDecodeError as exc:
            warnings.append(f"{path.name}:{n}: not JSON ({exc.msg}); line skipped")
        except ValidationError as exc:
            problem = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3])
            warnings.append(f"{path.name}:{n}: {problem}; line skipped")
        except RecursionError:
            warnings.append(f"{path.name}:{n}: nested too deeply to read; line skipped")
        except ValueError as exc:  # e.g. a number with more digits than Python converts
            warnings.append(f"{path.name}:{n}: cannot be read ({str(exc)[:120]}); line skipped")
    return entries, warnings


def attach(path: Path, passages: list[tuple[int, Passage]], max_bytes: int | None = None) -> Attachment:
    """Attach the entries of ``path`` to the ``(index, passage)`` pairs of its report: each entry
    goes to every passage whose text holds its anchor (letters and digits compared, case-folded),
    with the anchor's offsets in that passage's text. A file over ``max_bytes`` is not read (a warning
    says so)."""
    entries, warnings = read_entries(path, max_bytes)
    texts = [(idx, p.text) for idx, p in passages]
    keys = [(idx, match_key(text)) for idx, text in texts]
    out = Attachment(warnings=warnings, entries=len(entries))
    for line, entry in entries:
        anchor = match_key(entry.anchor)
        holders = [idx for idx, key in keys if anchor and anchor in key]
        if not holders:
            out.warnings.append(f"{path.name}:{line}: anchor not found in the report "
                                f"({entry.anchor[:60]!r}); its questions are not used")
            continue
        by_idx = dict(texts)
        for idx in holders:
            start, end = anchor_span(anchor, by_idx[idx]) or (0, len(by_idx[idx]))
            out.questions += [PassageQuestion(idx, q.style, q.text.strip(), start, end) for q in entry.questions]
    return out
