"""Images for the built-in encoders: loading into tensors, augmentation, and the small CNN image tower.

All hand-written in torch: torchvision's transforms would do the augmentation, but torchvision's compiled
operators do not load next to the CPU build of torch labelhub installs (see ``_torch_compat``), and the few
operations needed here (a random crop resized, a flip, colour jitter, grey) are a dozen lines each. The
augmentation draws from a ``torch.Generator``, so a seeded run augments the same way every time.

The tower is a plain four-stage CNN (3x3 convolutions with batch norm, the first of each stage with stride
2; one convolution in the first stage, two in the others; then global average pooling), small enough to
train from scratch on a CPU in minutes (0.16 s for a step of 30 images at 64 px and width 16 on one busy
core). No pretrained weights: the point of the built-in encoders is that they need nothing from outside the project.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from labelhub.errors import FormatError

__all__ = ["ImageTower", "augment", "load_images", "normalise"]

_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def load_images(paths: Sequence[Path | str], size: int) -> torch.Tensor:
    """Return ``(n, 3, size, size)`` float pixels in [0, 1]: each image's centre square, resized.

    FormatError names the file that cannot be read.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    out = torch.empty((len(paths), 3, size, size), dtype=torch.float32)
    for i, p in enumerate(paths):
        try:
            with Image.open(p) as im:
                square = ImageOps.fit(im.convert("RGB"), (size, size), Image.Resampling.BILINEAR)
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            raise FormatError(f"cannot read image {p}: {exc}", file=str(p)) from exc
        data = torch.frombuffer(bytearray(square.tobytes()), dtype=torch.uint8)
        out[i] = data.view(size, size, 3).permute(2, 0, 1).float() / 255.0
    return out


def normalise(pixels: torch.Tensor) -> torch.Tensor:
    """Return pixels in [0, 1] shifted and scaled per channel (ImageNet's statistics, a common convention)."""
    return (pixels - _MEAN) / _STD


def augment(
    pixels: torch.Tensor,
    size: int,
    generator: torch.Generator,
    *,
    scale: tuple[float, float] = (0.35, 1.0),
    colour: float = 0.0,
    grey: float = 0.0,
) -> torch.Tensor:
    """Return one random view of each image, ``(n, 3, size, size)``: a crop resized, maybe flipped and recoloured.

    - a square crop covering ``scale`` of the image's area, anywhere, resized to ``size`` (SimCLR's main
      augmentation; squares, since the images are squares already);
    - a horizontal flip with probability 1/2;
    - ``colour``: brightness, contrast and saturation each scaled by a factor in ``[1 - colour, 1 + colour]``;
    - ``grey``: the probability of turning the view grey.
    """
    n, _, height, width = pixels.shape
    out = torch.empty((n, 3, size, size), dtype=pixels.dtype)
    u = torch.rand((n, 7), generator=generator)
    for i in range(n):
        area = scale[0] + (scale[1] - scale[0]) * float(u[i, 0])
        side = max(4, round(min(height, width) * area**0.5))
        top = int(float(u[i, 1]) * (height - side + 1))
        left = int(float(u[i, 2]) * (width - side + 1))
        crop = pixels[i : i + 1, :, top : top + side, left : left + side]
        view = F.interpolate(crop, size=(size, size), mode="bilinear", align_corners=False)[0]
        if u[i, 3] < 0.5:
            view = view.flip(-1)
        if colour > 0:
            bright, contrast, sat = (1.0 + colour * (2.0 * float(u[i, k]) - 1.0) for k in (4, 5, 6))
            view = view * bright
            mean = view.mean()
            view = (view - mean) * contrast + mean
            gray = (0.299 * view[0] + 0.587 * view[1] + 0.114 * view[2]).unsqueeze(0)
            view = (view - gray) * sat + gray
        out[i] = view.clamp(0.0, 1.0)
    if grey > 0:
        mask = torch.rand(n, generator=generator) < grey
        if bool(mask.any()):
            g = (0.299 * out[mask, 0] + 0.587 * out[mask, 1] + 0.114 * out[mask, 2]).unsqueeze(1)
            out[mask] = g.expand(-1, 3, -1, -1)
    return out


def _stage(cin: int, cout: int, convs: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for k in range(convs):
        layers += [nn.Conv2d(cin if k == 0 else cout, cout, 3, stride=2 if k == 0 else 1, padding=1, bias=False),
                   nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]  # fmt: skip
    return nn.Sequential(*layers)


class ImageTower(nn.Module):
    """A four-stage CNN from normalised pixels to pooled features of ``8 * width`` (hand-written, see above)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.features = 8 * width
        self.body = nn.Sequential(_stage(3, width, 1), _stage(width, 2 * width, 2), _stage(2 * width, 4 * width, 2),
                                  _stage(4 * width, 8 * width, 2))  # fmt: skip

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(pixels).mean(dim=(2, 3))
        return out
