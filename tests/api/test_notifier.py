"""The server's own worker runs the notifier: a rejection raises an alert and the alert and the review reach a
webhook without anyone calling the consumers by hand."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from tests.api._support import API
from tests.api.test_alerts import _rejected_twice, _team
from tests.services._webhook_receiver import receiver, verify

from labelhub.api.app import create_app
from labelhub.hub import Hub
from labelhub.services.notifier import Notifier, NotifierTask

Headers = dict[str, str]


def _wait(check: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("the notifier did not get there in time")


def test_the_worker_raises_alerts_and_delivers_them_with_the_review_to_a_webhook(
    hub: Hub, admin_headers: Headers, tmp_path: Path
) -> None:
    hub.settings.webhook_hosts = "loopback"
    with TestClient(create_app(hub, run_worker=True)) as client, receiver() as rx:
        pid, heads = _team(client, hub, admin_headers, tmp_path)
        rules = f"{API}/projects/{pid}/alert-rules"
        assert client.post(rules, json={"kind": "rejected_again"}, headers=admin_headers).status_code == 201
        made = client.post(f"{API}/projects/{pid}/webhooks", json={"url": rx.url, "events": ["item.reject", "alert.*"]},
                           headers=admin_headers).json()  # fmt: skip
        item = _rejected_twice(client, hub, pid, heads, tmp_path)

        _wait(lambda: rx.events() == ["item.reject", "item.reject", "alert.raised"])
        assert all(verify(made["secret"], r.headers, r.body) for r in rx.requests)
        raised = rx.requests[-1].json["data"]
        assert raised["detail"]["kind"] == "rejected_again" and raised["object_id"] == str(item)
        alerts = client.get(f"{API}/projects/{pid}/alerts?open=true", headers=heads["reviewer"]).json()
        assert [a["kind"] for a in alerts["alerts"]] == ["rejected_again"]


class _Counting:
    name = "counting"

    def __init__(self, fail: bool = False) -> None:
        self.fail, self.rounds = fail, 0
        self.seen = threading.Event()

    def step(self, hub: Hub, owner: str) -> bool:
        self.rounds += 1
        self.seen.set()
        if self.fail:
            raise RuntimeError("a consumer bug")
        return False


def test_a_failing_consumer_never_stops_the_others_and_wake_runs_a_round_at_once(hub: Hub) -> None:
    broken, fine = _Counting(fail=True), _Counting()
    tasks: list[NotifierTask] = [broken, fine]
    notifier = Notifier(hub, tasks, interval=60.0)
    assert notifier.run_once() is False and (broken.rounds, fine.rounds) == (1, 1)
    notifier.start()
    try:
        _wait(lambda: fine.rounds >= 2)  # the thread's first round
        fine.seen.clear()
        notifier.wake()  # an interval of a minute, yet the next round comes now
        assert fine.seen.wait(5.0) and broken.rounds >= 3
    finally:
        notifier.stop()
