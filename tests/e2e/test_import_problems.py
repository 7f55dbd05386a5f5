"""A COCO import with 120 bad annotations, through the import dialog: the refusal lists each problem with its file
and field (a readable number of them, then how many more), "Retry, skipping invalid items" says what it skipped
and lists it behind a toggle (file names, not server paths), and the Jobs page names the detected format."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login

BAD = 120
LISTED = 20  # what the dialog lists of a long list before "and N more"


def _write_coco(folder: Path) -> None:
    from PIL import Image

    (folder / "images").mkdir(parents=True)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for i in range(1, 5):
        Image.new("RGB", (64, 48), (40 * i, 90, 120)).save(folder / "images" / f"pic-{i}.png")
        images.append({"id": i, "file_name": f"pic-{i}.png", "width": 64, "height": 48})
    for i in range(1, 4):  # two good boxes on each of the first three images
        for k in range(2):
            annotations.append({"id": len(annotations) + 1, "image_id": i, "category_id": 1,
                                "bbox": [4 + 10 * k, 4, 8, 8], "area": 64, "iscrowd": 0})  # fmt: skip
    for _ in range(BAD):  # the fourth image's boxes name a category that does not exist
        annotations.append({"id": len(annotations) + 1, "image_id": 4, "category_id": 91,
                            "bbox": [4, 4, 8, 8], "area": 64, "iscrowd": 0})  # fmt: skip
    coco = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "blob"}]}
    (folder / "annotations.json").write_text(json.dumps(coco))


def _entry(p: dict[str, Any]) -> str:
    """A problem as the dialog lists it: its message, then the file's base name, the line and the field."""
    at = [Path(p["file"]).name if p.get("file") else None,
          f"line {p['line']}" if p.get("line") is not None else None,
          f"field {p['field']}" if p.get("field") else None]  # fmt: skip
    where = ", ".join(x for x in at if x)
    return f"{p['message']} ({where})" if where else p["message"]


def test_a_refused_import_lists_its_problems_and_the_retry_lists_what_it_skipped(
    page: Any, server: Server, shots: Shots
) -> None:
    pid = server.create_project("Import problems", ["blob"])["id"]
    folder = server.files / "coco-problems"
    _write_coco(folder)

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    page.get_by_test_id("import-button").click()
    dialog = page.get_by_test_id("import-dialog")
    dialog.get_by_label("Path on the server").fill(str(folder))
    dialog.get_by_test_id("start-import").click()
    progress = dialog.get_by_test_id("job-progress")
    expect(progress).to_have_attribute("data-status", "failed", timeout=60_000)

    # Each listed problem names its file and field, as the job's error has them; a long list stops with a count.
    job = server.api.get(f"{API}/jobs", params={"project_id": pid}).raise_for_status().json()[0]
    problems = job["error"]["problems"]
    assert len(problems) == BAD and all(p.get("field") for p in problems), problems[:3]
    listed = progress.get_by_test_id("job-problems").locator("li")
    expect(listed).to_have_count(LISTED)
    expect(listed.first).to_have_text(_entry(problems[0]))
    expect(listed.nth(LISTED - 1)).to_have_text(_entry(problems[LISTED - 1]))
    expect(listed.first).to_contain_text("field annotations[")
    expect(listed.first).to_contain_text("annotations.json")
    expect(progress.get_by_test_id("job-problems")).to_contain_text(f"and {BAD - LISTED} more")
    shots(page, "refused")

    # The retry imports the rest and says how many records it skipped; the list of them is one click away.
    dialog.get_by_test_id("import-retry-skip").click()
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(dialog.get_by_test_id("job-result")).to_contain_text(f"{BAD} invalid annotations skipped")
    skipped = progress.get_by_test_id("job-skipped")
    expect(skipped).to_have_count(0)
    toggle = dialog.get_by_role("button", name=f"Show the {BAD} skipped")
    toggle.click()
    retried = server.api.get(f"{API}/jobs", params={"project_id": pid}).raise_for_status().json()[0]
    assert retried["result"]["skipped_count"] == BAD, retried["result"]
    rows = skipped.locator("li")
    expect(rows).to_have_count(LISTED)
    expect(rows.first).to_have_text(_entry(retried["result"]["skipped"][0]))
    expect(rows.first).to_contain_text("annotations.json")
    expect(skipped).to_contain_text(f"and {BAD - LISTED} more")
    expect(skipped).not_to_contain_text(str(server.files))
    shots(page, "skipped-listed")
    dialog.get_by_role("button", name=f"Hide the {BAD} skipped").click()
    expect(skipped).to_have_count(0)
    dialog.get_by_test_id("import-close").click()

    # The Jobs page names the format that was detected, and its header reads as two sentences.
    page.goto(f"/#/jobs?project={pid}")
    imported = page.locator(f'[data-testid="job-row"][data-job-id="{retried["id"]}"]')
    expect(imported.locator(".what")).to_have_text(re.compile(r"^auto-detected: coco from .*coco-problems$"))
    expect(page.locator("p.sub")).to_contain_text("newest first. Showing one project.")
    shots(page, "jobs")
