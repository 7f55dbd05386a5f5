"""Live updates in the browser, while others work through the API.

* Annotator A has the project open while annotator B saves: A's grid shows B's save in the item's cell without a
  reload, and with an item open in the editor A sees "live-b saved this item just now" (with a Reload button that
  brings B's version) before any save of A's is refused.
* A manager's grid counts items others import ("2 new items — Show") without moving, and their activity page shows
  a review as it happens.
"""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect
from tests.e2e.conftest import API, Server, Shots, add_member, eventually, import_images, login, wait_for_editor

SIZE = (320, 240)
BOX = {"kind": "box", "label": "car", "geometry": {"bbox": [20, 20, 120, 100]}}


def _save_as(client: httpx.Client, pid: int, iid: int) -> int:
    """Save one box on the item as the client's user; return the item's new version."""
    version = client.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["version"]
    r = client.put(f"{API}/projects/{pid}/items/{iid}/annotations", json={"version": version, "annotations": [BOX]})
    assert r.status_code == 200, r.text
    saved: int = r.json()["version"]
    return saved


def _boxes_in_editor(page: Any, n: int) -> None:
    assert page.evaluate("window.__editor.annotations().length") == n


def test_another_user_s_save_shows_on_the_grid_and_on_the_open_item(page: Any, server: Server, shots: Shots) -> None:
    pid = server.create_project("Live updates", ["car"])["id"]
    first, second = import_images(server, pid, "live-updates", 2, SIZE)
    _, password_a = add_member(server, pid, "live-a", "annotator")
    _, password_b = add_member(server, pid, "live-b", "annotator")
    b = httpx.Client(base_url=server.url, headers={"X-Requested-With": "labelhub-e2e"}, timeout=30)
    try:
        b.post(f"{API}/auth/login", json={"username": "live-b", "password": password_b}).raise_for_status()

        login(page, "live-a", password_a)
        page.goto(f"/#/projects/{pid}")
        cell = page.locator(f'[data-testid="thumb"][data-item-id="{first}"]')
        expect(cell).to_contain_text("New")
        expect(page.get_by_test_id("live-indicator")).to_have_attribute("data-state", "live")
        page.evaluate("window.__notReloaded = true")
        _save_as(b, pid, first)
        expect(cell).to_contain_text("Labelled", timeout=5_000)
        assert page.evaluate("window.__notReloaded") is True, "the page was reloaded"
        shots(page, "grid-updated")

        page.locator(f'[data-testid="thumb"][data-item-id="{second}"]').click()
        wait_for_editor(page, SIZE)
        expect(page.get_by_test_id("live-item-banner")).to_have_count(0)
        version = _save_as(b, pid, second)
        banner = page.get_by_test_id("live-item-banner")
        expect(banner).to_contain_text("live-b saved this item just now", timeout=5_000)
        expect(banner).to_have_attribute("data-version", str(version))
        assert page.evaluate("window.__editor.annotations().length") == 0  # nothing reloaded by itself
        shots(page, "item-banner")

        page.get_by_test_id("live-item-reload").click()
        expect(banner).to_have_count(0)
        wait_for_editor(page, SIZE)
        eventually(lambda: _boxes_in_editor(page, 1))
    finally:
        b.close()


def test_imports_wait_behind_a_notice_and_the_activity_grows_live(page: Any, server: Server, shots: Shots) -> None:
    pid = server.create_project("Live imports", ["car"])["id"]
    import_images(server, pid, "live-imports-1", 1, SIZE)
    _, password = add_member(server, pid, "live-manager", "manager")
    login(page, "live-manager", password)
    page.goto(f"/#/projects/{pid}")
    expect(page.get_by_test_id("thumb")).to_have_count(1)
    expect(page.get_by_test_id("live-indicator")).to_have_attribute("data-state", "live")

    # The administrator imports three images, one of them (scene-01.png) the project has already: two new items.
    import_images(server, pid, "live-imports-2", 3, SIZE)
    notice = page.get_by_test_id("live-new-items")
    expect(notice).to_have_text("2 new items — Show", timeout=5_000)
    expect(page.get_by_test_id("thumb")).to_have_count(1)  # the grid stays as it was until asked
    shots(page, "new-items-notice")
    notice.click()
    expect(page.get_by_test_id("thumb")).to_have_count(3)
    expect(notice).to_have_count(0)

    page.get_by_test_id("team-menu").click()
    page.get_by_test_id("activity-link").click()
    rows = page.get_by_test_id("activity-row")
    expect(rows.filter(has_text="imported 2 items")).to_have_count(1)
    first = server.api.get(f"{API}/projects/{pid}/items").raise_for_status().json()["items"][0]["id"]
    r = server.api.post(f"{API}/projects/{pid}/items/{first}/review", json={"approve": False, "comment": "redo"})
    assert r.status_code == 200, r.text
    expect(rows.first).to_contain_text(f"admin rejected item {first}: “redo”", timeout=5_000)
    shots(page, "activity-live")
