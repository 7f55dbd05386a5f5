"""The review queue's "next" over HTTP: reviewers each get a labelled item of their own; others may not ask."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, quick_user, write_coco

from labelhub.hub import Hub

BOX = {"kind": "box", "label": "cat", "geometry": {"bbox": [10, 10, 50, 60]}}


def test_review_next_claims_an_item_per_reviewer_and_refuses_viewers_and_annotators(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "review next", labels=[{"name": "cat"}])["id"]
    import_coco(hub, pid, write_coco(tmp_path / "c.json", [(f"{n}.jpg", 100, 80, []) for n in "abcd"], ["cat"]))
    people = {}
    for name, role in [("ann", "annotator"), ("vic", "viewer"), ("rita", "reviewer"), ("rob", "reviewer")]:
        uid, headers = quick_user(hub, f"{name}-{pid}")
        r = client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": role}, headers=admin_headers)
        assert r.status_code == 200, r.text
        people[name] = headers
    ids = item_ids(client, admin_headers, pid)
    for iid in ids[:3]:  # the annotator labels three: the review queue
        url = f"{API}/projects/{pid}/items/{iid}/annotations"
        version = client.get(url, headers=people["ann"]).json()["version"]
        r = client.put(url, json={"version": version, "annotations": [BOX]}, headers=people["ann"])
        assert r.status_code == 200, r.text

    url = f"{API}/projects/{pid}/review/next"
    for who in ("ann", "vic"):
        assert_problem(client.get(url, headers=people[who]), 403)
        assert_problem(client.get(f"{API}/projects/{pid}/review/held", headers=people[who]), 403)
    assert client.get(url, headers=people["rita"]).json() == {"item_id": ids[0]}
    assert client.get(url, headers=people["rob"]).json() == {"item_id": ids[1]}
    held = client.get(f"{API}/projects/{pid}/review/held", headers=people["rob"])
    assert held.status_code == 200 and held.json() == {"item_ids": [ids[0]]}

    # Rita approves hers and moves on: past rob's item to the third; the first is no longer held.
    r = client.post(f"{API}/projects/{pid}/items/{ids[0]}/review", json={"approve": True}, headers=people["rita"])
    assert r.status_code == 200, r.text
    assert client.get(url, params={"after": ids[0]}, headers=people["rita"]).json() == {"item_id": ids[2]}
    assert client.get(f"{API}/projects/{pid}/review/held", headers=people["rob"]).json() == {"item_ids": [ids[2]]}
    # Nothing else is free for rita: null.
    assert client.get(url, params={"after": ids[2]}, headers=people["rita"]).json() == {"item_id": None}
    assert_problem(client.get(url, params={"after": "x"}, headers=people["rita"]), 422)

    # An item opened from the list is claimed too (the item page asks): rob's "next" then passes over it.
    claim = f"{API}/projects/{pid}/review/claim"
    assert_problem(client.post(claim, json={"item_id": ids[1]}, headers=people["ann"]), 403)
    assert client.post(claim, json={"item_id": ids[1]}, headers=people["rob"]).json() == {"claimed": True}
    assert client.post(claim, json={"item_id": ids[2]}, headers=people["rob"]).json() == {"claimed": False}
