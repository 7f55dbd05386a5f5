"""Keypoint skeletons end to end: a class's points and edges declared on the settings page, then in the image
editor the Keypoints tool places an instance point by point (the status line names the next point, U skips one),
a point is dragged with the Select tool, and the saved triples read back through the API are as placed."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    API,
    Server,
    Shots,
    close_to,
    drag_in_image,
    eventually,
    image_to_screen,
    import_images,
    login,
    wait_for_editor,
)

SIZE = (640, 480)
NAMES = ["nose", "left_eye", "right_eye"]


def _declare_in_settings(page: Any, pid: int) -> None:
    page.goto(f"/#/projects/{pid}/settings")
    box = page.get_by_test_id("keypoints-0")
    box.locator("summary").click()
    for i, name in enumerate(NAMES):
        box.get_by_role("button", name="+ Add keypoint").click()
        box.get_by_label(f"Keypoint {i + 1} of person").fill(name)
    box.get_by_role("button", name="+ Add edge").click()  # nose — left_eye
    box.get_by_role("button", name="+ Add edge").click()  # nose — right_eye
    expect(box.get_by_label("Edge 2 to")).to_have_value("2")
    # A point named twice is said at the class, and the save waits for a fix.
    box.get_by_label("Keypoint 3 of person").fill("nose")
    expect(box.get_by_role("alert")).to_have_text("Two keypoints are called “nose”.")
    expect(page.get_by_role("button", name="Save changes")).to_be_disabled()
    box.get_by_label("Keypoint 3 of person").fill("right_eye")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Project saved")).to_be_visible()


def test_a_skeleton_declared_in_settings_is_placed_and_edited_in_the_editor(
    page: Any, server: Server, shots: Shots
) -> None:
    body = {"name": "Keypoint people", "labels": [{"name": "person"}, {"name": "car"}], "kinds": ["box", "keypoints"]}
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    [iid] = import_images(server, pid, "keypoint-people", 1, SIZE)

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    _declare_in_settings(page, pid)
    shots(page, "declared")
    person = server.api.get(f"{API}/projects/{pid}").json()["label_schema"]["classes"][0]
    assert (person["keypoints"], person["skeleton"]) == (NAMES, [[0, 1], [0, 2]])

    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    status = page.get_by_test_id("editor").locator("footer")
    page.keyboard.press("k")
    expect(status).to_contain_text("Click the 3 points of person in order, starting with “nose”")
    page.mouse.click(*image_to_screen(page, SIZE, 200, 150))
    expect(status).to_contain_text("click “left_eye” (2 of 3)")
    page.keyboard.press("u")  # left_eye is not seen
    expect(status).to_contain_text("click “right_eye” (3 of 3)")
    page.mouse.click(*image_to_screen(page, SIZE, 300, 160))
    shots(page, "placed")

    # The Select tool: drag the nose from where it was placed.
    page.keyboard.press("v")
    drag_in_image(page, SIZE, (200, 150), (220, 170))
    expect(page.get_by_test_id("save-status")).to_have_text("All changes saved", timeout=10_000)
    shots(page, "dragged")

    def saved() -> list[float]:
        anns = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()
        [kp] = [a for a in anns["annotations"] if a["kind"] == "keypoints"]
        assert kp["label"] == "person"
        points: list[float] = kp["geometry"]["points"]
        assert close_to(points, [220, 170, 2, 0, 0, 0, 300, 160, 2]), points
        return points

    eventually(saved)


def _stored_as(server: Server, pid: int, iid: int, want: list[float]) -> None:
    """Waits until the server holds one keypoints instance with the points ``want``."""

    def check() -> None:
        anns = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()
        [points] = [a["geometry"]["points"] for a in anns["annotations"] if a["kind"] == "keypoints"]
        assert close_to(points, want), points

    eventually(check)


def test_missing_points_are_placed_and_whole_instances_move_and_select_like_shapes(
    page: Any, server: Server, shots: Shots
) -> None:
    person = {"name": "person", "keypoints": NAMES, "skeleton": [[0, 1], [0, 2]]}
    body = {"name": "Keypoint instances", "labels": [person, {"name": "car"}], "kinds": ["box", "keypoints"]}
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    [iid] = import_images(server, pid, "keypoint-instances", 1, SIZE)
    version = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["version"]
    # Imported with left_eye not labelled (v 0); a box elsewhere.
    anns = [
        {"kind": "keypoints", "label": "person", "geometry": {"points": [200, 150, 2, 0, 0, 0, 300, 160, 2]}},
        {"kind": "box", "label": "car", "geometry": {"bbox": [450, 300, 550, 400]}},
    ]
    url = f"{API}/projects/{pid}/items/{iid}/annotations"
    server.api.put(url, json={"version": version, "annotations": anns}).raise_for_status()

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    status = page.get_by_test_id("editor").locator("footer")
    sidebar = page.get_by_role("complementary", name="Labels and properties")
    saved = page.get_by_test_id("save-status")

    # Tab reaches the instance; the panel says which point is missing.
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("Tab")
    expect(sidebar).to_contain_text("2 of 3 points placed · missing: left_eye")

    # K with it selected places the missing point, named in the status line, as one step.
    page.keyboard.press("k")
    expect(status).to_contain_text("the 1 missing point of the selected person, starting with “left_eye”")
    page.mouse.click(*image_to_screen(page, SIZE, 240, 120))
    expect(sidebar).to_contain_text("3 of 3 points placed")
    expect(saved).to_have_text("All changes saved", timeout=10_000)
    _stored_as(server, pid, iid, [200, 150, 2, 240, 120, 2, 300, 160, 2])
    shots(page, "filled")

    # The Select tool: a drag on the edge nose - right_eye moves every point.
    page.keyboard.press("v")
    drag_in_image(page, SIZE, (250, 155), (270, 175))
    expect(saved).to_have_text("All changes saved", timeout=10_000)
    _stored_as(server, pid, iid, [220, 170, 2, 260, 140, 2, 320, 180, 2])
    # The arrow keys move it too (Shift: 10 px).
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("ArrowUp")
    expect(saved).to_have_text("All changes saved", timeout=10_000)
    _stored_as(server, pid, iid, [210, 169, 2, 250, 139, 2, 310, 179, 2])
    shots(page, "moved")

    # Ctrl+A takes the instance and the box; the band round the instance alone takes it alone.
    count = page.get_by_test_id("selection-count")
    page.keyboard.press("Control+a")
    expect(count).to_have_text("2 shapes selected: car 1, person 1")
    page.keyboard.press("Escape")
    page.mouse.move(*image_to_screen(page, SIZE, 150, 100))
    page.keyboard.down("Shift")
    page.mouse.down()
    page.mouse.move(*image_to_screen(page, SIZE, 350, 250), steps=8)
    page.mouse.up()
    page.keyboard.up("Shift")
    expect(sidebar).to_contain_text("3 of 3 points placed")
    assert page.evaluate("() => window.__editor.state().selectedIds.length") == 1
