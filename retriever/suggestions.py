"""Questions to suggest, taken from the passage questions stored in the index
(``indexer.passage_questions``): "questions the reports also answer" under a result list (from
the top hits), and a few on the home page (one from each of several sections spread across the
reports, chosen deterministically). Only questions written as questions are suggested (frontline,
trainer and blunt styles, not keyword strings), and never one identical to the query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from indexer.store import QuestionTable
from reportqa.records import Passage
from reportqa.text import match_key
from retriever.results import Hit

SUGGESTED_STYLES = ("frontline", "trainer", "blunt")  # in order of preference


@dataclass(frozen=True)
class SuggestedQuestion:
    """A stored passage question, with the passage it was written for."""

    text: str
    style: str
    passage_id: str


class QuestionBook:
    """The passage questions of one index, by passage."""

    def __init__(self, passages: Sequence[Passage], table: QuestionTable) -> None:
        self.passages = passages
        self.by_passage: dict[str, list[SuggestedQuestion]] = {}
        for idx, style, text in zip(table.passage_idx, table.style, table.text):
            if style not in SUGGESTED_STYLES or not 0 <= int(idx) < len(passages):
                continue
            pid = passages[int(idx)].passage_id
            self.by_passage.setdefault(pid, []).append(SuggestedQuestion(text.strip(), style, pid))
        for questions in self.by_passage.values():
            questions.sort(key=lambda q: SUGGESTED_STYLES.index(q.style))  # stable: file order within a style

    def of(self, passage_id: str) -> list[SuggestedQuestion]:
        """The suggestable questions of one passage, preferred style first."""
        return list(self.by_passage.get(passage_id, []))

    def related(self, hits: Sequence[Hit], query: str, n: int = 3) -> list[SuggestedQuestion]:
        """Up to ``n`` questions of the top hits, the best hit's first, one per hit per round,
        none identical to ``query`` (nor to each other)."""
        seen = {match_key(query)}
        queues = [self.of(h.passage.passage_id) for h in hits]
        out: list[SuggestedQuestion] = []
        while len(out) < n and any(queues):
            for queue in queues:
                while queue:
                    q = queue.pop(0)
                    if match_key(q.text) not in seen:
                        seen.add(match_key(q.text))
                        out.append(q)
                        break
                if len(out) == n:
                    break
        return out

    def samples(self, n: int = 4) -> list[SuggestedQuestion]:
        """``n`` questions from ``n`` different top-level sections, spread evenly over the reports
        in reading order; in each, the first frontline question of its first passage that has one."""
        firsts: dict[tuple[str, str], SuggestedQuestion] = {}
        for p in self.passages:
            key = (p.doc_id, p.section[0] if p.section else "")
            if key in firsts:
                continue
            frontline = [q for q in self.by_passage.get(p.passage_id, []) if q.style == "frontline"]
            if frontline:
                firsts[key] = frontline[0]
        sections = list(firsts.values())
        if len(sections) <= n:
            return sections
        return [sections[(k * len(sections)) // n] for k in range(n)]
