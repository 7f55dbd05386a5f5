"""An item's position in a filtered, sorted list: the number of matching items before it, in each order."""

from __future__ import annotations

import pytest
from tests.builders import shuffled_texts

from labelhub.errors import ValidationError
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.item_order import ItemOrder
from labelhub.services.items import ItemFilter, item_position, list_items

SYSTEM = Actor.system()
NAMES = ["img", "img1", "img10", "img2", "imga", "dog", "dog1", "cat", "cata", "zebra", "a", "ab", "b"]


@pytest.fixture
def project(hub: Hub) -> int:
    """A text project of NAMES imported shuffled (id order is not name order); every other item has a ``cat``."""
    pid = shuffled_texts(hub, "positions", NAMES, seed=3)
    return pid


@pytest.mark.parametrize("order", list(ItemOrder))
@pytest.mark.parametrize("f", [ItemFilter(), ItemFilter(label="cat")], ids=["all", "label=cat"])
def test_position_is_the_place_in_the_listed_order(hub: Hub, project: int, order: ItemOrder, f: ItemFilter) -> None:
    with hub.db.session() as s:
        listed = [it.id for it in list_items(s, SYSTEM, project, f, limit=1000, order=order).items]
        assert 0 < len(listed) <= len(NAMES)
        for i, item_id in enumerate(listed):
            assert item_position(s, SYSTEM, project, f, item_id, order) == i


def test_an_item_outside_the_filter_is_placed_among_those_that_match(hub: Hub, project: int) -> None:
    with hub.db.session() as s:
        every = list_items(s, SYSTEM, project, ItemFilter(), limit=1000, order=ItemOrder.NAME).items
        cats = {it.id for it in list_items(s, SYSTEM, project, ItemFilter(label="cat"), limit=1000).items}
        outside = next(it for it in every if it.id not in cats)
        before = [it for it in every[: every.index(outside)] if it.id in cats]
        got = item_position(s, SYSTEM, project, ItemFilter(label="cat"), outside.id, ItemOrder.NAME)
        assert got == len(before)


def test_in_a_name_order_the_item_must_be_of_the_project(hub: Hub, project: int) -> None:
    with hub.db.session() as s, pytest.raises(ValidationError) as err:
        item_position(s, SYSTEM, project, ItemFilter(), 999_999, ItemOrder.NAME)
    assert err.value.context["field"] == "position_of"
