"""The volume editor's orthogonal views on a real server: a small synthetic CT (air, a soft-tissue body, a bright
sphere; written with nibabel, imported with the "nifti" format). L shows the sagittal and coronal planes; they follow
the pointer's column and row; a mask painted on the axial slice shows in the coronal plane's labels once saved; a
click in the sagittal plane goes to that slice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect
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

X, Y, Z = 40, 30, 12  # RAS+ columns, rows, slices (an identity-oriented affine)
SIZE = (X, Y)


def _write_ct(folder: Path) -> None:
    x, y, z = np.meshgrid(np.arange(X), np.arange(Y), np.arange(Z), indexing="ij")
    data = np.full((X, Y, Z), -1000, dtype=np.int16)
    data[((x - 19.5) / 17) ** 2 + ((y - 14.5) / 13) ** 2 <= 1] = 40
    data[(x - 20) ** 2 + (y - 15) ** 2 + ((z - 6) * 2.5 / 0.8) ** 2 <= 36] = 700
    folder.mkdir()
    nib.save(nib.Nifti1Image(data, np.diag([0.8, 0.8, 2.5, 1.0])), str(folder / "chest.nii.gz"))


def _pixel(page: Any, axis: str, col: float, row: float) -> list[int]:
    """The RGB of the plane canvas at plane pixel (col, row), fractions allowed (0.5 = the pixel's middle)."""
    rgb: list[int] = page.evaluate(
        """([axis, col, row, w, h]) => {
             const c = document.querySelector(`[data-testid="plane-${axis}"]`);
             const [px, py] = [Math.floor(col / w * c.width), Math.floor(row / h * c.height)];
             return [...c.getContext('2d').getImageData(px, py, 1, 1).data.slice(0, 3)];
           }""",
        [axis, col, row, Y if axis == "sagittal" else X, Z],
    )
    return rgb


def test_planes_follow_the_pointer_show_saved_masks_and_jump_to_a_slice(
    page: Any, server: Server, shots: Shots
) -> None:
    project = server.create_project("Volume planes e2e", ["lesion", "organ"], item_kind="volume")
    pid = project["id"]
    src = server.files / "volume-planes-e2e"
    _write_ct(src)
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src), "format": "nifti"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    [item] = server.api.get(f"{API}/projects/{pid}/items").raise_for_status().json()["items"]
    iid = item["id"]
    _, password = add_member(server, pid, "planes-annotator", "annotator")
    login(page, "planes-annotator", password)
    page.goto(f"/#/projects/{pid}/items/{iid}")
    page.get_by_test_id("volume-editor").wait_for()
    wait_for_editor(page, SIZE)
    counter = page.get_by_test_id("slice-counter")
    expect(counter).to_have_text(f"Slice 7 / {Z}")

    # L shows the planes; the sagittal one is drawn (not blank): the bright sphere in a grey body on black air.
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("l")
    sagittal = page.get_by_test_id("plane-sagittal")
    expect(sagittal).to_be_visible()
    expect(page.get_by_test_id("planes-toggle")).to_have_attribute("aria-pressed", "true")
    expect(sagittal).not_to_have_attribute("data-drawn", "")
    # Drawn true to the spacing: 30 rows x 0.8 mm wide, 12 slices x 2.5 mm high.
    box = sagittal.bounding_box()
    assert box is not None and abs(box["width"] / box["height"] - (Y * 0.8) / (Z * 2.5)) < 0.02
    # Through column 20 (the middle): the sphere at slice 6 (plane row 5), row 15; air at the top-left corner.
    sphere, air = _pixel(page, "sagittal", 14.5, 5.25), _pixel(page, "sagittal", 0.5, 0.5)
    assert sphere[0] > air[0] + 100, (sphere, air)

    # The planes follow the pointer's column and row.
    page.mouse.move(*image_to_screen(page, SIZE, 10.5, 12.5))
    expect(sagittal).to_have_attribute("data-index", "10")
    expect(page.get_by_test_id("plane-coronal")).to_have_attribute("data-index", "12")
    shots(page, "planes")

    # Paint a lesion on this slice (frame 6) across row 15: once saved, the coronal plane through row 15 has it.
    page.keyboard.press("m")
    drag_in_image(page, SIZE, (16, 15), (24, 15))
    editor_saved(page)
    version = page.evaluate("window.__editor.state().version")
    coronal = page.get_by_test_id("plane-coronal")
    expect(coronal).to_have_attribute("data-index", "15")
    expect(coronal).to_have_attribute("data-drawn", f"15@{version}")
    labels = server.api.get(f"{API}/projects/{pid}/items/{iid}/volume/planes/coronal/15/labels")
    plane = np.frombuffer(labels.raise_for_status().content, np.uint8).reshape(Z, X)
    assert plane[Z - 1 - 6, 18:23].tolist() == [1] * 5 and plane[Z - 1 - 5].sum() == 0  # lesion = class 1
    tinted, grey = _pixel(page, "coronal", 20.5, 5.25), _pixel(page, "coronal", 5.5, 5.25)
    assert max(grey) - min(grey) <= 2 and max(tinted) - min(tinted) > 20, (tinted, grey)
    shots(page, "painted")

    # A click in the sagittal plane's third row from the bottom goes to slice 3 (frame 2).
    box = sagittal.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * (Z - 2 - 0.5) / Z)
    expect(counter).to_have_text(f"Slice 3 / {Z}")
    eventually(lambda: _check(page.evaluate("window.__volumeEditor.state().slice") == 2))
    # L again hides them.
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("l")
    expect(sagittal).to_have_count(0)
    logout(page)


def _check(ok: bool) -> None:
    assert ok
