"""Federated training from the server: a coordinator project's stored sites (real uvicorn servers), checked, then
trained over by a ``federated_train`` job that reports its rounds, skips or stops on a failing site, and can be
cancelled between rounds without leaving a version."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from starlette.types import ASGIApp, Receive, Scope, Send
from tests.api._support import API, assert_problem, run_jobs, served
from tests.api.test_federated import _member, _project
from tests.assist._rows import banking_rows

from labelhub.api.app import create_app
from labelhub.domain.enums import Role
from labelhub.hub import Hub
from labelhub.storage.federated_models import FederatedSite
from labelhub.storage.models import AuditEvent, Job, ModelVersion

TRAIN = {"rounds": 2, "steps": 2, "lr": 0.5}


@pytest.fixture
def sites(hub: Hub, tmp_path: Path) -> Iterator[tuple[list[str], list[int], list[str]]]:
    """Two site projects with BANKING77 labels on their own uvicorn server, their managers' tokens, and the
    classes; the hub may call loopback addresses."""
    hub.settings.webhook_hosts = "loopback"
    rows = banking_rows(3, 12)
    classes = sorted({c for _, c in rows})
    pids = [_project(hub, tmp_path, f"site-{i}", rows[i::2], classes) for i in range(2)]
    tokens = [_member(hub, pid, f"site-manager-{i}", Role.MANAGER)["Authorization"][7:] for i, pid in enumerate(pids)]
    with served(create_app(hub, run_worker=False)) as url:
        yield [f"{url}{API}/projects/{pid}" for pid in pids], pids, tokens


def _coordinator(hub: Hub, tmp_path: Path) -> tuple[int, dict[str, str]]:
    rows = banking_rows(3, 12, file="test.csv")
    pid = _project(hub, tmp_path, "coordinator", rows, sorted({c for _, c in rows}))
    return pid, _member(hub, pid, "coordinator-manager", Role.MANAGER)


def _add(client: TestClient, pid: int, headers: dict[str, str], name: str, url: str, token: str) -> dict[str, Any]:
    r = client.post(f"{API}/projects/{pid}/federated/sites", json={"name": name, "url": url, "token": token},
                    headers=headers)  # fmt: skip
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def test_sites_never_show_their_token_and_only_managers_see_them(hub: Hub, client: TestClient, tmp_path: Path) -> None:
    pid, manager = _coordinator(hub, tmp_path)
    viewer = _member(hub, pid, "viewer", Role.VIEWER)
    url = f"{API}/projects/{pid}/federated/sites"
    token = "lh_a-site-token-0123456789-wxyz"
    body = {"name": "Hospital A", "url": "http://10.1.2.3:8000/api/v1/projects/3/", "token": token}

    # A private address is refused until an administrator allows it (LABELHUB_WEBHOOK_HOSTS, as for webhooks).
    refused = assert_problem(client.post(url, json=body, headers=manager), 422, field="url")
    assert "LABELHUB_WEBHOOK_HOSTS=external,private" in refused["detail"]
    hub.settings.webhook_hosts = "external,private"
    assert_problem(client.post(url, json={**body, "url": "http://10.1.2.3/api/v1/items"}, headers=manager), 422,
                   field="url")  # fmt: skip
    assert_problem(client.post(url, json={**body, "token": "short"}, headers=manager), 422, field="token")
    assert_problem(client.post(url, json=body, headers=viewer), 403)

    added = client.post(url, json=body, headers=manager)
    assert added.status_code == 201 and token not in added.text, added.text
    site = added.json()
    assert (site["name"], site["url"], site["token_hint"]) == ("Hospital A", body["url"].rstrip("/"), "wxyz")
    assert_problem(client.post(url, json=body, headers=manager), 409, field="url")
    listed = client.get(url, headers=manager)
    assert listed.status_code == 200 and token not in listed.text and len(listed.json()) == 1
    assert_problem(client.get(url, headers=viewer), 403)
    assert_problem(client.post(f"{url}/check", headers=viewer), 403)
    assert_problem(client.post(f"{API}/projects/{pid}/federated/train", json=TRAIN, headers=viewer), 403)
    assert_problem(client.delete(f"{url}/{site['id']}", headers=viewer), 403)
    with hub.db.session() as s:
        assert all(token not in json.dumps(e.detail) for e in s.scalars(select(AuditEvent)))

    assert client.delete(f"{url}/{site['id']}", headers=manager).status_code == 204
    assert client.get(url, headers=manager).json() == []
    assert_problem(client.post(f"{API}/projects/{pid}/federated/train", json=TRAIN, headers=manager), 422,
                   field="sites")  # fmt: skip
    assert_problem(client.post(f"{API}/projects/{pid}/federated/train", json={"rounds": 0}, headers=manager), 422,
                   field="rounds")  # fmt: skip


def test_a_manager_edits_a_site_in_place(hub: Hub, client: TestClient, tmp_path: Path) -> None:
    hub.settings.webhook_hosts = "external,private"
    pid, manager = _coordinator(hub, tmp_path)
    old_token, new_token = "lh_the-first-token-0123-aaaa", "lh_a-rotated-token-4567-bbbb"
    site = _add(client, pid, manager, "Hospitl A", "http://10.1.2.3:8000/api/v1/projects/3", old_token)
    other = _add(client, pid, manager, "Hospital B", "http://10.1.2.4:8000/api/v1/projects/5", "lh_b-token-0123")
    url = f"{API}/projects/{pid}/federated/sites/{site['id']}"

    renamed = client.patch(url, json={"name": " Hospital A "}, headers=manager)
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["url"], renamed.json()["token_hint"]) == (
        "Hospital A", site["url"], "aaaa")  # fmt: skip

    moved = client.patch(url, json={"url": "http://10.1.2.3:8001/api/v1/projects/4/", "token": None},
                         headers=manager)  # fmt: skip
    assert moved.status_code == 200, moved.text
    assert (moved.json()["url"], moved.json()["token_hint"]) == ("http://10.1.2.3:8001/api/v1/projects/4", "aaaa")
    # A URL that is no site project, an address the server may not call, another site's URL: refused on ``url``.
    assert_problem(client.patch(url, json={"url": "http://10.1.2.3/api/v1/items"}, headers=manager), 422,
                   field="url")  # fmt: skip
    hub.settings.webhook_hosts = "external"
    refused = assert_problem(client.patch(url, json={"url": "http://10.9.9.9/api/v1/projects/1"}, headers=manager),
                             422, field="url")  # fmt: skip
    assert "LABELHUB_WEBHOOK_HOSTS" in refused["detail"]
    hub.settings.webhook_hosts = "external,private"
    taken = assert_problem(client.patch(url, json={"url": other["url"]}, headers=manager), 409, field="url")
    assert "lists that site already" in taken["detail"]
    assert_problem(client.patch(url, json={"name": "  "}, headers=manager), 422, field="name")
    assert_problem(client.patch(url, json={"token": "short"}, headers=manager), 422, field="token")

    rotated = client.patch(url, json={"token": f" {new_token} "}, headers=manager)
    assert rotated.status_code == 200 and new_token not in rotated.text and old_token not in rotated.text
    assert rotated.json()["token_hint"] == "bbbb"
    listed = client.get(f"{API}/projects/{pid}/federated/sites", headers=manager)
    assert [(s["name"], s["token_hint"]) for s in listed.json()] == [("Hospital A", "bbbb"), ("Hospital B", "0123")]
    with hub.db.session() as s:
        assert s.get_one(FederatedSite, site["id"]).token == new_token
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "federated.site.update")
                           .order_by(AuditEvent.id)).all()  # fmt: skip
        assert [e.detail["changed"] for e in events] == [["name"], ["url"], ["token"]]
        assert events[0].detail["before"] == {"name": "Hospitl A"} and events[2].detail["before"] == {}
        assert all(t not in json.dumps(e.detail) for e in events for t in (old_token, new_token))

    empty = assert_problem(client.patch(url, json={}, headers=manager), 422)
    assert "nothing to change" in empty["detail"]
    assert_problem(client.patch(url, json={"token": None}, headers=manager), 422)
    assert_problem(client.patch(url, json={"nme": "x"}, headers=manager), 422)
    # A site is found through its own project only: another project's manager gets 404, not the site.
    elsewhere = _project(hub, tmp_path, "elsewhere", banking_rows(2, 2), sorted({c for _, c in banking_rows(2, 2)}))
    elsewhere_manager = _member(hub, elsewhere, "elsewhere-manager", Role.MANAGER)
    assert_problem(client.patch(f"{API}/projects/{elsewhere}/federated/sites/{site['id']}", json={"name": "x"},
                                headers=elsewhere_manager), 404, field="site_id")  # fmt: skip
    for role in (Role.VIEWER, Role.ANNOTATOR):
        assert_problem(client.patch(url, json={"name": "x"}, headers=_member(hub, pid, role.value, role)), 403)
    assert client.get(f"{API}/projects/{pid}/federated/sites", headers=manager).json()[0]["name"] == "Hospital A"


def test_a_job_trains_over_the_sites_and_a_refused_token_is_checked_and_skipped(
    hub: Hub, client: TestClient, tmp_path: Path, sites: tuple[list[str], list[int], list[str]],
    one_torch_thread: None,
) -> None:  # fmt: skip
    urls, _, tokens = sites
    pid, manager = _coordinator(hub, tmp_path)
    _add(client, pid, manager, "A", urls[0], tokens[0])
    _add(client, pid, manager, "B", urls[1], tokens[1])
    _add(client, pid, manager, "C, wrong token", f"{urls[1][: urls[1].rindex('/')]}/{pid}", "lh_not-a-real-token")

    r = client.post(f"{API}/projects/{pid}/federated/sites/check", headers=manager)
    assert r.status_code == 200, r.text
    assert [(c["name"], c["status"]) for c in r.json()] == [("A", "ok"), ("B", "ok"),
                                                           ("C, wrong token", "token_refused")]  # fmt: skip

    job = client.post(f"{API}/projects/{pid}/federated/train", json=TRAIN, headers=manager)
    assert job.status_code == 202 and job.json()["kind"] == "federated_train", job.text
    assert all(t not in job.text for t in tokens)
    run_jobs(hub)
    done = client.get(f"{API}/jobs/{job.json()['id']}", headers=manager).json()
    assert done["status"] == "succeeded", done
    result = done["result"]
    assert result["last_round"].startswith("round 2 of 2: 2 sites (1 skipped), accuracy 0."), result
    assert [x["round"] for x in result["rounds"]] == [1, 2] and result["version"] == 1
    assert len(result["warnings"]) == 2 and "401" in result["warnings"][0]

    versions = client.get(f"{API}/projects/{pid}/federated/versions", headers=manager).json()
    assert [v["model_id"] for v in versions] == [result["model_id"]] and versions[0]["status"] == "ready"
    last = versions[0]["rounds"][-1]
    assert isinstance(last["accuracy"], float) and [s["examples"] is not None for s in last["sites"]] == [
        True, True, False]  # fmt: skip
    with hub.db.session() as s:
        assert s.get_one(ModelVersion, result["model_id"]).job_id == job.json()["id"]


class CancelOnFirstRound:
    """A site server that asks the coordinator's job to stop while it answers its first round (as a person
    pressing Cancel during round 1): the job must stop after that round, before round 2."""

    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app, self.hub = app, hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/federated/round"):
            with self.hub.db.session(write=True) as s:
                s.execute(update(Job).where(Job.kind == "federated_train").values(cancel_requested=True))
        await self.app(scope, receive, send)


def test_a_cancelled_or_stopped_job_registers_nothing(
    hub: Hub, client: TestClient, tmp_path: Path, one_torch_thread: None
) -> None:
    hub.settings.webhook_hosts = "loopback"
    rows = banking_rows(3, 8)
    site = _project(hub, tmp_path, "site", rows, sorted({c for _, c in rows}))
    token = _member(hub, site, "site-manager", Role.MANAGER)["Authorization"][7:]
    pid, manager = _coordinator(hub, tmp_path)
    other = _project(hub, tmp_path, "other-site", rows, [*sorted({c for _, c in rows})[:2], "refund"])
    other_token = _member(hub, other, "other-manager", Role.MANAGER)["Authorization"][7:]
    with served(CancelOnFirstRound(create_app(hub, run_worker=False), hub)) as url:
        _add(client, pid, manager, "A", f"{url}{API}/projects/{site}", token)
        odd = _add(client, pid, manager, "Other classes", f"{url}{API}/projects/{other}", other_token)
        checks = client.post(f"{API}/projects/{pid}/federated/sites/check", headers=manager).json()
        assert [c["status"] for c in checks] == ["ok", "classes_differ"], checks
        assert (checks[1]["missing"], checks[1]["extra"]) == ([], ["refund"])  # the import added the third class
        client.delete(f"{API}/projects/{pid}/federated/sites/{odd['id']}", headers=manager)
        job = client.post(f"{API}/projects/{pid}/federated/train", json={**TRAIN, "rounds": 5}, headers=manager)
        run_jobs(hub)
    done = client.get(f"{API}/jobs/{job.json()['id']}", headers=manager).json()
    assert done["status"] == "cancelled", done
    with hub.db.session() as s:
        assert s.scalars(select(ModelVersion).where(ModelVersion.project_id == pid)).all() == []
        assert s.query(AuditEvent).filter_by(action="federated.round").count() == 1  # round 1 only
        assert s.query(FederatedSite).count() == 1
    assert not list((hub.settings.home / "models").glob(f"project-{pid}/*"))

    # on_failure "stop": a site that fails a round twice (here: its server is gone) fails the job, with no version.
    stop = client.post(f"{API}/projects/{pid}/federated/train", json={**TRAIN, "on_failure": "stop"},
                       headers=manager)  # fmt: skip
    run_jobs(hub)
    failed = client.get(f"{API}/jobs/{stop.json()['id']}", headers=manager).json()
    assert failed["status"] == "failed" and "failed round 1 twice" in failed["error"]["detail"], failed
    with hub.db.session() as s:
        assert s.scalars(select(ModelVersion).where(ModelVersion.project_id == pid)).all() == []
