"""The volume editor's "Structures" panel on a real server: a synthetic CT (nibabel) imported with the "nifti"
format, an organ drawn through the API on two slices; the panel lists it with its volume and slices, a brush
stroke of the organ on the slice on screen changes its volume once saved, and a click on its row shows the slice
nearest its centre, as the slider would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]
from tests.e2e.conftest import API, Server, Shots, add_member, drag_in_image, editor_saved, login, wait_for_editor

nib = pytest.importorskip("nibabel")

X, Y, Z = 40, 30, 12  # RAS+ (identity orientation): shown slices are 40 x 30
SIZE = (X, Y)
SPACING = (0.8, 0.8, 2.5)  # one voxel is 1.6 mm³


def _write_ct(folder: Path) -> None:
    data = np.full((X, Y, Z), 40, dtype=np.int16)
    img = nib.Nifti1Image(data, np.diag([*SPACING, 1.0]))
    folder.mkdir()
    nib.save(img, str(folder / "abdomen.nii.gz"))
    (folder / "dataset.json").write_text(json.dumps({"modality": {"0": "CT"}, "labels": {"0": "background"}}))


def _disc(cx: int, cy: int, r: int) -> tuple[dict[str, Any], int]:
    """A disc as a compressed COCO mask of the shown slice, and how many pixels it covers."""
    yy, xx = np.mgrid[0:Y, 0:X]
    m = ((xx - cx) ** 2 + (yy - cy) ** 2 <= r * r).astype(np.uint8)
    rle = mask_utils.encode(np.asfortranarray(m))["counts"].decode("ascii")
    return {"size": [Y, X], "counts": rle}, int(m.sum())


def _ml_text(ml: float) -> str:
    """What the panel shows for ``ml`` (measures.ts formatVolume, for 0.01 to 100 mL)."""
    text = f"{ml:.1f}" if ml >= 0.995 else f"{ml:.2f}"
    return f"{text.rstrip('0').rstrip('.')} mL"


def test_structures_panel_measures_after_saves_and_a_row_goes_to_its_slice(
    page: Any, server: Server, shots: Shots
) -> None:
    project = server.create_project("Volume measures e2e", ["lesion", "organ"], item_kind="volume")
    pid: int = project["id"]
    _write_ct(server.files / "volume-measures-e2e")
    r = server.api.post(
        f"{API}/projects/{pid}/imports", json={"source": str(server.files / "volume-measures-e2e"), "format": "nifti"}
    )
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    [item] = server.api.get(f"{API}/projects/{pid}/items").raise_for_status().json()["items"]
    iid = item["id"]
    path = f"{API}/projects/{pid}/items/{iid}/annotations"
    disc, pixels = _disc(20, 15, 12)
    for k in (9, 10):
        version = server.api.get(path).raise_for_status().json()["version"]
        body = {"version": version, "annotations": [{"kind": "mask", "label": "organ", "geometry": disc}]}
        server.api.put(path, params={"frame": k}, json=body).raise_for_status()

    _, password = add_member(server, pid, "measures-annotator", "annotator")
    login(page, "measures-annotator", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    page.get_by_test_id("volume-editor").wait_for()
    wait_for_editor(page, SIZE)
    counter = page.get_by_test_id("slice-counter")
    expect(counter).to_have_text(f"Slice 7 / {Z}")

    panel = page.get_by_test_id("structures")
    panel.locator("summary").click()
    organ = panel.locator('[data-testid="structure-row"][data-label="organ"][data-proposed="false"]')
    before = _ml_text(2 * pixels * 1.6 / 1000)
    expect(organ.get_by_test_id("structure-volume")).to_have_text(before)
    expect(organ.get_by_test_id("structure-slices")).to_have_text("Slices 10\u201311")
    expect(organ).to_contain_text("40 ± 0 HU")
    shots(page, "structures")

    # Paint organ (its hotkey, 2) with the brush on slice 7: once saved, the organ grows by the stroke.
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("2")
    page.keyboard.press("m")
    page.keyboard.press("[")  # a smaller brush: the stroke stays smaller than the two discs
    page.keyboard.press("[")
    drag_in_image(page, SIZE, (18, 15), (22, 15))
    editor_saved(page)
    measures = server.api.get(f"{API}/projects/{pid}/items/{iid}/volume/measures").raise_for_status().json()
    [got] = [s for s in measures["structures"] if s["label"] == "organ"]
    assert got["voxels"] > 2 * pixels and (got["first_slice"], got["last_slice"]) == (6, 10)
    after = _ml_text(got["volume_ml"])
    assert after != before
    expect(organ.get_by_test_id("structure-volume")).to_have_text(after)
    expect(organ.get_by_test_id("structure-slices")).to_have_text("Slices 7\u201311")
    shots(page, "after-save")

    # A click on its row shows the slice holding it nearest its centre (slice 10 or 11 as shown), then back.
    assert got["center_slice"] in (9, 10)
    organ.get_by_test_id("structure-go").click()
    expect(counter).to_have_text(f"Slice {got['center_slice'] + 1} / {Z}")
    page.wait_for_function(f"window.__volumeEditor.state().slice === {got['center_slice']}")
    page.wait_for_function("window.__editor.annotations().length === 1")


def test_the_grid_draws_a_volumes_middle_slice_labels_and_shows_the_end_of_its_name(
    page: Any, server: Server, shots: Shots
) -> None:
    project = server.create_project("Volume grid e2e", ["lesion", "organ"], item_kind="volume")
    pid: int = project["id"]
    name = "a_rather_long_abdominal_scan_name_017.nii.gz"
    folder = server.files / "volume-grid-e2e"
    _write_ct(folder)
    (folder / "abdomen.nii.gz").rename(folder / name)
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(folder), "format": "nifti"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    [item] = server.api.get(f"{API}/projects/{pid}/items").raise_for_status().json()["items"]
    path = f"{API}/projects/{pid}/items/{item['id']}/annotations"
    # An organ on the middle slice (12 // 2 = 6, what the thumbnail shows), a lesion on slice 2 (not drawn).
    for k, label in ((Z // 2, "organ"), (2, "lesion")):
        version = server.api.get(path).raise_for_status().json()["version"]
        body = {"version": version, "annotations": [{"kind": "mask", "label": label, "geometry": _disc(20, 15, 6)[0]}]}
        server.api.put(path, params={"frame": k}, json=body).raise_for_status()

    _, password = add_member(server, pid, "volume-grid-viewer", "viewer")
    login(page, "volume-grid-viewer", password)
    page.goto(f"/#/projects/{pid}")
    cell = page.locator(f'[data-testid="thumb"][data-item-id="{item["id"]}"]')
    expect(cell.locator("img")).to_be_visible()
    if page.get_by_test_id("labels-toggle").get_attribute("aria-pressed") != "true":
        page.get_by_test_id("labels-toggle").click()
    expect(cell.locator('polygon[data-kind="mask"][data-label="organ"]')).to_have_count(1)
    expect(cell.locator('[data-label="lesion"]')).to_have_count(0)
    # The name's end, where names in a folder differ, shows whole; its start gives way; the title has it all.
    expect(cell).to_have_attribute("title", name)
    tail = cell.get_by_test_id("thumb-name").locator(".tail")
    expect(tail).to_have_text(name[-16:])
    assert tail.evaluate("e => e.scrollWidth <= e.clientWidth")
    shots(page, "grid")
