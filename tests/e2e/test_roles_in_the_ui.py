"""What an annotator sees: the project and its items, but no import or export; and the API refuses them too."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.conftest import data_path
from tests.e2e.conftest import API, Server, Shots, login, wait_for_thumbnails


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
