"""Fusion strategies: fixed lists for each, and one battery that every registered strategy must pass."""

from __future__ import annotations

import pytest

from reportqa.settings import FUSIONS, CandidateConfig
from retriever.fusion import STRATEGIES, convex, fuse, minmax, rrf


def test_rrf_on_fixed_lists() -> None:
    fused = rrf([[(1, 0.9), (2, 0.8)], [(2, 5.0), (3, 4.0)]], k=60)
    assert [i for i, _ in fused] == [2, 1, 3]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1][1] == pytest.approx(1 / 61)
    assert all(a[1] > b[1] for a, b in zip(fused, fused[1:]))


def test_rrf_ties_become_strictly_decreasing() -> None:
    fused = rrf([[(5, 1.0)], [(4, 1.0)]], k=60)
    assert [i for i, _ in fused] == [4, 5] and fused[0][1] > fused[1][1]


def test_convex_blend_on_fixed_lists() -> None:
    fused = convex(dense=[(1, 0.9), (2, 0.5)], lexical=[(2, 10.0), (3, 2.0)], alpha=0.5)
    scores = dict(fused)
    assert scores[1] == pytest.approx(0.5)  # dense max, not in lexical
    assert scores[2] == pytest.approx(0.5)  # dense min, lexical max
    assert scores[3] == pytest.approx(0.0)  # lexical min, not in dense: nothing from either list
    with pytest.raises(ValueError, match=r"^unknown fusion strategy 'nonsense'; choose from rrf, convex$"):
        fuse("nonsense", [], [], CandidateConfig())


def test_the_defaults_are_k_60_and_an_even_blend() -> None:
    lists = [[(1, 0.9), (2, 0.8)], [(2, 5.0), (3, 4.0)]]
    assert rrf(lists) == rrf(lists, k=60)
    assert convex(lists[0], lists[1]) == convex(lists[0], lists[1], alpha=0.5)


def test_minmax_of_equal_scores_is_all_ones() -> None:
    assert minmax([(4, 0.3), (7, 0.3)]) == {4: 1.0, 7: 1.0}
    assert minmax([(4, 2.0), (7, 1.0), (9, 1.5)]) == {4: 1.0, 7: 0.0, 9: 0.5}
    assert minmax([]) == {}


DENSE = [(3, 0.91), (1, 0.90), (7, 0.42), (2, 0.41)]
LEXICAL = [(1, 12.0), (5, 7.5), (3, 7.5), (9, 1.0)]


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_fuses_both_lists_into_one_strictly_decreasing_ranking(name: str) -> None:
    fused = fuse(name, DENSE, LEXICAL, CandidateConfig())
    assert {i for i, _ in fused} == {i for i, _ in DENSE} | {i for i, _ in LEXICAL}, "every candidate, once"
    assert all(a[1] > b[1] for a, b in zip(fused, fused[1:])), "strictly decreasing scores"
    assert fused == fuse(name, DENSE, LEXICAL, CandidateConfig()), "deterministic"
    assert fused[0][0] in {1, 3}, "a passage near the top of both lists wins"
    assert fuse(name, DENSE, [], CandidateConfig())[0][0] == DENSE[0][0], "one list alone keeps its order"
    assert fuse(name, [], [], CandidateConfig()) == []


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_strategy_reads_the_parameters_it_declares(name: str) -> None:
    strategy = STRATEGIES[name]
    assert strategy.name == name and name in FUSIONS
    assert all(p in CandidateConfig.model_fields for p in strategy.parameters)
    for parameter in strategy.parameters:
        field = CandidateConfig.model_fields[parameter]
        other = CandidateConfig(**{parameter: field.default * 2 if field.default < 1 else field.default * 3})
        changed = fuse(name, DENSE, LEXICAL, other)
        assert [s for _, s in changed] != [s for _, s in fuse(name, DENSE, LEXICAL, CandidateConfig())], \
            f"{name} ignores {parameter}"
