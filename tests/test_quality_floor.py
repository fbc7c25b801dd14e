"""A quality floor that guards each stage: the shipped pipelines, with the real model, over the dev
questions, must stay within a small margin of the figures recorded in eval/floor.json, and each stage
must keep most of the lead it was recorded with over the pipeline without it. Switching off the
reranker, the passage-question match or fusion each removes a lead, so each fails here (eval/NOTES.md
lists the mutations this catches). A behaviour test, not a timed one."""

from __future__ import annotations

import json
from functools import cache

import pytest

from eval.evaluate import qrels_for
from eval.questions import load_questions
from eval.runner import run_config
from reportqa.run_files import ConfigRun
from reportqa.settings import PROJECT_ROOT

FLOOR = json.loads((PROJECT_ROOT / "eval" / "floor.json").read_text(encoding="utf-8"))


@cache
def _result(retriever, config: str) -> ConfigRun:
    questions = load_questions(PROJECT_ROOT / "eval" / "questions.jsonl", FLOOR["split"])
    return run_config(retriever, config, questions, qrels_for(retriever, questions, None))


@pytest.mark.model
@pytest.mark.parametrize("config", sorted(FLOOR["configs"]))
def test_dev_quality_stays_above_the_recorded_floor(real_retriever, config: str) -> None:
    result = _result(real_retriever, config)
    for measure, recorded in FLOOR["configs"][config].items():
        assert result.overall[measure] >= recorded - FLOOR["margin"], \
            f"{config} {measure} {result.overall[measure]:.4f} fell below {recorded} - {FLOOR['margin']}"


@pytest.mark.model
@pytest.mark.parametrize("stage", sorted(FLOOR["stages"]))
def test_each_stage_keeps_most_of_its_recorded_lead(real_retriever, stage: str) -> None:
    """``with`` is a pipeline that runs the stage, ``without`` the same pipeline without it."""
    spec = FLOOR["stages"][stage]
    measure = spec["measure"]
    with_stage, without = (_result(real_retriever, spec[side]).overall[measure] for side in ("with", "without"))
    lead = with_stage - without
    assert lead >= FLOOR["lead_share"] * spec["lead"], \
        f"{stage}: {spec['with']} leads {spec['without']} by {lead:.4f} on {measure}, " \
        f"recorded {spec['lead']} (at least {FLOOR['lead_share']} of it must remain)"
