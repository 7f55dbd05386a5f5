"""BANKING77 for the assist tests: a fixed subsample, its features, and models trained once per session.

The whole data set trains in tens of seconds per model; 1,500 train and 600 test texts, hashed into a quarter
of the default columns, keep the assist tests at a few seconds per model while 77 classes stay 77 classes
(chance is 1.3 %).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from tests.conftest import data_path

from labelhub.assist import AssistModel, TextFeaturizer, TrainConfig, TrainMode, train_head

N_TRAIN = 1500
N_TEST = 600
DIM = 2**11  # hashed columns per n-gram kind: a quarter of the default, for a quicker head


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """One PyTorch thread: the heads' small batches gain little from two, and under pytest-xdist or other work
    on a 2-core machine, two spinning OpenMP threads per process make every step several times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@dataclass(frozen=True)
class Banking:
    """A subsample of BANKING77: texts, class names and indices, and TF-IDF rows from a featurizer."""

    classes: list[str]
    train_texts: list[str]
    train_labels: list[str]
    train_y: np.ndarray
    test_texts: list[str]
    test_y: np.ndarray
    featurizer: TextFeaturizer
    x_train: sp.csr_matrix
    x_test: sp.csr_matrix


def _read(name: str) -> tuple[list[str], list[str]]:
    with data_path("text_banking77", name).open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["category"] for r in rows]


@pytest.fixture(scope="session")
def banking() -> Banking:
    texts, labels = _read("train.csv")
    test_texts, test_labels = _read("test.csv")
    classes = sorted(set(labels))
    index = {c: i for i, c in enumerate(classes)}
    pick = np.random.default_rng(0).permutation(len(texts))[:N_TRAIN]
    pick_test = np.random.default_rng(1).permutation(len(test_texts))[:N_TEST]
    train_texts = [texts[i] for i in pick]
    featurizer = TextFeaturizer(dim=DIM).fit(train_texts)
    return Banking(
        classes=classes,
        train_texts=train_texts,
        train_labels=[labels[i] for i in pick],
        train_y=np.array([index[labels[i]] for i in pick]),
        test_texts=[test_texts[i] for i in pick_test],
        test_y=np.array([index[test_labels[i]] for i in pick_test]),
        featurizer=featurizer,
        x_train=featurizer.transform(train_texts),
        x_test=featurizer.transform([test_texts[i] for i in pick_test]),
    )


@pytest.fixture(scope="session")
def swa_model(banking: Banking) -> AssistModel:
    return train_head(banking.x_train, banking.train_y, len(banking.classes), TrainConfig(mode=TrainMode.SWA))


@pytest.fixture(scope="session")
def swag_model(banking: Banking) -> AssistModel:
    return train_head(banking.x_train, banking.train_y, len(banking.classes), TrainConfig(mode=TrainMode.SWAG))
