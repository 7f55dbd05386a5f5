"""The export dialog offers YOLO's task: a keypoint project exports a detection or a pose dataset from the browser.

A project whose class declares keypoints exports as a YOLO pose dataset by default (auto); the dialog's Task choice
sends ``task=detect`` for a plain detection dataset (boxes, no ``kpt_shape``) and ``task=pose`` for a pose one.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import yaml
from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, import_images, login


def _export(page: Any, pid: int, task: str | None) -> tuple[dict[str, Any], list[str]]:
    """Export as YOLO from the dialog with ``task`` (its label; None: left as it is) and read the zip."""
    page.goto(f"/#/projects/{pid}")
    page.get_by_test_id("export-button").click()
    dialog = page.get_by_test_id("export-dialog")
    dialog.get_by_label("Format").select_option("yolo")
    if task is not None:
        dialog.locator("select[name=task]").select_option(label=task)
    dialog.get_by_test_id("start-export").click()
    expect(dialog.get_by_test_id("job-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    with page.expect_download() as download:
        dialog.get_by_test_id("download").click()
    dialog.get_by_role("button", name="Close", exact=True).click()
    expect(dialog).to_be_hidden()
    with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as z:
        data = yaml.safe_load(z.read("data.yaml"))
        labels = next(n for n in z.namelist() if n.startswith("labels/") and n.endswith(".txt"))
        lines = z.read(labels).decode().splitlines()
    return data, lines


def test_the_export_dialog_chooses_yolo_s_task(page: Any, server: Server, shots: Shots) -> None:
    body = {"name": "YOLO task export", "labels": [{"name": "person", "keypoints": ["head", "hip", "knee"]}]}
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    (iid,) = import_images(server, pid, "yolo-task", 1, size=(400, 200))
    url = f"{API}/projects/{pid}/items/{iid}/annotations"
    points = [50, 20, 2, 50, 50, 2, 0, 0, 0]
    anns = [{"kind": "box", "label": "person", "geometry": {"bbox": [20, 10, 80, 90]}},
            {"kind": "keypoints", "label": "person", "geometry": {"points": points}}]  # fmt: skip
    version = server.api.get(url).raise_for_status().json()["version"]
    assert server.api.put(url, json={"version": version, "annotations": anns}).status_code == 200
    login(page, ADMIN_USER, ADMIN_PASSWORD)

    data, lines = _export(page, pid, None)  # auto: the class declares keypoints
    assert data["kpt_shape"] == [3, 3] and [len(line.split()) for line in lines] == [5 + 9]

    data, lines = _export(page, pid, "Detection (boxes)")
    assert "kpt_shape" not in data and [len(line.split()) for line in lines] == [5]
    shots(page, "detect-exported")

    data, lines = _export(page, pid, "Pose (boxes with their keypoints)")
    assert data["kpt_shape"] == [3, 3] and lines == ["0 0.125000 0.250000 0.150000 0.400000 0.125000 0.100000 2"
                                                     " 0.125000 0.250000 2 0 0 0"]  # fmt: skip
