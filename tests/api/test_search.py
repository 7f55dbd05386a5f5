"""The search routes as a browser calls them: who may search, embed, drop duplicates and tag; jobs, the map."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from tests.api._support import API, assert_problem, quick_user, run_jobs
from tests.services._search import NEAR_TEXTS, banking_rows, item_ids, text_project

from labelhub.hub import Hub
from labelhub.storage.models import Annotation, Item, Membership


@dataclass
class World:
    pid: int
    ids: dict[str, int]
    headers: dict[str, dict[str, str]]


@pytest.fixture
def world(client: TestClient, hub: Hub, tmp_path: Path) -> World:
    rows = [*NEAR_TEXTS, *banking_rows(per_class=2)[2:]]  # NEAR_TEXTS are the first card_arrival rows
    pid = text_project(hub, tmp_path / "data", rows, name="search-api")
    headers: dict[str, dict[str, str]] = {}
    for role in ("viewer", "annotator", "manager", "outsider"):
        uid, headers[role] = quick_user(hub, role)
        if role != "outsider":
            with hub.db.session(write=True) as s:
                s.add(Membership(project_id=pid, user_id=uid, role=role))
    return World(pid, item_ids(hub, pid), headers)


def _embed(client: TestClient, hub: Hub, w: World) -> None:
    r = client.post(f"{API}/projects/{w.pid}/embeddings", json={}, headers=w.headers["manager"])
    assert r.status_code == 202, r.text
    assert (r.json()["kind"], r.json()["params"]) == ("embed", {"space": "ngram"})
    run_jobs(hub)
    job = client.get(f"{API}/jobs/{r.json()['id']}", headers=w.headers["manager"]).json()
    assert job["status"] == "succeeded", job
    assert (job["result"]["space"], job["result"]["embedded"]) == ("ngram", len(w.ids))


def test_members_search_outsiders_see_nothing(client: TestClient, hub: Hub, world: World) -> None:
    w = world
    base = f"{API}/projects/{w.pid}"
    before = client.get(f"{base}/embeddings", headers=w.headers["viewer"]).json()
    assert [(s["space"], s["count"], s["stale"], s["default"]) for s in before] == [("ngram", 0, len(w.ids), True)]
    assert client.get(f"{base}/search", params={"q": "card"}, headers=w.headers["viewer"]).json()["indexed"] == 0
    _embed(client, hub, w)
    r = client.get(f"{base}/search", params={"q": "how do I locate my card", "k": 3}, headers=w.headers["viewer"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["space"], body["indexed"], len(body["hits"])) == ("ngram", len(w.ids), 3)
    assert body["hits"][0]["item_id"] in (w.ids["t000"], w.ids["t001"]) and body["hits"][0]["kind"] == "text"
    similar = client.get(f"{base}/items/{w.ids['t002']}/similar", params={"k": 2}, headers=w.headers["viewer"])
    assert similar.json()["hits"][0]["item_id"] == w.ids["t002"]
    spaces = client.get(f"{base}/embeddings", headers=w.headers["viewer"]).json()
    assert [(s["count"], s["stale"], s["backend"]) for s in spaces] == [(len(w.ids), 0, "exact")]
    for path in ("search?q=card", "embeddings", f"items/{w.ids['t002']}/similar", "duplicates", "map"):
        assert_problem(client.get(f"{base}/{path}", headers=w.headers["outsider"]), 404)


def test_computing_is_for_managers(client: TestClient, world: World) -> None:
    base = f"{API}/projects/{world.pid}"
    for role in ("viewer", "annotator"):
        assert_problem(client.post(f"{base}/embeddings", json={}, headers=world.headers[role]), 403, field="role")
        assert_problem(client.post(f"{base}/map", json={}, headers=world.headers[role]), 403, field="role")
    assert_problem(client.post(f"{base}/embeddings", json={}, headers=world.headers["outsider"]), 404)
    bad = client.post(f"{base}/embeddings", json={"space": "open_clip"}, headers=world.headers["manager"])
    assert "open_clip embedder is not set up" in assert_problem(bad, 422, field="space")["detail"]
    unknown = client.post(f"{base}/embeddings", json={"space": "nope"}, headers=world.headers["manager"])
    assert "unknown space" in assert_problem(unknown, 422, field="space")["detail"]
    first = client.post(f"{base}/embeddings", json={}, headers=world.headers["manager"]).json()
    again = client.post(f"{base}/embeddings", json={"space": "ngram"}, headers=world.headers["manager"]).json()
    assert again["id"] == first["id"]  # the queued job is reused, not queued twice


def test_duplicates_are_listed_for_readers_and_dropped_by_managers(client: TestClient, hub: Hub, world: World) -> None:
    w = world
    base = f"{API}/projects/{w.pid}"
    _embed(client, hub, w)
    r = client.get(f"{base}/duplicates", params={"threshold": 0.9}, headers=w.headers["viewer"])
    assert r.status_code == 200, r.text
    groups = {g["kind"]: [m["item_id"] for m in g["items"]] for g in r.json()["groups"]}
    assert groups == {"exact": [w.ids["t002"], w.ids["t003"]], "near": [w.ids["t000"], w.ids["t001"]]}
    suggested = r.json()["suggested_threshold"]
    assert r.json()["threshold"] == 0.9 and 0.9 <= suggested <= 0.999
    # Without a threshold the space's own suggestion is used, and said.
    own = client.get(f"{base}/duplicates", headers=w.headers["viewer"]).json()
    assert own["threshold"] == own["suggested_threshold"] == suggested
    body = {"keep": w.ids["t002"], "drop": [w.ids["t003"]]}
    assert_problem(client.post(f"{base}/duplicates/resolve", json=body, headers=w.headers["annotator"]), 403)
    done = client.post(f"{base}/duplicates/resolve", json=body, headers=w.headers["manager"])
    assert done.status_code == 200 and done.json() == {"deleted": 1}, done.text
    assert_problem(client.get(f"{API}/projects/{w.pid}/items/{w.ids['t003']}", headers=w.headers["viewer"]), 404)
    after = client.get(f"{base}/duplicates", params={"threshold": 0.9}, headers=w.headers["viewer"]).json()
    assert [g["kind"] for g in after["groups"]] == ["near"]
    wrong = client.post(f"{base}/duplicates/resolve", json={"keep": 1, "drop": []}, headers=w.headers["manager"])
    assert_problem(wrong, 422)


def test_the_map_and_bulk_changes(client: TestClient, hub: Hub, world: World) -> None:
    w = world
    base = f"{API}/projects/{w.pid}"
    _embed(client, hub, w)
    assert_problem(client.get(f"{base}/map", headers=w.headers["viewer"]), 404)
    job = client.post(f"{base}/map", json={}, headers=w.headers["manager"])
    assert job.status_code == 202 and job.json()["kind"] == "embedding_map", job.text
    run_jobs(hub)
    view = client.get(f"{base}/map", headers=w.headers["viewer"]).json()
    assert (view["space"], view["method"], len(view["points"])) == ("ngram", "pca", len(w.ids))
    assert {p["label"] for p in view["points"]} >= {"card_arrival", "exchange_rate"}
    picked = [w.ids["t000"], w.ids["t005"]]
    with hub.db.session(write=True) as s:  # someone had started on t005 (its label removed); t000 is labelled
        s.execute(update(Item).where(Item.id == picked[1]).values(status="in_progress"))
        s.execute(delete(Annotation).where(Annotation.item_id == picked[1]))
    version = client.get(f"{base}/items/{picked[1]}", headers=w.headers["viewer"]).json()["version"]
    tag = {"item_ids": picked, "add_tags": ["cluster-3"], "send_to_labelling": True}
    assert_problem(client.post(f"{base}/items/bulk", json=tag, headers=w.headers["viewer"]), 403)
    r = client.post(f"{base}/items/bulk", json=tag, headers=w.headers["annotator"])
    # Both get the priority; only t005 (no label yet) is offered by the labelling queue.
    assert r.status_code == 200 and r.json() == {"updated": 2, "queued": 1}, r.text
    item = client.get(f"{base}/items/{picked[0]}", headers=w.headers["viewer"]).json()
    assert (item["meta"]["tags"], item["meta"]["priority"], item["status"]) == (["cluster-3"], 1, "labeled")
    started = client.get(f"{base}/items/{picked[1]}", headers=w.headers["viewer"]).json()
    assert (started["meta"]["priority"], started["status"], started["version"]) == (1, "new", version + 1)
    # The tags are found again: as a filter, and by the grid's search box (an exact tag, like a name's part).
    for params in ({"tag": "cluster-3"}, {"q": "cluster-3"}):
        listed = client.get(f"{base}/items", params=params, headers=w.headers["viewer"]).json()["items"]
        assert sorted(it["id"] for it in listed) == sorted(picked), params
    assert client.get(f"{base}/items", params={"tag": "cluster"}, headers=w.headers["viewer"]).json()["items"] == []
    untag = {"item_ids": picked, "remove_tags": ["cluster-3"]}
    untagged = client.post(f"{base}/items/bulk", json=untag, headers=w.headers["annotator"]).json()
    assert untagged == {"updated": 2, "queued": None}
    assert client.get(f"{base}/items/{picked[0]}", headers=w.headers["viewer"]).json()["meta"]["tags"] == []
    foreign = {"item_ids": [999_999], "add_tags": ["x"]}
    assert_problem(client.post(f"{base}/items/bulk", json=foreign, headers=w.headers["annotator"]), 422)
