"""What an annotator sees: the project and its items, but no import or export; and the API refuses them too. Where
only administrators create projects, a member sees why there is no usable "New project" button."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from tests.conftest import data_path
from tests.e2e.conftest import API, Server, Shots, _free_port, login, wait_for_thumbnails


def test_an_annotator_sees_no_export_button_and_the_api_refuses_their_export(
    page: Any, server: Server, shots: Shots
) -> None:
    project = server.create_project("Shared with an annotator", ["person", "car"])
    pid = project["id"]
    r = server.api.post(
        f"{API}/projects/{pid}/imports", json={"source": str(data_path("detection_coco128")), "format": "coco"}
    )
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    user_id = server.create_user("annie", "annie-password")
    r = server.api.put(f"{API}/projects/{pid}/members/{user_id}", json={"role": "annotator"})
    assert r.status_code == 200, r.text

    login(page, "annie", "annie-password")
    expect(page.get_by_test_id("project-card")).to_have_count(1)
    shots(page, "annotator-projects")
    page.get_by_test_id("project-card").click()
    expect(page.get_by_test_id("project-name")).to_have_text("Shared with an annotator")
    expect(page.get_by_test_id("grid")).to_have_attribute("data-loaded", "128")
    expect(page.get_by_test_id("export-button")).to_have_count(0)
    expect(page.get_by_test_id("import-button")).to_have_count(0)
    wait_for_thumbnails(page)
    shots(page, "annotator-project")

    # The same browser session asking the API directly (as a page script could) is refused.
    refused = page.request.post(
        f"{API}/projects/{pid}/exports", data={"format": "coco"}, headers={"X-Requested-With": "test"}
    )
    assert refused.status in (403, 404), refused.text()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert server.api.get(f"{API}/jobs", params={"project_id": pid}).json()[0]["kind"] == "import"

    # Members are visible, but the annotator cannot change them.
    page.get_by_test_id("settings-link").click()
    expect(page.get_by_test_id("member-row")).to_have_count(2)
    expect(page.get_by_role("button", name="Add member")).to_have_count(0)
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    expect(page.get_by_test_id("schema-classes")).to_contain_text("person")
    shots(page, "annotator-members")


@pytest.fixture(scope="module")
def admins_only(server: Server) -> Iterator[str]:
    """A second ``labelhub serve`` on the same home and database with LABELHUB_PROJECT_CREATORS=admins (no job
    worker: the first server runs the jobs); yields its URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABELHUB_")}
    env |= {"LABELHUB_HOME": str(server.home), "LABELHUB_DEV": "1", "LABELHUB_AUTH_CACHE_SECONDS": "0",
            "LABELHUB_PROJECT_CREATORS": "admins"}  # fmt: skip
    port = _free_port()
    log = server.home / "admins-only.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "labelhub", "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the second labelhub serve did not start:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}{API}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_where_only_administrators_create_projects_a_member_has_no_usable_new_project_button(
    page: Any, server: Server, admins_only: str, shots: Shots
) -> None:
    server.create_user("nora", "nora-password")
    page.goto(f"{admins_only}/")
    page.get_by_label("Username").fill("nora")
    page.get_by_label("Password").fill("nora-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Projects", exact=True).wait_for()

    button = page.get_by_test_id("new-project")
    expect(button).to_be_disabled()
    expect(page.get_by_role("link", name="New project")).to_have_count(0)
    expect(page.get_by_test_id("new-project-why")).to_have_text(re.compile("Only administrators create projects"))
    expect(button).to_have_accessible_description(re.compile("Only administrators create projects"))
    expect(page.get_by_text("ask an administrator to add you to one")).to_be_visible()  # no projects yet
    shots(page, "no-new-project")

    page.goto(f"{admins_only}/#/projects/new")  # the address typed by hand: an explanation, not a form
    expect(page.get_by_test_id("admins-create-projects")).to_contain_text("Only administrators create projects")
    expect(page.get_by_test_id("create-project")).to_have_count(0)
    refused = page.request.post(
        f"{admins_only}{API}/projects",
        data={"name": "Nora's own", "item_kind": "image"},
        headers={"X-Requested-With": "test"},
    )
    assert refused.status == 403 and "administrators" in refused.json()["detail"]
    shots(page, "new-project-page")
