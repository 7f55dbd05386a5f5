"""The public names of labelhub.assist: a change to this list is a change to the package's surface."""

from __future__ import annotations

import labelhub.assist


def test_public_names() -> None:
    assert labelhub.assist.__all__ == [
        "STRATEGIES",
        "AssistModel",
        "BandSuggestion",
        "Bands",
        "Features",
        "Head",
        "HeldOutReport",
        "Pool",
        "Progress",
        "ReliabilityBin",
        "Route",
        "SparseRows",
        "StrategySpec",
        "SwagCollector",
        "SwagPosterior",
        "TextClassifier",
        "TextFeaturizer",
        "TrainConfig",
        "TrainMode",
        "TrainingHistory",
        "bald_scores",
        "calibrate",
        "deterministic",
        "ece",
        "entropy_scores",
        "fit_temperature",
        "get_strategy",
        "k_center_greedy",
        "least_confidence_scores",
        "margin_scores",
        "nll",
        "reliability_bins",
        "route",
        "select",
        "strategy_names",
        "suggest_bands",
        "train_head",
        "train_text_classifier",
        "wilson_lower",
    ]
    assert all(hasattr(labelhub.assist, name) for name in labelhub.assist.__all__)
