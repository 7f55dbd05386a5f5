"""The volume editor on a real server: a small synthetic CT (a NIfTI written with nibabel: air, a body of soft
tissue and a bright sphere) imported with the "nifti" format opens on its middle slice; the keys and the wheel
page through the slices; a window preset changes the pixels on the canvas; a brush stroke on slice 7 (frame 6) is
saved as a mask of frame 6 only, and paging away and back keeps the zoom and the tool and shows it again. "Fill
between" interpolates two drawn slices onto those between, as proposals a reviewer accepts with A. A viewer pages
and windows but cannot paint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]
from tests.e2e.conftest import (
    API,
    Server,
    Shots,
    add_member,
    drag_in_image,
    editor_saved,
    eventually,
    image_to_screen,
    login,
    logout,
    wait_for_editor,
)

nib = pytest.importorskip("nibabel")

# X columns, Y rows, Z slices of the RAS+ array (an identity-oriented affine: the file's order is RAS+ already).
X, Y, Z = 40, 30, 12
SIZE = (X, Y)
BODY = (8, 8)  # a soft-tissue pixel (column, row) of the shown slice, away from the sphere


def _write_ct(folder: Path) -> None:
    """A 40 x 30 x 12 int16 CT: air (-1000 HU), an elliptic body (40 HU), a bright sphere (700 HU) in the middle."""
    x, y, z = np.meshgrid(np.arange(X), np.arange(Y), np.arange(Z), indexing="ij")
    data = np.full((X, Y, Z), -1000, dtype=np.int16)
    data[((x - 19.5) / 17) ** 2 + ((y - 14.5) / 13) ** 2 <= 1] = 40
    data[(x - 20) ** 2 + (y - 15) ** 2 + ((z - 6) * 2.5 / 0.8) ** 2 <= 36] = 700
    img = nib.Nifti1Image(data, np.diag([0.8, 0.8, 2.5, 1.0]))
    img.header.set_data_dtype(np.int16)
    folder.mkdir()
    nib.save(img, str(folder / "chest.nii.gz"))
    # The dataset.json names the modality: CT gets its window presets.
    (folder / "dataset.json").write_text(json.dumps({"modality": {"0": "CT"}, "labels": {"0": "background"}}))


def _import_volume(server: Server, name: str) -> tuple[int, int]:
    project = server.create_project(name, ["lesion", "organ"], item_kind="volume")
    pid: int = project["id"]
    src = server.files / name.replace(" ", "-")
    _write_ct(src)
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src), "format": "nifti"})
    assert r.status_code == 202, r.text
    job = server.wait_for_job(r.json()["id"])
    assert job["status"] == "succeeded", job
    [item] = server.api.get(f"{API}/projects/{pid}/items").raise_for_status().json()["items"]
    assert (item["kind"], item["width"], item["height"], item["frame_count"]) == ("volume", X, Y, Z)
    return pid, item["id"]


def _frame(server: Server, pid: int, iid: int, k: int) -> list[dict[str, Any]]:
    body = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations", params={"frame": k})
    anns: list[dict[str, Any]] = body.raise_for_status().json()["annotations"]
    return anns


def _grey(page: Any, x: float, y: float) -> int:
    """The red channel of the canvas pixel over image point (x, y) at the fitted view."""
    px, py = image_to_screen(page, SIZE, x, y)
    red: int = page.evaluate(
        """([x, y]) => {
             const c = document.querySelector('[data-testid="editor-canvas"]');
             const r = c.getBoundingClientRect();
             const k = c.width / r.width;
             const [px, py] = [Math.round((x - r.left) * k), Math.round((y - r.top) * k)];
             return c.getContext('2d').getImageData(px, py, 1, 1).data[0];
           }""",
        [px, py],
    )
    return red


def _open(page: Any, pid: int, iid: int) -> None:
    page.goto(f"/#/projects/{pid}/items/{iid}")
    page.get_by_test_id("volume-editor").wait_for()
    wait_for_editor(page, SIZE)


def test_page_window_and_paint_a_slice_of_a_ct_volume(page: Any, server: Server, shots: Shots) -> None:
    pid, iid = _import_volume(server, "Volume editor e2e")
    _, password = add_member(server, pid, "volume-annotator", "annotator")
    login(page, "volume-annotator", password)
    _open(page, pid, iid)
    counter = page.get_by_test_id("slice-counter")
    expect(counter).to_have_text(f"Slice 7 / {Z}")  # the middle slice
    expect(page.get_by_test_id("voxel-spacing")).to_have_text("0.8 \u00d7 0.8 \u00d7 2.5 mm")
    # The pointer over the sphere reads its voxel and value in HU.
    page.mouse.move(*image_to_screen(page, SIZE, 20.5, 15.5))
    expect(page.get_by_test_id("voxel-status")).to_have_text("(20, 15, 6) = 700 HU")
    shots(page, "opened")

    # Keys: PageUp / PageDown step, ↑ / ↓ too (nothing is selected), Home / End jump.
    page.get_by_test_id("editor-canvas").focus()
    for key, want in (("PageUp", 8), ("ArrowDown", 7), ("ArrowDown", 6), ("Home", 1), ("End", Z)):
        page.keyboard.press(key)
        expect(counter).to_have_text(f"Slice {want} / {Z}")
    # The wheel (without Ctrl) steps too: up goes back one slice at a time.
    page.mouse.move(*image_to_screen(page, SIZE, 20, 15))
    for want in (11, 10, 9, 8, 7):
        page.mouse.wheel(0, -100)
        expect(counter).to_have_text(f"Slice {want} / {Z}")
    assert page.evaluate("window.__volumeEditor.state().slice") == 6

    # The window: a CT naming no window opens on "Soft tissue" (40 / 400: the 40 HU body mid-grey); "Lung"
    # (-600 / 1500) shows it almost white, (40 + 600) / 1500 + 0.5 = 0.93 of the way up.
    preset = page.get_by_test_id("window-preset")
    expect(preset).to_have_value("Soft tissue")
    before = _grey(page, *BODY)
    assert abs(before - 128) <= 2
    preset.select_option("Lung")
    expect(page.get_by_test_id("window-width")).to_have_value("1500")
    page.wait_for_function("window.__volumeEditor.state().preset === 'Lung'")
    eventually(lambda: _check(abs(_grey(page, *BODY) - 236) <= 3))
    shots(page, "lung-window")
    page.get_by_test_id("window-reset").click()
    eventually(lambda: _check(_grey(page, *BODY) == before))
    # A right drag to the right widens the window (the preset turns "Custom"); Reset goes back to the first.
    width = float(page.get_by_test_id("window-width").input_value())
    page.mouse.move(*image_to_screen(page, SIZE, 20, 15))
    page.mouse.down(button="right")
    page.mouse.move(*image_to_screen(page, SIZE, 30, 15), steps=5)
    page.mouse.up(button="right")
    eventually(lambda: _check(float(page.get_by_test_id("window-width").input_value()) > width))
    expect(preset).to_have_value("")
    page.get_by_test_id("window-reset").click()
    expect(page.get_by_test_id("window-width")).to_have_value(str(round(width)))

    # Zoom in, take the brush and paint on this slice (frame 6).
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("+")
    zoom = page.evaluate("window.__editor.state().zoom")
    page.keyboard.press("m")
    page.keyboard.press("[")
    brush = page.get_by_test_id("brush-size").input_value()
    drag_in_image(page, SIZE, (16, 15), (24, 15))
    editor_saved(page)
    shots(page, "painted")
    [mask] = eventually(lambda: _nonempty(_frame(server, pid, iid, 6)))
    assert (mask["kind"], mask["label"], mask["frame"]) == ("mask", "lesion", 6)
    assert _frame(server, pid, iid, 5) == []
    every = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["annotations"]
    assert [a["frame"] for a in every] == [6]
    # The slider has a tick at the slice.
    expect(page.locator('[data-testid="volume-bar"] .tick[data-slice="6"]')).to_have_count(1)

    # Down one slice: nothing there; the zoom, the tool and the brush size stay. Back up: the mask is loaded again.
    page.keyboard.press("PageDown")
    expect(counter).to_have_text(f"Slice 6 / {Z}")
    assert page.evaluate("window.__editor.annotations().length") == 0
    state = page.evaluate("window.__editor.state()")
    assert (state["tool"], state["zoom"]) == ("brush", zoom)
    expect(page.get_by_test_id("brush-size")).to_have_value(brush)
    page.keyboard.press("PageUp")
    expect(counter).to_have_text(f"Slice 7 / {Z}")
    page.wait_for_function("window.__editor.annotations().length === 1")
    assert page.evaluate("window.__editor.annotations()[0].frame") == 6
    shots(page, "back-on-slice-7")
    logout(page)


def _disc(cx: int, cy: int, r: int) -> dict[str, Any]:
    """A disc as a compressed COCO mask of the shown slice (size [Y, X])."""
    yy, xx = np.mgrid[0:Y, 0:X]
    m = np.asfortranarray(((xx - cx) ** 2 + (yy - cy) ** 2 <= r * r).astype(np.uint8))
    return {"size": [Y, X], "counts": mask_utils.encode(m)["counts"].decode("ascii")}


def test_fill_between_two_drawn_slices_proposes_masks_a_reviewer_accepts(
    page: Any, server: Server, shots: Shots
) -> None:
    pid, iid = _import_volume(server, "Volume fill e2e")
    path = f"{API}/projects/{pid}/items/{iid}/annotations"
    for k, r in ((4, 3), (8, 7)):
        version = server.api.get(path).raise_for_status().json()["version"]
        body = {"version": version, "annotations": [{"kind": "mask", "label": "lesion", "geometry": _disc(20, 15, r)}]}
        server.api.put(path, params={"frame": k}, json=body).raise_for_status()
    _, password = add_member(server, pid, "volume-reviewer", "reviewer")
    login(page, "volume-reviewer", password)
    _open(page, pid, iid)
    # On slice 7 (frame 6) the fill offers the drawn slices around it, 5 and 9 as shown.
    expect(page.get_by_test_id("fill-from")).to_have_value("5")
    expect(page.get_by_test_id("fill-to")).to_have_value("9")
    page.get_by_test_id("fill-slices").click()
    expect(page.get_by_text("Filled 3 slices (6, 7, 8) with proposed lesion masks")).to_be_visible()
    page.wait_for_function("window.__editor.annotations().length === 1")
    proposal = page.evaluate("window.__editor.annotations()[0]")
    assert (proposal["state"], proposal["model_version"], proposal["frame"]) == ("proposed", "interpolation", 6)
    expect(page.locator('[data-testid="volume-bar"] .tick')).to_have_count(5)
    shots(page, "filled")
    # The editor's proposal keys: ] selects it, A accepts it (saved for this slice only).
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("]")
    page.keyboard.press("a")
    editor_saved(page)
    eventually(lambda: _check([a["state"] for a in _frame(server, pid, iid, 6)] == ["accepted"]))
    assert [a["state"] for a in _frame(server, pid, iid, 5)] == ["proposed"]
    shots(page, "accepted")
    logout(page)


def test_a_viewer_pages_through_a_volume_but_cannot_paint(page: Any, server: Server, shots: Shots) -> None:
    pid, iid = _import_volume(server, "Volume viewer e2e")
    _, password = add_member(server, pid, "volume-viewer", "viewer")
    login(page, "volume-viewer", password)
    _open(page, pid, iid)
    expect(page.get_by_role("radio", name="Brush")).to_be_disabled()
    expect(page.get_by_test_id("fill-slices")).to_have_count(0)
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("PageUp")
    expect(page.get_by_test_id("slice-counter")).to_have_text(f"Slice 8 / {Z}")
    page.keyboard.press("m")
    assert page.evaluate("window.__editor.state().tool") == "select"
    drag_in_image(page, SIZE, (16, 15), (24, 15))
    page.wait_for_timeout(300)
    assert server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").json()["annotations"] == []
    shots(page, "viewer")
    logout(page)


def _check(ok: bool) -> None:
    assert ok


def _nonempty(anns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert anns
    return anns
