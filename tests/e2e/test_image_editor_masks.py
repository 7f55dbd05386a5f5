"""Masks in the image editor on a real server: a COCO mask (a compressed RLE string written by pycocotools) shows
on the canvas in its class colour; a brush stroke starting on it paints into it (saved, read back through the API
and decoded with pycocotools: its area grew); an eraser stroke takes pixels away and undo brings them back; a
reload shows what was saved. A viewer sees the mask but cannot take the brush.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from playwright.sync_api import expect
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]
from tests.e2e._masks import editor_mask_area, item_annotations, mask_area
from tests.e2e.conftest import (
    API,
    Server,
    Shots,
    add_member,
    drag_in_image,
    editor_saved,
    eventually,
    image_to_screen,
    import_images,
    login,
    logout,
    wait_for_editor,
)

SIZE = (800, 600)
# The imported mask: rows 150-299 and columns 200-399 (30,000 pixels).
MASK_AREA = 150 * 200


def _coco_mask() -> dict[str, Any]:
    m = np.zeros((SIZE[1], SIZE[0]), dtype=np.uint8, order="F")
    m[150:300, 200:400] = 1
    rle = mask_utils.encode(m)
    return {"size": [SIZE[1], SIZE[0]], "counts": rle["counts"].decode("ascii")}


def _pixel(page: Any, x: float, y: float) -> list[int]:
    """The canvas pixel (RGB) over image point (x, y) at the fitted view."""
    px, py = image_to_screen(page, SIZE, x, y)
    rgb: list[int] = page.evaluate(
        """([x, y]) => {
             const c = document.querySelector('[data-testid="editor-canvas"]');
             const r = c.getBoundingClientRect();
             const k = c.width / r.width;
             const [px, py] = [Math.round((x - r.left) * k), Math.round((y - r.top) * k)];
             const d = c.getContext('2d').getImageData(px, py, 1, 1).data;
             return [d[0], d[1], d[2]];
           }""",
        [px, py],
    )
    return rgb


def test_a_mask_is_shown_painted_erased_undone_saved_and_reloaded(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Masks in the editor e2e", ["car", "person"])
    pid = project["id"]
    [iid] = import_images(server, pid, "editor-masks", 1, SIZE)
    version = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["version"]
    body = {"version": version, "annotations": [{"kind": "mask", "label": "car", "geometry": _coco_mask()}]}
    server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations", json=body).raise_for_status()
    [stored] = item_annotations(server, pid, iid)
    assert isinstance(stored["geometry"]["counts"], str) and mask_area(stored["geometry"]) == MASK_AREA

    _, password = add_member(server, pid, "mask-annotator", "annotator")
    login(page, "mask-annotator", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    shots(page, "opened")

    # The mask is on the canvas: its pixels are tinted (they change when shapes are hidden), the rest is not.
    inside, outside = _pixel(page, 300, 225), _pixel(page, 600, 450)
    page.keyboard.press("h")

    def untinted() -> None:  # once the canvas is drawn again (the next frame; later on a busy machine)
        assert _pixel(page, 300, 225) != inside, "the mask's pixels look the same with shapes hidden"

    eventually(untinted, timeout=5)
    assert _pixel(page, 600, 450) == outside
    page.keyboard.press("h")
    # A click on one of its pixels selects it; the side panel says what it is.
    page.mouse.click(*image_to_screen(page, SIZE, 300, 225))
    sidebar = page.get_by_role("complementary", name="Labels and properties")
    expect(sidebar).to_contain_text("mask")
    assert page.evaluate("window.__editor.state().selected") is not None

    # The brush: a stroke starting on the car mask paints into it.
    page.keyboard.press("m")
    expect(page.get_by_role("radio", name="Brush")).to_have_attribute("aria-checked", "true")
    expect(page.get_by_test_id("brush-size")).to_have_value("20")
    page.keyboard.press("]")
    expect(page.get_by_test_id("brush-size")).to_have_value("25")
    drag_in_image(page, SIZE, (300, 225), (550, 225))
    shots(page, "painted")
    editor_saved(page)
    painted = editor_mask_area(page)
    assert painted > MASK_AREA + 150 * 20, painted
    [mask] = eventually(lambda: [a for a in item_annotations(server, pid, iid) if mask_area(a["geometry"]) == painted])
    assert (mask["kind"], mask["label"]) == ("mask", "car")

    # The eraser takes pixels away; undo brings them back (one step for the stroke).
    page.keyboard.press("e")
    drag_in_image(page, SIZE, (250, 160), (250, 290))
    erased = editor_mask_area(page)
    assert 0 < erased < painted, erased
    shots(page, "erased")
    page.keyboard.press("Control+z")
    assert editor_mask_area(page) == painted
    editor_saved(page)

    # After a reload the editor shows what was saved.
    page.reload()
    wait_for_editor(page, SIZE)
    assert editor_mask_area(page) == painted
    [again] = item_annotations(server, pid, iid)
    assert mask_area(again["geometry"]) == painted
    shots(page, "reloaded")


def test_a_viewer_sees_a_mask_but_cannot_paint(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Masks for a viewer e2e", ["car"])
    pid = project["id"]
    [iid] = import_images(server, pid, "editor-masks-viewer", 1, SIZE)
    body = {"version": 1, "annotations": [{"kind": "mask", "label": "car", "geometry": _coco_mask()}]}
    version = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["version"]
    body["version"] = version
    server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations", json=body).raise_for_status()
    _, password = add_member(server, pid, "mask-viewer", "viewer")
    login(page, "mask-viewer", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    wait_for_editor(page, SIZE)
    expect(page.get_by_role("radio", name="Brush")).to_be_disabled()
    expect(page.get_by_role("radio", name="Eraser")).to_be_disabled()
    page.keyboard.press("m")
    assert page.evaluate("window.__editor.state().tool") == "select"
    drag_in_image(page, SIZE, (300, 225), (550, 225))
    assert mask_area(item_annotations(server, pid, iid)[0]["geometry"]) == MASK_AREA
    shots(page, "viewer")
    logout(page)
