"""The cut-offs of the retrieval measures (eval/metrics.py): MRR@10 counts the first relevant passage
only within the top 10 (issue 22: no test put it below rank 10, so MRR with no cut-off passed), and
Hit@k only within the top k."""

from __future__ import annotations

import pytest

from eval.metrics import per_query


def ranked(relevant_at: int, depth: int = 30) -> dict[str, float]:
    """A run of ``depth`` passages, strictly decreasing scores, the relevant one ('rel') at ``relevant_at``."""
    ids = [f"p{n}" for n in range(1, depth + 1)]
    ids[relevant_at - 1] = "rel"
    return {pid: float(depth - n) for n, pid in enumerate(ids)}


@pytest.mark.parametrize("rank", [11, 12, 20, 30])
def test_mrr_at_10_is_zero_when_the_first_relevant_passage_is_below_rank_10(rank: int) -> None:
    values = per_query({"q": {"rel": 1}}, {"q": ranked(rank)})["q"]
    assert values["MRR@10"] == 0.0  # not 1 / rank: beyond the cut-off the question scores nothing
    assert values["Hit@10"] == 0.0


@pytest.mark.parametrize("rank", [1, 2, 7, 10])
def test_mrr_at_10_is_one_over_the_rank_within_the_top_10(rank: int) -> None:
    values = per_query({"q": {"rel": 1}}, {"q": ranked(rank)})["q"]
    assert values["MRR@10"] == pytest.approx(1 / rank)
    assert values["Hit@5"] == (1.0 if rank <= 5 else 0.0) and values["Hit@10"] == 1.0


def test_mrr_at_10_counts_the_first_relevant_passage_only() -> None:
    qrels = {"q": {"rel": 1, "p3": 1}}
    run = {"q": ranked(15)}  # a second relevant passage at rank 3 comes first
    assert per_query(qrels, run)["q"]["MRR@10"] == pytest.approx(1 / 3)
