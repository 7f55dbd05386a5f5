"""SWAG's Gaussian: the moments of the snapshots, the last K deviations, and samples with that spread."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from labelhub.assist import SwagCollector


def _snapshots(collector: SwagCollector, module: nn.Module, values: list[list[float]]) -> None:
    for v in values:
        with torch.no_grad():
            torch.nn.utils.vector_to_parameters(torch.tensor(v), module.parameters())
        collector.collect(module)


def test_moments_and_deviations_follow_the_paper() -> None:
    module = nn.Linear(2, 1)  # three parameters: two weights and a bias
    rng = np.random.default_rng(0)
    values = rng.normal(size=(6, 3)).tolist()
    collector = SwagCollector(module, rank=4)
    _snapshots(collector, module, values)
    post = collector.posterior(scale=0.5)
    arr = np.array(values)
    assert np.allclose(post.mean.numpy(), arr.mean(axis=0), atol=1e-6)
    assert np.allclose(post.variance.numpy(), arr.var(axis=0), atol=1e-5)
    # The last K = 4 deviations, each from the running mean at the time of its snapshot.
    expected = [arr[i] - arr[: i + 1].mean(axis=0) for i in range(2, 6)]
    assert post.rank == 4 and np.allclose(post.deviations.numpy(), expected, atol=1e-6)
    assert post.snapshots == 6


def test_samples_have_the_posteriors_spread() -> None:
    module = nn.Linear(3, 1, bias=False)
    rng = np.random.default_rng(1)
    collector = SwagCollector(module, rank=20)
    _snapshots(collector, module, (rng.normal(size=(40, 3)) * [1.0, 2.0, 0.1]).tolist())
    post = collector.posterior(scale=1.0)
    g = torch.Generator().manual_seed(0)
    draws = torch.stack([post.sample(g) for _ in range(4000)]).numpy()
    # Diagonal plus low-rank, both estimates of the same covariance: about twice the variance at scale 1.
    ratio = draws.var(axis=0) / post.variance.numpy()
    assert np.all((ratio > 1.4) & (ratio < 2.8))
    assert np.allclose(draws.mean(axis=0), post.mean.numpy(), atol=0.15)
    zero = collector.posterior(scale=0.0)
    assert torch.equal(zero.sample(g), zero.mean)


def test_load_into_writes_the_weights() -> None:
    module = nn.Linear(2, 2)
    collector = SwagCollector(module, rank=2)
    collector.collect(module)
    post = collector.posterior(scale=0.5)
    post.load_into(module, torch.arange(6, dtype=torch.float32))
    assert module.weight.flatten().tolist() == [0.0, 1.0, 2.0, 3.0] and module.bias.tolist() == [4.0, 5.0]
