"""A detector's report on a project of boxes, in the browser: Evaluate gives mAP over the classes the detector
proposes, AP per class, and the human boxes of the other classes counted apart (a QA pass found the evaluation
crashing on a project with boxes only, and the report averaging 67 classes the model could never propose)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.assist.test_detector import SQUARE
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login
from tests.services.test_model_eval import square_detector, square_images


def _box_project(server: Server) -> int:
    pid: int = server.create_project("detector-report-e2e", ["cat", "dog"])["id"]
    src = square_images(server.files / "detector-report-e2e")
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src), "format": "image_folder"})
    assert r.status_code == 202 and server.wait_for_job(r.json()["id"])["status"] == "succeeded", r.text
    items = server.api.get(f"{API}/projects/{pid}/items", params={"limit": 10}).raise_for_status().json()["items"]
    iid = next(it["id"] for it in items if it["name"] == "square.png")
    version = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["version"]
    boxes = [("cat", [float(v) for v in SQUARE]), ("dog", [5.0, 5.0, 30.0, 30.0])]
    body = {"version": version, "annotations": [{"kind": "box", "label": lab, "geometry": {"bbox": bbox}}
                                                for lab, bbox in boxes]}  # fmt: skip
    server.api.put(f"{API}/projects/{pid}/items/{iid}/annotations", json=body).raise_for_status()
    return pid


def test_a_detector_report_shows_map_over_its_classes_and_ap_per_class(page: Any, server: Server, shots: Shots) -> None:
    pid = _box_project(server)
    model = square_detector(server.files)
    r = server.api.post(f"{API}/projects/{pid}/models/register", json={"kind": "onnx_detector", "name": "squares",
                        "path": str(model), "labels": {"0": "cat"}})  # fmt: skip
    assert r.status_code == 201, r.text
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/models")
    row = page.get_by_test_id("model-row").filter(has_text="squares@1")
    row.get_by_test_id("evaluate-button").click()

    report = page.get_by_test_id("model-report")
    expect(report.get_by_test_id("report-map50")).to_have_text("1.000")
    expect(report.get_by_test_id("report-scope")).to_contain_text("1 accepted human boxes in 1 images")
    scope = report.get_by_test_id("detection-scope")
    expect(scope).to_contain_text("mAP over the 1 class the model proposes")
    expect(scope).to_contain_text("not scored: 1 boxes of 1 class the model does not propose (dog)")
    rows = report.get_by_test_id("detection-per-class").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("cat")
    expect(rows.first).to_contain_text("1.000")
    # No whole-item labels were compared: no accuracy, ECE, reliability or class table pretending otherwise.
    expect(report.get_by_test_id("report-ece")).to_have_count(0)
    expect(report.get_by_test_id("per-class")).to_have_count(0)
    report.scroll_into_view_if_needed()
    shots(page, "detector-report")
