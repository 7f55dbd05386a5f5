"""The classifier heads the engine trains: linear, or one hidden layer (MLP), over dense or sparse features.

A head is small on purpose: it sits on features that already carry the meaning (n-grams, a backbone's
embeddings), trains in seconds on a CPU, and has few enough weights that SWAG can keep a low-rank covariance
of all of them.
"""

from __future__ import annotations

import torch
from torch import nn

from labelhub.assist.features import Batch, SparseRows

__all__ = ["Head", "SparseLinear"]


class SparseLinear(nn.Module):
    """``x @ W + b`` for sparse rows, through :class:`torch.nn.EmbeddingBag` (sum of weighted columns)."""

    def __init__(self, dim: int, out: int, *, generator: torch.Generator) -> None:
        super().__init__()
        self.bag = nn.EmbeddingBag(dim, out, mode="sum")
        self.bias = nn.Parameter(torch.zeros(out))
        # nn.Linear's default scale, so a sparse and a dense head start alike.
        bound = 1.0 / dim**0.5
        with torch.no_grad():
            self.bag.weight.uniform_(-bound, bound, generator=generator)

    def forward(self, rows: SparseRows) -> torch.Tensor:
        out: torch.Tensor = self.bag(rows.indices, rows.offsets, per_sample_weights=rows.weights)
        return out + self.bias


class Head(nn.Module):
    """Features to class logits: one linear layer, or linear -> (batch norm) -> ReLU -> dropout -> linear."""

    def __init__(
        self,
        dim: int,
        n_classes: int,
        *,
        sparse: bool,
        hidden: int = 0,
        dropout: float = 0.0,
        batch_norm: bool = False,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        width = hidden if hidden > 0 else n_classes
        self.sparse = sparse
        self.first: nn.Module = (
            SparseLinear(dim, width, generator=generator) if sparse else _linear(dim, width, generator)
        )
        self.rest: nn.Module = nn.Identity()
        if hidden > 0:
            layers: list[nn.Module] = [nn.BatchNorm1d(hidden)] if batch_norm else []
            layers += [nn.ReLU(), nn.Dropout(dropout), _linear(hidden, n_classes, generator)]
            self.rest = nn.Sequential(*layers)

    def forward(self, batch: Batch) -> torch.Tensor:
        if isinstance(batch, SparseRows) != self.sparse:
            raise TypeError("this head was built for " + ("sparse" if self.sparse else "dense") + " features")
        return self.rest(self.first(batch))  # type: ignore[no-any-return]

    @property
    def has_batch_norm(self) -> bool:
        """True when a layer keeps running statistics that must be recomputed for averaged weights."""
        return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.modules())


def _linear(dim: int, out: int, generator: torch.Generator) -> nn.Linear:
    layer = nn.Linear(dim, out)
    bound = 1.0 / dim**0.5
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        layer.bias.uniform_(-bound, bound, generator=generator)
    return layer
