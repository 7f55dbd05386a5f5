"""Exact duplicates by content hash; near-duplicates from the index, by leader grouping or components."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from tests.search._data import coco_captions

from labelhub.errors import ValidationError
from labelhub.search import DuplicateGroup, create_embedder, create_index, exact_duplicates, near_duplicates


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_exact_duplicates_group_equal_hashes_and_keep_the_first() -> None:
    items = [(5, sha("a")), (2, sha("b")), (9, sha("a")), (3, sha("a").upper()), (4, sha("c")), (7, sha("b"))]
    assert exact_duplicates(items) == [
        DuplicateGroup(2, (7,), (1.0,), "exact"),
        DuplicateGroup(3, (5, 9), (1.0, 1.0), "exact"),
    ]
    assert exact_duplicates([(1, sha("x"))]) == []


@pytest.mark.parametrize(
    ("field", "items"),
    [
        ("sha256", [(1, "abc")]),
        ("sha256", [(1, None)]),
        ("id", [(-1, sha("a"))]),
        ("id", [("7", sha("a"))]),
        ("items", [(1,)]),
    ],
)
def test_bad_hash_input_names_the_field(field: str, items: list[tuple[object, ...]]) -> None:
    with pytest.raises(ValidationError) as info:
        exact_duplicates(items)  # type: ignore[arg-type]
    assert info.value.context["field"] == field


@pytest.mark.parametrize("backend", ["exact", "hnswlib"])
def test_near_copies_of_captions_are_grouped(backend: str, tmp_path: Path) -> None:
    captions = [c for _, c in coco_captions()]
    # Near copies as a careless import makes them: different case, punctuation, spacing.
    copies = {0: captions[0].upper(), 40: captions[40] + " .", 41: "  ".join(captions[40].lower().split())}
    texts = captions + list(copies.values())
    vectors = create_embedder("ngram").embed_texts(texts)
    index = create_index(tmp_path / "ix", dim=vectors.shape[1], backend=backend)
    index.add(range(len(texts)), vectors)
    groups = near_duplicates(index, 0.95)
    as_sets = {frozenset(g.ids) for g in groups}
    assert frozenset({0, 395}) in as_sets
    assert frozenset({40, 396, 397}) in as_sets
    for g in groups:
        assert all(s >= 0.95 for s in g.scores)
    progress: list[tuple[int, int]] = []
    only = near_duplicates(index, 0.95, ids=[0, 395, 1, 2], progress=lambda d, t: progress.append((d, t)))
    assert [set(g.ids) for g in only] == [{0, 395}]
    assert progress == [(4, 4)]


def chain(count: int, step: float) -> np.ndarray:
    """Unit vectors on an arc, ``step`` radians apart: neighbours are alike, the two ends are not."""
    angles = np.arange(count) * step
    out = np.zeros((count, 8), dtype=np.float32)
    out[:, 0], out[:, 1] = np.cos(angles), np.sin(angles)
    return out


def test_leader_groups_keep_every_member_close_to_the_one_kept(tmp_path: Path) -> None:
    vectors = chain(30, 0.1)  # cos(0.1) = 0.995 between neighbours, cos(2.9) < 0 between the ends
    index = create_index(tmp_path / "ix", dim=8, backend="exact")
    index.add(range(30), vectors)
    components = near_duplicates(index, 0.99, method="components")
    assert len(components) == 1 and len(components[0].ids) == 30
    assert min(components[0].scores) < 0  # chaining: the group holds items unlike the one kept
    leaders = near_duplicates(index, 0.99)
    grouped = [i for g in leaders for i in g.ids]
    assert len(grouped) == len(set(grouped)) >= 27  # at most an item at each end of a run is left alone
    for g in leaders:
        assert min(g.scores) >= 0.99
        assert len(g.ids) <= 3


@pytest.mark.parametrize(
    ("field", "kwargs"), [("threshold", {"threshold": 0.0}), ("k", {"k": 0}), ("method", {"method": "dbscan"})]
)
def test_bad_grouping_settings_name_the_field(field: str, kwargs: dict[str, object], tmp_path: Path) -> None:
    index = create_index(tmp_path / "ix", dim=8, backend="exact")
    with pytest.raises(ValidationError) as info:
        near_duplicates(index, **kwargs)  # type: ignore[arg-type]
    assert info.value.context["field"] == field
