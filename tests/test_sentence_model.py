"""The sentence answer model with the shipped weights (retriever/weights.json) over a small report:
what a user reads first (the first answer sentence, or the lead under ``closest``) and the highlight
of the top passage are the sentence that answers, not its neighbours; a table row answers a figure
question. The fake embedder stands in for the model: the point is the fitted model's use of the
features (where the answer sits, what kind of answer it holds, the words it shares), not the cosines."""

from __future__ import annotations

import pytest
from conftest import fake_settings

from indexer.build import build_index
from indexer.embedding import FakeEmbedder
from reportqa.settings import PROJECT_ROOT
from retriever.retriever import Retriever
from retriever.weights import load_weights

REPORT = """Orders Review of Local Policing

# 1. Notices

Officers described many ways of keeping children safe. Training on orders was patchy across forces.
A child abduction warning notice is issued to an adult who is harbouring a child against a parent's wishes.
Several respondents said their supervisors rarely mentioned notices. The wider picture is set out below.

# 2. Hotels

Staff at the front desk were often unsure what to record. Some hotels kept paper registers only.
Hotel guest information requests let officers ask a hotel for the names and addresses of its guests.
Most respondents had never made one. Forces differed in how they logged them.

# 3. Recording

Force area	Orders recorded
Northern	41 (32%)
Southern	17 (13%)
Total	128

#### Table 3. Orders recorded by force area
"""


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Retriever:
    root = tmp_path_factory.mktemp("sentence-model")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "orders-review.md").write_text(REPORT, encoding="utf-8")
    settings = fake_settings(corpus, root / "index", chunk_target_tokens=120)
    embedder = FakeEmbedder()
    build_index(settings, embedder=embedder, progress=False)
    weights = load_weights(PROJECT_ROOT / "retriever" / "weights.json")
    assert weights.sentence.as_dict()["leading"] != 0, "the shipped weights carry a fitted sentence model"
    return Retriever.open(settings, embedder=embedder, weights=weights)


def _first_read(retriever: Retriever, query: str) -> str:
    answer = retriever.ask(query)
    assert answer.read_first, f"{answer.outcome}: nothing to read first"
    return answer.read_first[0].text


@pytest.mark.parametrize(("query", "fact"), [
    ("what is a child abduction warning notice", "harbouring a child against a parent's wishes"),
    ("What is a Child Abduction Warning Notice?", "harbouring a child against a parent's wishes"),
    ("hotel guest information requests, what do they let officers do", "names and addresses of its guests"),
])
def test_what_is_read_first_is_the_answering_sentence_not_its_neighbours(shipped: Retriever, query: str,
                                                                         fact: str) -> None:
    assert fact in _first_read(shipped, query)


def test_the_top_passage_highlights_the_answering_sentence(shipped: Retriever) -> None:
    top = shipped.search("what is a child abduction warning notice", k=1)[0]
    start, end = top.highlights[0]
    assert "harbouring a child" in top.passage.text[start:end]


def test_a_table_row_answers_a_figure_question(shipped: Retriever) -> None:
    first = _first_read(shipped, "how many orders were recorded in the northern force area")
    assert "41" in first and "Northern" in first

