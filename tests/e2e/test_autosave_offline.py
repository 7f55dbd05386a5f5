"""Autosave when the network goes away: the status line says why the work is not saved, and the save goes out
as soon as the browser is back online (or the tab is shown again), not only when the retry backoff runs out."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import (
    API,
    Server,
    Shots,
    add_member,
    drag_in_image,
    eventually,
    import_images,
    login,
    wait_for_editor,
)

SIZE = (800, 600)
REASON = "Not saved: the server cannot be reached; retrying"


def _boxes(server: Server, pid: int, iid: int) -> list[dict[str, Any]]:
    body = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()
    return [a for a in body["annotations"] if a["kind"] == "box"]


def _open(page: Any, server: Server, name: str) -> tuple[int, int]:
    project = server.create_project(f"Offline {name}", ["car", "person"])
    pid = project["id"]
    [iid] = import_images(server, pid, f"offline-{name}", 1, SIZE)
    _, password = add_member(server, pid, f"off-{name}", "annotator")
    login(page, f"off-{name}", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    return pid, iid


def _saved_within(page: Any, server: Server, pid: int, iid: int, n: int) -> None:
    # The first retry of the backoff is 5 s after the failure: a save within 2.5 s is the one the event started.
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved", timeout=2500)
    eventually(lambda: len(_boxes(server, pid, iid)) == n or (_ for _ in ()).throw(AssertionError("not stored")))


def test_a_save_made_offline_goes_out_when_the_browser_is_back_online(page: Any, server: Server, shots: Shots) -> None:
    pid, iid = _open(page, server, "online")
    status = page.get_by_test_id("save-status")

    page.context.set_offline(True)
    page.keyboard.press("b")
    drag_in_image(page, SIZE, (100, 100), (300, 260))
    expect(status).to_have_attribute("data-status", "error")
    # The reason is on the line itself, not only in a tooltip.
    expect(status).to_contain_text(REASON)
    expect(page.get_by_test_id("unsaved-count")).to_have_text("1 change not saved")
    shots(page, "offline-not-saved")
    page.wait_for_timeout(1000)

    page.context.set_offline(False)
    _saved_within(page, server, pid, iid, 1)
    shots(page, "online-saved")


def test_a_failed_save_goes_out_when_the_tab_is_shown_again(page: Any, server: Server, shots: Shots) -> None:
    pid, iid = _open(page, server, "visible")
    status = page.get_by_test_id("save-status")

    def refuse(route: Any) -> None:
        if route.request.method == "PUT":
            route.abort()
        else:
            route.continue_()

    page.route(re.compile(r".*/api/v1/projects/\d+/items/\d+/annotations$"), refuse)
    page.keyboard.press("b")
    drag_in_image(page, SIZE, (100, 100), (300, 260))
    expect(status).to_contain_text(REASON)
    page.wait_for_timeout(1000)
    page.unroute(re.compile(r".*/api/v1/projects/\d+/items/\d+/annotations$"))
    # The person comes back to the tab (it is visible again).
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    _saved_within(page, server, pid, iid, 1)
    shots(page, "visible-saved")
