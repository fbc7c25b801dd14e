"""The weight fitting's own logic on fixed inputs: folds grouped by writer, the decision's threshold
chosen for a stated precision, and the labels a shown sentence gets."""

from __future__ import annotations

import numpy as np
import pytest

from eval.fit import DecisionExample, TrainingQuery, _fold_of, choose_threshold, decision_curve, writer


def example(answerable: bool, correct: bool, ruled: str | None = None) -> DecisionExample:
    query = TrainingQuery("q", "a question", "dev", 0, "frontline" if answerable else "unanswerable", answerable)
    return DecisionExample(query, [], correct, False, ruled)


def fixed_table() -> tuple[np.ndarray, list[DecisionExample]]:
    """Ten dev questions with the decision's probability: 0.9 and 0.8 right, 0.7 wrong (an unanswerable
    one), 0.6 and 0.5 right, 0.4 wrong, then a rule decides one whatever its probability."""
    rows = [(0.9, True, True), (0.8, True, True), (0.7, False, False), (0.6, True, True), (0.5, True, True),
            (0.4, True, False), (0.3, True, False), (0.2, False, False), (0.1, True, False)]
    examples = [example(a, c) for _, a, c in rows] + [example(True, True, ruled="closest")]
    return np.array([p for p, _, _ in rows] + [0.95]), examples


def test_the_threshold_is_the_lowest_that_keeps_the_stated_precision() -> None:
    p, examples = fixed_table()
    curve = decision_curve(p, examples)
    assert [point["threshold"] for point in curve] == [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]
    assert curve[0]["precision"] == 1.0 and curve[2]["precision"] == pytest.approx(2 / 3, abs=1e-3)
    assert curve[4]["precision"] == pytest.approx(4 / 5, abs=1e-3)
    assert curve[4]["answered"] == pytest.approx(4 / 8, abs=1e-3)
    assert curve[2]["unanswerable_answered"] == pytest.approx(1 / 2, abs=1e-3)
    # a rule (here: an unmet name) decides before the model: that question is never counted as answered
    assert all(point["answered"] <= 7 / 8 for point in curve)
    assert choose_threshold(curve, 1.0) == 0.8, "the 0.7 answer is wrong: nothing below 0.8 is all right"
    assert choose_threshold(curve, 0.8) == 0.5, "answering down to 0.5 is 4 right of 5; 0.4 takes it below"
    assert choose_threshold(curve, 0.75) == 0.5
    assert choose_threshold([], 0.9) == 1.0, "no point reaches the target: never answer"


def test_folds_keep_each_writer_together_and_are_balanced() -> None:
    ids = [f"sr-{i:03d}" for i in range(40)] + [f"sealed-a-{i:03d}" for i in range(30)] + \
          [f"dq-su-{i}" for i in range(20)] + [f"su-{i:03d}" for i in range(35)] + [f"sx-{i}" for i in range(25)]
    fold = _fold_of((writer(i) for i in ids), 3, seed=1)
    assert writer("sealed-a-012") == "sealed-a" and writer("dq-su-7") == "dq-su"
    assert set(fold) == {"sr", "sealed-a", "dq-su", "su", "sx"} and set(fold.values()) == {0, 1, 2}
    sizes = [sum(1 for i in ids if fold[writer(i)] == k) for k in range(3)]
    assert max(sizes) - min(sizes) <= 40
