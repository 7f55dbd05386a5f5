"""Login throttling: 429 with Retry-After after too many failures for a username from one address, for a username
from every address, or from one address; the counts are in the database, shared by every server process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API, assert_problem
from tests.builders import ManualClock
from tests.conftest import make_user

from labelhub.api.app import create_app
from labelhub.api.deps import SESSION_COOKIE
from labelhub.config import Settings
from labelhub.hub import Hub
from labelhub.services import users
from labelhub.services.login_throttle import LoginLimits, LoginThrottle
from labelhub.storage.models import AuditEvent

WINDOW = 15 * 60


def _throttle(client: TestClient, clock: ManualClock, **limits: int) -> LoginThrottle:
    throttle = LoginThrottle(LoginLimits(**limits), clock=clock)  # type: ignore[arg-type]
    cast(FastAPI, client.app).state.login_throttle = throttle
    return throttle


def _login(client: TestClient, username: str, password: str) -> Any:
    client.cookies.clear()
    return client.post(f"{API}/auth/login", json={"username": username, "password": password})


def _throttled_events(hub: Hub) -> list[AuditEvent]:
    with hub.db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == "auth.throttled")).all())


@pytest.fixture
def elsewhere(hub: Hub, client: TestClient) -> Iterator[TestClient]:
    """A client of the same app from another address."""
    with TestClient(client.app, client=("10.0.0.2", 50000)) as c:
        yield c


def test_ten_failures_lock_the_username_from_that_address_only(
    client: TestClient, elsewhere: TestClient, hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(hub, "alice")
    make_user(hub, "bob")
    clock = ManualClock()
    _throttle(client, clock)
    for i in range(10):  # the username counts whatever its case
        assert_problem(_login(client, "alice" if i % 2 else "ALICE", "wrong-password"), 401)
        clock.advance(1)

    r = _login(client, "alice", "alice-password")  # the right password, but locked from this address
    problem = assert_problem(r, 429)
    assert problem["title"] == "Too many attempts"
    assert "this username from this address" in problem["detail"]
    assert "try again in 15 minutes" in problem["detail"] and "UTC" in problem["detail"]
    assert int(r.headers["retry-after"]) == problem["retry_after"] == WINDOW - 10
    assert r.headers["x-content-type-options"] == "nosniff"
    assert SESSION_COOKIE not in r.cookies

    # While locked, the password is not even checked.
    def no_check(*args: object) -> None:
        raise AssertionError("the password was checked during a lockout")

    with monkeypatch.context() as m:
        m.setattr(users, "authenticate", no_check)
        assert_problem(_login(client, "Alice", "alice-password"), 429)
    assert _login(client, "bob", "bob-password").status_code == 200  # another username from here still logs in
    # The real alice, from another address, is not locked out by someone guessing from this one.
    assert _login(elsewhere, "alice", "alice-password").status_code == 200

    events = _throttled_events(hub)  # one audit event for the lockout, not one per refused attempt
    assert [(e.object_type, e.object_id, e.user_id) for e in events] == [("login", "alice", None)]
    assert events[0].detail["by"] == "user_address" and events[0].detail["client"] == "testclient"

    clock.advance(WINDOW - 11)  # the first failure is 15 minutes old less a second: still locked
    assert int(assert_problem(_login(client, "alice", "alice-password"), 429)["retry_after"]) == 1
    clock.advance(1)
    r = _login(client, "alice", "alice-password")
    assert r.status_code == 200, r.text
    assert r.cookies[SESSION_COOKIE]


def test_a_username_is_locked_for_every_address_only_at_the_higher_count(
    client: TestClient, elsewhere: TestClient, hub: Hub
) -> None:
    make_user(hub, "alice")
    clock = ManualClock()
    _throttle(client, clock, per_user_address=2, per_user=4)  # 10 and 100 by default; each failure costs a hash
    for _ in range(2):
        assert_problem(_login(client, "alice", "guess"), 401)
    assert_problem(_login(client, "alice", "alice-password"), 429)  # the pair is locked
    assert _login(elsewhere, "alice", "alice-password").status_code == 200  # 2 of 4: alice is not
    for _ in range(2):  # guesses from a second address: 4 for alice in all
        assert_problem(_login(elsewhere, "alice", "guess"), 401)
    with TestClient(client.app, client=("10.0.0.3", 50000)) as third:
        problem = assert_problem(_login(third, "alice", "alice-password"), 429)
    assert "this username (from several addresses)" in problem["detail"]
    assert [e.detail["by"] for e in _throttled_events(hub)] == ["user_address", "user_address", "user"]


def test_a_success_clears_the_failures_of_its_username_and_address(
    client: TestClient, elsewhere: TestClient, hub: Hub
) -> None:
    make_user(hub, "alice")
    _throttle(client, ManualClock(), per_user_address=3, per_user=5)
    for _ in range(2):
        assert_problem(_login(client, "alice", "wrong-password"), 401)
        assert_problem(_login(client, "alice", "wrong-password"), 401)
        assert _login(client, "alice", "alice-password").status_code == 200  # 2 failures, then cleared
    assert_problem(_login(elsewhere, "alice", "wrong-password"), 401)  # not cleared by a success from elsewhere
    for _ in range(3):
        assert_problem(_login(client, "alice", "wrong-password"), 401)
    assert_problem(_login(client, "alice", "alice-password"), 429)
    assert _login(elsewhere, "alice", "alice-password").status_code == 200  # 4 of 5 for alice


def test_too_many_failures_from_one_address_lock_it_for_every_username(client: TestClient, hub: Hub) -> None:
    make_user(hub, "alice")
    _throttle(client, ManualClock(), per_address=4)  # 50 by default
    for name in ("a", "b", "c", "d"):
        assert_problem(_login(client, name, "guess"), 401)
    problem = assert_problem(_login(client, "alice", "alice-password"), 429)
    assert "this address" in problem["detail"]
    (event,) = _throttled_events(hub)
    assert (event.object_id, event.detail["by"], event.detail["username"]) == ("testclient", "address", "d")


def test_two_server_processes_on_one_database_share_the_counts(settings: Settings) -> None:
    """Two apps, each with its own Hub (its own engine and pool, as two processes of `serve --workers 2` have),
    on one database: the failures one counts lock the other too; the limits come from the settings."""
    settings = settings.model_copy(update={"login_failures_per_user_address": 3})
    first, second = Hub.open(settings), Hub.open(settings)
    try:
        make_user(first, "alice")
        with (
            TestClient(create_app(first, run_worker=False)) as one,
            TestClient(create_app(second, run_worker=False)) as two,
        ):
            assert_problem(_login(one, "alice", "guess"), 401)
            assert_problem(_login(two, "alice", "guess"), 401)
            assert_problem(_login(one, "alice", "guess"), 401)
            problem = assert_problem(_login(two, "alice", "alice-password"), 429)
            assert "this username from this address" in problem["detail"]
            assert_problem(_login(one, "alice", "alice-password"), 429)
        assert len(_throttled_events(second)) == 1
    finally:
        first.close()
        second.close()
