"""The short-lived cache of resolved tokens: hits, expiry with the token, clearing, and off at ttl 0."""

from __future__ import annotations

import time
from datetime import timedelta

from labelhub.services.access import Actor
from labelhub.services.users import ActorCache
from labelhub.storage.models import utcnow

ALICE = Actor(user_id=1, username="alice")


def test_a_resolved_token_is_served_until_cleared() -> None:
    cache = ActorCache(ttl=60)
    assert cache.get("lh_secret") is None
    cache.put("lh_secret", ALICE, None)
    assert cache.get("lh_secret") == ALICE
    assert cache.get("lh_other") is None
    cache.clear()
    assert cache.get("lh_secret") is None


def test_an_entry_never_outlives_its_token() -> None:
    cache = ActorCache(ttl=60)
    cache.put("lh_session", ALICE, utcnow() + timedelta(milliseconds=50))
    assert cache.get("lh_session") == ALICE
    time.sleep(0.1)
    assert cache.get("lh_session") is None


def test_ttl_zero_turns_it_off() -> None:
    cache = ActorCache(ttl=0)
    cache.put("lh_secret", ALICE, None)
    assert cache.get("lh_secret") is None
