"""Hiding, locking and finding tracks in the video editor on a real server: with two tracks on the OTB Crossing clip,
the eye in a card takes a track's box off the frame (a click there no longer selects it), `h` hides every track and a
second `h` shows exactly what was shown before, a locked track refuses a drag, Delete, its card's delete button and a
relabel with a notice and without a request, a reload keeps both, and with ten tracks the filter over the list finds
them by class and by id (`/` focuses it, Esc clears it and gives the keyboard back to the frame). A hidden track
deleted and brought back with Ctrl+Z comes back hidden.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.e2e import _video_page as vp
from tests.e2e.conftest import API, Server, Shots, add_member, eventually, focused, login

# A person (the pedestrian's true box) and a car well apart from it, on frame 0.
CAR_BOX = [250.0, 150.0, 320.0, 210.0]


def _add(server: Server, pid: int, iid: int, label: str, box: list[float]) -> int:
    """A track with one keyframe on frame 0 and no propagation (nothing to wait for); return its id."""
    version = vp.tracks(server.api, pid, iid)["version"]
    body = {"version": version, "label": label, "frame": 0, "box": box, "propagate": False}
    r = server.api.post(f"{API}/projects/{pid}/items/{iid}/tracks", json=body)
    assert r.status_code == 201, r.text
    track_id: int = r.json()["track"]["track_id"]
    return track_id


def _drawn(page: Any, box: list[float], color: tuple[int, int, int]) -> bool:
    """Whether the stage shows the track's colour (closely) along the top edge of ``box``."""
    x1, y1, x2, _ = box
    for t in (0.3, 0.5, 0.7):
        sx, sy = vp.to_screen(page, x1 + (x2 - x1) * t, y1)
        if any(vp.near(vp.canvas_rgb(page, "video-canvas", sx, sy + d), color, 16) for d in (-1, 0, 1)):
            return True
    return False


def _flags(page: Any) -> dict[str, Any]:
    got: dict[str, Any] = page.evaluate(
        """() => { const f = window.__videoEditor.flags;
                   return { hidden: [...f.hidden], locked: [...f.locked], all: f.allHidden }; }"""
    )
    return got


def _centre(page: Any, box: list[float]) -> tuple[float, float]:
    return vp.to_screen(page, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def test_hidden_and_locked_tracks_and_the_track_filter(page: Any, server: Server, shots: Shots, tmp_path: Path) -> None:
    pid: int = server.create_project("Video hide and lock", ["person", "car"], item_kind="video")["id"]
    iid = vp.import_clip(server, pid, tmp_path)
    _, password = add_member(server, pid, "hide-lock-annotator", "annotator")
    person_box = vp.truth()[0]
    person = _add(server, pid, iid, "person", person_box)
    car = _add(server, pid, iid, "car", CAR_BOX)
    login(page, "hide-lock-annotator", password)
    vp.open_item(page, pid, iid)

    sent: list[str] = []
    page.on(
        "request", lambda r: sent.append(f"{r.method} {r.url}") if r.method != "GET" and "/tracks" in r.url else None
    )
    toast = page.locator(".video-toast")
    colors = {person: vp.track_rgb(page, person), car: vp.track_rgb(page, car)}

    def row(track_id: int) -> Any:
        return page.locator(f'[data-testid="track-row"][data-track-id="{track_id}"]')

    eventually(lambda: _drawn(page, person_box, colors[person]) or vp.fail("the person's box is not drawn"))

    # The eye in the person's card: its box leaves the frame, its card is dimmed, and a click there finds nothing.
    eye = row(person).get_by_test_id("hide-track")
    expect(eye).to_have_attribute("title", f"Hide track {person} from the frame (Shift+H)")
    eye.click()
    expect(eye).to_have_attribute("aria-pressed", "true")
    expect(row(person)).to_have_attribute("data-hidden", "own")
    expect(toast).to_have_text(f"Track {person} is hidden (its eye button shows it)")
    eventually(lambda: not _drawn(page, person_box, colors[person]) or vp.fail("the hidden box is still drawn"))
    assert _drawn(page, CAR_BOX, colors[car])
    page.mouse.click(*_centre(page, person_box))
    assert vp.state(page)["selected"] is None

    # Selected from its card, it stays hidden and says so.
    row(person).get_by_title(f"Select track {person}").click()
    expect(toast).to_have_text(f"Track {person} is hidden (Shift+H shows it)")
    expect(row(person).get_by_test_id("track-hidden-note")).to_have_text(f"Track {person} is hidden (Shift+H shows it)")
    assert not _drawn(page, person_box, colors[person])

    # H with nothing selected: the frame bare; H again: exactly what was shown before (the person still hidden).
    page.keyboard.press("Escape")
    page.keyboard.press("h")
    expect(toast).to_have_text("Every track is hidden (H shows them again)")
    eventually(lambda: not _drawn(page, CAR_BOX, colors[car]) or vp.fail("H left the car drawn"))
    expect(row(car)).to_have_attribute("data-hidden", "all")
    page.keyboard.press("h")
    expect(toast).to_have_text("The tracks are shown again (1 stays hidden on its own)")
    eventually(lambda: _drawn(page, CAR_BOX, colors[car]) or vp.fail("the car did not come back"))
    assert not _drawn(page, person_box, colors[person])
    assert _flags(page) == {"hidden": [person], "locked": [], "all": False}
    shots(page, "person-hidden")

    # L locks the selected car: a drag, Delete, the card's delete button and a relabel are refused, and say so.
    page.mouse.click(*_centre(page, CAR_BOX))
    assert vp.state(page)["selected"] == car
    page.keyboard.press("l")
    expect(toast).to_have_text(f"Track {car} is locked: it cannot be moved, changed or deleted (L unlocks it)")
    expect(row(car).get_by_test_id("lock-track")).to_have_attribute("aria-pressed", "true")
    locked = f"Track {car} is locked (L unlocks it)"
    x, y = _centre(page, CAR_BOX)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 30, y - 20, steps=5)
    page.mouse.up()
    expect(toast).to_have_text(locked)
    page.keyboard.press("Delete")
    expect(toast).to_have_text(locked)
    page.evaluate("() => { window.__videoEditor.session.notice = null; }")
    row(car).get_by_test_id("delete-track").click(force=True)  # aria-disabled, yet a click says why
    expect(toast).to_have_text(locked)
    expect(page.get_by_test_id("confirm-delete-track")).to_be_hidden()
    row(car).get_by_test_id("track-label").select_option("person")
    expect(toast).to_have_text(locked)
    expect(row(car).get_by_test_id("track-label")).to_have_value("car")
    assert page.evaluate(f"() => window.__videoEditor.session.track({car}).boxes[0]") == CAR_BOX
    assert sent == [], sent
    shots(page, "car-locked")

    # Eight more tracks, then a reload: the person is still hidden, the car still locked; ten tracks bring the filter.
    for i in range(8):
        _add(server, pid, iid, "car" if i % 2 else "person", [10.0 + 30 * i, 200.0, 30.0 + 30 * i, 230.0])
    page.reload()
    page.wait_for_function("() => window.__videoEditor?.session.loaded && window.__videoEditor.state().frameShown")
    expect(page.get_by_test_id("track-row")).to_have_count(10)
    expect(row(person)).to_have_attribute("data-hidden", "own")
    expect(row(car)).to_have_attribute("data-locked", "true")
    assert _flags(page) == {"hidden": [person], "locked": [car], "all": False}
    eventually(lambda: not _drawn(page, person_box, colors[person]) or vp.fail("the reload drew the hidden box"))

    meta = page.get_by_test_id("track-list").locator(".meta")
    expect(meta).to_have_text("10 tracks")
    page.get_by_test_id("video-canvas").focus()
    page.keyboard.press("/")
    field = page.get_by_test_id("track-filter")
    expect(field).to_be_focused()
    page.keyboard.type("car")  # keys typed into the filter stay there (c is not "10 frames back")
    expect(meta).to_have_text("5 of 10 tracks")
    expect(page.get_by_test_id("track-row")).to_have_count(5)
    assert vp.state(page)["frame"] == 0
    field.fill(f"#{car}")
    expect(meta).to_have_text("1 of 10 tracks")
    expect(page.get_by_test_id("track-row")).to_have_attribute("data-track-id", str(car))
    page.keyboard.press("Escape")
    expect(field).to_have_value("")
    expect(page.get_by_test_id("track-row")).to_have_count(10)
    assert focused(page).startswith("CANVAS"), focused(page)
    page.get_by_test_id("track-filter-class").select_option("person")
    expect(meta).to_have_text("5 of 10 tracks")
    shots(page, "filtered")
    assert sent == [], sent


def test_a_deleted_hidden_track_comes_back_hidden_on_ctrl_z(page: Any, server: Server, tmp_path: Path) -> None:
    pid: int = server.create_project("Video hidden undo", ["person", "car"], item_kind="video")["id"]
    iid = vp.import_clip(server, pid, tmp_path)
    _, password = add_member(server, pid, "hidden-undo-annotator", "annotator")
    _add(server, pid, iid, "person", vp.truth()[0])
    car = _add(server, pid, iid, "car", CAR_BOX)
    login(page, "hidden-undo-annotator", password)
    vp.open_item(page, pid, iid)
    rows = page.get_by_test_id("track-row")
    car_row = page.locator(f'[data-testid="track-row"][data-track-id="{car}"]')
    color = vp.track_rgb(page, car)
    eventually(lambda: _drawn(page, CAR_BOX, color) or vp.fail("the car's box is not drawn"))

    car_row.get_by_test_id("hide-track").click()
    expect(car_row).to_have_attribute("data-hidden", "own")
    car_row.get_by_test_id("delete-track").click()
    page.get_by_test_id("confirm-delete").click()
    expect(rows).to_have_count(1)
    assert _flags(page)["hidden"] == []

    # Ctrl+Z: the server gives the car back with its id, and it is hidden as it was (selected, it says so).
    page.keyboard.press("Control+z")
    expect(rows).to_have_count(2)
    expect(car_row).to_have_attribute("data-hidden", "own")
    expect(page.locator(".video-toast")).to_have_text(f"Track {car} is hidden (Shift+H shows it)")
    assert _flags(page) == {"hidden": [car], "locked": [], "all": False}
    page.wait_for_function("() => window.__videoEditor.state().frameShown")
    assert not _drawn(page, CAR_BOX, color)
