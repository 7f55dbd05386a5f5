"""The training engine: SWA and SWAG learn BANKING77, the same seed gives the same weights, progress and cancel."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tests.assist.conftest import Banking

from labelhub.assist import AssistModel, TrainConfig, TrainMode, train_head
from labelhub.errors import JobCancelled, ValidationError

FAST = {"epochs": 3, "min_steps": 60, "swag_samples": 5}  # a short run: reproducibility does not need a converged model


def _accuracy(model: AssistModel, banking: Banking) -> float:
    return float((model.predict(banking.x_test) == banking.test_y).mean())


@pytest.mark.parametrize("name", ["swa_model", "swag_model"])
def test_swa_and_swag_beat_chance_by_far_on_banking77(
    name: str, banking: Banking, request: pytest.FixtureRequest
) -> None:
    model: AssistModel = request.getfixturevalue(name)
    # 77 classes: chance is 1.3 %; 1,500 labels give about 0.8 with the default head.
    assert _accuracy(model, banking) > 0.65
    assert model.history.snapshots == model.config.snapshots
    assert model.history.epoch_loss[-1] < model.history.epoch_loss[0] / 5


def test_swag_predictions_average_weight_samples_around_the_swa_mean(swag_model: AssistModel, banking: Banking) -> None:
    samples = swag_model.sample_proba(banking.x_test[:50])
    assert samples.shape == (swag_model.config.swag_samples, 50, len(banking.classes))
    assert np.allclose(samples.mean(axis=0), swag_model.predict_proba(banking.x_test[:50]))
    assert np.abs(samples - samples[0]).max() > 1e-4  # the samples differ: there is something for BALD to read
    # Same model, same samples on every call: a proposal's score does not change when asked twice.
    assert np.array_equal(samples, swag_model.sample_proba(banking.x_test[:50]))
    mean = torch.nn.utils.parameters_to_vector(swag_model.head.parameters()).detach()
    assert swag_model.posterior is not None
    assert torch.allclose(mean, swag_model.posterior.mean, atol=1e-5)  # AveragedModel's mean is SWAG's mean


@pytest.mark.parametrize("mode", list(TrainMode))
def test_the_same_seed_gives_the_same_weights(mode: TrainMode, banking: Banking) -> None:
    x, y = banking.x_train[:400], banking.train_y[:400]
    a = train_head(x, y, len(banking.classes), TrainConfig(mode=mode, seed=3, **FAST))
    b = train_head(x, y, len(banking.classes), TrainConfig(mode=mode, seed=3, **FAST))
    c = train_head(x, y, len(banking.classes), TrainConfig(mode=mode, seed=4, **FAST))
    for (name, wa), wb in zip(a.head.state_dict().items(), b.head.state_dict().values(), strict=True):
        assert torch.equal(wa, wb), name
    assert np.array_equal(a.predict_proba(banking.x_test), b.predict_proba(banking.x_test))
    assert not np.array_equal(a.predict_proba(banking.x_test), c.predict_proba(banking.x_test))


def test_training_leaves_the_callers_random_state_alone(banking: Banking) -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train_head(banking.x_train[:200], banking.train_y[:200], len(banking.classes), TrainConfig(mode="sgd", **FAST))
    assert torch.equal(torch.rand(3), expected)
    assert not torch.are_deterministic_algorithms_enabled()


def test_progress_reaches_one_and_cancel_stops_the_run(banking: Banking) -> None:
    seen: list[tuple[float, str]] = []
    cfg = TrainConfig(mode="swag", epochs=4, min_steps=0)
    train_head(banking.x_train[:300], banking.train_y[:300], 77, cfg, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) == 4
    assert seen[0][1].startswith("pass 1/4, loss ")

    def cancel(fraction: float, message: str) -> None:
        if fraction >= 0.5:
            raise JobCancelled("job 1 was cancelled", field="cancel_requested")

    with pytest.raises(JobCancelled):
        train_head(banking.x_train[:300], banking.train_y[:300], 77, cfg, progress=cancel)


def test_dense_features_and_batch_norm_train_with_swa() -> None:
    # Two blobs in 8 dimensions; an MLP with batch norm, so SWA must recompute the running statistics.
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(-1, 1, (200, 8)), rng.normal(1, 1, (200, 8))]).astype(np.float32)
    y = np.repeat([0, 1], 200)
    cfg = TrainConfig(mode="swa", hidden=16, batch_norm=True, lr=0.05, epochs=10, min_steps=0)
    model = train_head(x, y, 2, cfg)
    bn = next(m for m in model.head.modules() if isinstance(m, torch.nn.BatchNorm1d))
    assert bn.num_batches_tracked.item() > 0 and not torch.allclose(bn.running_mean, torch.zeros(16))
    assert (model.predict(x) == y).mean() > 0.95
    swag = train_head(x, y, 2, TrainConfig(mode="swag", hidden=16, batch_norm=True, lr=0.05, epochs=10, min_steps=0))
    assert (swag.predict(x) == y).mean() > 0.95


def test_averaging_from_the_first_step_and_a_leftover_row_with_batch_norm() -> None:
    # Seven rows in batches of three leave one row over, which batch norm cannot take alone: it waits.
    x = np.random.default_rng(0).normal(size=(7, 4)).astype(np.float32)
    cfg = TrainConfig(mode="swag", swa_start=0.0, hidden=8, batch_norm=True, batch_size=3, epochs=2, min_steps=0)
    model = train_head(x, [0, 1, 0, 1, 0, 1, 0], 2, cfg)
    assert model.history.steps == 4 and model.history.snapshots == 4
    assert model.posterior is not None and model.posterior.snapshots == 4
    assert model.predict_proba(x).shape == (7, 2)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mode": "adam"}, "mode"),
        ({"lr": 0}, "lr"),
        ({"epochs": 0}, "epochs"),
        ({"swa_start": 1.0}, "swa_start"),
        ({"snapshots": 1}, "snapshots"),
        ({"swag_rank": True}, "swag_rank"),
        ({"batch_norm": True, "hidden": 0}, "batch_norm"),
        ({"dropout": float("nan")}, "dropout"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        TrainConfig(**kwargs)  # type: ignore[arg-type]
    assert err.value.context["field"] == field


@pytest.mark.parametrize(
    ("features", "labels", "n_classes", "field"),
    [
        (np.zeros((3, 2)), [0, 1], 2, "labels"),
        (np.zeros((3, 2)), [0, 1, 2], 2, "labels"),
        (np.zeros((2, 2)), [0.5, 1.0], 2, "labels"),
        (np.full((2, 2), np.nan), [0, 1], 2, "features"),
        (np.zeros(4), [0, 1, 0, 1], 2, "features"),
        (np.zeros((2, 2)), [0, 0], 1, "n_classes"),
    ],
)
def test_bad_input_names_the_field(features: object, labels: list[float], n_classes: int, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        train_head(features, labels, n_classes)
    assert err.value.context["field"] == field


def test_features_unlike_the_training_features_are_refused(swa_model: AssistModel) -> None:
    with pytest.raises(ValidationError) as err:
        swa_model.predict_proba(np.zeros((2, 5), dtype=np.float32))
    assert err.value.context["field"] == "features"
