"""Filter weak passage questions, as Doc2Query-- (Gospodinov et al., 2023) does: a question that a
plain search (the passages alone, without any passage question) does not answer with its own passage,
or a passage overlapping it, among the first ``rank`` results is likely not about that passage, and
is dropped from the questions file.

The rank is generous on purpose: the questions are most useful exactly where a user's words differ
from the report's, which is where a plain search ranks the passage lower.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.corpus import discover
from indexer.passage_questions import read_entries
from reportqa.text import match_key
from retriever.dedup import overlap_share
from retriever.pipeline import Pipeline
from retriever.retriever import Retriever

PLAIN = Pipeline(acronyms=False, colloquial=False, rerank=False, dedup=False, questions=False)


@dataclass(frozen=True)
class WeakQuestion:
    file: Path
    line: int
    text: str
    rank: int | None  # of its own passage in a plain search (None: not in the first 50)


def own_rank(retriever: Retriever, text: str, holders: set[int]) -> int | None:
    """The rank of the first passage holding (or overlapping) the anchor in a plain search."""
    owners = [retriever.passages[i] for i in holders]
    for rank, hit in enumerate(retriever.search(text, k=50, pipeline=PLAIN), start=1):
        if any(hit.passage.passage_id == o.passage_id or overlap_share(hit.passage, o) > 0 for o in owners):
            return rank
    return None


def weak_questions(retriever: Retriever, corpus_dir: Path, max_rank: int = 20) -> Iterator[WeakQuestion]:
    """Every question of the corpus's questions files whose own passage a plain search ranks below
    ``max_rank``."""
    keys = [match_key(p.text) for p in retriever.passages]
    for source in discover(corpus_dir):
        if not source.questions_sha256:
            continue
        entries, _ = read_entries(source.questions_path)
        for line, entry in entries:
            anchor = match_key(entry.anchor)
            holders = {i for i, key in enumerate(keys) if anchor and anchor in key
                       and retriever.passages[i].doc_id == source.doc_id}
            if not holders:
                continue
            for q in entry.questions:
                rank = own_rank(retriever, q.text, holders)
                if rank is None or rank > max_rank:
                    yield WeakQuestion(source.questions_path, line, q.text, rank)


def drop(weak: list[WeakQuestion]) -> int:
    """Remove the weak questions from their files (an entry left without questions is removed).
    Returns how many questions were dropped."""
    dropped = 0
    for path in sorted({w.file for w in weak}):
        gone = {(w.line, w.text) for w in weak if w.file == path}
        lines = path.read_text(encoding="utf-8").splitlines()
        out = []
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            entry = json.loads(line)
            kept = [q for q in entry["questions"] if (n, q["text"]) not in gone]
            dropped += len(entry["questions"]) - len(kept)
            if kept:
                entry["questions"] = kept
                out.append(json.dumps(entry, ensure_ascii=False))
        path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return dropped
