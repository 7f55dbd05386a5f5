"""Bad input is refused with a ValidationError that names the field at fault."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labelhub.errors import ValidationError
from labelhub.search import create_index

GOOD = np.eye(4, dtype=np.float32)[:2]
NAN = np.array([[1.0, 0.0, 0.0, 0.0], [np.nan, 1.0, 0.0, 0.0]], dtype=np.float32)


@pytest.mark.parametrize("backend", ["exact", "hnswlib"])
@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("vectors", lambda ix: ix.add([1, 2], np.ones((2, 3), dtype=np.float32))),  # wrong dimension
        ("vectors", lambda ix: ix.add([1, 2], NAN)),
        ("vectors", lambda ix: ix.add([1, 2], np.zeros((2, 4), dtype=np.float32))),  # no direction
        ("vectors", lambda ix: ix.add([1, 2, 3], GOOD)),  # three ids, two rows
        ("vectors", lambda ix: ix.add([1, 2], np.array([["a", "b", "c", "d"]] * 2))),
        ("ids", lambda ix: ix.add([1, -2], GOOD)),
        ("ids", lambda ix: ix.add([1, 1], GOOD)),
        ("ids", lambda ix: ix.add([1.5, 2], GOOD)),
        ("ids", lambda ix: ix.remove([[1, 2]])),
        ("query", lambda ix: ix.search(np.ones(5, dtype=np.float32))),
        ("query", lambda ix: ix.search(np.array([np.inf, 0, 0, 0]))),
        ("k", lambda ix: ix.search(GOOD[0], 0)),
        ("k", lambda ix: ix.search(GOOD[0], True)),
        ("allowed_ids", lambda ix: ix.search(GOOD[0], 3, allowed_ids=[-1])),
    ],
)
def test_bad_input_names_the_field(backend: str, field: str, call: Callable[[Any], object], tmp_path: Path) -> None:
    index = create_index(tmp_path / "ix", dim=4, backend=backend)
    index.add([1, 2], GOOD)
    with pytest.raises(ValidationError) as info:
        call(index)
    assert info.value.context["field"] == field
    assert len(index) == 2  # a refused call changed nothing


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("backend", {"backend": "annoy"}),
        ("dim", {"backend": "exact", "dim": 0}),
        ("dim", {"backend": "hnswlib", "dim": 2.5}),
        ("options", {"backend": "exact", "M": 16}),
        ("options", {"backend": "hnswlib", "m": 16}),
        ("M", {"backend": "hnswlib", "M": 1}),
        ("ef_search", {"backend": "hnswlib", "ef_search": "many"}),
    ],
)
def test_bad_index_settings_name_the_field(field: str, kwargs: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        create_index(tmp_path / "ix", **{"dim": 4, **kwargs})
    assert info.value.context["field"] == field
    assert not (tmp_path / "ix" / "meta.json").exists()


def test_unit_length_is_not_required_of_the_caller(tmp_path: Path) -> None:
    index = create_index(tmp_path / "ix", dim=4, backend="exact")
    index.add([1], [[3.0, 4.0, 0.0, 0.0]])
    hits = index.search([6.0, 8.0, 0.0, 0.0], 1)
    assert hits.scores[0] == pytest.approx(1.0)
    assert np.allclose(index.get([1])[0], [0.6, 0.8, 0.0, 0.0])
