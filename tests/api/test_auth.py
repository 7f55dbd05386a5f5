"""Logging in and out, session cookies with their CSRF rule, API tokens, and every way to get a 401."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.api._support import API, assert_problem, create_project, user_id
from tests.conftest import make_user

from labelhub.api.deps import SESSION_COOKIE
from labelhub.hub import Hub
from labelhub.services.users import get_user_by_name, issue_token
from labelhub.storage.models import AuditEvent

XRW = {"X-Requested-With": "XMLHttpRequest"}


def _login(client: TestClient, username: str, password: str) -> str:
    r = client.post(f"{API}/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    assert r.json()["username"] == username
    secret: str = r.cookies[SESSION_COOKIE]
    return secret


def test_login_sets_an_httponly_session_cookie_that_authenticates(client: TestClient, hub: Hub) -> None:
    make_user(hub, "alice")
    r = client.post(f"{API}/auth/login", json={"username": "alice", "password": "alice-password"})
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "password" not in r.text

    me = client.get(f"{API}/auth/me")  # the client's cookie jar sends the session cookie
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "alice" and me.json()["is_active"] is True


@pytest.mark.parametrize(("username", "password"), [("alice", "wrong-password"), ("nobody", "alice-password")])
def test_wrong_password_and_unknown_user_look_the_same(
    client: TestClient, hub: Hub, username: str, password: str
) -> None:
    make_user(hub, "alice")
    r = client.post(f"{API}/auth/login", json={"username": username, "password": password})
    body = assert_problem(r, 401)
    assert body["detail"] == "wrong username or password"
    assert SESSION_COOKIE not in r.cookies


def test_logout_revokes_the_session_on_the_server(client: TestClient, hub: Hub) -> None:
    make_user(hub, "alice")
    secret = _login(client, "alice", "alice-password")
    # Without the CSRF header a cookie logout is refused: another site could log visitors out.
    assert_problem(client.post(f"{API}/auth/logout"), 403, field="x-requested-with")
    assert client.get(f"{API}/auth/me").status_code == 200
    r = client.post(f"{API}/auth/logout", headers=XRW)
    assert r.status_code == 204
    with hub.db.session() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.action.startswith("auth."))).all()
    assert sorted(actions) == ["auth.login", "auth.logout"]
    assert SESSION_COOKIE not in client.cookies  # the browser is told to drop it

    client.cookies.set(SESSION_COOKIE, secret)  # a copy of the old cookie must no longer work
    assert_problem(client.get(f"{API}/auth/me"), 401)


def test_the_session_endpoint_says_who_is_logged_in_and_never_answers_401(client: TestClient, hub: Hub) -> None:
    headers = make_user(hub, "alice")
    nobody = client.get(f"{API}/auth/session")
    assert (nobody.status_code, nobody.json()) == (200, {"user": None})
    client.cookies.set(SESSION_COOKIE, "not-a-session")
    assert client.get(f"{API}/auth/session").json() == {"user": None}
    client.cookies.clear()
    assert client.get(f"{API}/auth/session", headers={"Authorization": "Bearer nope"}).json() == {"user": None}
    assert client.get(f"{API}/auth/session", headers=headers).json()["user"]["username"] == "alice"
    secret = _login(client, "alice", "alice-password")
    assert client.get(f"{API}/auth/session").json()["user"]["username"] == "alice"
    assert client.post(f"{API}/auth/logout", headers=XRW).status_code == 204
    client.cookies.set(SESSION_COOKIE, secret)  # the revoked session: nobody again, still a 200
    assert client.get(f"{API}/auth/session").json() == {"user": None}


def test_cookie_writes_need_the_x_requested_with_header(client: TestClient, hub: Hub) -> None:
    make_user(hub, "root", admin=True)
    bob_headers = make_user(hub, "bob")
    bob = user_id(client, bob_headers)
    _login(client, "root", "root-password")

    assert client.get(f"{API}/auth/me").status_code == 200  # reads need no header
    body = assert_problem(client.post(f"{API}/projects", json={"name": "p"}), 403, field="x-requested-with")
    assert "x-requested-with" in body["detail"]
    assert client.get(f"{API}/projects").json() == []  # nothing was created

    r = client.post(f"{API}/projects", json={"name": "p"}, headers=XRW)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    member = f"{API}/projects/{pid}/members/{bob}"
    assert_problem(client.put(member, json={"role": "annotator"}), 403, field="x-requested-with")
    assert client.get(f"{API}/projects/{pid}", headers=bob_headers).status_code == 404  # still not a member
    r = client.put(member, json={"role": "annotator"}, headers=XRW)
    assert r.status_code == 200, r.text
    assert client.get(f"{API}/projects/{pid}", headers=bob_headers).json()["role"] == "annotator"


def test_bearer_requests_need_no_csrf_header(client: TestClient, admin_headers: dict[str, str]) -> None:
    # A browser never attaches an Authorization header cross-site on its own, so tokens are exempt.
    create_project(client, admin_headers, "p")


def test_api_tokens_are_shown_once_listed_without_secrets_and_revocable(client: TestClient, hub: Hub) -> None:
    headers = make_user(hub, "alice")
    r = client.post(f"{API}/auth/tokens", json={"name": "ci script", "days": 30}, headers=headers)
    assert r.status_code == 201, r.text
    issued = r.json()
    secret = issued["token"]
    assert secret.startswith("lh_") and issued["name"] == "ci script" and issued["expires_at"]
    script = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"{API}/auth/me", headers=script).json()["username"] == "alice"

    _login(client, "alice", "alice-password")  # a browser session is not an API token
    listed = client.get(f"{API}/auth/tokens", headers=headers)
    assert listed.status_code == 200
    assert [t["name"] for t in listed.json()] == ["test", "ci script"]
    assert secret not in listed.text and all("token" not in t for t in listed.json())

    assert client.delete(f"{API}/auth/tokens/{issued['id']}", headers=headers).status_code == 204
    assert_problem(client.get(f"{API}/auth/me", headers=script), 401)
    assert [t["name"] for t in client.get(f"{API}/auth/tokens", headers=headers).json()] == ["test"]
    assert_problem(client.delete(f"{API}/auth/tokens/{issued['id']}", headers=headers), 404)


def test_a_token_cannot_be_deleted_by_another_user(client: TestClient, hub: Hub) -> None:
    alice = make_user(hub, "alice")
    mallory = make_user(hub, "mallory")
    token_id = client.post(f"{API}/auth/tokens", json={"name": "mine"}, headers=alice).json()["id"]
    assert_problem(client.delete(f"{API}/auth/tokens/{token_id}", headers=mallory), 404)
    assert "mine" in [t["name"] for t in client.get(f"{API}/auth/tokens", headers=alice).json()]


def test_a_disabled_user_is_locked_out(client: TestClient, hub: Hub, admin_headers: dict[str, str]) -> None:
    headers = make_user(hub, "alice")
    uid = user_id(client, headers)
    r = client.patch(f"{API}/users/{uid}", json={"is_active": False}, headers=admin_headers)
    assert r.status_code == 200 and r.json()["is_active"] is False

    assert_problem(client.get(f"{API}/auth/me", headers=headers), 401)
    login = client.post(f"{API}/auth/login", json={"username": "alice", "password": "alice-password"})
    assert assert_problem(login, 401)["detail"] == "wrong username or password"
    # Even a token issued after the account was disabled is refused.
    with hub.db.session(write=True) as s:
        late = issue_token(s, get_user_by_name(s, "alice"), "late").token
    body = assert_problem(client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {late}"}), 401)
    assert "disabled" in body["detail"]


def test_an_expired_token_is_refused(client: TestClient, hub: Hub) -> None:
    make_user(hub, "alice")
    with hub.db.session(write=True) as s:
        user = get_user_by_name(s, "alice")
        expired = issue_token(s, user, "old", lifetime=timedelta(seconds=-1)).token
        fresh = issue_token(s, user, "new", lifetime=timedelta(hours=1)).token
    body = assert_problem(client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {expired}"}), 401)
    assert "expired" in body["detail"]
    assert client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer lh_not-a-real-token"}, {"Authorization": "Bearer "},
     {"Authorization": "Basic YWxpY2U6cGFzc3dvcmQ="}],
    ids=["none", "unknown-token", "empty-bearer", "basic-auth"],
)  # fmt: skip
def test_missing_or_bad_credentials_get_401_with_www_authenticate(client: TestClient, headers: dict[str, str]) -> None:
    for method, path in (("GET", "/auth/me"), ("GET", "/projects"), ("POST", "/auth/tokens"), ("GET", "/users")):
        assert_problem(client.request(method, f"{API}{path}", headers=headers, json={"name": "x"}), 401)


def test_an_unknown_session_cookie_gets_401(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "lh_forged")
    assert_problem(client.get(f"{API}/auth/me"), 401)


def test_a_new_password_ends_the_user_s_browser_sessions(
    client: TestClient, hub: Hub, admin_headers: dict[str, str]
) -> None:
    """A reset is the answer to a leaked password: a session opened with the old one must not live on for days."""
    headers = make_user(hub, "alice")
    uid = user_id(client, headers)
    secret = _login(client, "alice", "alice-password")
    client.cookies.clear()
    r = client.patch(f"{API}/users/{uid}", json={"password": "a-new-password"}, headers=admin_headers)
    assert r.status_code == 200, r.text
    client.cookies.set(SESSION_COOKIE, secret)
    assert_problem(client.get(f"{API}/auth/me"), 401)
    client.cookies.clear()
    assert client.get(f"{API}/auth/me", headers=headers).status_code == 200  # API tokens are revoked one by one
    assert _login(client, "alice", "a-new-password")
