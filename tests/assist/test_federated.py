"""FedAvg's arithmetic and checks, the weights' wire format (safetensors, never pickle) and a site's local round."""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from labelhub.assist.config import TrainConfig, TrainMode
from labelhub.assist.federated import (
    FeatureSettings,
    RoundSettings,
    SiteState,
    decode_state,
    encode_state,
    expected_shapes,
    fedavg,
    federated_featurizer,
    initial_state,
    local_round,
)
from labelhub.assist.text import TextFeaturizer
from labelhub.assist.train import train_head
from labelhub.errors import FormatError, ValidationError

TEXTS = ["card arrived late", "my card has not arrived", "where is my new card", "card still missing",
         "exchange rate is wrong", "bad exchange rate", "the rate for euros", "currency rate charged"]  # fmt: skip
LABELS = np.array([0, 0, 0, 0, 1, 1, 1, 1])
SETTINGS = RoundSettings(classes=("card_arrival", "exchange_rate"), features=FeatureSettings(dim=64), hidden=8,
                         steps=6, lr=0.5, batch_size=4, seed=3)  # fmt: skip


def test_fedavg_is_the_mean_weighted_by_the_sites_counts() -> None:
    a = {"w": torch.tensor([[1.0, 2.0], [3.0, 4.0]]), "b": torch.tensor([0.0])}
    b = {"w": torch.tensor([[5.0, 6.0], [7.0, 8.0]]), "b": torch.tensor([4.0])}
    out = fedavg([SiteState("a", a, 1), SiteState("b", b, 3)])
    # by hand: (1 * a + 3 * b) / 4
    assert torch.equal(out["w"], torch.tensor([[4.0, 5.0], [6.0, 7.0]]))
    assert torch.equal(out["b"], torch.tensor([3.0]))
    assert out["w"].dtype == torch.float32


@pytest.mark.parametrize(
    ("second", "words", "field"),
    [
        ({"w": torch.zeros(2, 3), "b": torch.zeros(1)}, "site-b: tensor w has shape (2, 3), expected (2, 2)",
         "weights.w"),
        ({"w": torch.zeros(2, 2)}, "site-b: weights are missing ['b']", "weights.b"),
        ({"w": torch.zeros(2, 2), "b": torch.tensor([float("nan")])}, "site-b: tensor b holds NaN", "weights.b"),
        ({"w": torch.zeros(2, 2, dtype=torch.float64), "b": torch.zeros(1)}, "site-b: tensor w is torch.float64",
         "weights.w"),
    ],
)  # fmt: skip
def test_fedavg_refuses_a_mismatched_site_naming_it_and_the_tensor(second: dict, words: str, field: str) -> None:
    first = {"w": torch.zeros(2, 2), "b": torch.zeros(1)}
    with pytest.raises(ValidationError, match=words.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")) as e:
        fedavg([SiteState("site-a", first, 5), SiteState("site-b", second, 5)])
    assert e.value.context["field"] == field


def test_round_settings_name_the_field_that_is_wrong() -> None:
    good = SETTINGS.to_json()
    assert RoundSettings.from_json(json.loads(json.dumps(good))) == SETTINGS
    for bad, field in (({**good, "classes": ["a", "a"]}, "classes"), ({**good, "surprise": 1}, "surprise"),
                       ({**good, "features": {"kind": "bert", "dim": 64}}, "features.kind"),
                       ({**good, "steps": 100_000}, "steps")):  # fmt: skip
        with pytest.raises(ValidationError) as e:
            RoundSettings.from_json(bad)
        assert e.value.context["field"] == field


def test_weights_travel_as_safetensors_and_a_pickle_is_refused_unread(tmp_path: Path) -> None:
    state = initial_state(SETTINGS)
    back, meta = decode_state(encode_state(state, {"examples": "8"}))
    assert meta == {"examples": "8"} and set(back) == set(state)
    assert all(torch.equal(back[k], state[k]) for k in state)

    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[object, ...]]:
            return (Path.touch, (marker,))

    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2), "x": Exploit()}, buf)
    for payload in (pickle.dumps(Exploit()), buf.getvalue(), b"", encode_state(state)[:-5]):
        with pytest.raises(FormatError) as e:
            decode_state(payload)
        assert e.value.context["field"] == "body"
    assert not marker.exists()


def test_a_local_round_starts_from_the_global_weights_and_is_deterministic() -> None:
    x = federated_featurizer(SETTINGS.features).transform(TEXTS)
    start = initial_state(SETTINGS)
    moved = {k: v + 0.01 for k, v in start.items()}
    one, steps = local_round(moved, x, LABELS, SETTINGS)
    two, _ = local_round(moved, x, LABELS, SETTINGS)
    other, _ = local_round(start, x, LABELS, SETTINGS)
    assert steps == 6  # 2 batches a pass, 3 passes
    assert all(torch.equal(one[k], two[k]) for k in one)
    assert not torch.equal(one["first.bag.weight"], other["first.bag.weight"])
    assert set(one) == set(expected_shapes(128, 2, 8))


def test_train_head_refuses_initial_weights_of_another_shape() -> None:
    x = federated_featurizer(SETTINGS.features).transform(TEXTS)
    bad = {**initial_state(SETTINGS), "first.bias": torch.zeros(9)}
    with pytest.raises(ValidationError) as e:
        train_head(x, LABELS, 2, TrainConfig(mode=TrainMode.SGD, hidden=8, epochs=1, min_steps=1), initial=bad)
    assert e.value.context["field"] == "initial.first.bias"


def test_federated_features_depend_on_the_text_alone_and_match_the_head() -> None:
    """Two sites featurise a text alike whatever else they hold (uniform IDF), into the head's input width."""
    a = federated_featurizer(FeatureSettings(dim=64), TEXTS[:4]).transform(["card rate"])
    b = federated_featurizer(FeatureSettings(dim=64), TEXTS[4:]).transform(["card rate"])
    assert (a != b).nnz == 0
    assert a.shape[1] == FeatureSettings(dim=64).n_features == TextFeaturizer(dim=64).n_features
