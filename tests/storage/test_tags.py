"""has_tag on both backends: the tagged items, and each query its own tag (the statement cache keeps it apart)."""

from __future__ import annotations

from sqlalchemy import select
from tests.builders import new_project

from labelhub.domain.enums import ItemKind
from labelhub.hub import Hub
from labelhub.storage.models import Item
from labelhub.storage.tags import has_tag


def test_items_are_found_by_each_tag(hub: Hub) -> None:
    pid = new_project(hub, "tags", ItemKind.TEXT)
    tags = {"a": ["cats", "night"], "b": ["night"], "c": [], "d": ['say "hi"', "é"]}
    with hub.db.session(write=True) as s:
        for name, t in tags.items():
            s.add(Item(project_id=pid, kind="text", name=name, text=name, meta={"tags": t} if t else {}))

    def named(tag: str) -> list[str]:
        with hub.db.session() as s:
            return sorted(s.scalars(select(Item.name).where(Item.project_id == pid, has_tag(tag))))

    assert named("night") == ["a", "b"]
    assert named("cats") == ["a"]  # the same statement again, another value: not the cached one's
    assert named("nigh") == [] and named('say "hi"') == ["d"] and named("é") == ["d"]
