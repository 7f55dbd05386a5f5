"""attribute_is on both backends: typed matches (true is not "true", 3 is 3.0, a scalar is no array or object, JSON
null is no value) and names holding quotes, checked on the stored values directly (the API tests go through the
declared types)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from tests.builders import new_project

from labelhub.hub import Hub
from labelhub.storage.attribute_values import Match, attribute_is
from labelhub.storage.models import Annotation, Item

# One box per item, named by what its attributes hold.
BOXES: dict[str, dict[str, Any]] = {
    "int 3": {"n": 3},
    "real 3.0": {"n": 3.0},
    "text 3": {"n": "3"},
    "json true": {"flag": True},
    "text true": {"flag": "true"},
    "quoted name": {'say "hi"': "x", "t": "é"},
    "arrays": {"n": [3], "t": ["é"], "flag": [True]},
    "object, null": {"n": {"v": 3}, "flag": None},
}


@pytest.fixture
def project(hub: Hub) -> int:
    pid = new_project(hub, "attrs")
    with hub.db.session(write=True) as s:
        for name, attributes in BOXES.items():
            item = Item(project_id=pid, kind="image", name=name)
            s.add(item)
            s.flush()
            s.add(Annotation(item_id=item.id, project_id=pid, kind="box", label="car", geometry={"bbox": [1, 1, 2, 2]},
                             attributes=attributes))  # fmt: skip
    return pid


def _matching(hub: Hub, pid: int, name: str, match: Match, value: float | str | None = None) -> list[str]:
    with hub.db.session() as s:
        query = select(Item.name).join(Annotation, Annotation.item_id == Item.id)
        rows = s.scalars(query.where(Item.project_id == pid, attribute_is(name, match, value)).order_by(Item.id))
        return list(rows)


@pytest.mark.parametrize(
    ("name", "match", "value", "want"),
    [
        ("n", "number", 3, ["int 3", "real 3.0"]),
        ("n", "number", 3.0, ["int 3", "real 3.0"]),
        ("n", "number", 3.5, []),
        ("n", "text", "3", ["text 3"]),
        ("flag", "true", None, ["json true"]),
        ("flag", "false", None, []),
        ("flag", "text", "true", ["text true"]),
        ('say "hi"', "text", "x", ["quoted name"]),
        ('say "hi"', "any", None, ["quoted name"]),
        ("t", "text", "é", ["quoted name"]),  # not the array ["é"]
        ("n", "any", None, ["int 3", "real 3.0", "text 3", "arrays", "object, null"]),
        ("flag", "any", None, ["json true", "text true", "arrays"]),  # JSON null is no value
        ("missing", "any", None, []),
    ],
)
def test_a_value_matches_by_its_json_type(
    hub: Hub, project: int, name: str, match: Match, value: float | str | None, want: list[str]
) -> None:
    assert _matching(hub, project, name, match, value) == want


def test_each_query_keeps_its_own_name_and_value(hub: Hub, project: int) -> None:
    """The compiled statement is cached by its shape: a second query of that shape must not reuse the first's."""
    assert _matching(hub, project, "n", "text", "3") == ["text 3"]
    assert _matching(hub, project, "t", "text", "é") == ["quoted name"]
    assert _matching(hub, project, 'say "hi"', "text", "x") == ["quoted name"]
