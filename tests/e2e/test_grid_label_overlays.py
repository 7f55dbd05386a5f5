"""The grid's "Labels": each thumbnail draws its item's boxes and mask outlines over the picture, in the class's
colour and at the right place for the picture's aspect ratio; the setting survives a reload."""

from __future__ import annotations

from typing import Any

import numpy as np
from playwright.sync_api import expect
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, import_images, login


def _put(server: Server, pid: int, iid: int, annotations: list[dict[str, Any]]) -> None:
    url = f"{API}/projects/{pid}/items/{iid}/annotations"
    version = server.api.get(url).json()["version"]
    r = server.api.put(url, json={"version": version, "annotations": annotations})
    assert r.status_code == 200, r.text


def _fit(img_w: float, img_h: float, box: dict[str, float]) -> tuple[float, float, float]:
    """Where object-fit: contain puts the picture in ``box``: left, top, CSS pixels per image pixel."""
    scale = min(box["width"] / img_w, box["height"] / img_h)
    return box["x"] + (box["width"] - img_w * scale) / 2, box["y"] + (box["height"] - img_h * scale) / 2, scale


def test_labels_draw_each_items_shapes_over_its_thumbnail_and_stay_on(page: Any, server: Server, shots: Shots) -> None:
    body = {"name": "Overlay streets", "item_kind": "image", "kinds": ["box", "mask"],
            "labels": [{"name": "car", "color": "#e6194b"}, {"name": "road", "color": "#3cb44b"}]}  # fmt: skip
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    wide = import_images(server, pid, "overlay-wide", 2, (800, 400))
    m = np.zeros((400, 800), dtype=np.uint8, order="F")
    m[250:400, :] = 1  # the road: the bottom 150 rows
    road = {"size": [400, 800], "counts": mask_utils.encode(m)["counts"].decode("ascii")}
    _put(server, pid, wide[0], [{"kind": "box", "label": "car", "geometry": {"bbox": [200, 100, 400, 300]}},
                                {"kind": "mask", "label": "road", "geometry": road}])  # fmt: skip
    _put(server, pid, wide[1], [{"kind": "box", "label": "car", "geometry": {"bbox": [0, 0, 80, 40]},
                                 "source": "model", "model_version": "m@1", "score": 0.6}])  # fmt: skip

    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url) if "/items/shapes" in req.url else None)
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.evaluate("localStorage.removeItem('labelhub.grid.labels')")
    page.goto(f"/#/projects/{pid}")
    first = page.locator(f'[data-testid="thumb"][data-item-id="{wide[0]}"]')
    expect(first.locator("img")).to_be_visible()
    page.wait_for_timeout(400)
    assert requests == [], "no shapes are fetched while Labels is off"
    expect(first.get_by_test_id("thumb-shapes")).to_have_count(0)

    toggle = page.get_by_test_id("labels-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    car = first.locator('rect[data-label="car"]')
    expect(car).to_have_count(1)
    assert car.get_attribute("stroke") == "#e6194b"
    box = first.locator(".img").evaluate(
        "el => { const r = el.getBoundingClientRect(); return {x: r.x + el.clientLeft, y: r.y + el.clientTop,"
        " width: el.clientWidth, height: el.clientHeight}; }"
    )
    left, top, scale = _fit(800, 400, box)
    got = car.bounding_box()
    # The box's outline: its stroke (1.5 CSS px, centred on the edge) reaches a little past the box itself.
    for name, want, have in (("x", left + 200 * scale, got["x"]), ("y", top + 100 * scale, got["y"]),
                             ("width", 200 * scale, got["width"]), ("height", 200 * scale, got["height"])):  # fmt: skip
        assert abs(want - have) <= 2, f"car box {name}: {have:.1f}, expected {want:.1f} (thumb box {box})"
    mask = first.locator('polygon[data-kind="mask"][data-label="road"]')
    expect(mask).to_have_count(1)
    assert mask.get_attribute("fill") == "#3cb44b"
    # Chrome's box of a stroked polygon allows for miter joins; the outline itself is checked in image pixels,
    # and the overlay's placement as a whole.
    outline = mask.evaluate("el => { const b = el.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height]; }")
    assert outline == [0, 250, 799, 399], outline
    svg = first.get_by_test_id("thumb-shapes").bounding_box()
    for name, want in (("x", left), ("y", top), ("width", 800 * scale), ("height", 400 * scale)):
        assert abs(svg[name] - want) <= 1, f"overlay {name}: {svg[name]:.1f}, expected {want:.1f}"
    second = page.locator(f'[data-testid="thumb"][data-item-id="{wide[1]}"]')
    proposal = second.locator('rect[data-label="car"]')
    expect(proposal).to_have_count(1)
    assert proposal.evaluate("el => getComputedStyle(el).strokeDasharray") not in ("none", ""), "a proposal is dashed"
    assert len(requests) == 1 and "ids=" in requests[0], requests
    shots(page, "labels-on")

    page.reload()
    expect(page.get_by_test_id("labels-toggle")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f'[data-testid="thumb"][data-item-id="{wide[0]}"] rect[data-label="car"]')).to_have_count(1)

    page.get_by_test_id("grid").locator("a.cell").first.focus()
    page.keyboard.press("l")
    expect(page.get_by_test_id("labels-toggle")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_test_id("thumb-shapes")).to_have_count(0)


def test_a_tall_pictures_thumbnail_is_fitted_whole_and_its_labels_land_on_it(page: Any, server: Server) -> None:
    # The cell's grid row grew to the picture's height at full width: the picture was cropped to its top, the
    # labels (drawn for the fitted picture) landed beside it.
    body = {"name": "Overlay portraits", "item_kind": "image", "kinds": ["box"],
            "labels": [{"name": "lamp", "color": "#e6194b"}]}  # fmt: skip
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    (tall,) = import_images(server, pid, "overlay-tall", 1, (300, 900))
    _put(server, pid, tall, [{"kind": "box", "label": "lamp", "geometry": {"bbox": [0, 600, 300, 900]}}])

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.evaluate("localStorage.setItem('labelhub.grid.labels', 'on')")
    page.goto(f"/#/projects/{pid}")
    cell = page.locator(f'[data-testid="thumb"][data-item-id="{tall}"]')
    lamp = cell.locator('rect[data-label="lamp"]')
    expect(lamp).to_have_count(1)
    inner = "el => ({x: el.getBoundingClientRect().x + el.clientLeft, y: el.getBoundingClientRect().y + el.clientTop," \
            " width: el.clientWidth, height: el.clientHeight})"  # fmt: skip
    box = cell.locator(".img").evaluate(inner)
    img = cell.locator("img").bounding_box()
    assert abs(img["height"] - box["height"]) <= 1, f"the picture's box {img} is not the thumbnail's {box}"
    left, top, scale = _fit(300, 900, box)
    got = lamp.bounding_box()
    for name, want, have in (("x", left, got["x"]), ("y", top + 600 * scale, got["y"]),
                             ("width", 300 * scale, got["width"]), ("height", 300 * scale, got["height"])):  # fmt: skip
        assert abs(want - have) <= 2, f"lamp box {name}: {have:.1f}, expected {want:.1f} (thumb box {box})"
