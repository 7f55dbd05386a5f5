"""Item lists in every order: keyset pages that visit each item once, with filters, both ways."""

from __future__ import annotations

import pytest
from tests.builders import new_project, shuffled_texts

from labelhub.domain.enums import ItemKind
from labelhub.domain.natural import natural_key
from labelhub.errors import ValidationError
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.item_delete import delete_items
from labelhub.services.item_order import ItemOrder
from labelhub.services.items import ItemFilter, list_items

SYSTEM = Actor.system()
# Names that share prefixes, with numbers ("img" < "img1" < "img2" < "img10" < "imga", naturally).
NAMES = ["img", "img1", "img10", "img100", "img11", "img2", "img20", "imga", "imgb", "imgba", "dog", "dogs",
         "dog1", "cat", "cat0", "cata", "catalog", "zebra", "z", "a", "aa", "aaa", "ab", "b"]  # fmt: skip


@pytest.fixture
def project(hub: Hub) -> tuple[int, dict[str, int]]:
    """A text project of NAMES imported in a shuffled order (so id order is not name order); every other item
    (by import order) is labelled ``cat``. Returns the project and each name's item id."""
    pid = shuffled_texts(hub, "sorted", NAMES, seed=7)
    with hub.db.session() as s:
        page = list_items(s, SYSTEM, pid, ItemFilter(), limit=1000)
    return pid, {it.name: it.id for it in page.items}


def _walk(hub: Hub, pid: int, f: ItemFilter, order: ItemOrder, limit: int) -> list[str]:
    """Every item's name, page by page: each page starts after the previous page's ``next_after``."""
    names: list[str] = []
    after: int | None = None
    with hub.db.session() as s:
        for _ in range(100):
            page = list_items(s, SYSTEM, pid, f, after=after, limit=limit, order=order)
            names += [it.name for it in page.items]
            if page.next_after is None:
                return names
            assert page.next_after == page.items[-1].id
            after = page.next_after
    raise AssertionError("paging did not end")


def _natural(name: str) -> tuple[str, str]:
    """The name orders' sort key (tests/services/test_item_natural_order.py checks it against literal lists)."""
    return natural_key(name), name


def _expected(ids: dict[str, int], order: ItemOrder, keep: set[str] | None = None) -> list[str]:
    names = [n for n in ids if keep is None or n in keep]
    if order.by_name:
        return sorted(names, key=_natural, reverse=order.descending)
    return sorted(names, key=lambda n: ids[n], reverse=order.descending)


@pytest.mark.parametrize("order", list(ItemOrder))
@pytest.mark.parametrize("limit", [1, 5, 24, 100])
def test_pages_in_each_order_visit_every_item_once(
    hub: Hub, project: tuple[int, dict[str, int]], order: ItemOrder, limit: int
) -> None:
    pid, ids = project
    assert _walk(hub, pid, ItemFilter(), order, limit) == _expected(ids, order)


@pytest.mark.parametrize("order", list(ItemOrder))
def test_filters_combine_with_each_order(hub: Hub, project: tuple[int, dict[str, int]], order: ItemOrder) -> None:
    pid, ids = project
    with hub.db.session() as s:
        cats = {it.name for it in list_items(s, SYSTEM, pid, ItemFilter(label="cat"), limit=1000).items}
    assert len(cats) == len(NAMES) // 2
    assert _walk(hub, pid, ItemFilter(label="cat"), order, 5) == _expected(ids, order, cats)
    # A text filter (its own conditions on the item row) with a label one, over pages of 2.
    both = {n for n in cats if "img" in n}
    assert _walk(hub, pid, ItemFilter(label="cat", q="img"), order, 2) == _expected(ids, order, both)


@pytest.mark.parametrize("order", list(ItemOrder))
def test_before_gives_the_items_just_before_an_item_in_the_order(
    hub: Hub, project: tuple[int, dict[str, int]], order: ItemOrder
) -> None:
    pid, ids = project
    listed = _expected(ids, order)
    with hub.db.session() as s:
        for at in (0, 1, 7, len(listed) - 1):
            page = list_items(s, SYSTEM, pid, ItemFilter(), before=ids[listed[at]], limit=3, order=order)
            assert [it.name for it in page.items] == listed[max(0, at - 3) : at]
            assert page.next_after is None
            nxt = list_items(s, SYSTEM, pid, ItemFilter(), after=ids[listed[at]], limit=1, order=order)
            assert [it.name for it in nxt.items] == listed[at + 1 : at + 2]


def test_a_name_order_starts_only_at_an_item_of_the_project(hub: Hub, project: tuple[int, dict[str, int]]) -> None:
    pid, ids = project
    other = new_project(hub, "other", ItemKind.TEXT)
    gone = max(ids.values()) + 1000
    with hub.db.session() as s:
        for field, at in (("after", {"after": gone}), ("before", {"before": ids["dog"]})):
            with pytest.raises(ValidationError) as exc:
                list_items(s, SYSTEM, other if field == "before" else pid, ItemFilter(), order=ItemOrder.NAME, **at)
            assert exc.value.context["field"] == field
        # In id order an id that is no item still marks a place, as it always has.
        page = list_items(s, SYSTEM, pid, ItemFilter(), after=gone, order=ItemOrder.ID_DESC, limit=2)
        assert [it.name for it in page.items] == _expected(ids, ItemOrder.ID_DESC)[:2]


@pytest.mark.parametrize("order", [ItemOrder.NAME, ItemOrder.NAME_DESC])
def test_a_name_page_goes_on_from_a_deleted_item_by_its_name(
    hub: Hub, project: tuple[int, dict[str, int]], order: ItemOrder
) -> None:
    """The grid holds page 1 while another user deletes its last item: page 2, asked for by that item's name,
    holds the items after it, none missed and none repeated."""
    pid, ids = project
    listed = _expected(ids, order)
    with hub.db.session() as s:
        first = list_items(s, SYSTEM, pid, ItemFilter(), limit=5, order=order)
    last = first.items[-1]
    assert (last.name, first.next_after) == (listed[4], last.id)
    with hub.db.session(write=True) as s:
        assert delete_items(s, SYSTEM, pid, [last.id]) == [last.id]
    seen = [it.name for it in first.items]
    after, after_name = first.next_after, last.name
    with hub.db.session() as s:
        with pytest.raises(ValidationError):  # by its id alone the place is lost
            list_items(s, SYSTEM, pid, ItemFilter(), after=after, limit=5, order=order)
        while after is not None:
            page = list_items(s, SYSTEM, pid, ItemFilter(), after=after, after_name=after_name, limit=5, order=order)
            seen += [it.name for it in page.items]
            after, after_name = page.next_after, page.items[-1].name if page.items else None
    assert seen == listed
    # Backwards too: the items just before the deleted one, in the order.
    with hub.db.session() as s:
        page = list_items(s, SYSTEM, pid, ItemFilter(), before=last.id, before_name=last.name, limit=3, order=order)
    assert [it.name for it in page.items] == listed[1:4]


def test_an_anchor_name_is_for_the_name_orders_only(hub: Hub, project: tuple[int, dict[str, int]]) -> None:
    pid, ids = project
    with hub.db.session() as s:
        with pytest.raises(ValidationError) as exc:
            list_items(s, SYSTEM, pid, ItemFilter(), after_name="dog", order=ItemOrder.ID)
        assert exc.value.context["field"] == "after_name"
        with pytest.raises(ValidationError) as exc:
            list_items(s, SYSTEM, pid, ItemFilter(), before=ids["dog"], before_name="dog", order=ItemOrder.ID_DESC)
        assert exc.value.context["field"] == "before_name"
        with pytest.raises(ValidationError) as exc:
            list_items(s, SYSTEM, pid, ItemFilter(), after_name="dog", before_name="cat", order=ItemOrder.NAME)
        assert exc.value.context["field"] == "before"
        # A name alone is a place: the first page after "dog" A to Z.
        page = list_items(s, SYSTEM, pid, ItemFilter(), after_name="dog", limit=2, order=ItemOrder.NAME)
        a_to_z = _expected(ids, ItemOrder.NAME)
        assert [it.name for it in page.items] == a_to_z[a_to_z.index("dog") + 1 :][:2]


def test_id_pages_of_a_project_between_two_others_hold_only_its_items(hub: Hub) -> None:
    """Another project's items before and after this one's ids: every page in both id orders, first to last, holds
    this project's items, and the first page is the list's start."""
    shuffled_texts(hub, "older", [f"o{i}" for i in range(30)], seed=1)
    pid = shuffled_texts(hub, "middle", NAMES, seed=7)
    shuffled_texts(hub, "newer", [f"n{i}" for i in range(30)], seed=2)
    for order in (ItemOrder.ID, ItemOrder.ID_DESC):
        walked = _walk(hub, pid, ItemFilter(), order, limit=5)
        assert sorted(walked) == sorted(NAMES)
        with hub.db.session() as s:
            first = list_items(s, SYSTEM, pid, ItemFilter(), limit=5, order=order)
        assert [it.name for it in first.items] == walked[:5] and all(it.project_id == pid for it in first.items)
