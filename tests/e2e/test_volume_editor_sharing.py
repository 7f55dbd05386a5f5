"""The volume editor as a team uses it: two annotators on different slices of one volume, "Fill between" offered
only between slices holding a mask or polygon of the current class, the window preset kept from one volume to the
next, each slice's own undo steps, and a brush stroke kept on the slice it started on.

Two small synthetic CTs (NIfTI written with nibabel) are imported with the "nifti" format into one project.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect
from tests.e2e.conftest import (
    API,
    VIEWPORT,
    Server,
    Shots,
    _console_error,
    add_member,
    drag_in_image,
    editor_saved,
    eventually,
    image_to_screen,
    login,
    wait_for_editor,
)
from tests.e2e.test_volume_editor import _disc

nib = pytest.importorskip("nibabel")

X, Y, Z = 40, 30, 12  # as in test_volume_editor (its _disc masks fit these slices)
SIZE = (X, Y)


def _write_cts(folder: Path) -> None:
    """Two 40 x 30 x 12 int16 CTs: air and an elliptic body (40 HU), the second a little denser."""
    x, y, _ = np.meshgrid(np.arange(X), np.arange(Y), np.arange(Z), indexing="ij")
    folder.mkdir()
    for i, name in enumerate(("a", "b")):
        data = np.full((X, Y, Z), -1000, dtype=np.int16)
        data[((x - 19.5) / 17) ** 2 + ((y - 14.5) / 13) ** 2 <= 1] = 40 + 20 * i
        nib.save(nib.Nifti1Image(data, np.diag([0.8, 0.8, 2.5, 1.0])), str(folder / f"{name}.nii.gz"))
    (folder / "dataset.json").write_text(json.dumps({"modality": {"0": "CT"}, "labels": {"0": "background"}}))


def _project(server: Server, name: str) -> tuple[int, list[int]]:
    pid: int = server.create_project(name, ["lesion", "organ"], item_kind="volume")["id"]
    src = server.files / name.replace(" ", "-")
    _write_cts(src)
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src), "format": "nifti"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    items = server.api.get(f"{API}/projects/{pid}/items").raise_for_status().json()["items"]
    return pid, [it["id"] for it in items]


def _open(page: Any, pid: int, iid: int) -> None:
    page.goto(f"/#/projects/{pid}/items/{iid}")
    page.get_by_test_id("volume-editor").wait_for()
    wait_for_editor(page, SIZE)


def _frame(server: Server, pid: int, iid: int, k: int) -> list[dict[str, Any]]:
    body = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations", params={"frame": k}).raise_for_status()
    anns: list[dict[str, Any]] = body.json()["annotations"]
    return anns


@contextmanager
def _second_browser(browser: Any, server: Server, shots: Shots) -> Iterator[Any]:
    context = browser.new_context(base_url=server.url, viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    p = context.new_page()
    p.on("pageerror", lambda exc: shots.errors.append(f"second browser, page error: {exc}"))
    p.on("console", lambda msg: _console_error(msg, shots.errors))
    try:
        yield p
    finally:
        context.close()


def test_two_annotators_paint_different_slices_of_one_volume_without_a_conflict(
    page: Any, browser: Any, server: Server, shots: Shots
) -> None:
    pid, [iid, _] = _project(server, "Volume sharing e2e")
    _, pw_a = add_member(server, pid, "vol-share-a", "annotator")
    _, pw_b = add_member(server, pid, "vol-share-b", "annotator")
    login(page, "vol-share-a", pw_a)
    _open(page, pid, iid)
    with _second_browser(browser, server, shots) as other:
        login(other, "vol-share-b", pw_b)
        _open(other, pid, iid)
        other.get_by_test_id("editor-canvas").focus()
        other.keyboard.press("Home")
        expect(other.get_by_test_id("slice-counter")).to_have_text(f"Slice 1 / {Z}")
        # A paints slice 7 and saves: the volume's version moves on under B, who still holds the old one.
        page.get_by_test_id("editor-canvas").focus()
        page.keyboard.press("m")
        drag_in_image(page, SIZE, (14, 15), (24, 15))
        editor_saved(page)
        # B paints slice 1: the server refuses the stale version, but slice 1 is as B found it, so B's stroke is
        # saved on top without a conflict panel; B pages on at once.
        other.keyboard.press("m")
        drag_in_image(other, SIZE, (14, 10), (24, 10))
        other.keyboard.press("PageUp")
        expect(other.get_by_test_id("slice-counter")).to_have_text(f"Slice 2 / {Z}")
        expect(other.get_by_role("alertdialog")).to_have_count(0)
        shots(other, "b-saved-over-a-new-version")
        assert [a["label"] for a in eventually(lambda: _nonempty(_frame(server, pid, iid, 0)))] == ["lesion"]
        assert [a["label"] for a in _frame(server, pid, iid, 6)] == ["lesion"]
        # Both on slice 7 now: A erases (saved over B's newer version, slice 7 being as A found it); B's change of
        # the same slice, on the version before, still opens the conflict panel.
        other.keyboard.press("Home")
        for _ in range(6):
            other.keyboard.press("PageUp")
        expect(other.get_by_test_id("slice-counter")).to_have_text(f"Slice 7 / {Z}")
        other.wait_for_function("window.__editor.annotations().length === 1")
        page.keyboard.press("e")
        drag_in_image(page, SIZE, (18, 10), (18, 20))
        editor_saved(page)
        drag_in_image(other, SIZE, (14, 20), (24, 20))
        expect(other.get_by_test_id("save-status")).to_contain_text("Conflict")
        shots(other, "same-slice-conflict")


def test_fill_between_is_offered_between_masks_of_the_current_class(page: Any, server: Server, shots: Shots) -> None:
    pid, [iid, _] = _project(server, "Volume fill class e2e")
    path = f"{API}/projects/{pid}/items/{iid}/annotations"
    # lesion on slices 3 and 9 (frames 2, 8), organ on slice 11 (frame 10), a lesion polygon on slice 10 (frame 9).
    for k, label in ((2, "lesion"), (8, "lesion"), (10, "organ")):
        version = server.api.get(path).raise_for_status().json()["version"]
        body = {"version": version, "annotations": [{"kind": "mask", "label": label, "geometry": _disc(20, 15, 4)}]}
        server.api.put(path, params={"frame": k}, json=body).raise_for_status()
    version = server.api.get(path).raise_for_status().json()["version"]
    poly = {"kind": "polygon", "label": "lesion", "geometry": {"points": [5, 5, 15, 5, 15, 15]}}
    server.api.put(path, params={"frame": 9}, json={"version": version, "annotations": [poly]}).raise_for_status()
    _, password = add_member(server, pid, "vol-fill-class", "annotator")
    login(page, "vol-fill-class", password)
    _open(page, pid, iid)
    page.get_by_test_id("editor-canvas").focus()
    # Slice 7 (frame 6), lesion: between lesion masks 3 and 9.
    expect(page.get_by_test_id("fill-from")).to_have_value("3")
    expect(page.get_by_test_id("fill-to")).to_have_value("9")
    # Slice 10 (frame 9, the lesion polygon): for lesion nothing lies above it (an organ mask does not count) ...
    for _ in range(3):
        page.keyboard.press("PageUp")
    expect(page.get_by_test_id("slice-counter")).to_have_text(f"Slice 10 / {Z}")
    expect(page.get_by_test_id("fill-slices")).to_be_disabled()
    # ... and organ has one slice only.
    page.keyboard.press("2")
    expect(page.get_by_test_id("fill-slices")).to_be_disabled()
    # A lesion mask painted on slice 12 (frame 11) opens 10 (the polygon) - 12 at once.
    page.keyboard.press("1")
    page.keyboard.press("End")
    expect(page.get_by_test_id("slice-counter")).to_have_text(f"Slice {Z} / {Z}")
    page.keyboard.press("m")
    drag_in_image(page, SIZE, (16, 15), (24, 15))
    editor_saved(page)
    expect(page.get_by_test_id("fill-from")).to_have_value("10")
    expect(page.get_by_test_id("fill-to")).to_have_value("12")
    page.get_by_test_id("fill-slices").click()
    expect(page.get_by_text("Filled 1 slice (11) with proposed lesion masks")).to_be_visible()
    shots(page, "filled")


def test_the_window_preset_chosen_stays_for_the_next_volume(page: Any, server: Server, shots: Shots) -> None:
    pid, [first, second] = _project(server, "Volume preset e2e")
    _, password = add_member(server, pid, "vol-preset", "annotator")
    login(page, "vol-preset", password)
    _open(page, pid, first)
    preset = page.get_by_test_id("window-preset")
    expect(preset).to_have_value("Soft tissue")
    preset.select_option("Lung")
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("n")
    page.wait_for_url(f"**/items/{second}")
    wait_for_editor(page, SIZE)
    expect(page.get_by_test_id("window-preset")).to_have_value("Lung")
    expect(page.get_by_test_id("window-width")).to_have_value("1500")
    shots(page, "next-volume-in-lung")
    # Reset goes back to the volume's own default, and so do the volumes opened after it.
    page.get_by_test_id("window-reset").click()
    expect(page.get_by_test_id("window-preset")).to_have_value("Soft tissue")
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("p")
    page.wait_for_url(f"**/items/{first}")
    wait_for_editor(page, SIZE)
    expect(page.get_by_test_id("window-preset")).to_have_value("Soft tissue")


def _nonempty(anns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert anns
    return anns


def test_each_slice_keeps_its_own_undo_steps(page: Any, server: Server, shots: Shots) -> None:
    pid, [iid, _] = _project(server, "Volume undo e2e")
    _, password = add_member(server, pid, "vol-undo", "annotator")
    login(page, "vol-undo", password)
    _open(page, pid, iid)
    counter = page.get_by_test_id("slice-counter")
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("m")
    page.keyboard.press("[")
    # A stroke on slice 7 (frame 6), then one on slice 8 (frame 7), paging on at once after each.
    drag_in_image(page, SIZE, (14, 15), (24, 15))
    page.keyboard.press("PageUp")
    expect(counter).to_have_text(f"Slice 8 / {Z}")
    drag_in_image(page, SIZE, (14, 20), (24, 20))
    page.keyboard.press("PageDown")
    expect(counter).to_have_text(f"Slice 7 / {Z}")
    page.wait_for_function("window.__editor.annotations().length === 1")
    # Back on slice 7, undo takes back slice 7's stroke (and saves that), not slice 8's.
    page.keyboard.press("Control+z")
    editor_saved(page)
    eventually(lambda: _check(_frame(server, pid, iid, 6) == []))
    assert [a["label"] for a in _frame(server, pid, iid, 7)] == ["lesion"]
    page.keyboard.press("Control+Shift+z")
    editor_saved(page)
    eventually(lambda: _check(len(_frame(server, pid, iid, 6)) == 1))
    shots(page, "redone-on-slice-7")
    # Slice 8's own step is still there for it.
    page.keyboard.press("PageUp")
    expect(counter).to_have_text(f"Slice 8 / {Z}")
    page.wait_for_function("window.__editor.annotations().length === 1")
    page.keyboard.press("Control+z")
    editor_saved(page)
    eventually(lambda: _check(_frame(server, pid, iid, 7) == []))
    # Someone else changing a slice drops its steps: undo then does nothing there.
    page.keyboard.press("Control+Shift+z")
    editor_saved(page)
    page.keyboard.press("PageDown")
    expect(counter).to_have_text(f"Slice 7 / {Z}")
    path = f"{API}/projects/{pid}/items/{iid}/annotations"
    version = server.api.get(path).raise_for_status().json()["version"]
    body = {"version": version, "annotations": [{"kind": "mask", "label": "organ", "geometry": _disc(30, 10, 3)}]}
    server.api.put(path, params={"frame": 7}, json=body).raise_for_status()
    page.keyboard.press("PageUp")
    expect(counter).to_have_text(f"Slice 8 / {Z}")
    page.wait_for_function("window.__editor.annotations().length === 1")
    expect(page.get_by_role("button", name="Undo")).to_be_disabled()


def test_a_stroke_stays_on_the_slice_it_started_on(page: Any, server: Server, shots: Shots) -> None:
    pid, [iid, _] = _project(server, "Volume stroke e2e")
    _, password = add_member(server, pid, "vol-stroke", "annotator")
    login(page, "vol-stroke", password)
    _open(page, pid, iid)
    page.get_by_test_id("editor-canvas").focus()
    page.keyboard.press("m")
    page.keyboard.press("[")
    # PageDown with the mouse still down: the slice stays (and says why) until the stroke ends.
    page.mouse.move(*image_to_screen(page, SIZE, 10, 20))
    page.mouse.down()
    page.mouse.move(*image_to_screen(page, SIZE, 20, 20), steps=4)
    page.keyboard.press("PageDown")
    expect(page.get_by_text("Finish the shape first (or Esc to cancel it), then change slice")).to_be_visible()
    page.mouse.move(*image_to_screen(page, SIZE, 30, 20), steps=4)
    page.mouse.up()
    editor_saved(page)
    expect(page.get_by_test_id("slice-counter")).to_have_text(f"Slice 7 / {Z}")
    assert [a["label"] for a in eventually(lambda: _nonempty(_frame(server, pid, iid, 6)))] == ["lesion"]
    page.keyboard.press("PageDown")
    expect(page.get_by_test_id("slice-counter")).to_have_text(f"Slice 6 / {Z}")
    assert _frame(server, pid, iid, 5) == []
    shots(page, "stroke-kept-on-slice-7")


def _check(ok: bool) -> None:
    assert ok
