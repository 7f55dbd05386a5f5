"""The webhook routes as a project manager uses them: add a hook and see its secret once, test it against a
real receiver, read the deliveries and redeliver one, edit with a version, rotate, resume, delete; the
server's own network refused by default; annotators refused and outsiders shown nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API, assert_problem, create_project, quick_user
from tests.services._webhook_receiver import Receiver, receiver, verify

from labelhub.hub import Hub
from labelhub.services.webhook_dispatch import WebhookDispatcher
from labelhub.storage.models import AuditEvent


@pytest.fixture
def rx() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def _project(client: TestClient, hub: Hub, name: str) -> tuple[int, dict[str, dict[str, str]]]:
    headers = {}
    users = {}
    for who in ("boss", "annotator", "outsider"):
        users[who], headers[who] = quick_user(hub, f"{name}-{who}", admin=who == "boss")
    pid = create_project(client, headers["boss"], name)["id"]
    r = client.put(
        f"{API}/projects/{pid}/members/{users['annotator']}", json={"role": "annotator"}, headers=headers["boss"]
    )
    assert r.status_code == 200, r.text
    return pid, headers


def test_a_manager_adds_tests_and_reads_a_webhook(client: TestClient, hub: Hub, rx: Receiver) -> None:
    hub.settings.webhook_hosts = "loopback"
    pid, h = _project(client, hub, "hooks")
    boss = h["boss"]
    base = f"{API}/projects/{pid}/webhooks"
    r = client.post(base, json={"url": rx.url, "events": ["item.*"], "description": "CI"}, headers=boss)
    assert r.status_code == 201, r.text
    made = r.json()
    secret, hook = made["secret"], made["id"]
    assert len(secret) >= 32 and made["secret_hint"] == "…" + secret[-4:] and made["state"] == "active"
    shown = client.get(f"{base}/{hook}", headers=boss).json()
    assert "secret" not in shown and shown["description"] == "CI" and shown["last_delivery"] is None
    assert [w["id"] for w in client.get(base, headers=boss).json()] == [hook]

    ping = client.post(f"{base}/{hook}/test", headers=boss)
    assert ping.status_code == 200, ping.text
    assert (ping.json()["ok"], ping.json()["status_code"], ping.json()["action"]) == (True, 200, "ping")
    assert verify(secret, rx.requests[0].headers, rx.requests[0].body)
    assert client.get(base, headers=boss).json()[0]["last_delivery"]["id"] == ping.json()["id"]

    version = client.get(f"{API}/projects/{pid}", headers=boss).json()["version"]
    r = client.patch(f"{API}/projects/{pid}", json={"version": version, "description": "x"}, headers=boss)
    assert r.status_code == 200, r.text
    WebhookDispatcher().step(hub, "test")  # project.update: not an item event, not sent
    assert rx.events() == ["ping"]

    page = client.get(f"{base}/{hook}/deliveries", headers=boss).json()
    assert [d["action"] for d in page["deliveries"]] == ["ping"] and page["next_after"] is None
    again = client.post(f"{base}/{hook}/deliveries/{page['deliveries'][0]['id']}/redeliver", headers=boss)
    assert again.status_code == 200 and again.json()["ok"] and rx.events() == ["ping", "ping"]
    assert_problem(client.post(f"{base}/{hook}/deliveries/999999/redeliver", headers=boss), 404, field="delivery_id")

    rotated = client.post(f"{base}/{hook}/rotate-secret", headers=boss).json()
    assert rotated["secret"] != secret and rotated["version"] == shown["version"] + 1
    client.post(f"{base}/{hook}/test", headers=boss)
    assert verify(rotated["secret"], rx.requests[-1].headers, rx.requests[-1].body)

    assert client.delete(f"{base}/{hook}", headers=boss).status_code == 204
    assert_problem(client.get(f"{base}/{hook}", headers=boss), 404, field="webhook_id")
    with hub.db.session() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "webhook")).all()
        details = s.scalars(select(AuditEvent.detail).where(AuditEvent.object_type == "webhook")).all()
    assert actions == ["webhook.create", "webhook.update", "webhook.delete"]
    assert all(secret not in str(d) and rotated["secret"] not in str(d) for d in details)


def test_edits_need_the_version_read_and_turning_off_and_resuming(client: TestClient, hub: Hub) -> None:
    pid, h = _project(client, hub, "versions")
    base = f"{API}/projects/{pid}/webhooks"
    hook = client.post(base, json={"url": "https://93.184.216.34/a"}, headers=h["boss"]).json()
    url = f"{base}/{hook['id']}"
    r = client.patch(url, json={"version": 1, "events": ["annotations.*"], "active": False}, headers=h["boss"])
    assert r.status_code == 200, r.text
    off = r.json()
    assert (off["version"], off["events"], off["state"]) == (2, ["annotations.*"], "disabled")
    assert off["disabled_reason"] == "turned off by versions-boss"
    stale = assert_problem(
        client.patch(url, json={"version": 1, "description": "late"}, headers=h["boss"]), 409, field="version"
    )
    assert "reload" in stale["detail"]
    bad = assert_problem(
        client.patch(url, json={"version": 2, "events": ["itme.*"]}, headers=h["boss"]), 422, field="events"
    )
    assert 'did you mean "item.*"' in bad["detail"]
    on = client.post(f"{url}/resume", json={"skip_backlog": True}, headers=h["boss"]).json()
    assert (on["state"], on["version"], on["disabled_reason"]) == ("active", 3, None)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/h", "http://10.0.0.8/h", "http://169.254.169.254/latest/meta-data", "http://[::1]/h"]
)
def test_the_server_s_own_network_is_refused_by_default(client: TestClient, hub: Hub, url: str) -> None:
    pid, h = _project(client, hub, "ssrf")
    body = assert_problem(
        client.post(f"{API}/projects/{pid}/webhooks", json={"url": url}, headers=h["boss"]), 422, field="url"
    )
    assert "LABELHUB_WEBHOOK_HOSTS" in body["detail"]
    assert client.get(f"{API}/projects/{pid}/webhooks", headers=h["boss"]).json() == []


def test_a_url_with_a_password_is_refused_without_repeating_it(client: TestClient, hub: Hub) -> None:
    pid, h = _project(client, hub, "creds")
    r = client.post(
        f"{API}/projects/{pid}/webhooks", json={"url": "https://me:hunter2@93.184.216.34/h"}, headers=h["boss"]
    )
    body = assert_problem(r, 422, field="url")
    assert "hunter2" not in r.text and "password" in body["detail"]


def test_annotators_are_refused_and_outsiders_see_nothing(client: TestClient, hub: Hub) -> None:
    pid, h = _project(client, hub, "private-hooks")
    base = f"{API}/projects/{pid}/webhooks"
    hook = client.post(base, json={"url": "https://93.184.216.34/a"}, headers=h["boss"]).json()["id"]
    calls = [
        ("GET", base, None),
        ("POST", base, {"url": "https://93.184.216.34/b"}),
        ("GET", f"{base}/{hook}", None),
        ("PATCH", f"{base}/{hook}", {"version": 1, "description": "x"}),
        ("DELETE", f"{base}/{hook}", None),
        ("POST", f"{base}/{hook}/test", None),
        ("POST", f"{base}/{hook}/resume", None),
        ("POST", f"{base}/{hook}/rotate-secret", None),
        ("GET", f"{base}/{hook}/deliveries", None),
        ("POST", f"{base}/{hook}/deliveries/1/redeliver", None),
    ]
    for method, url, body in calls:
        refused = assert_problem(client.request(method, url, json=body, headers=h["annotator"]), 403, field="role")
        assert "edit_project needs the manager role" in refused["detail"]
        hidden = assert_problem(client.request(method, url, json=body, headers=h["outsider"]), 404)
        assert "private-hooks" not in hidden["detail"]
    assert client.get(f"{base}/{hook}", headers=h["boss"]).json()["version"] == 1
