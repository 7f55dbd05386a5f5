"""Shapes into masks and back in the image editor on a real server: a stored polygon converted to a mask (the side
panel's button) is saved as a mask of the same annotation whose pixel area (decoded by pycocotools) matches the
polygon's area; Shift+G turns it back into a polygon of a few tens of points at most; undo gives back the mask and
then the very polygon. A mask with a hole and a speck converts to one polygon and says what was lost. The brush's
Shift+click outline fills a polygon (Enter), the eraser's clears one (a click on its first point closes it), Esc
drops an outline, and undo takes a fill back.
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
    click_in_image,
    editor_saved,
    eventually,
    image_to_screen,
    import_images,
    open_item_as,
)

SIZE = (800, 600)
# A convex pentagon well inside the image (image pixels).
PENTAGON = [200.0, 100.0, 450.0, 150.0, 500.0, 380.0, 300.0, 480.0, 150.0, 300.0]


def _shoelace(points: list[float]) -> float:
    xs, ys = points[0::2], points[1::2]
    n = len(xs)
    return abs(sum(xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i] for i in range(n))) / 2


def _store(server: Server, pid: int, iid: int, annotations: list[dict[str, Any]]) -> None:
    version = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["version"]
    body = {"version": version, "annotations": annotations}
    server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations", json=body).raise_for_status()


def _saved(server: Server, pid: int, iid: int, kind: str) -> list[dict[str, Any]]:
    """The item's annotations once the server holds only ``kind`` ones (autosave runs a moment after an edit)."""

    def check() -> list[dict[str, Any]]:
        anns = item_annotations(server, pid, iid)
        assert anns and all(a["kind"] == kind for a in anns), [a["kind"] for a in anns]
        return anns

    return eventually(check)


def _editor_kinds(page: Any) -> list[str]:
    kinds: list[str] = page.evaluate("() => window.__editor.annotations().map((a) => a.kind)")
    return kinds


def test_a_polygon_converted_to_a_mask_and_back_saves_and_undoes(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Convert masks e2e", ["car", "person"])
    pid = project["id"]
    [iid] = import_images(server, pid, "editor-convert", 1, SIZE)
    _store(server, pid, iid, [{"kind": "polygon", "label": "car", "geometry": {"points": PENTAGON}}])
    [stored] = item_annotations(server, pid, iid)
    open_item_as(page, server, pid, iid, "convert-annotator", SIZE)

    # Select the polygon; the side panel offers to convert it to a mask.
    page.mouse.click(*image_to_screen(page, SIZE, 320, 300))
    sidebar = page.get_by_role("complementary", name="Labels and properties")
    convert = sidebar.get_by_test_id("convert")
    expect(convert).to_have_text("Convert to mask ⇧M")
    convert.click()
    said = page.get_by_test_id("editor").get_by_role("status").filter(has_text="Converted the polygon to a mask of")
    expect(said).to_be_visible()
    shots(page, "converted to a mask")
    editor_saved(page)
    [mask] = _saved(server, pid, iid, "mask")
    assert (mask["id"], mask["label"]) == (stored["id"], "car")
    polygon_area = _shoelace(PENTAGON)
    painted = mask_area(mask["geometry"])
    assert abs(painted - polygon_area) / polygon_area < 0.02, (painted, polygon_area)

    # Shift+G: back to a polygon, of a few tens of points at most, enclosing the mask's area.
    expect(convert).to_have_text("Convert to polygon ⇧G")
    page.keyboard.press("Shift+G")
    editor_saved(page)
    [back] = _saved(server, pid, iid, "polygon")
    assert (back["id"], back["label"]) == (stored["id"], "car")
    points = back["geometry"]["points"]
    assert 3 <= len(points) // 2 <= 40, points
    assert abs(_shoelace(points) - painted) / painted < 0.02, (_shoelace(points), painted)
    shots(page, "converted back")

    # Undo: the mask, then the very polygon, each saved.
    page.keyboard.press("Control+z")
    assert _editor_kinds(page) == ["mask"]
    editor_saved(page)
    [undone] = _saved(server, pid, iid, "mask")
    assert mask_area(undone["geometry"]) == painted
    page.keyboard.press("Control+z")
    editor_saved(page)
    [original] = _saved(server, pid, iid, "polygon")
    assert original["geometry"]["points"] == PENTAGON


def test_a_mask_with_a_hole_and_a_speck_says_what_converting_lost(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Convert holes e2e", ["car"])
    pid = project["id"]
    [iid] = import_images(server, pid, "editor-convert-hole", 1, SIZE)
    m = np.zeros((SIZE[1], SIZE[0]), dtype=np.uint8, order="F")
    m[150:300, 200:400] = 1  # rows 150-299, columns 200-399
    m[200:250, 250:300] = 0  # a 50 x 50 hole
    m[500, 600:602] = 1  # a 2-pixel speck
    rle = mask_utils.encode(m)
    geometry = {"size": [SIZE[1], SIZE[0]], "counts": rle["counts"].decode("ascii")}
    _store(server, pid, iid, [{"kind": "mask", "label": "car", "geometry": geometry}])
    open_item_as(page, server, pid, iid, "convert-hole-annotator", SIZE)

    page.mouse.click(*image_to_screen(page, SIZE, 220, 170))
    page.keyboard.press("Shift+G")
    toast = page.get_by_test_id("toast-info").last
    expect(toast).to_contain_text("Converted to polygons")
    expect(toast).to_contain_text("1 hole filled in")
    expect(toast).to_contain_text("1 region under 5 px left out")
    shots(page, "hole filled")
    editor_saved(page)
    [polygon] = _saved(server, pid, iid, "polygon")
    # The outer boundary: the 200 x 150 rectangle, its hole filled in.
    assert _shoelace(polygon["geometry"]["points"]) == 200 * 150


def test_the_brush_and_eraser_fill_a_shift_clicked_outline(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Polygon fill e2e", ["car"])
    pid = project["id"]
    [iid] = import_images(server, pid, "editor-fill", 1, SIZE)
    open_item_as(page, server, pid, iid, "fill-annotator", SIZE)

    page.keyboard.press("m")
    expect(page.get_by_role("radio", name="Brush")).to_have_attribute("aria-checked", "true")
    for x, y in ((100, 100), (300, 100), (300, 250), (100, 250)):
        click_in_image(page, SIZE, x, y, ("Shift",))
    shots(page, "outline")
    page.keyboard.press("Enter")
    editor_saved(page)
    [mask] = _saved(server, pid, iid, "mask")
    filled = mask_area(mask["geometry"])
    assert abs(filled - 200 * 150) / (200 * 150) < 0.02, filled
    shots(page, "filled")

    # The eraser: an outline started on the mask, closed by a click on its first point, clears its pixels.
    page.keyboard.press("e")
    for x, y in ((150, 150), (250, 150), (250, 200), (150, 200)):
        click_in_image(page, SIZE, x, y, ("Shift",))
    click_in_image(page, SIZE, 150, 150)
    eventually(lambda: _assert_close(editor_mask_area(page), filled - 100 * 50))
    editor_saved(page)
    [cleared] = _saved(server, pid, iid, "mask")
    assert mask_area(cleared["geometry"]) == editor_mask_area(page)
    shots(page, "cleared")

    # Esc drops an outline: nothing changes. Undo takes the clearing back.
    before = editor_mask_area(page)
    click_in_image(page, SIZE, 120, 120, ("Shift",))
    click_in_image(page, SIZE, 280, 120, ("Shift",))
    click_in_image(page, SIZE, 280, 230, ("Shift",))
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    assert editor_mask_area(page) == before
    page.keyboard.press("Control+z")
    assert editor_mask_area(page) == filled
    editor_saved(page)
    eventually(lambda: _assert_close(mask_area(item_annotations(server, pid, iid)[0]["geometry"]), filled, 0))


def _assert_close(got: int, want: int, tol: float = 0.02) -> None:
    assert abs(got - want) <= tol * want, (got, want)
