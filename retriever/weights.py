"""Fitted weights: the reranker and the answer decision's model, as fitted by ``eval/fit.py`` and kept
in ``retriever/weights.json``, bound to the configuration they were fitted under.

The file records a *fingerprint* of that configuration, derived (as bm25s saves its parameters) from
the ``model_dump()`` of every query-time config the weights depend on (analysis, candidates, ranking,
answering, decision), plus the model and its dimension, the index format and chunker, the active fusion
strategy's own parameters (another registered strategy's parameters are left out, so registering one
does not change the key), and the names of the features and signals. Fields marked ``NOT_FITTED`` in
the settings are left out. Weights fitted under another configuration do not describe this one:
``load_weights`` raises ``WeightsMismatchError`` (the server refuses to start, ``reportqa eval``
warns), the way the index refuses a build spec mismatch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from indexer.spec import build_spec
from indexer.store import FORMAT_VERSION
from reportqa.settings import NOT_FITTED, Settings
from retriever.decision import DEFAULT_ABSTAIN, AbstainModel
from retriever.fusion import STRATEGIES
from retriever.schema import FEATURE_NAMES, MODEL_SIGNALS, SENTENCE_FEATURE_NAMES, LinearModel, SchemaError
from retriever.sentence_model import DEFAULT_SENTENCE_MODEL

# Used until weights are fitted: the first-stage order, nudged by sentence evidence and coverage.
DEFAULT_RERANK = LinearModel(("fused", "best_sentence", "coverage"), (1.0, 0.5, 0.5))


class WeightsError(ValueError):
    """The weights file cannot be read, or names features or signals that are not declared."""


class WeightsMismatchError(WeightsError):
    """The weights were fitted under another configuration than the one in use."""


@dataclass(frozen=True)
class FittedWeights:
    """The sentence answer model, the reranker and the answer decision's model, as loaded from
    weights.json (or the defaults)."""

    rerank: LinearModel
    abstain: AbstainModel
    rerank_enabled: bool = True
    sentence: LinearModel = DEFAULT_SENTENCE_MODEL
    source: str = "defaults"
    fingerprint: dict = field(default_factory=dict)


DEFAULT_WEIGHTS = FittedWeights(DEFAULT_RERANK, DEFAULT_ABSTAIN)


def fitted_values(config: BaseModel, exclude: set[str] = frozenset()) -> dict:
    """``config.model_dump()`` without its ``NOT_FITTED`` fields and ``exclude``."""
    skip = {name for name, info in type(config).model_fields.items() if info.json_schema_extra == NOT_FITTED}
    return config.model_dump(mode="json", exclude=skip | set(exclude))


def fingerprint(settings: Settings) -> dict:
    """What fitted weights depend on, derived from ``settings``: compared on load."""
    spec = build_spec(settings)
    candidates = settings.candidates
    strategy = STRATEGIES[candidates.fusion]
    every_strategy_parameter = {name for s in STRATEGIES.values() for name in s.parameters}
    return {
        "model": {"name": spec.model_name, "dim": spec.dim},
        "index_format": FORMAT_VERSION,
        "chunker": spec.chunker,
        "analysis": fitted_values(settings.analysis),
        "candidates": fitted_values(candidates, exclude={"fusion"} | every_strategy_parameter),
        "fusion": {"strategy": strategy.name, **{name: getattr(candidates, name) for name in strategy.parameters}},
        "ranking": fitted_values(settings.ranking),
        "answering": fitted_values(settings.answering),
        "decision": fitted_values(settings.decision),
        "features": list(FEATURE_NAMES),
        "sentence_features": list(SENTENCE_FEATURE_NAMES),
        "signals": list(MODEL_SIGNALS),
    }


def fingerprint_differences(recorded: dict, current: dict, prefix: str = "") -> list[str]:
    """Human-readable differences between two fingerprints ('fusion.rrf_k: 60 → 30')."""
    out = []
    for key in sorted(recorded.keys() | current.keys()):
        a, b = recorded.get(key), current.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += fingerprint_differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: {a!r} (fitted) vs {b!r} (now)")
    return out


def load_weights(path: Path, expected: dict | None = None) -> FittedWeights:
    """Fitted weights from ``path``, or the defaults when the file does not exist.

    Raises WeightsError when the file is not valid or names an undeclared (or leaves out a
    declared) feature or signal, and WeightsMismatchError when ``expected`` (a fingerprint of the
    configuration in use) differs from the one recorded in the file.
    """
    if not path.exists():
        return DEFAULT_WEIGHTS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rerank = LinearModel.over("feature", FEATURE_NAMES, data["rerank"]["weights"], data["rerank"]["bias"])
        abstain_data = data["abstain"]
        abstain = AbstainModel(
            LinearModel.over("signal", MODEL_SIGNALS, abstain_data["weights"], abstain_data["bias"]),
            float(abstain_data["threshold"]))
        enabled = bool(data["rerank"]["enabled"])
        sentence = LinearModel.over("sentence feature", SENTENCE_FEATURE_NAMES, data["sentence"]["weights"],
                                    data["sentence"]["bias"])
        recorded = data["fitted_under"]
    except SchemaError as exc:
        raise WeightsError(f"{path}: {exc}; re-run `python -m eval.fit`") from exc
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
        raise WeightsError(f"{path} is not a valid weights file ({type(exc).__name__}: {exc}); "
                           "re-run `python -m eval.fit`") from exc
    if expected is not None:
        differences = fingerprint_differences(recorded, expected)
        if differences:
            raise WeightsMismatchError(
                f"{path} was fitted under another configuration ({'; '.join(differences)}); "
                "re-run `python -m eval.fit`, or restore the settings it was fitted under")
    return FittedWeights(rerank, abstain, enabled, sentence, str(path), recorded)


def weights_document(weights: FittedWeights, fitted_under: dict, reports: dict, fitted_on: str,
                     date: str) -> dict:
    """The JSON document ``load_weights`` reads."""
    return {
        "fitted_on": fitted_on, "date": date, "fitted_under": fitted_under,
        "sentence": {"weights": weights.sentence.as_dict(), "bias": weights.sentence.bias,
                     "report": reports.get("sentence", {})},
        "rerank": {"enabled": weights.rerank_enabled, "weights": weights.rerank.as_dict(),
                   "bias": weights.rerank.bias, "report": reports.get("rerank", {})},
        "abstain": {"weights": weights.abstain.model.as_dict(), "bias": weights.abstain.model.bias,
                    "threshold": weights.abstain.threshold, "report": reports.get("abstain", {})},
    }
