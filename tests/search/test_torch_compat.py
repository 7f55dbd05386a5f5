"""torchvision imports after prepare_torchvision(), whether or not its compiled operators load here."""

from __future__ import annotations

import subprocess
import sys

CODE = """
from labelhub.search._torch_compat import prepare_torchvision
prepare_torchvision()
prepare_torchvision()  # twice: no second declaration
import torch, torchvision, torchvision.transforms
try:
    torchvision.ops.nms(torch.zeros((1, 4)), torch.ones(1), 0.5)
    print("nms works")
except RuntimeError as exc:
    print("nms refused" if "custom C++ ops" in str(exc) else f"unexpected: {exc}")
"""


def test_torchvision_imports_after_preparing() -> None:
    run = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=False, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    # With a torchvision built for this torch, nms works; with PyPI's CUDA build on CPU torch, it says why not.
    assert run.stdout.strip() in ("nms works", "nms refused")
