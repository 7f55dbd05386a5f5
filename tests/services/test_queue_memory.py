"""What the labelling queue keeps of a SWAG model's predictions: the probabilities and each item's BALD score, not
the weight samples (``samples x items x classes`` float64s, 92 MB for a 5,000-item pool of BANKING77's 77 classes
with 30 samples), and the BALD queue in the order the samples give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from tests.assist._rows import banking_rows
from tests.services._banking_project import banking_project

from labelhub.assist import strategies as st
from labelhub.assist.predictors import load_predictor
from labelhub.hub import Hub
from labelhub.services import models as svc
from labelhub.services.access import Actor
from labelhub.services.model_jobs import train_version
from labelhub.services.queue import queue
from labelhub.storage.models import Item, ModelVersion

SYSTEM = Actor.system()
CLASSES = 8
SAMPLES = 30
SPEC = svc.TrainSpec(kind="text_classifier", mode="swag", seed=3, features=2**10, min_steps=60)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # one training; the queue reads no SQL of its own here
def test_bald_keeps_a_score_per_item_not_the_samples_and_ranks_as_the_samples_do(hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=CLASSES, per_class=30)
    with hub.db.session(write=True) as s:  # 160 texts to label, from the test split
        for n, (text, _) in enumerate(banking_rows(CLASSES, 20, "test.csv")):
            s.add(Item(project_id=pid, kind="text", name=f"todo-{n:03d}", text=text))
    mid = train_version(hub, SYSTEM, pid, SPEC)
    with hub.db.session() as s:
        view = queue(s, hub, SYSTEM, pid, strategy="bald", limit=50)
        mv = s.get_one(ModelVersion, mid)
        pool = list(
            s.scalars(select(Item.id).where(Item.project_id == pid, Item.name.like("todo-%")).order_by(Item.id))
        )
        inputs = svc.item_inputs(s, hub, pid, pool)
        ref = svc.model_ref(hub, mv)
    assert view.strategy == "bald" and view.pool == len(pool) == 160
    assert all(e.reason.startswith("bald; bald ") for e in view.items), view.items[0].reason

    # The order and scores the whole pool's samples give, as the queue computed them before it kept only scores.
    preds = load_predictor(ref).predict(inputs)
    samples = np.stack([p.samples for p in preds], axis=1)  # type: ignore[misc]
    assert samples.shape == (SAMPLES, 160, CLASSES)
    probs = np.stack([p.probs for p in preds])  # type: ignore[misc]
    expected = st.select("bald", st.Pool(probs=probs, samples=samples), 50)
    scores = st.bald_scores(samples)
    assert [e.id for e in view.items] == [pool[int(i)] for i in expected]
    assert [e.score for e in view.items] == [round(float(scores[int(i)]), 6) for i in expected]

    # Kept: 160 x 8 probabilities (8 bytes each), each item's own array; the samples were 30 times that.
    assert hub.queue.prediction_bytes() == 160 * CLASSES * 8
    assert samples.nbytes == SAMPLES * hub.queue.prediction_bytes()
    [kept] = hub.queue.predictions.values()
    assert sorted(kept) == pool
    assert all(k.probs.base is None and k.bald is not None for k in kept.values())

    # Another strategy on the same model asks the model nothing more: the probabilities are kept.
    with hub.db.session() as s:
        entropy = queue(s, hub, SYSTEM, pid, strategy="entropy", limit=50)
    assert [e.id for e in entropy.items] == [pool[int(i)] for i in st.select("entropy", st.Pool(probs=probs), 50)]
    assert hub.queue.prediction_bytes() == 160 * CLASSES * 8
