"""Tiny ONNX models for the detector and registration tests, exported from PyTorch on the fly.

``Toy`` answers in the YOLOv8 layout ``(1, 4 + 3, 3)`` (classes person, car, thing) whatever its input size; the
others are the files a user may point a detector registration at by mistake: a classifier (output ``(1, 10)``),
a one-channel model, a non-square input. They mirror the QA models in ``/work/qa-image/build_models.py``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import onnx
import torch

TOY_NAMES = "{0: 'person', 1: 'car', 2: 'thing'}"  # as ultralytics writes a detector's ``names`` metadata


class Toy(torch.nn.Module):
    """YOLOv8 layout ``(1, 4 + 3, 8)``: person at 0.9, car at 0.8, thing at 0.7 (boxes in a 64-pixel input), and
    five empty candidates (a real export has thousands: more candidates than rows, as the layout's guess expects)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = x.mean() * 0
        box = torch.stack([z + 32, z + 32, z + 20, z + 20])
        c0 = torch.cat([box, torch.stack([z + 0.9, z, z])])
        c1 = torch.cat([box + 5, torch.stack([z, z + 0.8, z])])
        c2 = torch.cat([box - 5, torch.stack([z, z, z + 0.7])])
        return torch.stack([c0, c1, c2, *[c0 * 0] * 5], dim=1)[None]


class ToyV5(torch.nn.Module):
    """The same candidates in the YOLOv5 layout ``(1, 8, 5 + 3)`` (objectness 1)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v8 = Toy()(x)[0].T  # (8, 4 + 3)
        return torch.cat([v8[:, :4], torch.ones_like(v8[:, :1]), v8[:, 4:]], dim=1)[None]


class Classifier(torch.nn.Module):
    """Not a detector: 10 class probabilities, output ``(1, 10)``."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.linear(x.mean(dim=(2, 3))), -1)


class Gray(torch.nn.Module):
    """A detector on one-channel images (input ``1x1xSxS``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return Toy()(x.repeat(1, 3, 1, 1))


def export(module: torch.nn.Module, path: Path, shape: tuple[int, ...], *, names: str | None = TOY_NAMES,
           dynamic: bool = False) -> Path:  # fmt: skip
    """Export ``module`` for an input of ``shape`` (``dynamic``: batch, height and width left free); return path."""
    axes = {"images": {0: "batch", 2: "height", 3: "width"}} if dynamic else None
    with warnings.catch_warnings():  # the legacy exporter warns that it is legacy; it needs no onnxscript
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros(*shape),), str(path), dynamo=False, opset_version=17,
                          input_names=["images"], output_names=["output0"], dynamic_axes=axes)  # fmt: skip
    if names is not None:
        model = onnx.load(str(path))
        entry = model.metadata_props.add()
        entry.key, entry.value = "names", names
        onnx.save(model, str(path))
    return path


def build_all(folder: Path) -> dict[str, Path]:
    """Write every test model into ``folder``; return them by name."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "toy": export(Toy(), folder / "toy.onnx", (1, 3, 64, 64)),
        "toy_v5": export(ToyV5(), folder / "toy_v5.onnx", (1, 3, 64, 64)),
        "toy_unnamed": export(Toy(), folder / "toy_unnamed.onnx", (1, 3, 64, 64), names=None),
        "toy_dynamic": export(Toy(), folder / "toy_dynamic.onnx", (1, 3, 64, 64), dynamic=True),
        "toy_80_names": export(
            Toy(), folder / "toy_80_names.onnx", (1, 3, 64, 64), names=str({i: f"c{i}" for i in range(80)})
        ),
        "classifier": export(Classifier(), folder / "classifier.onnx", (1, 3, 64, 64), names=None),
        "gray": export(Gray(), folder / "gray.onnx", (1, 1, 64, 64)),
        "nonsquare": export(Toy(), folder / "nonsquare.onnx", (1, 3, 48, 64)),
    }
