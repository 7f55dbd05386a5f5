"""Saving and loading trained assist classifiers, and exporting their heads to ONNX.

A trained classifier is stored as one ``model.pt`` written with :func:`torch.save` and read back with
``torch.load(weights_only=True)``: a dictionary of tensors, numbers, strings and lists only, so loading a file
can never run code (no pickled classes). It holds

- the head's ``state_dict`` and what is needed to build the head again (input width, sparse or dense, hidden
  units, dropout, batch norm, class count),
- the training configuration, the temperature, the training history,
- SWAG's posterior (mean, diagonal variance, deviation matrix): predictions sample from it again, with the
  same seeded generator, so a loaded SWAG model gives exactly the probabilities it gave before saving,
- the classes, and the featurizer (text: the IDF weights and the LSA components; images: the backbone, see
  :mod:`labelhub.assist.image`).

:func:`export_onnx` writes the head as an ONNX graph from features to calibrated probabilities
(``softmax(head(x) / T)``) at the weights the head holds: the last iterate for ``sgd``, the average for
``swa`` and ``swag``. For ``sgd`` and ``swa`` that is exactly what :meth:`AssistModel.predict_proba` gives;
for ``swag`` it is the posterior mean (:func:`head_proba`), because the averaged prediction over 30 weight
samples would need 30 copies of the weights in the graph. Sparse n-gram heads are exported with a dense
input (the TF-IDF row), since ONNX has no sparse embedding-bag input.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp  # type: ignore[import-untyped]
import torch
from sklearn.decomposition import TruncatedSVD  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfTransformer  # type: ignore[import-untyped]
from torch import nn

from labelhub.assist.config import TrainConfig
from labelhub.assist.features import Features
from labelhub.assist.heads import Head, SparseLinear
from labelhub.assist.image import ImageClassifier, backbone_from_state
from labelhub.assist.model import AssistModel, TrainingHistory
from labelhub.assist.swag import SwagPosterior
from labelhub.assist.text import HeldOutReport, TextClassifier, TextFeaturizer
from labelhub.errors import FormatError
from labelhub.search.sentence import load_encoder

__all__ = [
    "FORMAT_VERSION",
    "MODEL_FILE",
    "ONNX_FILE",
    "Classifier",
    "export_onnx",
    "head_proba",
    "load_classifier",
    "load_model",
    "model_state",
    "save_classifier",
]

FORMAT_VERSION = 1
MODEL_FILE = "model.pt"
ONNX_FILE = "head.onnx"
Classifier = TextClassifier | ImageClassifier


def model_state(model: AssistModel) -> dict[str, Any]:
    """Return a trained model as plain tensors and values (what ``torch.load(weights_only=True)`` reads)."""
    cfg = {k: (v.value if hasattr(v, "value") else v) for k, v in dataclasses.asdict(model.config).items()}
    post = model.posterior
    return {
        "head": {k: v.detach().clone() for k, v in model.head.state_dict().items()},
        "config": cfg,
        "n_classes": model.n_classes,
        "dim": model.dim,
        "sparse": model.sparse,
        "temperature": model.temperature,
        "history": {
            "steps": model.history.steps,
            "epoch_loss": list(model.history.epoch_loss),
            "snapshots": model.history.snapshots,
        },
        "posterior": None
        if post is None
        else {
            "mean": post.mean,
            "variance": post.variance,
            "deviations": post.deviations,
            "snapshots": post.snapshots,
            "scale": post.scale,
        },
        "bn_features": _matrix_state(model.bn_features),
    }


def load_model(state: dict[str, Any]) -> AssistModel:
    """Return the model :func:`model_state` described (the same weights, temperature and posterior)."""
    cfg = TrainConfig(**state["config"])
    head = Head(
        int(state["dim"]),
        int(state["n_classes"]),
        sparse=bool(state["sparse"]),
        hidden=cfg.hidden,
        dropout=cfg.dropout,
        batch_norm=cfg.batch_norm,
        generator=torch.Generator(),
    )
    head.load_state_dict(state["head"])
    head.eval()
    p = state["posterior"]
    posterior = None
    if p is not None:
        posterior = SwagPosterior(p["mean"], p["variance"], p["deviations"], int(p["snapshots"]), float(p["scale"]))
    h = state["history"]
    history = TrainingHistory(
        steps=int(h["steps"]), epoch_loss=tuple(float(x) for x in h["epoch_loss"]), snapshots=int(h["snapshots"])
    )
    return AssistModel(
        head=head,
        config=cfg,
        n_classes=int(state["n_classes"]),
        dim=int(state["dim"]),
        sparse=bool(state["sparse"]),
        history=history,
        posterior=posterior,
        temperature=float(state["temperature"]),
        bn_features=_matrix_load(state["bn_features"]),
    )


def _matrix_state(feats: Features | None) -> dict[str, Any] | None:
    if feats is None:
        return None
    batch = feats.batch()
    if isinstance(batch, torch.Tensor):
        return {"dense": batch.clone()}
    csr = sp.csr_matrix(feats._matrix)  # the rows as stored
    return {
        "data": torch.from_numpy(csr.data.copy()),
        "indices": torch.from_numpy(csr.indices.astype(np.int64)),
        "indptr": torch.from_numpy(csr.indptr.astype(np.int64)),
        "shape": list(csr.shape),
    }


def _matrix_load(state: dict[str, Any] | None) -> Features | None:
    if state is None:
        return None
    if "dense" in state:
        return Features(state["dense"].numpy())
    shape = tuple(int(s) for s in state["shape"])
    return Features(
        sp.csr_matrix((state["data"].numpy(), state["indices"].numpy(), state["indptr"].numpy()), shape=shape)
    )


def _featurizer_state(f: TextFeaturizer) -> dict[str, Any]:
    tfidf, svd = f._tfidf, f._svd  # the fitted parts are the featurizer's whole state
    if tfidf is None or svd is None:
        raise FormatError("the featurizer must be fitted before it is saved", field="featurizer")
    return {
        "dim": f.dim,
        "embedding_dim": f.embedding_dim,
        "seed": f.seed,
        "idf": torch.from_numpy(np.asarray(tfidf.idf_, dtype=np.float64)),
        "components": torch.from_numpy(np.asarray(svd.components_, dtype=np.float64)),
        # the encoder is referred to, not copied: its folder on the server and the fingerprint it had
        "encoder": None if f.encoder is None else f.encoder.settings | {"share": f.encoder_share},
    }


def _featurizer_load(state: dict[str, Any]) -> TextFeaturizer:
    enc = state.get("encoder")
    encoder = None if not enc else load_encoder(str(enc["path"]), version=str(enc["version"]))
    f = TextFeaturizer(dim=int(state["dim"]), embedding_dim=int(state["embedding_dim"]), seed=int(state["seed"]),
                       encoder=encoder, encoder_share=float(enc["share"]) if enc else 0.5)  # fmt: skip
    tfidf = TfidfTransformer(sublinear_tf=True)
    tfidf.idf_ = state["idf"].numpy()
    components = state["components"].numpy()
    svd = TruncatedSVD(n_components=components.shape[0], random_state=f.seed)
    svd.components_ = components
    svd.n_features_in_ = components.shape[1]
    f._tfidf, f._svd = tfidf, svd  # restoring what _featurizer_state saved
    return f


def _held_out_state(r: HeldOutReport | None) -> dict[str, Any] | None:
    return None if r is None else dataclasses.asdict(r)


def save_classifier(clf: Classifier, folder: Path) -> dict[str, str]:
    """Write ``clf`` into ``folder`` (``model.pt`` and ``head.onnx``); return the files by role, relative."""
    folder.mkdir(parents=True, exist_ok=True)
    state: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "classes": list(clf.classes),
        "model": model_state(clf.model),
        "held_out": _held_out_state(clf.held_out),
    }
    if isinstance(clf, TextClassifier):
        state |= {"kind": "text_classifier", "featurizer": _featurizer_state(clf.featurizer)}
    else:
        state |= {"kind": "image_classifier", "backbone": clf.backbone.state()}
    torch.save(state, folder / MODEL_FILE)
    export_onnx(clf.model, folder / ONNX_FILE)
    return {"state": MODEL_FILE, "onnx": ONNX_FILE}


def read_state(path: Path, file_name: str, version: int, what: str = "labelhub model") -> dict[str, Any]:
    """Return the saved state at ``path`` (the file, or the folder holding ``file_name``), read without pickled
    code (``weights_only``); a FormatError names the file when it is missing, unreadable or not of ``version``."""
    file = path / file_name if path.is_dir() else path
    if not file.is_file():
        raise FormatError(f"no saved model at {file}", file=str(file))
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except (RuntimeError, OSError, EOFError, ValueError, pickle.UnpicklingError) as exc:
        raise FormatError(f"{file} is not a saved labelhub model: {exc}", file=str(file)) from exc
    if not isinstance(state, dict) or state.get("format") != version:
        raise FormatError(f"{file} is not a {what} of format {version}", file=str(file))
    return state


def load_classifier(path: Path) -> Classifier:
    """Return the classifier saved at ``path`` (a ``model.pt``, or the folder holding one)."""
    state = read_state(path, MODEL_FILE, FORMAT_VERSION)
    model = load_model(state["model"])
    held = HeldOutReport(**state["held_out"]) if state.get("held_out") else None
    classes = tuple(str(c) for c in state["classes"])
    if state["kind"] == "text_classifier":
        return TextClassifier(
            classes=classes, featurizer=_featurizer_load(state["featurizer"]), model=model, held_out=held
        )
    return ImageClassifier(classes=classes, backbone=backbone_from_state(state["backbone"]), model=model, held_out=held)


class _ExportHead(nn.Module):
    """The head with a dense first layer, the temperature and the softmax: features in, probabilities out."""

    def __init__(self, head: Head, temperature: float) -> None:
        super().__init__()
        first = head.first
        if isinstance(first, SparseLinear):
            weight, bias = first.bag.weight.detach().T, first.bias.detach()
        elif isinstance(first, nn.Linear):
            weight, bias = first.weight.detach(), first.bias.detach()
        else:  # pragma: no cover - Head only builds these two
            raise TypeError(f"unknown first layer {type(first).__name__}")
        self.first = nn.Linear(weight.shape[1], weight.shape[0])
        with torch.no_grad():
            self.first.weight.copy_(weight)
            self.first.bias.copy_(bias)
        self.rest = copy.deepcopy(head.rest)
        self.register_buffer("inv_t", torch.tensor(1.0 / temperature, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.rest(self.first(x)) * self.inv_t
        return torch.softmax(logits, dim=-1)


def export_onnx(model: AssistModel, path: Path) -> None:
    """Write the head (at the weights it holds, with its temperature) as ONNX: ``features`` -> ``probs``."""
    module = _ExportHead(model.head, model.temperature).eval()
    example = torch.zeros((2, model.dim), dtype=torch.float32)
    with warnings.catch_warnings():
        # The TorchScript-based exporter: the torch.export one needs onnxscript, which is not a dependency.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            module,
            (example,),
            str(path),
            dynamo=False,
            input_names=["features"],
            output_names=["probs"],
            dynamic_axes={"features": {0: "items"}, "probs": {0: "items"}},
            opset_version=17,
        )


def head_proba(model: AssistModel, features: object) -> npt.NDArray[np.float64]:
    """Return ``softmax(head(x) / T)`` at the head's own weights (what the ONNX export computes)."""
    feats = Features(features)
    model.head.eval()
    with torch.inference_mode():
        logits = model.head(feats.batch()).double() / model.temperature
    out: npt.NDArray[np.float64] = logits.softmax(dim=-1).numpy()
    return out
