"""SWAG: a Gaussian over a network's weights, fitted to the SGD iterates of the averaging phase.

From Maddox, Garipov, Izmailov, Vetrov and Wilson, "A Simple Baseline for Bayesian Uncertainty in Deep
Learning", NeurIPS 2019 (arXiv:1902.02476), section 3 and algorithm 1:

- the mean is the SWA average of the snapshots, ``theta_bar = 1/T sum theta_i``;
- the diagonal covariance is ``Sigma_diag = diag(mean(theta_i ** 2) - theta_bar ** 2)``;
- the low-rank part is ``D D^T / (K - 1)``, where the columns of ``D`` are the last ``K`` deviations
  ``theta_i - theta_bar_i`` from the running mean at the time of snapshot ``i``;
- a sample is ``theta_bar + sqrt(scale) * (Sigma_diag^(1/2) z1 + D z2 / sqrt(K - 1))`` with ``z1``, ``z2``
  standard normal; ``scale = 0.5`` gives the paper's ``1/2`` weight on each part.

Why not a library: torch-uncertainty 0.13's ``SWAG`` is the maintained one, but importing anything from it
loads ``lightning`` (an optional extra, and a large one); it draws its weight samples once when a snapshot
is added and keeps them as full model copies; and it divides the low-rank part by ``max_num_models - 1``
instead of the number of deviations it holds, which shrinks it while fewer than ``max_num_models`` snapshots
exist. swa-gaussian (the authors' code on PyPI) pins a CUDA build of torch and gpytorch. This is the
algorithm above over one flat parameter vector, about 80 lines.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils import parameters_to_vector, vector_to_parameters

__all__ = ["SwagCollector", "SwagPosterior"]

VAR_FLOOR = 1e-12  # rounding can make mean(theta^2) - mean(theta)^2 slightly negative


@dataclass(frozen=True, slots=True)
class SwagPosterior:
    """The fitted Gaussian: ``mean``, ``variance`` (diagonal) and ``deviations`` (``K x P``), plus its scale."""

    mean: torch.Tensor
    variance: torch.Tensor
    deviations: torch.Tensor
    snapshots: int
    scale: float

    @property
    def rank(self) -> int:
        """Number of deviation columns ``K`` kept for the low-rank part."""
        return int(self.deviations.shape[0])

    def sample(self, generator: torch.Generator) -> torch.Tensor:
        """Return one flat weight vector drawn from the posterior (the mean when ``scale`` is 0)."""
        z1 = torch.randn(self.mean.shape, generator=generator, dtype=self.mean.dtype)
        out = self.variance.sqrt() * z1
        if self.rank >= 2:
            z2 = torch.randn(self.rank, generator=generator, dtype=self.mean.dtype)
            out = out + (self.deviations.T @ z2) / (self.rank - 1) ** 0.5
        sample: torch.Tensor = self.mean + self.scale**0.5 * out
        return sample

    def load_into(self, module: nn.Module, vector: torch.Tensor) -> None:
        """Write a flat weight vector (the mean, or a sample) into ``module``'s parameters."""
        with torch.no_grad():
            vector_to_parameters(vector, module.parameters())


class SwagCollector:
    """Running first and second moments and the last ``rank`` deviations of a module's parameters."""

    def __init__(self, module: nn.Module, *, rank: int) -> None:
        flat = parameters_to_vector(module.parameters()).detach()
        self._mean = torch.zeros_like(flat)
        self._sq_mean = torch.zeros_like(flat)
        self._deviations: list[torch.Tensor] = []
        self._rank = rank
        self.count = 0

    def collect(self, module: nn.Module) -> None:
        """Add the module's current weights as one snapshot."""
        theta = parameters_to_vector(module.parameters()).detach().clone()
        n = self.count
        self._mean = (self._mean * n + theta) / (n + 1)
        self._sq_mean = (self._sq_mean * n + theta * theta) / (n + 1)
        self._deviations.append(theta - self._mean)
        if len(self._deviations) > self._rank:
            self._deviations.pop(0)
        self.count = n + 1

    def posterior(self, *, scale: float) -> SwagPosterior:
        """Return the Gaussian fitted to the snapshots collected so far (at least one)."""
        if self.count == 0:
            raise RuntimeError("SWAG needs at least one snapshot")
        variance = (self._sq_mean - self._mean**2).clamp_min(VAR_FLOOR)
        deviations = torch.stack(self._deviations) if self._deviations else torch.zeros((0, self._mean.numel()))
        return SwagPosterior(self._mean.clone(), variance, deviations, self.count, scale)
