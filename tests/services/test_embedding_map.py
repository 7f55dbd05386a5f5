"""The embedding map: UMAP (PCA for a handful of items) of real texts, labelled from the database when read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, update
from tests.builders import new_project
from tests.services._search import SYSTEM, banking_rows, item_ids, text_project

from labelhub.domain.enums import ItemKind
from labelhub.errors import NotFoundError, ValidationError
from labelhub.hub import Hub
from labelhub.services.embedding_map import compute_map, map_file, read_map
from labelhub.services.embeddings import embed_project
from labelhub.storage.models import Annotation, Item


def _embedded(hub: Hub, folder: Path, per_class: int, name: str) -> int:
    pid = text_project(hub, folder, banking_rows(per_class=per_class), name=name)
    embed_project(hub, SYSTEM, pid)
    return pid


def test_umap_lays_out_every_item_and_groups_intents(hub: Hub, tmp_path: Path) -> None:
    pid = _embedded(hub, tmp_path / "d", 6, "umap")
    seen: list[str] = []
    summary = compute_map(hub, SYSTEM, pid, progress=lambda f, m: seen.append(m))
    assert (summary["method"], summary["points"], summary["n_neighbors"]) == ("umap", 30, 15)
    assert seen[-1] == "mapped 30 items (umap)"
    stored = json.loads(map_file(hub, pid, "ngram").read_text())
    with hub.db.session() as s:
        view = read_map(s, hub, SYSTEM, pid)
    assert (view.space, view.method, len(view.points)) == ("ngram", "umap", 30)
    xy = np.array([(p.x, p.y) for p in view.points])
    assert xy.min() >= 0.0 and xy.max() <= 1.0 and np.ptp(xy, axis=0).max() == pytest.approx(1.0)
    assert {p.label for p in view.points} == {"card_arrival", "exchange_rate", "lost_or_stolen_phone",
                                               "top_up_failed", "atm_support"}  # fmt: skip
    # Items of one intent sit closer to each other than to the rest, on average (what the map is for).
    labels = np.array([p.label for p in view.points])
    dist = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    same = labels[:, None] == labels[None]
    np.fill_diagonal(same, False)
    assert dist[same].mean() < dist[~same & ~np.eye(len(xy), dtype=bool)].mean()
    # The same vectors give the same map (fixed random_state).
    compute_map(hub, SYSTEM, pid)
    assert json.loads(map_file(hub, pid, "ngram").read_text())["points"] == stored["points"]


def test_a_few_items_fall_back_to_pca_and_labels_are_read_fresh(hub: Hub, tmp_path: Path) -> None:
    pid = _embedded(hub, tmp_path / "d", 2, "pca")
    assert compute_map(hub, SYSTEM, pid)["method"] == "pca"
    ids = item_ids(hub, pid)
    with hub.db.session(write=True) as s:
        s.execute(update(Annotation).where(Annotation.item_id == ids["t000"]).values(label="relabelled"))
        s.execute(delete(Item).where(Item.id == ids["t001"]))
    with hub.db.session() as s:
        view = read_map(s, hub, SYSTEM, pid)
    by_id = {p.item_id: p for p in view.points}
    assert (view.method, len(view.points)) == ("pca", 9)
    assert by_id[ids["t000"]].label == "relabelled" and ids["t001"] not in by_id
    assert by_id[ids["t002"]].name == "t002" and by_id[ids["t002"]].thumb_url is None


def test_no_map_before_it_is_computed(hub: Hub, tmp_path: Path) -> None:
    pid = text_project(hub, tmp_path / "d", banking_rows(per_class=1), name="nomap")
    with hub.db.session() as s, pytest.raises(NotFoundError, match="compute"):
        read_map(s, hub, SYSTEM, pid)
    with pytest.raises(ValidationError, match="compute the embeddings first"):
        compute_map(hub, SYSTEM, pid)
    empty = new_project(hub, "no-items", ItemKind.IMAGE)
    with hub.db.session() as s, pytest.raises(NotFoundError):
        read_map(s, hub, SYSTEM, empty)
