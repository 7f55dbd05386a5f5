"""The item list's attribute filter (``attribute`` / ``attribute_value``): values read by the declared type, the
same annotation as the other annotation filters, counts and positions that agree with the pages, and 422s that
name the parameter at fault."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, write_coco

from labelhub.hub import Hub
from labelhub.storage.models import Annotation

ATTRS: list[dict[str, Any]] = [
    {"name": "occluded", "type": "bool"},
    {"name": "colour", "type": "select", "options": ["red", "blue"], "labels": ["car"]},
    {"name": "speed", "type": "number"},
    {"name": "note", "type": "text"},
]


def _box(label: str, **attributes: Any) -> dict[str, Any]:
    return {"kind": "box", "label": label, "geometry": {"bbox": [10, 10, 50, 60]}, "attributes": attributes}


def _save(client: TestClient, headers: dict[str, str], pid: int, iid: int, anns: list[dict[str, Any]]) -> None:
    r = client.put(f"{API}/projects/{pid}/items/{iid}/annotations", json={"version": 1, "annotations": anns},
                   headers=headers)  # fmt: skip
    assert r.status_code == 200, r.text


@pytest.fixture
def street(client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path) -> tuple[int, list[int]]:
    """Six images: a red occluded car doing 30; a blue car not occluded beside an occluded person; a person with
    the note "true", speed 3 and (written past the API's check, as an old import could) occluded as the string
    "true"; a car with occluded explicitly unset; an empty image; a blue car with a note."""
    pid = create_project(client, admin_headers, "street", labels=[{"name": "car"}, {"name": "person"}],
                         attributes=ATTRS)["id"]  # fmt: skip
    import_coco(hub, pid, write_coco(tmp_path / "instances_val.json", [(f"{n}.jpg", 640, 480, []) for n in "abcdef"]))
    ids = item_ids(client, admin_headers, pid)
    _save(client, admin_headers, pid, ids[0], [_box("car", colour="red", occluded=True, speed=30)])
    _save(
        client, admin_headers, pid, ids[1], [_box("car", colour="blue", occluded=False), _box("person", occluded=True)]
    )
    _save(client, admin_headers, pid, ids[2], [_box("person", note="true", speed=3)])
    with hub.db.session(write=True) as s:
        s.add(Annotation(item_id=ids[2], project_id=pid, kind="box", label="person", geometry={"bbox": [1, 1, 5, 5]},
                         attributes={"occluded": "true", "speed": "3"}))  # fmt: skip
    _save(client, admin_headers, pid, ids[3], [_box("car", occluded=None)])
    _save(client, admin_headers, pid, ids[5], [_box("car", colour="blue", note="Red car, dented")])
    return pid, ids


def _listed(client: TestClient, headers: dict[str, str], pid: int, ids: list[int], **query: Any) -> list[str]:
    """The names of the matching items (by their index: "0", "1", ...), checking that the count agrees."""
    r = client.get(f"{API}/projects/{pid}/items", params={"limit": 1000, "with_total": True, **query}, headers=headers)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == len(page["items"]), (query, page)
    return [str(ids.index(i["id"])) for i in page["items"]]


@pytest.mark.parametrize(
    ("query", "want"),
    [
        # A bool matches JSON true, not the string "true" an old import left on item 2.
        ({"attribute": "occluded", "attribute_value": "true"}, ["0", "1"]),
        ({"attribute": "occluded", "attribute_value": "false"}, ["1"]),
        # Without a value: any value that is not null (item 2's string counts; item 3's null does not).
        ({"attribute": "occluded"}, ["0", "1", "2"]),
        ({"attribute": "colour", "attribute_value": "red"}, ["0"]),
        ({"attribute": "colour", "attribute_value": "blue"}, ["1", "5"]),
        # Numbers compare as numbers (3 is 3.0), never the string "3".
        ({"attribute": "speed", "attribute_value": "3"}, ["2"]),
        ({"attribute": "speed", "attribute_value": "3.0"}, ["2"]),
        ({"attribute": "speed", "attribute_value": "30"}, ["0"]),
        ({"attribute": "speed", "attribute_value": "-1"}, []),
        # Text is matched exactly: "true" as a note, not a bool, and no substring of a longer note.
        ({"attribute": "note", "attribute_value": "true"}, ["2"]),
        ({"attribute": "note", "attribute_value": "Red car"}, []),
        ({"attribute": "note", "attribute_value": "Red car, dented"}, ["5"]),
    ],
)
def test_values_match_by_the_declared_type(
    client: TestClient, admin_headers: dict[str, str], street: tuple[int, list[int]], query: dict[str, str],
    want: list[str],
) -> None:  # fmt: skip
    pid, ids = street
    assert _listed(client, admin_headers, pid, ids, **query) == want


def test_the_attribute_holds_on_the_same_annotation_as_the_label_and_the_other_filters(
    client: TestClient, admin_headers: dict[str, str], street: tuple[int, list[int]]
) -> None:
    pid, ids = street
    occluded = {"attribute": "occluded", "attribute_value": "true"}
    # Item 1 has a car and an occluded person, but no occluded car.
    assert _listed(client, admin_headers, pid, ids, label="car", **occluded) == ["0"]
    assert _listed(client, admin_headers, pid, ids, label="person", **occluded) == ["1"]
    assert _listed(client, admin_headers, pid, ids, label="person", attribute="colour") == []
    assert _listed(client, admin_headers, pid, ids, label="car", attribute="colour", attribute_value="red") == ["0"]
    # Item filters still narrow the items; the name order pages the same set.
    assert _listed(client, admin_headers, pid, ids, q="b.jpg", **occluded) == ["1"]
    assert _listed(client, admin_headers, pid, ids, order="-name", **occluded) == ["1", "0"]


def test_pages_counts_and_positions_agree_under_an_attribute_filter(
    client: TestClient, admin_headers: dict[str, str], street: tuple[int, list[int]]
) -> None:
    pid, ids = street
    query = {"attribute": "colour", "with_total": True}
    first = client.get(f"{API}/projects/{pid}/items", params={**query, "limit": 2}, headers=admin_headers).json()
    assert [i["id"] for i in first["items"]] == [ids[0], ids[1]] and first["total"] == 3
    rest = client.get(f"{API}/projects/{pid}/items", params={**query, "limit": 2, "after": first["next_after"]},
                      headers=admin_headers).json()  # fmt: skip
    assert [i["id"] for i in rest["items"]] == [ids[5]] and rest["total"] == 3 and rest["next_after"] is None
    at = client.get(f"{API}/projects/{pid}/items", params={**query, "limit": 1, "position_of": ids[5]},
                    headers=admin_headers).json()  # fmt: skip
    assert at["position"] == 2
    # Both ways in both id orders (the keyset's bound is restated on the annotations: see services/items.py).
    for order, anchor, want in (("id", {"before": ids[5]}, [0, 1]), ("id", {"after": ids[0]}, [1, 5]),
                                ("-id", {"before": ids[0]}, [5, 1]), ("-id", {"after": ids[5]}, [1, 0]),
                                ("-id", {"position_of": ids[1]}, [5, 1])):  # fmt: skip
        r = client.get(f"{API}/projects/{pid}/items", params={**query, "limit": 2, "order": order, **anchor},
                       headers=admin_headers)  # fmt: skip
        assert [ids.index(i["id"]) for i in r.json()["items"]] == want, (order, anchor)
        if "position_of" in anchor:
            assert r.json()["position"] == 1


@pytest.mark.parametrize(
    ("query", "field", "says"),
    [
        ({"attribute_value": "red"}, "attribute_value", "attribute_value needs attribute"),
        (
            {"attribute": "size"},
            "attribute",
            "'size' is not declared in this project (declared: occluded, colour, speed, note); declare it in the"
            " project's settings",
        ),
        ({"attribute": "keyframe", "attribute_value": "true"}, "attribute", "'keyframe' is not declared"),
        ({"attribute": "occluded", "attribute_value": "yes"}, "attribute_value", "must be true or false, not 'yes'"),
        ({"attribute": "occluded", "attribute_value": "True"}, "attribute_value", "must be true or false"),
        (
            {"attribute": "colour", "attribute_value": "green"},
            "attribute_value",
            "'green' is not one of its options: red, blue",
        ),
        ({"attribute": "speed", "attribute_value": "fast"}, "attribute_value", "must be a finite number, not 'fast'"),
        ({"attribute": "speed", "attribute_value": "nan"}, "attribute_value", "must be a finite number"),
        ({"attribute": "speed", "attribute_value": "1e999"}, "attribute_value", "must be a finite number"),
        ({"attribute": "speed", "attribute_value": "3_0"}, "attribute_value", "not '3_0'"),
        ({"attribute": "speed", "attribute_value": " 3 "}, "attribute_value", "must be a finite number"),
        ({"attribute": "speed", "attribute_value": "\uff11"}, "attribute_value", "must be a finite number"),
    ],
)
def test_a_filter_that_cannot_match_is_a_422_naming_the_parameter(
    client: TestClient, admin_headers: dict[str, str], street: tuple[int, list[int]], query: dict[str, str],
    field: str, says: str,
) -> None:  # fmt: skip
    pid, ids = street
    for extra in ({}, {"with_total": True}, {"position_of": ids[0]}):
        r = client.get(f"{API}/projects/{pid}/items", params={**query, **extra}, headers=admin_headers)
        assert says in assert_problem(r, 422, field=field)["detail"]


def test_a_project_without_declarations_says_so(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "bare", labels=[{"name": "car"}])["id"]
    r = client.get(f"{API}/projects/{pid}/items", params={"attribute": "occluded"}, headers=admin_headers)
    assert "(declared: none yet)" in assert_problem(r, 422, field="attribute")["detail"]


def test_names_with_quotes_and_dots_match_like_any_other(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    attrs = [{"name": 'grade "A"', "type": "bool"}, {"name": "size.cm", "type": "number"},
             {"name": "$x", "type": "text"}]  # fmt: skip
    pid = create_project(client, admin_headers, "odd", labels=[{"name": "car"}], attributes=attrs)["id"]
    import_coco(hub, pid, write_coco(tmp_path / "instances_val.json", [(f"{n}.jpg", 640, 480, []) for n in "ab"]))
    ids = item_ids(client, admin_headers, pid)
    _save(client, admin_headers, pid, ids[0], [_box("car", **{'grade "A"': True, "size.cm": 4.5, "$x": "y"})])
    _save(client, admin_headers, pid, ids[1], [_box("car", **{'grade "A"': False, "size.cm": 4})])
    for query, want in (({"attribute": 'grade "A"', "attribute_value": "true"}, ["0"]),
                        ({"attribute": 'grade "A"'}, ["0", "1"]),
                        ({"attribute": "size.cm", "attribute_value": "4"}, ["1"]),
                        ({"attribute": "$x", "attribute_value": "y"}, ["0"])):  # fmt: skip
        assert _listed(client, admin_headers, pid, ids, **query) == want, query
