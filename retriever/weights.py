"""Fitted weights: the reranker and the answer decision's model, as fitted by ``eval/fit.py`` and kept
in ``retriever/weights.json``, bound to the configuration they were fitted under.

The file records a *fingerprint* of that configuration: the model and its dimension, the index
format and chunker, the fusion strategy and its constants, the expansion weights, and the names of
the features and signals. Weights fitted under another configuration do not describe this one:
``load_weights`` raises ``WeightsMismatchError`` (the server refuses to start, ``reportqa eval``
warns), the way the index refuses a build spec mismatch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from indexer.spec import build_spec
from indexer.store import FORMAT_VERSION
from reportqa.settings import Settings
from retriever.decision import DEFAULT_ABSTAIN, MODEL_SIGNALS, AbstainModel
from retriever.schema import FEATURE_NAMES, LinearModel, SchemaError

# Used until weights are fitted: the first-stage order, nudged by sentence evidence and coverage.
DEFAULT_RERANK = LinearModel(("fused", "best_sentence", "coverage"), (1.0, 0.5, 0.5))


class WeightsError(ValueError):
    """The weights file cannot be read, or names features or signals that are not declared."""


class WeightsMismatchError(WeightsError):
    """The weights were fitted under another configuration than the one in use."""


@dataclass(frozen=True)
class FittedWeights:
    """The reranker and abstention models, as loaded from weights.json (or the defaults)."""

    rerank: LinearModel
    abstain: AbstainModel
    rerank_enabled: bool = True
    source: str = "defaults"
    fingerprint: dict = field(default_factory=dict)


DEFAULT_WEIGHTS = FittedWeights(DEFAULT_RERANK, DEFAULT_ABSTAIN)


def fingerprint(settings: Settings) -> dict:
    """What fitted weights depend on, from ``settings``: compared on load."""
    spec = build_spec(settings)
    c = settings.candidates
    return {
        "model": {"name": spec.model_name, "dim": spec.dim},
        "index_format": FORMAT_VERSION,
        "chunker": spec.chunker,
        "fusion": {"strategy": c.fusion, "rrf_k": c.rrf_k, "convex_alpha": c.convex_alpha,
                   "lexical_candidates": c.lexical_candidates, "dense_candidates": c.dense_candidates,
                   "dense_sentences": c.dense_sentences, "dense_rescore_depth": c.dense_rescore_depth,
                   "lexical_min_idf": c.lexical_min_idf, "rerank_depth": c.rerank_depth},
        "expansion": {"acronym_weight": c.acronym_weight, "colloquial_weight": c.colloquial_weight},
        "questions": {"passage_questions": c.passage_questions, "question_lexical_weight": c.question_lexical_weight,
                      "question_depth": c.question_depth},
        "features": list(FEATURE_NAMES),
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
            float(abstain_data["threshold"]), float(abstain_data["max_oov"]), bool(abstain_data["veto_unmet"]))
        enabled = bool(data["rerank"]["enabled"])
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
    return FittedWeights(rerank, abstain, enabled, str(path), recorded)


def weights_document(weights: FittedWeights, fitted_under: dict, reports: dict, fitted_on: str,
                     date: str) -> dict:
    """The JSON document ``load_weights`` reads."""
    return {
        "fitted_on": fitted_on, "date": date, "fitted_under": fitted_under,
        "rerank": {"enabled": weights.rerank_enabled, "weights": weights.rerank.as_dict(),
                   "bias": weights.rerank.bias, "report": reports.get("rerank", {})},
        "abstain": {"weights": weights.abstain.model.as_dict(), "bias": weights.abstain.model.bias,
                    "threshold": weights.abstain.threshold, "max_oov": weights.abstain.max_oov,
                    "veto_unmet": weights.abstain.veto_unmet, "report": reports.get("abstain", {})},
    }
