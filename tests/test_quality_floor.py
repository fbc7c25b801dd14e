"""A quality floor that guards each stage: the shipped pipelines, with the real model, over the dev
questions, must stay within a small margin of the figures recorded in eval/floor.json, and each stage
must keep most of the lead it was recorded with over the pipeline without it. Switching off the
reranker, the passage-question match or fusion each removes a lead, so each fails here (eval/NOTES.md
lists the mutations this catches). The answers are guarded too: what the user reads first, the
precision of answers, the share answered, and unanswerable questions answered (a decision that ignores
a constraint answers more of them). A behaviour test, not a timed one. ``python -m eval.floor``
re-records the figures."""

from __future__ import annotations

from functools import cache

import pytest

from eval.floor import ANSWER_HIGHER, ANSWER_LOWER, FloorRun, load_floor

FLOOR = load_floor()


@cache
def _run(retriever) -> FloorRun:
    return FloorRun.over(retriever, FLOOR["split"])


@pytest.mark.model
@pytest.mark.parametrize("config", sorted(FLOOR["configs"]))
def test_dev_quality_stays_above_the_recorded_floor(real_retriever, config: str) -> None:
    result = _run(real_retriever).config(config)
    for measure, recorded in FLOOR["configs"][config].items():
        assert result.overall[measure] >= recorded - FLOOR["margin"], \
            f"{config} {measure} {result.overall[measure]:.4f} fell below {recorded} - {FLOOR['margin']}"


@pytest.mark.model
@pytest.mark.parametrize("stage", sorted(FLOOR["stages"]))
def test_each_stage_keeps_most_of_its_recorded_lead(real_retriever, stage: str) -> None:
    """``with`` is a pipeline that runs the stage, ``without`` the same pipeline without it."""
    spec = FLOOR["stages"][stage]
    measure = spec["measure"]
    run = _run(real_retriever)
    with_stage, without = (run.config(spec[side]).overall[measure] for side in ("with", "without"))
    lead = with_stage - without
    assert lead >= FLOOR["lead_share"] * spec["lead"], \
        f"{stage}: {spec['with']} leads {spec['without']} by {lead:.4f} on {measure}, " \
        f"recorded {spec['lead']} (at least {FLOOR['lead_share']} of it must remain)"


@pytest.mark.model
def test_answers_stay_within_the_recorded_floor(real_retriever) -> None:
    figures = _run(real_retriever).answers()
    recorded, margin = FLOOR["answers"], FLOOR["answer_margin"]
    for measure in ANSWER_HIGHER:
        assert figures[measure] >= recorded[measure] - margin, \
            f"{measure} {figures[measure]:.4f} fell below {recorded[measure]} - {margin}"
    for measure in ANSWER_LOWER:
        assert figures[measure] <= recorded[measure] + margin, \
            f"{measure} {figures[measure]:.4f} rose above {recorded[measure]} + {margin}"
