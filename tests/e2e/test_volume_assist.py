"""A volume segmenter's report and the volume editor's proposals, in the browser: Evaluate shows the mean Dice, a
Dice bar per class and the per-volume table; on a volume holding unscored proposals (a fill between slices) the
side panel offers "Accept all N" (not "Accept 0 at or above 0.50"), and the strip over the slice accepts or
rejects every proposal of the current class across the volume."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect
from tests.assist._volume_seg_support import CLASSES, SHAPE, write_msd
from tests.e2e._confirm import answer_confirm
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, eventually, login

from labelhub.formats._volume_masks import mask_geometry

pytest.importorskip("nibabel")


def _volume_project(server: Server, name: str) -> tuple[int, int]:
    """Three labelled synthetic volumes and one without masks; returns (project id, the unlabelled item's id)."""
    pid: int = server.create_project(name, CLASSES, item_kind="volume")["id"]
    src = server.files / name
    write_msd(src, labelled=3, unlabelled=1)
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src), "format": "nifti",
                                                                "options": {"labels": ",".join(CLASSES)}})  # fmt: skip
    assert r.status_code == 202 and server.wait_for_job(r.json()["id"])["status"] == "succeeded", r.text
    items = server.api.get(f"{API}/projects/{pid}/items", params={"limit": 10}).raise_for_status().json()["items"]
    return pid, next(it["id"] for it in items if it["name"].startswith("imagesTs/"))


def _fill(server: Server, pid: int, iid: int, label: str, slices: range) -> None:
    """Store unscored mask proposals as fill between slices does (`interpolation`)."""
    square = np.zeros((SHAPE[1], SHAPE[0]), np.uint8)
    square[10:16, 10:16] = 1
    body = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()
    anns = body["annotations"] + [
        {"kind": "mask", "label": label, "frame": k, "geometry": mask_geometry(square), "source": "model",
         "model_version": "interpolation", "score": None, "state": "proposed"}
        for k in slices
    ]  # fmt: skip
    r = server.api.put(
        f"{API}/projects/{pid}/items/{iid}/annotations", json={"version": body["version"], "annotations": anns}
    )
    assert r.status_code == 200, r.text


def _states(server: Server, pid: int, iid: int, label: str) -> list[str]:
    anns = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["annotations"]
    return sorted(a["state"] for a in anns if a["label"] == label)


def test_a_segmenter_report_and_accepting_a_whole_fill(page: Any, server: Server, shots: Shots) -> None:
    pid, iid = _volume_project(server, "volume-assist-e2e")
    r = server.api.post(f"{API}/projects/{pid}/models/train", json={"kind": "volume_segmenter", "epochs": 1})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"], timeout=180)["status"] == "succeeded"
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/models")
    page.get_by_test_id("model-row").first.get_by_test_id("evaluate-button").click()
    report = page.get_by_test_id("model-report")
    expect(report.get_by_test_id("report-dice")).to_have_text(re.compile(r"^\d\.\d{3}$"))
    expect(report.get_by_test_id("report-scope")).to_contain_text("labelled slices of")
    expect(report.get_by_test_id("dice-bars").get_by_role("img")).to_have_count(len(CLASSES))
    expect(report.get_by_test_id("segmentation-per-volume").locator("tbody tr")).not_to_have_count(0)
    expect(report.get_by_test_id("report-ece")).to_have_count(0)
    report.scroll_into_view_if_needed()
    shots(page, "segmenter-report")

    _fill(server, pid, iid, "ball", range(3, 8))
    _fill(server, pid, iid, "box", range(5, 7))
    page.goto(f"/#/projects/{pid}/items/{iid}")
    page.get_by_test_id("volume-editor").wait_for()
    panel = page.get_by_test_id("model-proposals")  # the middle slice (6) holds a ball and a box proposal
    expect(panel.get_by_test_id("accept-unscored")).to_have_text("Accept all 2")
    expect(panel.get_by_test_id("accept-above")).to_have_count(0)
    strip = page.get_by_test_id("volume-proposals")
    expect(strip).to_contain_text("5 open ball proposals on this volume")
    shots(page, "volume-proposals")
    strip.get_by_test_id("volume-accept-all").click()
    eventually(lambda: _assert_equal(_states(server, pid, iid, "ball"), ["accepted"] * 5))
    expect(strip).to_have_count(0)
    expect(panel.get_by_test_id("accept-unscored")).to_have_text("Accept all 1")  # the box is left
    labels = page.get_by_role("listbox", name="Label for new shapes").get_by_role("option")
    labels.filter(has_text="box").click()  # the current class: box
    page.get_by_test_id("volume-reject-all").click()
    assert answer_confirm(page) == "Reject all 2 open box proposals on every slice of this volume?"
    eventually(lambda: _assert_equal(_states(server, pid, iid, "box"), ["rejected"] * 2))


def _assert_equal(a: object, b: object) -> None:
    assert a == b, (a, b)
