"""Fitted weights: names checked against the declared features and signals, and bound to the
configuration they were fitted under."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from reportqa.settings import PROJECT_ROOT, Settings
from retriever.schema import FEATURE_NAMES, MODEL_SIGNALS, LinearModel, SchemaError
from retriever.weights import (
    DEFAULT_WEIGHTS,
    FittedWeights,
    WeightsError,
    WeightsMismatchError,
    fingerprint,
    load_weights,
    weights_document,
)

SHIPPED = PROJECT_ROOT / "retriever" / "weights.json"


def write(path: Path, settings: Settings, rerank: dict | None = None, signals: dict | None = None,
          under: dict | None = None) -> Path:
    weights = FittedWeights(LinearModel(tuple(rerank or dict.fromkeys(FEATURE_NAMES, 0.1)),
                                        tuple((rerank or dict.fromkeys(FEATURE_NAMES, 0.1)).values())),
                            DEFAULT_WEIGHTS.abstain)
    doc = weights_document(weights, under or fingerprint(settings), {}, "test", "2026-11-29")
    doc["abstain"]["weights"] = signals or dict.fromkeys(MODEL_SIGNALS, 1.0)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_the_shipped_weights_fit_the_default_settings() -> None:
    weights = load_weights(SHIPPED, fingerprint(Settings()))
    assert set(weights.rerank.names) == set(FEATURE_NAMES) and set(weights.abstain.model.names) == set(MODEL_SIGNALS)


def test_a_misspelt_feature_is_an_error_not_a_silent_zero(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path)
    rerank = dict.fromkeys(FEATURE_NAMES, 0.1)
    rerank["coverage_typo"] = rerank.pop("coverage")
    with pytest.raises(WeightsError, match="unknown feature.*coverage_typo.*missing feature.*coverage"):
        load_weights(write(tmp_path / "w.json", settings, rerank=rerank))


def test_a_missing_signal_is_an_error(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path)
    signals = dict.fromkeys(MODEL_SIGNALS[1:], 1.0)
    with pytest.raises(WeightsError, match=f"missing signal.*{MODEL_SIGNALS[0]}"):
        load_weights(write(tmp_path / "w.json", settings, signals=signals))


def test_linear_model_over_undeclared_names_is_refused() -> None:
    with pytest.raises(SchemaError):
        LinearModel.over("feature", FEATURE_NAMES, {"dense": 1.0})


def test_weights_fitted_under_other_settings_are_refused(tmp_path: Path) -> None:
    fitted = Settings(index_dir=tmp_path)
    path = write(tmp_path / "w.json", fitted)
    assert load_weights(path, fingerprint(fitted)).source == str(path)
    for change in ({"rrf_k": 30}, {"fusion": "convex"}, {"colloquial_weight": 0.5}, {"chunk_target_tokens": 120}):
        now = fitted.model_copy(update=change)
        with pytest.raises(WeightsMismatchError, match="fitted under another configuration"):
            load_weights(path, fingerprint(now))


def test_serving_refuses_mismatched_weights_and_eval_warns(fake_built: Settings, tmp_path: Path,
                                                           caplog) -> None:
    from indexer.embedding import FakeEmbedder
    from retriever.retriever import Retriever

    other = fake_built.model_copy(update={"rrf_k": 10})
    settings = fake_built.model_copy(update={"weights_path": write(tmp_path / "w.json", other)})
    with pytest.raises(WeightsMismatchError):
        Retriever.open(settings, embedder=FakeEmbedder())
    with caplog.at_level(logging.WARNING):
        retriever = Retriever.open(settings, embedder=FakeEmbedder(), strict_weights=False)
    assert retriever.weights.source == str(settings.weights_path)
    assert "fitted under another configuration" in caplog.text and "rrf_k" in caplog.text


@pytest.mark.parametrize("change", [{"length_scale": 5.0}, {"max_oov": 0.6}, {"veto_unmet": False},
                                    {"sentence_lexical_weight": 0.5}, {"answer_source_hits": 4},
                                    {"spelling": False}, {"convex_alpha": 0.7, "fusion": "convex"}])
def test_the_fingerprint_covers_every_config_the_weights_depend_on(change: dict) -> None:
    """Derived from the configs' model_dump(), not a hand-kept list: ranking, answering, decision and
    analysis values are all in it, and so is the active fusion strategy's own parameter."""
    assert fingerprint(Settings(**change)) != fingerprint(Settings())


def test_another_strategys_parameters_and_runtime_values_leave_the_fingerprint_alone(monkeypatch) -> None:
    from retriever import fusion

    base = fingerprint(Settings())
    assert fingerprint(Settings(convex_alpha=0.9)) == base, "convex_alpha while rrf is the strategy"
    assert fingerprint(Settings(guess_cache_size=5)) == base, "a cache size is not fitted"
    registered = dict(fusion.STRATEGIES)
    registered["max"] = fusion.FusionStrategy("max", lambda d, lx, c: d, ("convex_alpha",))
    monkeypatch.setattr(fusion, "STRATEGIES", registered)
    monkeypatch.setattr("retriever.weights.STRATEGIES", registered)
    assert fingerprint(Settings()) == base, "registering a strategy that is not selected changes nothing"


def test_stage_configs_are_frozen() -> None:
    from pydantic import ValidationError

    settings = Settings()
    for config in (settings.analysis, settings.candidates, settings.ranking, settings.answering, settings.decision):
        name = next(iter(type(config).model_fields))
        with pytest.raises(ValidationError, match="frozen"):
            setattr(config, name, getattr(config, name))
