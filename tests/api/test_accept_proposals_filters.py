"""The bulk proposal route narrowed to one class or one model version (a whole fill between slices), rejecting
instead of accepting, and counting first (dry run); reviewers only, as accepting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, item_ids, quick_user, write_coco

from labelhub.hub import Hub
from labelhub.storage.models import Annotation

from .test_accept_proposals import _states


def _propose(hub: Hub, pid: int, item_id: int, label: str, version: str, score: float | None) -> int:
    with hub.db.session(write=True) as s:
        a = Annotation(item_id=item_id, project_id=pid, kind="box", label=label, geometry={"bbox": [1, 1, 9, 9]},
                       source="model", model_version=version, score=score, state="proposed")  # fmt: skip
        s.add(a)
        s.flush()
        return a.id


def _post(client: TestClient, headers: dict[str, str], pid: int, ids: list[int], **extra: Any) -> Any:
    return client.post(f"{API}/projects/{pid}/items/accept-proposals", json={"item_ids": ids, **extra}, headers=headers)


def test_a_reviewer_accepts_or_rejects_one_class_of_one_version_and_may_count_first(
    client: TestClient, hub: Hub, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    pid = create_project(client, admin_headers, "fills", labels=[{"name": "cat"}, {"name": "dog"}])["id"]
    import_coco(hub, pid, write_coco(tmp_path / "c.json", [("a.jpg", 64, 48, []), ("b.jpg", 64, 48, [])]))
    a, b = item_ids(client, admin_headers, pid)
    filled = [_propose(hub, pid, a, "cat", "interpolation", None), _propose(hub, pid, b, "cat", "interpolation", None)]
    model_cat = _propose(hub, pid, a, "cat", "seg@1", 0.9)
    filled_dog = _propose(hub, pid, a, "dog", "interpolation", None)
    rid, reviewer = quick_user(hub, "rhea")
    aid, annotator = quick_user(hub, "andy")
    for uid, role in ((rid, "reviewer"), (aid, "annotator")):
        assert client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": role},
                          headers=admin_headers).status_code == 200  # fmt: skip
    whole_fill = {"label": "cat", "model_version": "interpolation"}

    assert_problem(_post(client, annotator, pid, [a, b], reject=True, **whole_fill), 403)
    counted = _post(client, reviewer, pid, [a, b], dry_run=True, **whole_fill)
    assert counted.json() == {"items": 2, "accepted": 2, "skipped": 0, "rejected": 0}
    assert _post(client, reviewer, pid, [a, b], dry_run=True, reject=True, **whole_fill).json()["rejected"] == 2
    assert {s for s, _ in _states(hub, [*filled, model_cat, filled_dog]).values()} == {"proposed"}  # nothing written

    versions = {i["id"]: i for i in client.get(f"{API}/projects/{pid}/items", headers=admin_headers).json()["items"]}
    r = _post(client, reviewer, pid, [a, b], reject=True, **whole_fill)
    assert r.json() == {"items": 2, "accepted": 0, "skipped": 0, "rejected": 2}
    states = _states(hub, [*filled, model_cat, filled_dog])
    assert [states[i] for i in filled] == [("rejected", rid)] * 2
    assert states[model_cat][0] == states[filled_dog][0] == "proposed"  # another version, another class
    after = {i["id"]: i for i in client.get(f"{API}/projects/{pid}/items", headers=admin_headers).json()["items"]}
    for item in (a, b):  # the status stays, the version moves on (an open editor reloads)
        assert after[item]["status"] == versions[item]["status"]
        assert after[item]["version"] == versions[item]["version"] + 1

    # Unscored proposals pass no score floor; without one, the other version's cat is accepted alone.
    assert _post(client, reviewer, pid, [a], label="dog", min_score=0.0).json()["accepted"] == 0
    assert _post(client, reviewer, pid, [a], label="cat").json()["accepted"] == 1
    assert _states(hub, [model_cat])[model_cat] == ("accepted", rid)
    events = client.get(f"{API}/projects/{pid}/audit", params={"action": "item.reject_proposals"},
                        headers=admin_headers).json()["events"]  # fmt: skip
    assert [(e["detail"]["rejected"], e["detail"]["label"], e["detail"]["model_version"]) for e in events] == [
        (2, "cat", "interpolation")
    ]
