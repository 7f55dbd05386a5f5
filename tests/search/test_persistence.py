"""An index saved in its folder comes back as it was, in a new object, whichever backend wrote it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.search._data import coco_captions

from labelhub.errors import ConflictError, FormatError
from labelhub.search import ExactIndex, HnswIndex, NgramConfig, create_embedder, create_index, open_index


@pytest.mark.parametrize(("backend", "cls"), [("exact", ExactIndex), ("hnswlib", HnswIndex)])
def test_reopened_index_answers_as_before(backend: str, cls: type, tmp_path: Path) -> None:
    captions = [c for _, c in coco_captions()]
    vectors = create_embedder("ngram", NgramConfig(dim=128)).embed_texts(captions)
    folder = tmp_path / "project-1" / "ngram"
    index = create_index(folder, dim=128, backend=backend)
    index.add(range(len(captions)), vectors)
    index.remove(range(0, 40))
    index.save()
    before = [index.search(vectors[i], 5) for i in range(0, len(captions), 13)]

    reopened = open_index(folder)  # a new object on the same folder, as after a restart
    assert isinstance(reopened, cls)
    assert len(reopened) == len(captions) - 40 and reopened.dim == 128
    assert 3 not in reopened and 50 in reopened
    after = [reopened.search(vectors[i], 5) for i in range(0, len(captions), 13)]
    for a, b in zip(before, after, strict=True):
        assert a.ids.tolist() == b.ids.tolist()
        assert np.allclose(a.scores, b.scores, atol=1e-6)
    reopened.add([3], vectors[3:4])  # and it takes changes again
    reopened.save()
    assert 3 in open_index(folder)


@pytest.mark.parametrize("backend", ["exact", "hnswlib"])
def test_unsaved_changes_are_not_on_disk(backend: str, tmp_path: Path) -> None:
    index = create_index(tmp_path / "ix", dim=8, backend=backend)
    index.add([1, 2], np.eye(8, dtype=np.float32)[:2])
    index.save()
    index.add([3], np.eye(8, dtype=np.float32)[2:3])
    assert len(open_index(tmp_path / "ix")) == 2


def test_creating_over_an_index_is_refused(tmp_path: Path) -> None:
    create_index(tmp_path / "ix", dim=8, backend="exact")
    with pytest.raises(ConflictError) as info:
        create_index(tmp_path / "ix", dim=8, backend="hnswlib")
    assert info.value.context["field"] == "folder"


def test_opening_a_folder_without_an_index_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError) as info:
        open_index(tmp_path)
    assert info.value.context["file"].endswith("meta.json")
