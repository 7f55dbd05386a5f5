"""Import open_clip where torchvision's compiled operators do not load.

labelhub installs PyTorch's CPU build (the Makefile, before everything else), while pip takes torchvision
from PyPI, whose Linux wheel is built against PyTorch's CUDA build: its ``_C`` extension then fails to load
(it links ``libtorch_cuda.so``). torchvision copes with that for most of itself, but 0.28 registers fake
kernels for ``torchvision::nms`` and ``qnms`` at import without checking that the operators exist, so
``import torchvision`` (and with it ``import open_clip``, whose image transforms are torchvision's) fails
with "operator torchvision::nms does not exist".

When the extension does not load, this module declares those two operator schemas (no kernels), so the
import goes through; calling ``torchvision.ops.nms`` then fails with torchvision's own "Couldn't load custom
C++ ops" message. open_clip uses none of the compiled operators. Where the extension loads (a matching
torchvision), nothing is changed. Hand-written because it works around a packaging mismatch, not a feature.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

from labelhub.errors import ConfigurationError

__all__ = ["import_open_clip", "prepare_torchvision"]

_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_lock = threading.Lock()
_declared: list[Any] = []  # the torch.library.Library holding the schemas must stay alive


def _operators_ready(torch: Any) -> bool:
    try:
        torch.ops.torchvision.nms  # noqa: B018 - looking the operator up is the test
    except (AttributeError, RuntimeError):
        return False
    return True


def prepare_torchvision() -> None:
    """Make ``import torchvision`` work (see the module docstring); call it before importing torchvision or a
    library that imports it (open_clip, timm, torchmetrics). Does nothing when torchvision is absent or fine."""
    with _lock:
        _declare_missing_operators()


def _declare_missing_operators() -> None:
    torch = importlib.import_module("torch")
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations or _operators_ready(torch):
        return
    for ext in Path(next(iter(spec.submodule_search_locations))).glob("_C*.so"):
        try:
            torch.ops.load_library(str(ext))
        except OSError:
            break
        if _operators_ready(torch):
            return
    lib = torch.library.Library("torchvision", "DEF")
    for schema in _SCHEMAS:
        lib.define(schema)
    _declared.append(lib)


def import_open_clip() -> ModuleType:
    """Return the ``open_clip`` module, preparing torchvision first; ConfigurationError with an install hint."""
    try:
        prepare_torchvision()
        with _lock:
            return importlib.import_module("open_clip")
    except ImportError as exc:
        raise ConfigurationError(
            f"the open_clip embedder needs open_clip_torch and torch ({exc}): pip install open_clip_torch"
        ) from exc
