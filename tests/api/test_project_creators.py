"""LABELHUB_PROJECT_CREATORS: everyone (the default) or only administrators create projects; the current user's
``can_create_projects`` tells the web app which."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.api._support import API, assert_problem, create_project
from tests.conftest import make_user

from labelhub.api.app import create_app
from labelhub.config import Settings
from labelhub.domain.enums import ProjectCreators
from labelhub.errors import ConfigurationError
from labelhub.hub import Hub


@pytest.fixture
def admins_only(settings: Settings) -> Iterator[tuple[Hub, TestClient]]:
    """A server with LABELHUB_PROJECT_CREATORS=admins."""
    hub = Hub.open(settings.model_copy(update={"project_creators": ProjectCreators.ADMINS}))
    with TestClient(create_app(hub, run_worker=False)) as client:
        yield hub, client
    hub.close()


def test_under_admins_only_an_administrator_creates_projects(admins_only: tuple[Hub, TestClient]) -> None:
    hub, client = admins_only
    admin = make_user(hub, "root", admin=True)
    carol = make_user(hub, "carol")

    problem = assert_problem(
        client.post(f"{API}/projects", json={"name": "Mine", "item_kind": "image"}, headers=carol), 403, field="role"
    )
    assert "only administrators create projects" in problem["detail"]
    assert "ask an administrator" in problem["detail"]
    assert client.get(f"{API}/projects", headers=carol).json() == []  # nothing was created

    assert client.get(f"{API}/auth/me", headers=carol).json()["can_create_projects"] is False
    assert client.get(f"{API}/auth/me", headers=admin).json()["can_create_projects"] is True
    assert client.get(f"{API}/auth/session", headers=carol).json()["user"]["can_create_projects"] is False

    project = create_project(client, admin, "Team", item_kind="image")
    assert project["role"] == "owner"


def test_under_admins_a_manager_an_administrator_added_still_reads_the_user_directory(
    admins_only: tuple[Hub, TestClient],
) -> None:
    hub, client = admins_only
    admin = make_user(hub, "root", admin=True)
    manager = make_user(hub, "mia")
    annotator = make_user(hub, "ann")
    pid = create_project(client, admin, "Team", item_kind="image")["id"]
    for headers, role in ((manager, "manager"), (annotator, "annotator")):
        uid = client.get(f"{API}/auth/me", headers=headers).json()["id"]
        r = client.put(f"{API}/projects/{pid}/members/{uid}", json={"role": role}, headers=admin)
        assert r.status_code == 200, r.text

    names = [u["username"] for u in client.get(f"{API}/users/directory", headers=manager).json()]
    assert names == ["ann", "mia", "root"]
    assert_problem(client.get(f"{API}/users/directory", headers=annotator), 403)


def test_by_default_everyone_creates_projects_and_the_login_answer_says_so(client: TestClient, hub: Hub) -> None:
    make_user(hub, "dave")
    r = client.post(f"{API}/auth/login", json={"username": "dave", "password": "dave-password"})
    assert r.status_code == 200, r.text
    assert r.json()["can_create_projects"] is True and r.json()["is_admin"] is False
    assert client.get(f"{API}/auth/session").json()["user"]["can_create_projects"] is True
    r = client.post(
        f"{API}/projects", json={"name": "Dave's", "item_kind": "text"}, headers={"X-Requested-With": "test"}
    )
    assert r.status_code == 201, r.text


def test_the_setting_takes_everyone_or_admins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABELHUB_PROJECT_CREATORS", "admins")
    assert Settings.from_env().project_creators is ProjectCreators.ADMINS
    monkeypatch.setenv("LABELHUB_PROJECT_CREATORS", "managers")
    with pytest.raises(ConfigurationError, match="LABELHUB_PROJECT_CREATORS") as err:
        Settings.from_env()
    assert "'everyone' or 'admins'" in str(err.value)
