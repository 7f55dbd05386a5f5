"""The image editor's toolbar on common window widths: with every tool (masks and keypoints too), the brush size
shown while the brush is in use and a model's proposal to review, it stays one row at 1280, 1440 and 1920 px, so
taking the brush does not push the canvas down (nor change its zoom). Below 1680 px the tools show icons only and
keep their names for screen readers."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, import_images, login, wait_for_editor

SIZE = (800, 600)


def test_the_toolbar_is_one_row_with_the_brush_and_a_proposal(page: Any, server: Server, shots: Shots) -> None:
    body = {
        "name": "Toolbar widths e2e",
        "labels": [{"name": "car"}, {"name": "person"}],
        "kinds": ["box", "polygon", "mask", "keypoints"],
    }
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    [iid] = import_images(server, pid, "toolbar-widths", 1, SIZE)
    version = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["version"]
    proposal = {"kind": "box", "label": "car", "geometry": {"bbox": [100, 100, 300, 250]}}
    proposal |= {"source": "model", "model_version": "detector@1", "score": 0.8}
    put = {"version": version, "annotations": [proposal]}
    server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations", json=put).raise_for_status()

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    toolbar = page.get_by_role("toolbar", name="Editor tools")
    for width in (1280, 1440, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/#/projects/{pid}/items/{iid}")
        wait_for_editor(page, SIZE)
        expect(toolbar.get_by_text("1 to review")).to_be_visible()
        one_row = toolbar.evaluate("e => e.getBoundingClientRect().height")
        zoom = page.evaluate("window.__editor.state().zoom")
        page.keyboard.press("m")
        expect(page.get_by_test_id("brush-size")).to_be_visible()
        shots(page, f"brush-{width}")
        assert toolbar.evaluate("e => e.getBoundingClientRect().height") == one_row, f"wraps at {width} px"
        assert one_row < 60, f"{one_row} px high at {width} px"
        assert page.evaluate("window.__editor.state().zoom") == zoom, f"the canvas changed size at {width} px"
        # Icons only or not, each tool keeps its name (and its key in the tooltip).
        brush = page.get_by_role("radio", name="Brush")
        expect(brush).to_have_attribute("aria-checked", "true")
        expect(brush).to_have_attribute("title", "Brush (M)")
        label = brush.locator(".lbl")
        assert (label.evaluate("e => e.getBoundingClientRect().width") > 20) == (width >= 1680), width
        page.keyboard.press("v")
