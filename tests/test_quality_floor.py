"""A quality floor: the shipped pipeline, with the real model, over the dev questions, must not fall
more than a small margin below the figures recorded in eval/floor.json. A broken reranker (fitted
weights ignored) or a broken fusion (a list reversed) costs more than the margin, so this fails.
It is a behaviour test, not a timed one: it runs in well under a minute."""

from __future__ import annotations

import json

import pytest

from eval.evaluate import qrels_for
from eval.questions import load_questions
from eval.runner import run_config
from reportqa.settings import PROJECT_ROOT

FLOOR = json.loads((PROJECT_ROOT / "eval" / "floor.json").read_text(encoding="utf-8"))


@pytest.mark.model
@pytest.mark.parametrize("config", sorted(FLOOR["configs"]))
def test_dev_quality_stays_above_the_recorded_floor(real_retriever, config: str) -> None:
    questions = load_questions(PROJECT_ROOT / "eval" / "questions.jsonl", FLOOR["split"])
    qrels = qrels_for(real_retriever, questions, None)
    result = run_config(real_retriever, config, questions, qrels)
    for measure, recorded in FLOOR["configs"][config].items():
        assert result.overall[measure] >= recorded - FLOOR["margin"], \
            f"{config} {measure} {result.overall[measure]:.4f} fell below {recorded} - {FLOOR['margin']}"
