"""Federated averaging (FedAvg) of text-classifier heads: the arithmetic, the checks and one site's local round.

McMahan et al., "Communication-Efficient Learning of Deep Networks from Decentralized Data", AISTATS 2017.
Each round every site starts from the global weights, trains its head on its own labels for a few SGD steps
(:func:`local_round`) and sends back only the new weights and its number of labelled examples; the coordinator
takes the mean of the sites' weights, each weighted by its count (:func:`fedavg`).

The heads of different sites are the same shape because the features need no shared vocabulary: word and
character n-grams hashed into a fixed number of columns (:class:`~labelhub.assist.text.TextFeaturizer`). The
one fitted part of that featurizer, the IDF, would make the same text a different row at each site (each fits
it on its own texts); federated features use a uniform IDF (sublinear term frequency, rows of unit length), so
a row depends on its text and on :class:`FeatureSettings` alone. Class ``i`` is output ``i`` of the
coordinator's class list at every site.

Hand-written, not a framework: FedAvg is one weighted mean per tensor. Flower (``flwr``) would add its own gRPC
server and client processes, a strategy and a message format beside labelhub's HTTP API, its auth and roles,
for exactly that mean; the weights travel here as safetensors (:func:`encode_state`, :func:`decode_state`),
which holds tensors and string metadata only, so a remote party's bytes are never unpickled (``torch.load``
of a remote file could run code).
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from sklearn.decomposition import TruncatedSVD  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfTransformer  # type: ignore[import-untyped]

from labelhub.assist._checks import check_int, check_number
from labelhub.assist.config import TrainConfig, TrainMode
from labelhub.assist.heads import Head
from labelhub.assist.text import TextFeaturizer
from labelhub.assist.train import train_head
from labelhub.errors import FormatError, ValidationError

__all__ = [
    "FEATURES_KIND",
    "FeatureSettings",
    "RoundSettings",
    "SiteState",
    "State",
    "accuracy",
    "check_state",
    "decode_state",
    "encode_state",
    "expected_shapes",
    "fedavg",
    "federated_featurizer",
    "initial_state",
    "local_round",
]

FEATURES_KIND = "hashed_ngrams_v1"  # word 1-2 + char_wb 2-4 grams, hashed; sublinear tf, uniform IDF, unit rows
MAX_STEPS = 2000  # a round is answered synchronously: at most this many steps (plus the rest of the last pass)
MAX_HEADER = 1 << 20  # bytes of safetensors header a round may carry (settings and 4 tensor entries)
State = dict[str, torch.Tensor]


@dataclass(frozen=True, slots=True)
class FeatureSettings:
    """What makes a feature row: the kind of features and the hashed columns per n-gram kind."""

    dim: int = 2**13
    kind: str = FEATURES_KIND

    def __post_init__(self) -> None:
        check_int(self.dim, "features.dim", low=16, high=2**20)
        if self.kind != FEATURES_KIND:
            raise ValidationError(f"features.kind must be {FEATURES_KIND!r}, got {self.kind!r:.60}",
                                  field="features.kind")  # fmt: skip

    @property
    def n_features(self) -> int:
        return 2 * self.dim

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "dim": self.dim}


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundSettings:
    """One round as the coordinator sends it: the classes (output order), features, head width and SGD."""

    classes: tuple[str, ...]
    features: FeatureSettings = field(default_factory=FeatureSettings)
    hidden: int = 128
    steps: int = 50
    lr: float = 0.5
    batch_size: int = 64
    seed: int = 0
    round: int = 1

    def __post_init__(self) -> None:
        if len(self.classes) < 2 or len(set(self.classes)) != len(self.classes):
            raise ValidationError("classes must list two or more distinct names", field="classes")
        check_int(self.hidden, "hidden", low=0, high=4096)
        check_int(self.steps, "steps", low=1, high=MAX_STEPS)
        check_number(self.lr, "lr", low=0.0, high=100.0, open_low=True)
        check_int(self.batch_size, "batch_size", low=1, high=4096)
        check_int(self.seed, "seed", low=0, high=2**62)
        check_int(self.round, "round", low=1, high=100_000)

    def to_json(self) -> dict[str, Any]:
        return {"classes": list(self.classes), "features": self.features.to_json(), "hidden": self.hidden,
                "steps": self.steps, "lr": self.lr, "batch_size": self.batch_size, "seed": self.seed,
                "round": self.round}  # fmt: skip

    @classmethod
    def from_json(cls, data: object) -> RoundSettings:
        """Build from the JSON a coordinator sent; an unknown, missing or malformed field is named."""
        if not isinstance(data, dict):
            raise ValidationError("the round settings must be a JSON object", field="settings")
        known = {"classes", "features", "hidden", "steps", "lr", "batch_size", "seed", "round"}
        for key in data:
            if key not in known:
                raise ValidationError(f"unknown round setting {key!r:.60}", field=str(key)[:60])
        if "classes" not in data:
            raise ValidationError("the round settings must list the classes", field="classes")
        classes, feats = data["classes"], data.get("features", {})
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            raise ValidationError("classes must be a list of names", field="classes")
        if not isinstance(feats, dict) or set(feats) - {"kind", "dim"}:
            raise ValidationError("features must be an object with kind and dim only", field="features")
        rest = {k: data[k] for k in known - {"classes", "features"} if k in data}
        return cls(classes=tuple(classes), features=FeatureSettings(**feats), **rest)


@dataclass(frozen=True, slots=True)
class SiteState:
    """What one site sent back for a round: its name (for errors), new weights and labelled examples."""

    site: str
    state: Mapping[str, torch.Tensor]
    examples: int


def expected_shapes(n_features: int, n_classes: int, hidden: int) -> dict[str, tuple[int, ...]]:
    """The tensors of a sparse head, by name, with their shapes (what every site must send)."""
    head = Head(n_features, n_classes, sparse=True, hidden=hidden, generator=torch.Generator())
    return {k: tuple(v.shape) for k, v in head.state_dict().items()}


def initial_state(settings: RoundSettings) -> State:
    """The global weights before round 1: a head initialised from ``settings.seed``."""
    head = Head(settings.features.n_features, len(settings.classes), sparse=True, hidden=settings.hidden,
                generator=torch.Generator().manual_seed(settings.seed))  # fmt: skip
    return {k: v.detach().clone() for k, v in head.state_dict().items()}


def check_state(state: Mapping[str, torch.Tensor], shapes: Mapping[str, tuple[int, ...]], *, site: str) -> None:
    """Raise ValidationError naming ``site`` and the tensor when ``state`` is not a full, finite head of ``shapes``."""
    missing, extra = sorted(set(shapes) - set(state)), sorted(set(state) - set(shapes))
    if missing or extra:
        raise ValidationError(f"{site}: weights are missing {missing} or have unexpected {extra}",
                              field=f"weights.{(missing or extra)[0]}")  # fmt: skip
    for name, want in shapes.items():
        t = state[name]
        if tuple(t.shape) != tuple(want):
            raise ValidationError(f"{site}: tensor {name} has shape {tuple(t.shape)}, expected {tuple(want)}",
                                  field=f"weights.{name}")  # fmt: skip
        if t.dtype != torch.float32:
            raise ValidationError(f"{site}: tensor {name} is {t.dtype}, expected float32", field=f"weights.{name}")
        if not bool(torch.isfinite(t).all()):
            raise ValidationError(f"{site}: tensor {name} holds NaN or infinite values", field=f"weights.{name}")


def fedavg(results: Sequence[SiteState]) -> State:
    """Return the mean of the sites' weights, each weighted by its examples (FedAvg's aggregation step).

    Every state is checked against the first one's tensors first (names, shapes, float32, finite): a mismatch
    raises ValidationError naming the site and the tensor, and nothing is averaged. Summed in float64.
    """
    if not results:
        raise ValidationError("no site returned weights this round", field="sites")
    shapes = {k: tuple(v.shape) for k, v in results[0].state.items()}
    for r in results:
        check_state(r.state, shapes, site=r.site)
        if isinstance(r.examples, bool) or not isinstance(r.examples, int) or r.examples < 1:
            raise ValidationError(f"{r.site}: examples must be a positive count, got {r.examples!r}",
                                  field="examples")  # fmt: skip
    total = sum(r.examples for r in results)
    out: State = {}
    for name in shapes:
        acc = torch.zeros(shapes[name], dtype=torch.float64)
        for r in results:
            acc += r.state[name].double() * (r.examples / total)
        out[name] = acc.float()
    return out


def federated_featurizer(settings: FeatureSettings, texts: Sequence[str] | None = None) -> TextFeaturizer:
    """A featurizer whose rows depend on the text and ``settings`` only (uniform IDF); with ``texts`` (two or
    more), its LSA embeddings (for diversity sampling) are fitted on them, as a saved classifier needs."""
    feats = TextFeaturizer(dim=settings.dim)
    tfidf = TfidfTransformer(sublinear_tf=True)
    tfidf.idf_ = np.ones(settings.n_features, dtype=np.float64)
    feats._tfidf = tfidf  # the one fitted part of TextFeaturizer, set to the uniform IDF instead
    if texts is not None and len(texts) >= 2:
        rows = feats.transform(texts)
        k = min(feats.embedding_dim, rows.shape[0] - 1, rows.shape[1] - 1)
        feats._svd = TruncatedSVD(n_components=k, random_state=feats.seed).fit(rows)
    return feats


def local_round(
    global_state: Mapping[str, torch.Tensor], features: object, labels: npt.ArrayLike, settings: RoundSettings
) -> tuple[State, int]:
    """Train the site's head from ``global_state`` on its ``features`` and class indices; return the new weights
    and the optimiser steps taken.

    Plain SGD (:attr:`TrainMode.SGD`: the last iterate, no SWA or SWAG, which would average inside one site's
    round) with the engine's Nesterov momentum and a cosine from ``lr`` to 0 over the round. ``steps`` is
    rounded up to whole passes over the site's labels, so each label counts alike. Deterministic: the same
    weights, labels and settings give the same result bit for bit.
    """
    shapes = expected_shapes(settings.features.n_features, len(settings.classes), settings.hidden)
    check_state(global_state, shapes, site="global weights")
    cfg = TrainConfig(mode=TrainMode.SGD, epochs=1, min_steps=settings.steps, batch_size=settings.batch_size,
                      lr=settings.lr, hidden=settings.hidden, seed=settings.seed)  # fmt: skip
    model = train_head(features, labels, len(settings.classes), cfg, initial=global_state)
    state = {k: v.detach().clone() for k, v in model.head.state_dict().items()}
    return state, model.history.steps


def encode_state(state: Mapping[str, torch.Tensor], metadata: Mapping[str, str] | None = None) -> bytes:
    """The weights as safetensors bytes (tensors and string metadata only: nothing to unpickle)."""
    return bytes(st_save({k: v.contiguous() for k, v in state.items()}, metadata=dict(metadata or {})))


def decode_state(data: bytes, *, what: str = "body") -> tuple[State, dict[str, str]]:
    """Read safetensors bytes into tensors and their metadata; anything else (a pickle, a torch.save file,
    truncated bytes) raises FormatError naming ``what``. Nothing is ever unpickled."""
    if len(data) < 8:
        raise FormatError(f"{what} is not safetensors: {len(data)} bytes", field=what)
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER or 8 + n > len(data):
        raise FormatError(f"{what} is not safetensors: bad header length {n}", field=what)
    try:
        header = json.loads(data[8 : 8 + n])
        tensors = st_load(data)
    except (SafetensorError, ValueError, RuntimeError, TypeError, KeyError) as exc:
        raise FormatError(f"{what} is not safetensors: {str(exc)[:200]}", field=what) from None
    meta = header.get("__metadata__") or {} if isinstance(header, dict) else {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise FormatError(f"{what}: safetensors metadata must map names to strings", field=what)
    return dict(tensors), dict(meta)


def accuracy(state: Mapping[str, torch.Tensor], settings: RoundSettings, features: object,
             labels: npt.ArrayLike) -> float:  # fmt: skip
    """The share of ``labels`` (class indices) the head with ``state`` gets right on ``features``."""
    from labelhub.assist.features import Features

    feats = Features(features)
    y = np.asarray(labels)
    if len(y) == 0:
        return math.nan
    head = Head(feats.dim, len(settings.classes), sparse=feats.sparse, hidden=settings.hidden,
                generator=torch.Generator())  # fmt: skip
    head.load_state_dict(dict(state))
    head.eval()
    with torch.inference_mode():
        pred = head(feats.batch()).argmax(dim=1).numpy()
    return float((pred == y).mean())
