"""A tiny corpus and record builders shared by the stage tests (no built index)."""

from __future__ import annotations

from reportqa.records import Passage
from reportqa.settings import AnalysisConfig
from retriever.analysis import CorpusStats, QueryAnalyser
from retriever.colloquial import ColloquialExpander
from retriever.schema import FEATURE_NAMES, Features

TEXTS = [
    "A child abduction warning notice (CAWN) is served by police to break contact with a child.",
    "Licensed premises such as hotels can be closed when children are exploited there.",
    "In Rotherham, police worked with Barnardo's on disruption of child sexual exploitation.",
    "Officers in Rotherham said 40 CAWNs were issued in one year.",
]


ACRONYMS = [("CAWN", "child abduction warning notice", 2)]


def analyser(**config) -> QueryAnalyser:
    return QueryAnalyser(CorpusStats.of(TEXTS), ACRONYMS, ColloquialExpander({"pub": "licensed premises"}),
                         lambda w: w in {"hostels", "can", "we", "shut", "like"},
                         TEXTS, AnalysisConfig(**config))


def passage(pid: str, text: str, start: int = 0) -> Passage:
    return Passage(pid, "d", "text", ("1. Section",), start, start + len(text), text)


def features(**values) -> Features:
    return Features(**(dict.fromkeys(FEATURE_NAMES, 0.0) | values))


