"""Hand-built answers over the fixture index, for the pages that show them (issue 20: the lead under
``closest``, a sentence cited at two places) before the retriever produces them: a retriever that answers a
few scripted questions with these records, and every other call as the fixture retriever does.

Every quoted sentence is verbatim in its cited passage, at the offsets it gives."""

from __future__ import annotations

from dataclasses import dataclass, replace

from retriever.answer_lines import table_line
from retriever.results import Answer, AnswerSentence, Citation, Hit

CLOSEST = "how would officers find out an order was breached"
TABLE_CLOSEST = "how many respondents were in london"
TWICE_CITED = "is there a penalty for breaching a cawn"
QUOTED = "do officers check the pnc"  # answered with a survey quote ending "(FL)"
NO_LEAD = "what did the survey say about orders"  # closest, with no sentence that comes close enough
LEAD_TEXT = "Many would learn of a breach from the victim."
TWICE_TEXT = "There is no penalty attached to the breach of"  # the start of the CAWN sentence; found below


def _sentence(passage, fragment: str, n: int, also: tuple[int, ...] = ()) -> AnswerSentence:
    """The whole sentence of ``passage`` that starts with ``fragment``, cited as ``n``."""
    start = passage.text.index(fragment)
    end = passage.text.index(".", start) + 1
    return AnswerSentence(passage.text[start:end], n, passage_id=passage.passage_id, start=start, end=end,
                          also_cited=also)


def _row(passage, n: int) -> AnswerSentence:
    line = table_line(passage, 0, len(passage.text))
    return AnswerSentence(passage.text, n, "table_row", line.caption, line.header, line.cells,
                          passage_id=passage.passage_id, start=0, end=len(passage.text))


@dataclass
class ScriptedRetriever:
    """``inner`` (a Retriever) with ``ask`` answering the scripted questions with hand-built records."""

    inner: object

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def _passage(self, predicate):
        return next(p for p in self.inner.passages if predicate(p))

    def scripted(self, query: str) -> Answer | None:
        survey = self._passage(lambda p: LEAD_TEXT in p.text)
        london = self._passage(lambda p: p.kind == "table_row" and "London" in p.text)
        cawn = self._passage(lambda p: TWICE_TEXT in p.text)
        summary = self._passage(lambda p: p.doc_id == cawn.doc_id and p.section[0] == "Executive summary")
        if query == CLOSEST:
            return self._answer(query, "closest", [survey, cawn], lead=_sentence(survey, LEAD_TEXT, 1))
        if query == TABLE_CLOSEST:
            return self._answer(query, "closest", [london], lead=_row(london, 1))
        if query == QUOTED:
            start = survey.text.index('"I check the PNC')
            end = survey.text.index("(FL)", start) + 4
            quote = AnswerSentence(survey.text[start:end], 1, passage_id=survey.passage_id, start=start, end=end)
            return self._answer(query, "answer", [survey], sentences=[quote])
        if query == NO_LEAD:
            return self._answer(query, "closest", [survey])
        if query == TWICE_CITED:
            return self._answer(query, "answer", [cawn, summary], sentences=[_sentence(cawn, TWICE_TEXT, 1, (2,))])
        return None

    def _answer(self, query: str, outcome: str, cited, sentences=(), lead=None) -> Answer:
        citations = [Citation(n, p, self.inner.documents[p.doc_id].meta.title) for n, p in enumerate(cited, 1)]
        hits = [Hit(p, c.doc_title, 1.0 - k / 10, k + 1) for k, (p, c) in enumerate(zip(cited, citations))]
        reasons = ["The closest passages never mention “found out”."] if outcome == "closest" else []
        return Answer(query, outcome, list(sentences), citations, hits, reasons=reasons, lead=lead)

    def ask(self, query: str, filters=None, k: int = 5) -> Answer:
        answer = self.scripted(query)
        return replace(answer) if answer is not None else self.inner.ask(query, filters=filters, k=k)
