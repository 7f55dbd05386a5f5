"""What a model proposes, and the registry that turns a registered model version into something that proposes.

A :class:`Predictor` takes a batch of items (already read: text, or the image file's path and size) and
returns, per item, its proposals in the hub's coordinates (absolute pixel x1, y1, x2, y2). It also reports,
per item, the class probabilities it used when it is a classifier, so the pre-labelling job can route
proposals through the auto-accept bands and the queue can rank items by uncertainty.

Each model kind (``text_classifier``, ``image_classifier``, ``onnx_detector``, ``label_studio_ml``...)
registers a loader with :func:`register_loader`; :func:`load_predictor` looks it up by the version's kind.
No database here: the caller passes the version's fields as a :class:`ModelRef`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from labelhub.errors import ValidationError


@dataclass(frozen=True, slots=True)
class ItemInput:
    """One item handed to a predictor: its id and kind, and the text or the media file (with its size)."""

    item_id: int
    kind: str
    text: str | None = None
    path: Path | None = None
    width: int | None = None
    height: int | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class Proposal:
    """One proposed annotation: kind and label as the project spells them, geometry in hub coordinates,
    and the model's (calibrated, where the model calibrates) score in [0, 1]; ``frame`` is the slice of a
    volume (or the frame of a video) it lies on, None for whole-item proposals."""

    kind: str
    label: str
    score: float
    geometry: dict[str, Any] = field(default_factory=dict)
    frame: int | None = None


@dataclass(frozen=True, slots=True)
class Prediction:
    """A predictor's answer for one item: proposals, or the error that stopped this item only.

    ``probs`` is the classifier's class distribution (absent for detectors); ``samples`` are SWAG's
    per-sample distributions ``(samples, classes)`` where the model has them (for BALD).
    """

    item_id: int
    proposals: tuple[Proposal, ...] = ()
    probs: npt.NDArray[np.float64] | None = None
    samples: npt.NDArray[np.float64] | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ModelRef:
    """The fields of a registered model version that a loader needs (no ORM object leaves the services)."""

    id: int
    project_id: int
    name: str
    kind: str
    version: int
    params: dict[str, Any]
    artifacts: dict[str, Any]
    models_dir: Path

    @property
    def tag(self) -> str:
        """The ``model_version`` string stored on each proposal: ``name@version``."""
        return f"{self.name}@{self.version}"


class Predictor(Protocol):
    """Proposes annotations for batches of items; one item's failure is reported in its Prediction."""

    classes: tuple[str, ...]

    def predict(self, items: Sequence[ItemInput]) -> list[Prediction]: ...


Loader = Callable[[ModelRef], Predictor]
_LOADERS: dict[str, Loader] = {}
# The modules of the kinds labelhub ships; each registers its loaders when imported. They load PyTorch,
# scikit-learn or onnxruntime, so they are imported when a model is first loaded or listed, not at start.
BUILTIN_LOADERS = (
    "labelhub.assist.kinds",
    "labelhub.assist.detector",
    "labelhub.assist.remote",
    "labelhub.assist.volume_seg",
)


def _import_builtin_loaders() -> None:
    for module in BUILTIN_LOADERS:
        importlib.import_module(module)


def register_loader(kind: str, loader: Loader) -> None:
    """Make model versions of ``kind`` loadable (each kind's module registers itself when imported)."""
    _LOADERS[kind] = loader


def loader_kinds() -> list[str]:
    _import_builtin_loaders()
    return sorted(_LOADERS)


def load_predictor(ref: ModelRef) -> Predictor:
    """Return the predictor for a registered model version; an unknown kind names the known ones."""
    _import_builtin_loaders()
    try:
        loader = _LOADERS[ref.kind]
    except KeyError:
        known = ", ".join(loader_kinds()) or "none"
        raise ValidationError(f"no predictor for model kind {ref.kind!r} (known: {known})", field="kind") from None
    return loader(ref)
