"""The video editor and the keyboard, as in the image editor (``test_editor_keyboard.py``): Tab with nothing focused
or on the frame steps through the tracks; F6 goes from the stage to the toolbar and on round the editor's regions
(Shift+F6 back); Tab and Shift+Tab on a control move focus as in any page, so a keyboard user reaches the track list
(a track's label select, its propagation method, Propagate) and uses them; Esc on a control gives the keyboard back
to the frame; Tab wraps round the ends of the page rather than onto its body. The clip is the first 40 frames of
``../shared/data/tracking_otb_crossing`` (see ``_video_page.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.e2e import _video_page as vp
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, Server, Shots, eventually, login


def _active(page: Any) -> str:
    """The focused element, as "TAG name" (its accessible label, title or text)."""
    text: str = page.evaluate(
        """() => { const e = document.activeElement; if (!e) return 'none';
                   const n = e.getAttribute('aria-label') || e.getAttribute('title') || e.textContent || '';
                   return e.tagName + ' ' + n.trim().slice(0, 60); }"""
    )
    return text


def _tab_to(page: Any, want: str, key: str = "Tab", limit: int = 60) -> list[str]:
    """Press ``key`` until the focused element's description starts with ``want``; return what was passed."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        now = _active(page)
        seen.append(now)
        if now.startswith(want):
            return seen
    raise AssertionError(f"{key} never reached {want!r}: {seen}")


def test_a_keyboard_user_reaches_the_track_list_uses_it_and_gets_back_to_the_frame(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    pid = server.create_project("Video keyboard", ["person", "car"], item_kind="video")["id"]
    iid = vp.import_clip(server, pid, tmp_path)
    first = vp.add_track(server, pid, iid)["track_id"]
    second = vp.add_track(server, pid, iid, label="car")["track_id"]
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    vp.open_item(page, pid, iid)
    editor = page.get_by_test_id("video-editor")

    # With nothing focused, Tab still steps through the tracks and focus stays where it was.
    page.evaluate("() => document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    assert vp.state(page)["selected"] == first
    assert _active(page).startswith("BODY")
    page.keyboard.press("Tab")
    assert vp.state(page)["selected"] == second
    page.keyboard.press("Shift+Tab")
    assert vp.state(page)["selected"] == first

    # F6: from the stage into the toolbar.
    page.keyboard.press("F6")
    assert page.evaluate("() => !!document.activeElement?.closest('[role=toolbar]')"), _active(page)
    assert vp.state(page)["selected"] == first

    # Tab walks the controls (no track changes) to the first track's label select, its method and Propagate.
    passed = _tab_to(page, f"SELECT Label of track {first}")
    assert vp.state(page)["selected"] == first, passed
    label_select = editor.get_by_label(f"Label of track {first}")
    expect(label_select).to_be_focused()
    # The select takes its own keys: ArrowDown relabels the track (person -> car) and no editor key fires.
    page.keyboard.press("ArrowDown")
    expect(label_select).to_have_value("car")
    eventually(lambda: vp.tracks(server.api, pid, iid)["tracks"][0]["label"] == "car" or vp.fail("relabel not saved"))
    expect(label_select).to_be_focused()

    _tab_to(page, f"SELECT Propagation method of track {first}")
    _tab_to(page, "BUTTON Propagate", limit=3)
    propagate = (
        editor.get_by_test_id("track-row")
        .filter(has=page.get_by_label(f"Label of track {first}"))
        .get_by_test_id("propagate")
    )
    expect(propagate).to_be_focused()
    shots(page, "video-keyboard-propagate")

    # Shift+Tab goes back through the controls too (not to the previous track).
    page.keyboard.press("Shift+Tab")
    assert _active(page).startswith(f"SELECT Propagation method of track {first}")
    assert vp.state(page)["selected"] == first
    page.keyboard.press("Tab")
    expect(propagate).to_be_focused()

    # Enter on Propagate runs it (a job for that track), and the keyboard stays on the button.
    page.keyboard.press("Enter")
    vp.wait_propagated(page, server, pid, iid)
    eventually(lambda: not vp.state(page)["propagating"] or vp.fail("still propagating"))

    # Esc on a control: back to the frame, where Tab steps through the tracks again.
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("video-canvas")).to_be_focused()
    page.keyboard.press("Tab")
    assert vp.state(page)["selected"] == second
    expect(page.get_by_test_id("video-canvas")).to_be_focused()

    # And F6 again from the frame, round the regions: the toolbar (its first enabled button: Undo, after the
    # relabel), the timeline, the classes (the one in use), the tracks, the top bar, then the frame; Shift+F6 the
    # other way round.
    ring = []
    for _ in range(5):
        page.keyboard.press("F6")
        ring.append(_active(page))
    classes = "BUTTON New tracks get person; relabels the selected track"
    assert ring == [
        "BUTTON Undo",
        "BUTTON First frame",
        classes,
        f"BUTTON Select track {first}",
        "A Back to the project",
    ]
    page.keyboard.press("F6")
    expect(page.get_by_test_id("video-canvas")).to_be_focused()
    back_ring = []
    for _ in range(5):
        page.keyboard.press("Shift+F6")
        back_ring.append(_active(page))
    assert back_ring == ring[::-1], back_ring
    # F6 from a select (which takes every other key) goes on too: from the track list to the top bar.
    editor.get_by_label(f"Label of track {first}").focus()
    page.keyboard.press("F6")
    assert _active(page) == ring[-1], _active(page)

    # Shift+Tab on the page's first control (the top bar's Back link) wraps to the editor's last control, and Tab
    # there back to the first: never onto the page body, where Tab would select tracks.
    back = page.get_by_role("navigation", name="Breadcrumb").get_by_role("link").first
    back.focus()
    selected = vp.state(page)["selected"]
    page.keyboard.press("Shift+Tab")
    last = _active(page)
    assert page.evaluate("() => !!document.activeElement?.closest('[data-testid=video-editor]')"), last
    assert not last.startswith(("BODY", "CANVAS")), last
    page.keyboard.press("Tab")
    expect(back).to_be_focused()
    assert vp.state(page)["selected"] == selected
