"""Assist models: train a classifier from a project's labels, know how sure it is, and pick what to label next.

No database and no HTTP here (the training job, the model registry and the API use it): features and
labels are arrays, a trained model is an :class:`AssistModel`, and everything random follows one seed.
See ``docs/assist.md`` for the method and the measured figures.
"""

from typing import TYPE_CHECKING

from labelhub._lazy import lazy_exports

if TYPE_CHECKING:
    from labelhub.assist.bands import Bands, BandSuggestion, Route, route, suggest_bands, wilson_lower
    from labelhub.assist.calibration import ReliabilityBin, calibrate, ece, fit_temperature, nll, reliability_bins
    from labelhub.assist.config import TrainConfig, TrainMode
    from labelhub.assist.features import Features, SparseRows
    from labelhub.assist.heads import Head
    from labelhub.assist.model import AssistModel, TrainingHistory
    from labelhub.assist.strategies import (
        STRATEGIES,
        Pool,
        StrategySpec,
        bald_scores,
        entropy_scores,
        get_strategy,
        k_center_greedy,
        least_confidence_scores,
        margin_scores,
        select,
        strategy_names,
    )
    from labelhub.assist.swag import SwagCollector, SwagPosterior
    from labelhub.assist.text import HeldOutReport, TextClassifier, TextFeaturizer, train_text_classifier
    from labelhub.assist.train import Progress, deterministic, train_head

__all__ = [
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

# Each name is imported from its module when first used (see labelhub._lazy).
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Bands": "bands",
        "BandSuggestion": "bands",
        "Route": "bands",
        "route": "bands",
        "suggest_bands": "bands",
        "wilson_lower": "bands",
        "ReliabilityBin": "calibration",
        "calibrate": "calibration",
        "ece": "calibration",
        "fit_temperature": "calibration",
        "nll": "calibration",
        "reliability_bins": "calibration",
        "TrainConfig": "config",
        "TrainMode": "config",
        "Features": "features",
        "SparseRows": "features",
        "Head": "heads",
        "AssistModel": "model",
        "TrainingHistory": "model",
        "STRATEGIES": "strategies",
        "Pool": "strategies",
        "StrategySpec": "strategies",
        "bald_scores": "strategies",
        "entropy_scores": "strategies",
        "get_strategy": "strategies",
        "k_center_greedy": "strategies",
        "least_confidence_scores": "strategies",
        "margin_scores": "strategies",
        "select": "strategies",
        "strategy_names": "strategies",
        "SwagCollector": "swag",
        "SwagPosterior": "swag",
        "HeldOutReport": "text",
        "TextClassifier": "text",
        "TextFeaturizer": "text",
        "train_text_classifier": "text",
        "Progress": "train",
        "deterministic": "train",
        "train_head": "train",
    },
)
