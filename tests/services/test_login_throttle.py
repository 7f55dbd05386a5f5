"""The login throttle's default limits and sliding window, counted in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select
from tests.builders import ManualClock

from labelhub.hub import Hub
from labelhub.services.login_throttle import LoginThrottle, Refusal
from labelhub.storage.models import LoginFailure

WINDOW = 15 * 60


def _fail(hub: Hub, throttle: LoginThrottle, username: str, address: str) -> list[Refusal]:
    with hub.db.session(write=True) as s:
        return throttle.failed(s, username, address)


def _check(hub: Hub, throttle: LoginThrottle, username: str, address: str) -> Refusal | None:
    with hub.db.session() as s:
        return throttle.check(s, username, address)


def test_the_default_limits_10_per_username_and_address_100_per_username_50_per_address(hub: Hub) -> None:
    clock = ManualClock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(9):  # 9 guesses at alice from each of 11 addresses: no pair is locked, nor alice
        for a in range(11):
            assert _fail(hub, throttle, "alice", f"10.0.0.{a}") == []
        clock.advance(1)
    assert _check(hub, throttle, "Alice", "10.0.0.1") is None
    assert _check(hub, throttle, "alice", "10.0.1.1") is None  # 99 failures for alice in all
    lockouts = _fail(hub, throttle, "ALICE", "10.0.0.0")  # her 100th, and the 10th from 10.0.0.0
    assert sorted((r.scope, r.key) for r in lockouts) == [("user", "alice"), ("user_address", "alice")]
    refusal = _check(hub, throttle, "alice", "10.0.1.1")  # any address now
    assert refusal is not None and (refusal.scope, refusal.key) == ("user", "alice")
    assert refusal.retry_after == WINDOW - 9  # until enough of her failures (the first 11) are 15 minutes old
    assert "this username (from several addresses)" in refusal.detail

    for i in range(49):  # 49 from one address, one per username: the address is not locked yet
        _fail(hub, throttle, f"user{i}", "192.0.2.7")
    assert _check(hub, throttle, "someone", "192.0.2.7") is None
    assert [(r.scope, r.key) for r in _fail(hub, throttle, "user49", "192.0.2.7")] == [("address", "192.0.2.7")]
    refusal = _check(hub, throttle, "someone", "192.0.2.7")
    assert refusal is not None and refusal.scope == "address" and refusal.retry_after == WINDOW

    clock.advance(WINDOW - 9)  # alice's first failures have aged out: she is below 100 again
    assert _check(hub, throttle, "alice", "10.0.1.1") is None
    with hub.db.session(write=True) as s:
        throttle.succeeded(s, "Alice", "10.0.0.0")  # clears that pair's failures, not the other addresses'
    with hub.db.session() as s:
        left = s.scalar(select(func.count()).select_from(LoginFailure).where(LoginFailure.username == "alice"))
    assert left == 9 * 10


def test_a_lockout_ends_when_its_oldest_failures_are_a_window_old_and_comes_back_with_one_more(hub: Hub) -> None:
    clock = ManualClock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(10):
        _fail(hub, throttle, "bob", "10.0.0.1")
        clock.advance(10)
    refusal = _check(hub, throttle, "bob", "10.0.0.1")
    assert refusal is not None and refusal.scope == "user_address" and refusal.retry_after == WINDOW - 100
    clock.advance(WINDOW - 100)
    assert _check(hub, throttle, "bob", "10.0.0.1") is None  # 9 failures left in the window
    assert [r.scope for r in _fail(hub, throttle, "bob", "10.0.0.1")] == ["user_address"]
    refusal = _check(hub, throttle, "bob", "10.0.0.1")
    assert refusal is not None and refusal.retry_after == 10  # until the next oldest ages out


def test_old_failures_are_deleted_now_and_then(hub: Hub) -> None:
    clock = ManualClock()
    throttle = LoginThrottle(clock=clock, prune_every=4)
    for i in range(3):
        _fail(hub, throttle, f"user{i}", "10.0.0.1")
    clock.advance(WINDOW)
    for i in range(4):  # one of four consecutive row ids is a multiple of 4
        _fail(hub, throttle, f"new{i}", "10.0.0.1")
    with hub.db.session() as s:
        names = set(s.scalars(select(LoginFailure.username)))
    assert names <= {f"new{i}" for i in range(4)} and "new3" in names
