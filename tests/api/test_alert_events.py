"""The user's alert stream (GET /alerts/events) on a real uvicorn server: the alerts of every project where the
user reviews, in one stream, resumed after a reconnect; none of a project where they only view, are no member, or
were removed; one stream under the user's limit."""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from tests.api import test_events
from tests.api._support import API, assert_problem, quick_user
from tests.api.test_events import FAST, Live, Stream

from labelhub.services.alerts import AlertDraft, raise_alert
from labelhub.storage.models import utcnow

live = test_events.live  # the server fixture


class AlertStream(Stream):
    """An open ``/alerts/events`` stream, read as :class:`Stream` reads a project's."""

    def __init__(self, live: Live, headers: dict[str, str], **params: Any) -> None:
        self._client = httpx.Client(base_url=live.url, timeout=httpx.Timeout(10, read=5))
        self._cm = self._client.stream("GET", f"{API}/alerts/events", headers=headers, params=params)
        self.response = self._cm.__enter__()
        assert self.response.status_code == 200, self.response.read()
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()


@dataclass
class Desk:
    """Four projects (``pids``), each with an alert rule; ``rev`` reviews the first, manages the second, views the
    third and is no member of the fourth."""

    pids: list[int]
    rules: dict[int, int]
    rev_id: int
    rev: dict[str, str]
    admin: dict[str, str]


def _desk(live: Live) -> Desk:
    _, admin = quick_user(live.hub, "admin", admin=True)
    rev_id, rev = quick_user(live.hub, "rev")
    pids, rules = [], {}
    for n, role in enumerate(("reviewer", "manager", "viewer", None)):
        r = live.http.post(f"{API}/projects", json={"name": f"p{n}", "labels": [{"name": "cat"}]}, headers=admin)
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        pids.append(pid)
        r = live.http.post(f"{API}/projects/{pid}/alert-rules", json={"kind": "job_failed"}, headers=admin)
        assert r.status_code == 201, r.text
        rules[pid] = r.json()["id"]
        if role is not None:
            r = live.http.put(f"{API}/projects/{pid}/members/{rev_id}", json={"role": role}, headers=admin)
            assert r.status_code == 200, r.text
    return Desk(pids, rules, rev_id, rev, admin)


def _raise(live: Live, desk: Desk, pid: int, job: int) -> int:
    """Raise a job_failed alert in project ``pid`` as the evaluator does; the alert's id."""
    draft = AlertDraft(kind="job_failed", severity="critical", title=f"job {job} failed", object_type="job",
                       object_id=str(job))  # fmt: skip
    with live.hub.db.session(write=True) as s:
        alert = raise_alert(s, pid, desk.rules[pid], draft, now=utcnow(), cooldown=timedelta(0))
        assert alert is not None
        return alert.id


def test_alerts_of_two_projects_come_in_one_stream_and_resume_after_last_event_id(live: Live) -> None:
    desk = _desk(live)
    p_review, p_manage, p_view, p_other = desk.pids
    stream = AlertStream(live, desk.rev)
    try:
        first = _raise(live, desk, p_review, 1)
        _raise(live, desk, p_view, 2)  # a viewer reads no alerts
        _raise(live, desk, p_other, 3)  # nor does a stranger
        second = _raise(live, desk, p_manage, 4)
        r = live.http.post(f"{API}/projects/{p_review}/alerts/{first}/ack", headers=desk.admin)
        assert r.status_code == 200, r.text
        got = stream.events(3)
        assert [(m["event"], m["data"]["project_id"]) for m in got] == [
            ("alert.raised", p_review),
            ("alert.raised", p_manage),
            ("alert.ack", p_review),
        ]
        assert got[0]["data"]["detail"] == {"alert_id": first, "kind": "job_failed", "severity": "critical",
                                            "title": "job 1 failed"}  # fmt: skip
        assert got[1]["data"]["object_id"] == str(second)
        assert got[2]["data"]["detail"]["alert_id"] == first and got[2]["data"]["actor"] == "admin"
        assert stream.quiet(0.4) == []
    finally:
        stream.close()
    # The browser reconnects with the last id it saw: exactly what came after it.
    again = AlertStream(live, {**desk.rev, "Last-Event-ID": got[0]["id"]})
    try:
        assert [m["id"] for m in again.events(2)] == [got[1]["id"], got[2]["id"]]
        assert again.quiet(0.3) == []
    finally:
        again.close()
    # An administrator reads every project's alerts.
    admin = AlertStream(live, desk.admin, after=int(got[0]["id"]) - 1)
    try:
        projects = [m["data"]["project_id"] for m in admin.events(5) if m["event"] == "alert.raised"]
        assert projects == [p_review, p_view, p_other, p_manage]
    finally:
        admin.close()


def test_a_member_removed_or_made_a_viewer_stops_getting_the_project_s_alerts(live: Live) -> None:
    desk = _desk(live)
    p_review, p_manage, p_view, _ = desk.pids
    stream = AlertStream(live, desk.rev)
    try:
        r = live.http.delete(f"{API}/projects/{p_review}/members/{desk.rev_id}", headers=desk.admin)
        assert r.status_code == 204, r.text
        r = live.http.put(f"{API}/projects/{p_manage}/members/{desk.rev_id}", json={"role": "viewer"},
                          headers=desk.admin)  # fmt: skip
        assert r.status_code == 200, r.text
        r = live.http.put(f"{API}/projects/{p_view}/members/{desk.rev_id}", json={"role": "reviewer"},
                          headers=desk.admin)  # fmt: skip
        assert r.status_code == 200, r.text
        time.sleep(4 * FAST.recheck_seconds)  # the stream reads the user's projects again at its access check
        _raise(live, desk, p_review, 1)
        _raise(live, desk, p_manage, 2)
        _raise(live, desk, p_view, 3)  # made a reviewer meanwhile: this one comes
        (m,) = stream.events(1)
        assert m["data"]["project_id"] == p_view
        assert stream.quiet(0.4) == []
    finally:
        stream.close()


def test_the_stream_needs_a_login_and_counts_as_one_of_the_user_s_streams(live: Live) -> None:
    desk = _desk(live)
    assert_problem(live.http.get(f"{API}/alerts/events"), 401)
    assert_problem(live.http.get(f"{API}/alerts/events", headers={"Authorization": "Bearer nonsense"}), 401)
    project = Stream(live, desk.pids[0], desk.rev)
    alerts = AlertStream(live, desk.rev)
    try:
        r = live.http.get(f"{API}/alerts/events", headers=desk.rev)
        assert_problem(r, 503)  # FAST allows two streams a user: one project's and the alerts'
        assert r.headers["retry-after"] == "10"
    finally:
        project.close()
        alerts.close()
