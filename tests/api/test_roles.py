"""Who may do what: every project route against every role, as one table.

A member whose role is too small gets 403; someone who is not a member gets 404 (and no data), so ids of
other teams' projects reveal nothing; an item id of another project is a 404 even through a project the user
belongs to. ``/users`` is for administrators only.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project, import_coco, quick_user, run_jobs, write_coco

from labelhub.domain.enums import Role
from labelhub.hub import Hub
from labelhub.services.live_events import LiveStreams, StreamLimits

ROLES = ("viewer", "annotator", "reviewer", "manager", "owner", "outsider", "admin")
PROJECT = "secret-roles-project"
BOX = {"kind": "box", "label": "cat", "geometry": {"bbox": [1, 1, 20, 20]}}
PROPOSAL = {"kind": "box", "label": "dog", "geometry": {"bbox": [5, 5, 30, 30]}, "source": "model",
            "model_version": "det-v1", "score": 0.9}  # fmt: skip


@dataclass
class World:
    """A project with a member of every role, two items (one with a model proposal), and another project."""

    tmp: Path
    pid: int
    item: int
    item_version: int
    proposal_item: int
    proposal_id: int
    proposal_version: int
    other_item: int
    project_version: int
    users: dict[str, int]
    headers: dict[str, dict[str, str]]
    suffix: str


def _build(client: TestClient, hub: Hub, tmp: Path, suffix: str = "") -> World:
    """Build the world; a ``suffix`` builds another one beside it in the same database (its own users, projects
    and files), for a route that changes what it acts on and must be tried by several roles."""
    tmp = tmp / suffix if suffix else tmp
    tmp.mkdir(exist_ok=True)
    users: dict[str, int] = {}
    headers: dict[str, dict[str, str]] = {}
    for name in (*ROLES, "spare"):
        users[name], headers[name] = quick_user(hub, name + suffix, admin=name == "admin")
    admin = headers["admin"]
    pid = create_project(client, admin, PROJECT + suffix)["id"]
    for role in ("viewer", "annotator", "reviewer", "manager", "owner"):
        r = client.put(f"{API}/projects/{pid}/members/{users[role]}", json={"role": role}, headers=admin)
        assert r.status_code == 200, r.text
    client.put(f"{API}/projects/{pid}/members/{users['spare']}", json={"role": "viewer"}, headers=admin)
    coco = write_coco(tmp / "roles.json", [("a.jpg", 64, 48, [("cat", (1, 1, 10, 10))]), ("b.jpg", 64, 48, [])])
    import_coco(hub, pid, coco)
    first, second = (i["id"] for i in client.get(f"{API}/projects/{pid}/items", headers=admin).json()["items"])
    r = client.put(f"{API}/projects/{pid}/items/{second}/annotations",
                   json={"version": 1, "annotations": [PROPOSAL]}, headers=admin)  # fmt: skip
    assert r.status_code == 200, r.text
    proposal = r.json()
    assert proposal["annotations"][0]["state"] == "proposed"

    other = create_project(client, admin, "other-team" + suffix)["id"]
    import_coco(hub, other, write_coco(tmp / "other.json", [("x.jpg", 64, 48, [])]))
    other_item = client.get(f"{API}/projects/{other}/items", headers=admin).json()["items"][0]["id"]
    version = client.get(f"{API}/projects/{pid}", headers=admin).json()["version"]
    return World(tmp, pid, first, 1, second, proposal["annotations"][0]["id"], proposal["version"], other_item,
                 version, users, headers, suffix)  # fmt: skip


Request = dict[str, Any]


@dataclass(frozen=True)
class Route:
    """One row: the least role allowed (``admin``: administrators only), the success status, the request."""

    name: str
    least: str
    ok: int
    build: Callable[[World], Request]


def _call(method: str, path: str, body: Callable[[World], Any] | None = None) -> Callable[[World], Request]:
    """Return a request builder; ``path`` is formatted with the world as ``w``."""

    def build(w: World) -> Request:
        req: Request = {"method": method, "url": API + path.format(w=w)}
        if body is not None:
            req["json"] = body(w)
        return req

    return build


def _decide(w: World, state: str = "accepted") -> Request:
    decided = {**PROPOSAL, "id": w.proposal_id, "state": state}
    url = f"{API}/projects/{w.pid}/items/{w.proposal_item}/annotations"
    return {"method": "PUT", "url": url, "json": {"version": w.proposal_version, "annotations": [decided]}}


def _reject(w: World) -> Request:
    return _decide(w, "rejected")


def _upload(w: World) -> Request:
    data = (w.tmp / "roles.json").read_bytes()
    files = {"file": ("roles.json", io.BytesIO(data), "application/json")}
    return {"method": "POST", "url": f"{API}/projects/{w.pid}/uploads", "files": files, "data": {"format": "coco"}}


P = "/projects/{w.pid}"
ITEM = P + "/items/{w.item}"
OTHER = P + "/items/{w.other_item}"
SPARE = P + "/members/{w.users[spare]}"
ROUTES = [
    Route("get_project", "viewer", 200, _call("GET", P)),
    Route("list_items", "viewer", 200, _call("GET", P + "/items")),
    Route("get_item", "viewer", 200, _call("GET", ITEM)),
    Route("get_annotations", "viewer", 200, _call("GET", ITEM + "/annotations")),
    Route("get_project_stats", "viewer", 200, _call("GET", P + "/stats")),
    Route("list_members", "viewer", 200, _call("GET", P + "/members")),
    Route("list_jobs_of_project", "viewer", 200, _call("GET", "/jobs?project_id={w.pid}")),
    Route("get_item_of_other_project", "viewer", 404, _call("GET", OTHER)),
    Route("get_annotations_of_other_project", "viewer", 404, _call("GET", OTHER + "/annotations")),
    Route("get_media_of_other_project", "viewer", 404, _call("GET", OTHER + "/media")),
    Route("get_thumbnail_of_other_project", "viewer", 404, _call("GET", OTHER + "/thumbnail")),
    Route(
        "replace_annotations",
        "annotator",
        200,
        _call("PUT", ITEM + "/annotations", lambda w: {"version": w.item_version, "annotations": [BOX]}),
    ),
    Route(
        "replace_annotations_of_other_project",
        "annotator",
        404,
        _call("PUT", OTHER + "/annotations", lambda w: {"version": 1, "annotations": [BOX]}),
    ),
    Route("review_item", "reviewer", 200, _call("POST", ITEM + "/review", lambda w: {"approve": True})),
    Route("reject_model_proposal", "reviewer", 200, _reject),
    Route(
        "start_import",
        "manager",
        202,
        _call("POST", P + "/imports", lambda w: {"source": str(w.tmp / "roles.json"), "media": "none"}),
    ),
    Route("upload_and_import", "manager", 202, _upload),
    Route("start_export", "manager", 202, _call("POST", P + "/exports", lambda w: {"format": "coco"})),
    Route("list_project_audit", "manager", 200, _call("GET", P + "/audit")),
    Route("list_alert_rules", "manager", 200, _call("GET", P + "/alert-rules")),
    Route("create_alert_rule", "manager", 201, _call("POST", P + "/alert-rules", lambda w: {"kind": "job_failed"})),
    Route("list_alerts", "reviewer", 200, _call("GET", P + "/alerts")),
    Route("ack_all_alerts", "reviewer", 200, _call("POST", P + "/alerts/ack-all")),
    Route(
        "assign_items",
        "manager",
        200,
        _call("POST", P + "/items/assign", lambda w: {"item_ids": [w.item], "user_ids": [w.users["annotator"]]}),
    ),
    Route("get_workload", "manager", 200, _call("GET", P + "/workload")),
    Route("list_webhooks", "manager", 200, _call("GET", P + "/webhooks")),
    Route(
        "create_webhook",
        "manager",
        201,
        _call("POST", P + "/webhooks", lambda w: {"url": "https://93.184.216.34/hook", "events": ["item.*"]}),
    ),
    Route("stream_project_events", "viewer", 200, _call("GET", P + "/events")),
    Route("list_webdataset_shards", "manager", 200, _call("GET", P + "/webdataset")),
    Route(
        "stream_webdataset_shard",
        "manager",
        200,
        _call("GET", P + "/webdataset/shard-000000.tar?after=0&upto={w.item}"),
    ),
    Route(
        "set_consensus", "manager", 200, _call("POST", P + "/consensus", lambda w: {"item_ids": [w.item], "overlap": 2})
    ),
    Route("get_agreement", "reviewer", 200, _call("GET", P + "/agreement")),
    Route("get_item_consensus", "reviewer", 200, _call("GET", ITEM + "/consensus")),
    Route("merge_consensus_of_an_ordinary_item", "manager", 422, _call("POST", ITEM + "/consensus/merge")),
    Route("set_member", "manager", 200, _call("PUT", SPARE, lambda w: {"role": "annotator"})),
    Route("remove_member", "manager", 204, _call("DELETE", SPARE)),
    Route(
        "update_project",
        "manager",
        200,
        _call("PATCH", P, lambda w: {"version": w.project_version, "description": "edited"}),
    ),
    Route("grant_owner", "owner", 200, _call("PUT", SPARE, lambda w: {"role": "owner"})),
    Route("demote_an_owner", "owner", 200, _call("PUT", P + "/members/{w.users[admin]}", lambda w: {"role": "viewer"})),
    Route("delete_project", "owner", 204, _call("DELETE", P)),
    Route("list_users", "admin", 200, _call("GET", "/users")),
    Route("list_audit", "admin", 200, _call("GET", "/audit")),
    Route(
        "create_user",
        "admin",
        201,
        _call("POST", "/users", lambda w: {"username": "newbie" + w.suffix, "password": "long-password"}),
    ),
    Route("update_user", "admin", 200, _call("PATCH", "/users/{w.users[spare]}", lambda w: {"is_active": False})),
]


def expected_status(route: Route, role: str) -> int:
    """The status ``role`` must get on ``route``."""
    if route.least == "admin":
        return route.ok if role == "admin" else 403
    if role == "admin":
        return route.ok
    if role == "outsider":
        return 404
    return route.ok if Role(role).at_least(Role(route.least)) else 403


@pytest.fixture(autouse=True)
def _short_event_streams(client: TestClient) -> None:
    # The live event stream runs for minutes; here it ends at once, after its opening lines.
    client.app.state.live_streams = LiveStreams(limits=StreamLimits(max_seconds=0))  # type: ignore[attr-defined]


def _outcome(client: TestClient, w: World, route: Route, role: str) -> str | None:
    """Return what is wrong with ``role``'s answer on ``route``, or None when it is the one the table gives."""
    r = client.request(**route.build(w), headers=w.headers[role])
    want = expected_status(route, role)
    if r.status_code != want:
        return f"{role}: {r.status_code} instead of {want}: {r.text[:200]}"
    if want >= 400:
        body = assert_problem(r, want)
        if PROJECT in r.text and want != 403:
            return f"{role}: a non-member learnt the project's name: {r.text[:200]}"
        if want == 403 and route.least != "admin" and body["field"] not in ("role", "annotations[0].state"):
            return f"{role}: the 403 names the field {body['field']!r}, not the role"
    return None


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_route_allows_exactly_the_roles_in_the_table(
    client: TestClient, hub: Hub, tmp_path: Path, route: Route
) -> None:
    """Every role on one route. The refused roles go first, on one world: a refusal changes nothing, so the
    role allowed next still finds the world as built. A route that writes gets a fresh world for each further
    role allowed (deleting the project twice would not tell the second role's right)."""
    world = _build(client, hub, tmp_path)
    allowed = [role for role in ROLES if expected_status(route, role) < 400]
    refused = [role for role in ROLES if role not in allowed]
    wrong = [_outcome(client, world, route, role) for role in refused]
    for i, role in enumerate(allowed):
        fresh = i > 0 and route.build(world)["method"] != "GET"
        wrong.append(_outcome(client, _build(client, hub, tmp_path, f"-{role}") if fresh else world, route, role))
    failures = [w for w in wrong if w]
    assert not failures, "\n".join(failures)


def test_non_members_see_nothing_of_a_project(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    w = _build(client, hub, tmp_path)
    outsider = w.headers["outsider"]
    assert client.get(f"{API}/projects", headers=outsider).json() == []
    assert client.get(f"{API}/jobs", headers=outsider).json() == []
    for path in (f"/projects/{w.pid}", f"/projects/{w.pid}/items", "/projects/999999"):
        body = assert_problem(client.get(API + path, headers=outsider), 404)
        assert PROJECT not in body["detail"]
    # A missing project and a hidden one answer the same way.
    hidden = client.get(f"{API}/projects/{w.pid}", headers=outsider).json()["detail"]
    assert hidden == f"project {w.pid} not found"


def test_only_a_reviewer_s_accept_keeps_a_proposal_the_model_s(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    w = _build(client, hub, tmp_path)
    url = f"{API}/projects/{w.pid}/items/{w.proposal_item}/annotations"
    body = assert_problem(client.request(**_reject(w), headers=w.headers["annotator"]), 403,
                          field="annotations[0].state")  # fmt: skip
    assert "reviewer" in body["detail"]
    unchanged = client.get(url, headers=w.headers["viewer"]).json()
    assert unchanged["version"] == w.proposal_version
    assert unchanged["annotations"][0]["state"] == "proposed" and unchanged["annotations"][0]["reviewed_by"] is None

    r = client.request(**_decide(w), headers=w.headers["reviewer"])
    assert r.status_code == 200, r.text
    ann = r.json()["annotations"][0]
    assert ann["id"] == w.proposal_id and ann["state"] == "accepted"
    assert ann["reviewed_by"] == w.users["reviewer"] and ann["source"] == "model"

    # An annotator who moves it afterwards makes it their own label; the reviewer's decision stays on record.
    current = client.get(url, headers=w.headers["annotator"]).json()
    moved = {**PROPOSAL, "id": w.proposal_id, "state": "accepted", "geometry": {"bbox": [6, 6, 30, 30]}}
    r = client.put(url, json={"version": current["version"], "annotations": [moved]}, headers=w.headers["annotator"])
    assert r.status_code == 200, r.text
    ann = r.json()["annotations"][0]
    assert (ann["source"], ann["author_id"], ann["reviewed_by"]) == ("human", w.users["annotator"], w.users["reviewer"])


def test_an_annotator_s_accept_makes_the_proposal_their_own_label(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    w = _build(client, hub, tmp_path)
    r = client.request(**_decide(w), headers=w.headers["annotator"])
    assert r.status_code == 200, r.text
    ann = r.json()["annotations"][0]
    assert (ann["source"], ann["state"], ann["score"], ann["reviewed_by"]) == ("human", "accepted", None, None)
    assert ann["author_id"] == w.users["annotator"]


def test_only_an_owner_hands_out_ownership(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    w = _build(client, hub, tmp_path)
    spare = f"{API}/projects/{w.pid}/members/{w.users['spare']}"
    refused = assert_problem(client.put(spare, json={"role": "owner"}, headers=w.headers["manager"]), 403, field="role")
    assert refused["detail"].startswith("granting or taking away ownership needs the owner role")
    owner_url = f"{API}/projects/{w.pid}/members/{w.users['owner']}"
    assert_problem(client.delete(owner_url, headers=w.headers["manager"]), 403, field="role")
    roles = {m["username"]: m["role"] for m in client.get(f"{API}/projects/{w.pid}/members",
                                                          headers=w.headers["viewer"]).json()}  # fmt: skip
    assert roles["spare"] == "viewer" and roles["owner"] == "owner"
    assert client.put(spare, json={"role": "owner"}, headers=w.headers["owner"]).json()["role"] == "owner"


def test_someone_removed_from_a_project_no_longer_sees_the_jobs_they_started_there(
    client: TestClient, hub: Hub, tmp_path: Path
) -> None:
    """An export's job holds the server path of the file; a former member keeps nothing of the project."""
    w = _build(client, hub, tmp_path)
    manager = w.headers["manager"]
    r = client.post(f"{API}/projects/{w.pid}/exports", json={"format": "coco"}, headers=manager)
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    assert client.get(f"{API}/jobs/{job}", headers=manager).status_code == 200
    assert job in [j["id"] for j in client.get(f"{API}/jobs", headers=manager).json()]

    r = client.delete(f"{API}/projects/{w.pid}/members/{w.users['manager']}", headers=w.headers["owner"])
    assert r.status_code == 204, r.text
    assert_problem(client.get(f"{API}/jobs/{job}", headers=manager), 404)
    assert_problem(client.post(f"{API}/jobs/{job}/cancel", headers=manager), 404)
    assert job not in [j["id"] for j in client.get(f"{API}/jobs", headers=manager).json()]
    # The members who stay still see it.
    assert client.get(f"{API}/jobs/{job}", headers=w.headers["viewer"]).status_code == 200


def test_members_see_paths_inside_labelhub_s_home_relative_to_it_and_admins_see_them_whole(
    client: TestClient, hub: Hub, tmp_path: Path
) -> None:
    """An export's result names the file it wrote; a viewer has no use for the server's folders."""
    w = _build(client, hub, tmp_path)
    job = client.post(f"{API}/projects/{w.pid}/exports", json={"format": "coco"}, headers=w.headers["manager"]).json()
    run_jobs(hub)
    home = str(hub.settings.home.resolve())
    whole = client.get(f"{API}/jobs/{job['id']}", headers=w.headers["admin"]).json()["result"]
    assert whole["dest"].startswith(home + "/exports/"), whole
    for role in ("viewer", "manager"):
        seen = client.get(f"{API}/jobs/{job['id']}", headers=w.headers[role]).json()["result"]
        assert seen["dest"] == whole["dest"][len(home) + 1 :] and seen["dest"].startswith("exports/"), seen
        listed = client.get(f"{API}/jobs?project_id={w.pid}", headers=w.headers[role]).json()
        assert home not in str(listed)
    r = client.get(f"{API}/jobs/{job['id']}/download", headers=w.headers["manager"])
    assert r.status_code == 200 and r.json()["images"], r.text[:200]


def test_the_202_that_queues_a_job_shows_a_member_no_server_folder(
    client: TestClient, hub: Hub, tmp_path: Path
) -> None:
    """QA security finding 7: GET /jobs/{id} hid the home, the upload's 202 answer showed it."""
    w = _build(client, hub, tmp_path)
    home = str(hub.settings.home.resolve())
    files = {"file": ("rows.csv", b"text,label\nhello,cat\n", "text/csv")}
    for role in ("manager", "admin"):
        r = client.post(f"{API}/projects/{w.pid}/uploads", files=files, headers=w.headers[role])
        assert r.status_code == 202, r.text
        source = r.json()["params"]["source"]
        if role == "admin":
            assert source.startswith(home + "/uploads/"), source
        else:
            assert source.startswith("uploads/") and source.endswith("/rows.csv") and home not in r.text, r.text


def test_a_failure_s_traceback_is_for_administrators(client: TestClient, hub: Hub, tmp_path: Path) -> None:
    """QA ops finding 4: an export's unexpected failure showed any project member the server's Python traceback."""
    from labelhub.storage.models import Job

    w = _build(client, hub, tmp_path)
    home = str(hub.settings.home.resolve())
    error = {"title": "PermissionError", "detail": f"[Errno 13] Permission denied: '{home}/exports/job-9'",
             "traceback": 'Traceback (most recent call last):\n  File "/srv/labelhub/jobs/handlers.py"'}  # fmt: skip
    with hub.db.session(write=True) as s:
        job = Job(kind="export", project_id=w.pid, status="failed", error=error)
        s.add(job)
        s.flush()
        jid = job.id
    assert client.get(f"{API}/jobs/{jid}", headers=w.headers["admin"]).json()["error"] == error
    seen = client.get(f"{API}/jobs/{jid}", headers=w.headers["manager"]).json()["error"]
    assert seen == {"title": "PermissionError", "detail": "[Errno 13] Permission denied: 'exports/job-9'"}, seen
