"""The live event stream (GET /projects/{id}/events) on a real uvicorn server: what a member sees of others'
writes as they happen, resuming after a reconnect, who sees how much, and when the stream ends."""

from __future__ import annotations

import queue
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from tests.api._support import API, assert_problem, import_coco, quick_user, served, write_coco
from tests.conftest import make_user

from labelhub.api.app import create_app
from labelhub.hub import Hub
from labelhub.services.event_feed import FeedEvent
from labelhub.services.live_events import LiveStreams, StreamLimits, message, public_body

BOX = {"kind": "box", "label": "cat", "geometry": {"bbox": [10, 10, 50, 60]}}
FAST = StreamLimits(poll_seconds=0.05, recheck_seconds=0.2, keepalive_seconds=0.5, max_seconds=20, retry_ms=100,
                    per_user=2)  # fmt: skip
END = None  # what a Stream's queue holds after the server ended the stream


@dataclass
class Live:
    """A uvicorn server on a free port serving the app, and an HTTP client for it."""

    url: str
    http: httpx.Client
    hub: Hub
    streams: LiveStreams


@pytest.fixture
def live(hub: Hub) -> Iterator[Live]:
    app = create_app(hub, run_worker=False)
    streams = app.state.live_streams = LiveStreams(limits=FAST)
    with served(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        yield Live(url, http, hub, streams)


class Stream:
    """An open event stream, read in a thread: ``messages`` gets each message (a dict of its fields, ``data``
    parsed), then END when the server ends the stream."""

    def __init__(self, live: Live, pid: int, headers: dict[str, str], **params: Any) -> None:
        self._client = httpx.Client(base_url=live.url, timeout=httpx.Timeout(10, read=5))
        self._cm = self._client.stream("GET", f"{API}/projects/{pid}/events", headers=headers, params=params)
        self.response = self._cm.__enter__()
        assert self.response.status_code == 200, self.response.read()
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        fields: dict[str, Any] = {}
        try:
            for line in self.response.iter_lines():
                if line == "":
                    if fields:
                        self.messages.put(fields)
                    fields = {}
                    continue
                name, _, value = line.partition(":")
                fields[name or "comment"] = orjson.loads(value) if name == "data" else value.strip()
        except httpx.HTTPError:
            pass  # closed by the test
        self.messages.put(END)

    def events(self, n: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The next ``n`` messages that carry an event (keep-alives and the opening id are passed over)."""
        out: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            m = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            assert m is not END, f"the stream ended after {out}"
            if "data" in m:
                out.append(m)
        return out

    def quiet(self, seconds: float) -> list[dict[str, Any]]:
        """The events that arrive within ``seconds`` (none expected, usually)."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                m = self.messages.get(timeout=left)
            except queue.Empty:
                break
            if m is not END and "data" in m:
                got.append(m)
        return got

    def ends_within(self, seconds: float) -> bool:
        """True when the stream ends within ``seconds`` with the ``end`` message that tells a browser to stop."""
        deadline, last = time.monotonic() + seconds, None
        while (left := deadline - time.monotonic()) > 0:
            try:
                m = self.messages.get(timeout=left)
            except queue.Empty:
                return False
            if m is END:
                return last is not None and last.get("event") == "end" and last["data"] == {"reason": "access"}
            last = m
        return False

    def close(self) -> None:
        self._cm.__exit__(None, None, None)
        self._client.close()


@dataclass
class Team:
    pid: int
    other_pid: int
    items: list[int]
    other_item: int
    ids: dict[str, int]
    headers: dict[str, dict[str, str]]


def _team(live: Live, tmp: Path) -> Team:
    """A project of two images with a viewer, an annotator, a reviewer and a manager; another project where the
    annotator works too; an outsider."""
    ids: dict[str, int] = {}
    headers: dict[str, dict[str, str]] = {}
    for name in ("admin", "viewer", "annotator", "reviewer", "manager", "outsider"):
        ids[name], headers[name] = quick_user(live.hub, name, admin=name == "admin")
    http, admin = live.http, headers["admin"]
    pids = []
    for name in ("watched", "elsewhere"):
        r = http.post(f"{API}/projects", json={"name": name, "labels": [{"name": "cat"}]}, headers=admin)
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        import_coco(live.hub, pid, write_coco(tmp / f"{name}.json", [("a.jpg", 100, 80, []), ("b.jpg", 100, 80, [])]))
        pids.append(pid)
    pid, other = pids
    for role in ("viewer", "annotator", "reviewer", "manager"):
        assert http.put(f"{API}/projects/{pid}/members/{ids[role]}", json={"role": role}, headers=admin).is_success
    assert http.put(f"{API}/projects/{other}/members/{ids['annotator']}", json={"role": "annotator"},
                    headers=admin).is_success  # fmt: skip
    items = [i["id"] for i in http.get(f"{API}/projects/{pid}/items", headers=admin).json()["items"]]
    other_item = http.get(f"{API}/projects/{other}/items", headers=admin).json()["items"][0]["id"]
    return Team(pid, other, items, other_item, ids, headers)


def _save(live: Live, headers: dict[str, str], pid: int, item: int, version: int = 1) -> None:
    r = live.http.put(f"{API}/projects/{pid}/items/{item}/annotations",
                      json={"version": version, "annotations": [BOX]}, headers=headers)  # fmt: skip
    assert r.status_code == 200, r.text


def _audit_ids(live: Live, t: Team, action: str) -> list[int]:
    r = live.http.get(f"{API}/projects/{t.pid}/audit", params={"action": action}, headers=t.headers["admin"])
    return sorted(e["id"] for e in r.json()["events"])


def test_a_save_by_another_user_appears_at_once_and_other_projects_do_not(live: Live, tmp_path: Path) -> None:
    t = _team(live, tmp_path)
    _save(live, t.headers["annotator"], t.pid, t.items[1])  # before the stream opened: no backlog
    stream = Stream(live, t.pid, t.headers["manager"])
    try:
        assert stream.response.headers["content-type"].startswith("text/event-stream")
        assert stream.response.headers["cache-control"] == "no-cache"
        assert stream.response.headers["x-accel-buffering"] == "no"
        opening = stream.messages.get(timeout=5)
        assert opening is not END and opening["retry"] == "100" and "data" not in opening
        _save(live, t.headers["annotator"], t.other_pid, t.other_item)  # another project's write
        _save(live, t.headers["annotator"], t.pid, t.items[0])
        (m,) = stream.events(1)
        assert m["event"] == "annotations.replace" and m["id"] == str(_audit_ids(live, t, "annotations.")[-1])
        data = m["data"]
        assert (data["project_id"], data["object_type"], data["object_id"]) == (t.pid, "item", str(t.items[0]))
        assert (data["user_id"], data["actor"]) == (t.ids["annotator"], "annotator")
        assert data["detail"] == {"added": 1, "updated": 0, "deleted": 0, "version": 2, "status": ["new", "labeled"]}
        assert stream.quiet(0.6) == []  # nothing more: neither the earlier save nor the other project's
    finally:
        stream.close()


def _freed(live: Live, left: int) -> None:
    deadline = time.monotonic() + 15
    while live.streams.total > left:
        assert time.monotonic() < deadline, "a closed stream's place was not given back"
        time.sleep(0.05)


def test_a_reconnect_with_last_event_id_gets_exactly_the_missed_events(live: Live, tmp_path: Path) -> None:
    t = _team(live, tmp_path)
    manager = t.headers["manager"]
    stream = Stream(live, t.pid, manager)
    _save(live, t.headers["annotator"], t.pid, t.items[0])
    (seen,) = stream.events(1)
    stream.close()
    _freed(live, 0)
    _save(live, t.headers["annotator"], t.pid, t.items[1])
    r = live.http.post(f"{API}/projects/{t.pid}/items/{t.items[0]}/review", json={"approve": True},
                       headers=t.headers["reviewer"])  # fmt: skip
    assert r.status_code == 200, r.text
    for resume in ({"headers": {**manager, "Last-Event-ID": seen["id"]}}, {"after": seen["id"]}):
        again = Stream(live, t.pid, resume.pop("headers", manager), **resume)
        try:
            missed = again.events(2)
            assert [(m["event"], m["data"]["object_id"]) for m in missed] == [
                ("annotations.replace", str(t.items[1])), ("item.approve", str(t.items[0]))]  # fmt: skip
            assert missed[1]["data"]["detail"] == {"version": 3, "status": "reviewed"}
            assert again.quiet(0.4) == []
        finally:
            again.close()
            _freed(live, 0)  # the server noticed the close: the next stream has its place


def test_a_viewer_gets_reduced_detail_and_a_manager_all_of_it(live: Live, tmp_path: Path) -> None:
    t = _team(live, tmp_path)
    viewer, manager = Stream(live, t.pid, t.headers["viewer"]), Stream(live, t.pid, t.headers["manager"])
    try:
        reject = {"approve": False, "comment": "boxes too loose"}
        r = live.http.post(
            f"{API}/projects/{t.pid}/items/{t.items[0]}/review", json=reject, headers=t.headers["reviewer"]
        )
        assert r.status_code == 200, r.text
        spare, _ = quick_user(live.hub, "spare")
        r = live.http.put(f"{API}/projects/{t.pid}/members/{spare}", json={"role": "reviewer"},
                          headers=t.headers["manager"])  # fmt: skip
        assert r.status_code == 200, r.text
        review, member = manager.events(2)
        assert review["data"]["detail"] == {"version": 2, "status": "rejected", "comment": "boxes too loose"}
        assert member["data"]["detail"] == {"username": "spare", "role": "reviewer"}
        seen = viewer.events(2)
        assert [m["event"] for m in seen] == ["item.reject", "member.set"]
        assert seen[0]["data"]["detail"] == {"version": 2, "status": "rejected"}  # no comment
        assert seen[1]["data"]["detail"] == {}  # nobody's name or role
        assert seen[0]["data"]["actor"] == "reviewer"
    finally:
        viewer.close()
        manager.close()


def test_outsiders_and_strangers_are_refused_as_elsewhere(live: Live, tmp_path: Path) -> None:
    t = _team(live, tmp_path)
    url = f"{API}/projects/{t.pid}/events"
    hidden = assert_problem(live.http.get(url, headers=t.headers["outsider"]), 404, field="project_id")
    assert "watched" not in hidden["detail"]
    assert_problem(live.http.get(f"{API}/projects/999999/events", headers=t.headers["manager"]), 404)
    assert_problem(live.http.get(url), 401)
    assert_problem(live.http.get(url, headers={"Authorization": "Bearer nonsense"}), 401)
    assert_problem(live.http.get(url, params={"after": -1}, headers=t.headers["manager"]), 422)
    assert_problem(live.http.get(url, params={"since": 3}, headers=t.headers["manager"]), 422, field="since")


def test_a_member_removed_mid_stream_stops_receiving(live: Live, tmp_path: Path) -> None:
    t = _team(live, tmp_path)
    stream = Stream(live, t.pid, t.headers["viewer"])
    try:
        r = live.http.delete(f"{API}/projects/{t.pid}/members/{t.ids['viewer']}", headers=t.headers["manager"])
        assert r.status_code == 204, r.text
        assert stream.ends_within(3), "the stream went on after the member was removed"
        assert_problem(live.http.get(f"{API}/projects/{t.pid}/events", headers=t.headers["viewer"]), 404)
    finally:
        stream.close()


def test_logging_out_or_a_disabled_account_ends_the_stream(live: Live, tmp_path: Path) -> None:
    t = _team(live, tmp_path)
    make_user(live.hub, "browser")
    browser = httpx.Client(base_url=live.url, headers={"X-Requested-With": "test"}, timeout=10)
    r = browser.post(f"{API}/auth/login", json={"username": "browser", "password": "browser-password"})
    assert r.status_code == 200, r.text
    uid = r.json()["id"]
    r = live.http.put(f"{API}/projects/{t.pid}/members/{uid}", json={"role": "annotator"}, headers=t.headers["admin"])
    assert r.status_code == 200, r.text
    cookie = {"Cookie": f"labelhub_session={browser.cookies['labelhub_session']}"}
    by_cookie, by_token = Stream(live, t.pid, cookie), Stream(live, t.pid, t.headers["annotator"])
    try:
        assert browser.post(f"{API}/auth/logout").status_code == 204
        assert by_cookie.ends_within(3), "the stream went on after its session was logged out"
        r = live.http.patch(f"{API}/users/{t.ids['annotator']}", json={"is_active": False}, headers=t.headers["admin"])
        assert r.status_code == 200, r.text
        assert by_token.ends_within(3), "the stream went on after its account was disabled"
    finally:
        by_cookie.close()
        by_token.close()
        browser.close()


def test_a_user_has_a_few_streams_at_most(live: Live, tmp_path: Path) -> None:
    t = _team(live, tmp_path)
    streams = [Stream(live, t.pid, t.headers["viewer"]) for _ in range(FAST.per_user)]
    try:
        r = live.http.get(f"{API}/projects/{t.pid}/events", headers=t.headers["viewer"])
        assert_problem(r, 503)
        assert r.headers["retry-after"] == "10"
        streams.pop().close()
        # The server notices the close when its stream next wakes (a poll in flight runs to its end): on a loaded
        # machine that can take a few seconds.
        deadline = time.monotonic() + 15
        while live.streams.total >= FAST.per_user:
            assert time.monotonic() < deadline, "the closed stream's place was not given back"
            time.sleep(0.05)
        streams.append(Stream(live, t.pid, t.headers["viewer"]))
    finally:
        for s in streams:
            s.close()


def test_members_see_no_detail_of_actions_the_whitelist_does_not_name() -> None:
    at = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

    def body(action: str, detail: dict[str, Any], *, full: bool) -> dict[str, Any]:
        event = FeedEvent(1, at, 4, action, "project", "4", 2, "bob", detail)
        return public_body(event, full=full)["detail"]

    hook = {"url": "https://ci.example/hook", "secret_set": True, "events": ["item.*"]}
    assert body("webhook.create", hook, full=False) == {}
    assert body("webhook.create", hook, full=True) == hook
    assert body("assist.settings", {"model_url": "http://10.0.0.5/infer"}, full=False) == {}
    imported = {"format": "coco", "items_added": 3, "annotations_added": 9, "skipped": 0, "source": "/srv/data/x"}
    assert body("project.import", imported, full=False) == {"format": "coco", "items_added": 3,
                                                            "annotations_added": 9, "skipped": 0}  # fmt: skip
    assert (
        message({"id": 7, "action": "item.approve"}, named=False)
        == b'id: 7\ndata: {"id":7,"action":"item.approve"}\n\n'
    )


class _StoppingServer:
    """What uvicorn's server looks like to the stream: ``handle_exit`` is its signal handler, ``should_exit`` set."""

    should_exit = True

    def handle_exit(self, sig: int, frame: object) -> None:
        pass


def test_streams_end_when_the_server_is_told_to_stop(live: Live, tmp_path: Path) -> None:
    t = _team(live, tmp_path)
    stream = Stream(live, t.pid, t.headers["viewer"])
    before = signal.signal(signal.SIGTERM, _StoppingServer().handle_exit)  # as uvicorn.run installs its own
    try:
        assert stream.messages.get(timeout=5) is not END  # the opening lines
        deadline = time.monotonic() + 3
        while stream.messages.get(timeout=max(0.01, deadline - time.monotonic())) is not END:
            pass  # keep-alives until the stream ends
    finally:
        signal.signal(signal.SIGTERM, before)
        stream.close()
