"""Login throttling: 429 with Retry-After after too many failures per username or per client address."""

from __future__ import annotations

from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API, assert_problem
from tests.conftest import make_user

from labelhub.api.deps import SESSION_COOKIE
from labelhub.hub import Hub
from labelhub.services import users
from labelhub.services.login_throttle import WINDOW_SECONDS, LoginThrottle
from labelhub.storage.models import AuditEvent


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(client: TestClient, clock: Clock, **limits: int) -> LoginThrottle:
    throttle = LoginThrottle(clock=clock, **limits)
    cast(FastAPI, client.app).state.login_throttle = throttle
    return throttle


def _login(client: TestClient, username: str, password: str) -> Any:
    client.cookies.clear()
    return client.post(f"{API}/auth/login", json={"username": username, "password": password})


def test_ten_failures_lock_the_username_until_the_window_has_passed(
    client: TestClient, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(hub, "alice")
    make_user(hub, "bob")
    clock = Clock()
    _throttle(client, clock)
    for i in range(10):  # the username counts whatever its case
        assert_problem(_login(client, "alice" if i % 2 else "ALICE", "wrong-password"), 401)
        clock.now += 1

    r = _login(client, "alice", "alice-password")  # the right password, but locked
    problem = assert_problem(r, 429)
    assert problem["title"] == "Too many attempts"
    assert "try again in 15 minutes" in problem["detail"] and "UTC" in problem["detail"]
    assert int(r.headers["retry-after"]) == problem["retry_after"] == WINDOW_SECONDS - 10
    assert r.headers["x-content-type-options"] == "nosniff"
    assert SESSION_COOKIE not in r.cookies

    # While locked, the password is not even checked.
    def no_check(*args: object) -> None:
        raise AssertionError("the password was checked during a lockout")

    with monkeypatch.context() as m:
        m.setattr(users, "authenticate", no_check)
        assert_problem(_login(client, "Alice", "alice-password"), 429)
    assert _login(client, "bob", "bob-password").status_code == 200  # another username still logs in

    with hub.db.session() as s:  # one audit event for the lockout, not one per refused attempt
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "auth.throttled")).all()
        assert [(e.object_type, e.object_id, e.user_id) for e in events] == [("login", "alice", None)]
        assert events[0].detail["by"] == "username" and events[0].detail["client"] == "testclient"

    clock.now += WINDOW_SECONDS - 11  # the first failure is 15 minutes old less a second: still locked
    assert int(assert_problem(_login(client, "alice", "alice-password"), 429)["retry_after"]) == 1
    clock.now += 1
    r = _login(client, "alice", "alice-password")
    assert r.status_code == 200, r.text
    assert r.cookies[SESSION_COOKIE]


def test_a_success_clears_the_username_s_failures(client: TestClient, hub: Hub) -> None:
    make_user(hub, "alice")
    _throttle(client, Clock(), max_per_username=3)
    for _ in range(2):
        assert_problem(_login(client, "alice", "wrong-password"), 401)
        assert_problem(_login(client, "alice", "wrong-password"), 401)
        assert _login(client, "alice", "alice-password").status_code == 200  # 2 failures, then cleared
    for _ in range(3):
        assert_problem(_login(client, "alice", "wrong-password"), 401)
    assert_problem(_login(client, "alice", "alice-password"), 429)


def test_too_many_failures_from_one_address_lock_it_for_every_username(client: TestClient, hub: Hub) -> None:
    make_user(hub, "alice")
    _throttle(client, Clock(), max_per_client=4)  # 50 by default; each failure costs a password hash here
    for name in ("a", "b", "c", "d"):
        assert_problem(_login(client, name, "guess"), 401)
    problem = assert_problem(_login(client, "alice", "alice-password"), 429)
    assert "this address" in problem["detail"]
    with hub.db.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "auth.throttled")).one()
        assert (event.object_id, event.detail["by"], event.detail["username"]) == ("testclient", "client", "alice")


def test_the_default_limits_and_the_sliding_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for i in range(49):  # 49 failures from one address, 5 per username: nothing is locked yet
        throttle.failed(f"user{i // 5}", "10.0.0.1")
        clock.now += 1
    assert throttle.check("user0", "10.0.0.1") is None
    for _ in range(5):
        throttle.failed("user0", "10.0.0.2")
    refusal = throttle.check("USER0", "10.0.0.3")  # 10 for user0, from two addresses
    assert refusal is not None and (refusal.scope, refusal.key, refusal.first) == ("username", "user0", True)
    assert refusal.retry_after == WINDOW_SECONDS - 49  # when user0's first failure is 15 minutes old
    again = throttle.check("user0", "10.0.0.3")
    assert again is not None and again.first is False  # the same lockout: not worth another audit event
    throttle.failed("user9", "10.0.0.1")  # the address's 50th failure
    refusal = throttle.check("someone-else", "10.0.0.1")
    assert refusal is not None and (refusal.scope, refusal.key) == ("client", "10.0.0.1")
    clock.now += WINDOW_SECONDS - 49  # the first failures age out one by one
    assert throttle.check("user0", "10.0.0.3") is None
    assert throttle.check("someone-else", "10.0.0.1") is None
    throttle.failed("user0", "10.0.0.3")  # one more failure locks user0 again, until the next one ages out
    refusal = throttle.check("user0", "10.0.0.3")
    assert refusal is not None and refusal.first is True and refusal.retry_after == 1
    throttle.succeeded("User0")
    assert throttle.check("user0", "10.0.0.3") is None
