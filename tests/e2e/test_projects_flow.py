"""In the browser as an administrator: log in, create a project, import COCO128 through the dialog and watch the
job, scroll the virtualized grid, read the label counts, filter by a label, export, and find the jobs listed."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from tests.conftest import data_path
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, import_images, login, wait_for_thumbnails


def _coco128_counts() -> tuple[int, Counter[str], Counter[str], int]:
    """Images in COCO128, labelhub annotations per category, images per category, and the number of categories,
    read from its COCO file.

    One COCO object becomes a box plus one polygon per part of its segmentation, or plus a mask (crowd RLE).
    """
    doc = json.loads((data_path("detection_coco128") / "annotations" / "instances_train2017.json").read_text())
    names = {c["id"]: c["name"] for c in doc["categories"]}
    per_label: Counter[str] = Counter()
    for a in doc["annotations"]:
        seg = a.get("segmentation")
        per_label[names[a["category_id"]]] += 1 + (len(seg) if isinstance(seg, list) else int(isinstance(seg, dict)))
    images = Counter(name for name, _ in {(names[a["category_id"]], a["image_id"]) for a in doc["annotations"]})
    return len(doc["images"]), per_label, images, len(names)


def test_login_refuses_a_wrong_password_and_logout_ends_the_session(page: Any, server: Server, shots: Shots) -> None:
    # Every error the console shows, failed requests included: asking who is logged in must not add one.
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    page.goto("/")
    expect(page.get_by_role("heading", name="Log in to labelhub")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert console == [], console
    shots(page, "login")
    page.get_by_label("Username").fill(ADMIN_USER)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("problem")).to_contain_text("username or password is wrong")
    shots(page, "wrong-password")

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    expect(page.get_by_test_id("current-user")).to_have_text(ADMIN_USER)
    shots(page, "logged-in")
    console.clear()
    page.reload()
    expect(page.get_by_test_id("current-user")).to_have_text(ADMIN_USER)  # the session is found again
    assert console == [], console

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to labelhub")).to_be_visible()
    # The cookie's session is revoked on the server, not only forgotten by the page.
    assert page.request.get(f"{API}/auth/me").status == 401
    page.reload()
    expect(page.get_by_role("heading", name="Log in to labelhub")).to_be_visible()


def test_create_import_browse_filter_export(page: Any, server: Server, shots: Shots) -> None:
    n_images, per_label, images_with, n_categories = _coco128_counts()
    login(page, ADMIN_USER, ADMIN_PASSWORD)

    # A project with three classes, made with the schema editor.
    page.get_by_test_id("new-project").click()
    page.get_by_label("Name", exact=True).fill("COCO128 street scenes")
    page.get_by_label("Description").fill("The first 128 COCO train2017 images")
    for i, name in enumerate(["person", "car", "dog"], 1):
        page.get_by_test_id("add-class").click()
        page.get_by_label(f"Name of class {i}", exact=True).fill(name)
    expect(page.get_by_label("Hotkey of class 3", exact=True)).to_have_value("3")
    # COCO's crowd regions are masks: allow them, or the import is refused (test_a_refused_import_... shows how).
    page.get_by_role("checkbox", name="Masks", exact=True).check()
    shots(page, "new-project-form")
    page.get_by_test_id("create-project").click()
    expect(page.get_by_test_id("project-name")).to_have_text("COCO128 street scenes")
    expect(page.get_by_text("This project is empty")).to_be_visible()
    shots(page, "empty-project")
    project_id = int(page.url.rsplit("/", 1)[-1])
    schema = server.api.get(f"{API}/projects/{project_id}").json()["label_schema"]
    assert [c["name"] for c in schema["classes"]] == ["person", "car", "dog"]

    # Import through the dialog (a folder on the server) and watch the job until it is done.
    page.get_by_test_id("import-button").click()
    dialog = page.get_by_test_id("import-dialog")
    dialog.get_by_label("Path on the server").fill(str(data_path("detection_coco128")))
    dialog.get_by_label("Format").select_option("coco")
    shots(page, "import-dialog")
    dialog.get_by_test_id("start-import").click()
    progress = dialog.get_by_test_id("job-progress")
    expect(progress).to_be_visible()
    shots(page, "import-running")
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(dialog.get_by_test_id("job-result")).to_contain_text(f"{n_images} items added")
    expect(dialog.get_by_test_id("job-result")).to_contain_text(f"{sum(per_label.values()):,} annotations")
    shots(page, "import-done")
    dialog.get_by_test_id("import-close").click()

    # The grid holds every item, but only the rows in view are in the page.
    grid = page.get_by_test_id("grid")
    expect(grid).to_have_attribute("data-done", "true")
    expect(grid).to_have_attribute("data-loaded", str(n_images))
    expect(page.get_by_test_id("shown-count")).to_have_text(f"{n_images} items")
    expect(page.get_by_test_id("item-total")).to_have_text(str(n_images))
    rendered = page.get_by_test_id("thumb").count()
    assert 0 < rendered < n_images, f"{rendered} thumbnails in the DOM: the grid is not virtualized"
    wait_for_thumbnails(page)
    shots(page, "grid-top")
    ids = [it["id"] for it in server.api.get(f"{API}/projects/{project_id}/items?limit=500").json()["items"]]
    grid.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    expect(page.locator(f'[data-testid="thumb"][data-item-id="{max(ids)}"]')).to_be_visible()
    expect(page.locator(f'[data-testid="thumb"][data-item-id="{min(ids)}"]')).to_have_count(0)
    wait_for_thumbnails(page)
    shots(page, "grid-bottom")

    # Counts per label: every class the import met, with its number of annotations.
    counts = page.get_by_test_id("label-counts")
    for name in ("person", "car", "dog"):
        expect(counts.locator(f'button[data-label="{name}"] [data-testid="label-count"]')).to_have_text(
            str(per_label[name])
        )
    # The import added every category of the file to the schema, those without annotations too.
    expect(counts.locator("button")).to_have_count(n_categories)

    # Filter by a label: only the images with a dog.
    page.get_by_test_id("filter-label").select_option("dog")
    expect(grid).to_have_attribute("data-done", "true")
    expect(grid).to_have_attribute("data-loaded", str(images_with["dog"]))
    expect(page.get_by_test_id("shown-count")).to_have_text(f"{images_with['dog']} items match")
    expect(page.get_by_test_id("thumb")).to_have_count(images_with["dog"])
    wait_for_thumbnails(page)
    shots(page, "filtered-dog")
    # A score bound (typed, then Tab) narrows it further: COCO's boxes are people's, without a score. A cleared
    # box is no bound.
    lowest = page.get_by_label("Lowest score")
    lowest.fill("0.5")
    lowest.press("Tab")
    expect(page.get_by_test_id("shown-count")).to_have_text("0 items match")
    lowest.fill("")
    lowest.press("Tab")
    expect(page.get_by_test_id("shown-count")).to_have_text(f"{images_with['dog']} items match")
    # A label in the counts panel filters too.
    counts.locator('button[data-label="car"]').click()
    expect(page.get_by_test_id("filter-label")).to_have_value("car")
    expect(grid).to_have_attribute("data-loaded", str(images_with["car"]))
    page.get_by_role("button", name="Clear filters").click()
    expect(grid).to_have_attribute("data-loaded", str(n_images))

    # Clicking a thumbnail opens the item's page.
    page.get_by_test_id("thumb").first.click()
    expect(page.get_by_test_id("item-page")).to_be_visible()
    assert "/items/" in page.url
    page.go_back()
    expect(page.get_by_test_id("grid")).to_be_visible()

    # Export, follow the job, and download the file.
    page.get_by_test_id("export-button").click()
    dialog = page.get_by_test_id("export-dialog")
    dialog.get_by_label("Format").select_option("coco")
    dialog.get_by_test_id("start-export").click()
    expect(dialog.get_by_test_id("job-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(dialog.get_by_test_id("job-result")).to_contain_text(f"{n_images} items")
    shots(page, "export-done")
    with page.expect_download() as download:
        dialog.get_by_test_id("download").click()
    exported = json.loads(Path(download.value.path()).read_bytes())
    # The export puts each object's box and shapes back into one COCO annotation.
    assert len(exported["images"]) == n_images and len(exported["annotations"]) == 939
    dialog.get_by_role("button", name="Close", exact=True).click()

    # Settings: the schema now holds every class the import met; the admin who made the project owns it.
    page.get_by_test_id("settings-link").click()
    expect(page.get_by_role("heading", name="Project settings")).to_be_visible()
    expect(page.get_by_test_id("member-row")).to_have_count(1)
    expect(page.get_by_label("Name of class 1", exact=True)).to_have_value("person")
    expect(page.get_by_label("Name of class 80", exact=True)).to_be_attached()
    shots(page, "settings")
    page.get_by_test_id("members").scroll_into_view_if_needed()
    shots(page, "settings-members")

    # The jobs page lists the import and the export.
    page.get_by_role("link", name="Jobs").click()
    # (The server is shared with other tests: an administrator sees their jobs too.)
    rows = page.get_by_test_id("jobs-table").get_by_test_id("job-row").filter(has_text="COCO128 street scenes")
    expect(rows).to_have_count(2)
    expect(rows.and_(page.locator('[data-kind="import"][data-status="succeeded"]'))).to_have_count(1)
    expect(rows.and_(page.locator('[data-kind="export"][data-status="succeeded"]'))).to_have_count(1)
    shots(page, "jobs")
    # A job started elsewhere (here through the API) shows up without a click on Refresh: the page polls slowly
    # while nothing runs.
    r = server.api.post(f"{API}/projects/{project_id}/exports", json={"format": "coco"})
    assert r.status_code == 202, r.text
    expect(page.locator(f'[data-testid="job-row"][data-job-id="{r.json()["id"]}"]')).to_be_visible(timeout=12_000)
    expect(rows).to_have_count(3)


def test_a_refused_import_shows_the_server_s_reason(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Refusals", ["cat"])
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{project['id']}")
    page.get_by_test_id("import-button").click()
    dialog = page.get_by_test_id("import-dialog")
    dialog.get_by_label("Path on the server").fill("/etc")
    dialog.get_by_test_id("start-import").click()
    problem = dialog.get_by_test_id("problem")
    expect(problem).to_contain_text("LABELHUB_IMPORT_ROOTS")
    expect(problem).to_contain_text("Field: source")
    shots(page, "import-refused")


def _upload_dialog(page: Any, project_id: int, tmp_path: Path, rows: list[dict[str, str]]) -> Any:
    """Log in as the administrator, open the project's import dialog and choose ``rows`` as requests.jsonl."""
    upload = tmp_path / "requests.jsonl"
    upload.write_text("".join(json.dumps(r) + "\n" for r in rows))
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{project_id}")
    page.get_by_test_id("import-button").click()
    dialog = page.get_by_test_id("import-dialog")
    dialog.get_by_role("tab", name="Upload a file").click()
    dialog.get_by_label("File").set_input_files(str(upload))
    return dialog


def test_an_uploaded_file_is_imported_with_a_split(page: Any, server: Server, shots: Shots, tmp_path: Path) -> None:
    project = server.create_project("Uploaded requests", ["card", "refund"], item_kind="text")
    rows = [{"id": f"r{i}", "text": f"request {i}", "label": "card" if i % 2 else "refund"} for i in range(10)]
    dialog = _upload_dialog(page, project["id"], tmp_path, rows)
    dialog.get_by_role("textbox", name="Split").fill("train=0.5,val=0.5")
    shots(page, "upload-dialog")
    dialog.get_by_test_id("start-import").click()
    expect(dialog.get_by_test_id("job-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(dialog.get_by_test_id("job-result")).to_contain_text("10 items added")
    dialog.get_by_test_id("import-close").click()
    expect(page.get_by_test_id("grid")).to_have_attribute("data-loaded", "10")
    expect(page.get_by_test_id("thumb").first).to_contain_text("request 0")
    shots(page, "uploaded-texts")
    items = server.api.get(f"{API}/projects/{project['id']}/items").json()["items"]
    assert sorted({i["split"] for i in items}) == ["train", "val"]


def test_an_error_message_does_not_follow_to_other_pages(page: Any, server: Server, shots: Shots) -> None:
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto("/#/projects/999999")
    expect(page.get_by_test_id("problem")).to_contain_text("not found")
    toast = page.get_by_test_id("toast-error")
    expect(toast).to_contain_text("Could not load the counts")
    shots(page, "missing-project")
    # Through the app's own links (the page is not reloaded, so the messages would stay if nothing dropped them).
    page.get_by_role("link", name="Jobs").click()
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    expect(toast).to_have_count(0)
    page.get_by_role("link", name="Projects").first.click()
    page.get_by_test_id("new-project").click()
    expect(page.get_by_label("Name", exact=True)).to_be_visible()
    expect(toast).to_have_count(0)
    shots(page, "new-project-page")


def test_the_project_header_and_the_jobs_table_fit_a_laptop_window(page: Any, server: Server, shots: Shots) -> None:
    # A name long enough to wrap if the header squeezed it, and an import and an export in the jobs list.
    project = server.create_project("Street scenes photographed in the morning", ["car"])
    pid = project["id"]
    import_images(server, pid, "laptop-window-scenes-with-a-long-folder-name", 2, (200, 150))
    r = server.api.post(f"{API}/projects/{pid}/exports", json={"format": "coco"})
    assert r.status_code == 202, r.text
    server.wait_for_job(r.json()["id"])
    page.set_viewport_size({"width": 1024, "height": 700})
    login(page, ADMIN_USER, ADMIN_PASSWORD)

    def inside(locator: Any) -> None:
        box = locator.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1024, box

    page.goto(f"/#/projects/{pid}")
    expect(page.get_by_test_id("project-name")).to_be_visible()
    actions = ("review-queue-link", "search-link", "models-link", "import-button", "export-button", "settings-link")
    for action in actions:
        inside(page.get_by_test_id(action))
    name = page.get_by_test_id("project-name").bounding_box()
    assert name is not None and name["height"] < 40, f"the project's name wraps: {name}"
    shots(page, "project-at-1024")

    # The jobs as they look days later (started on a date, not "just now"): the table still fits, whatever else the
    # list holds (the longest date, duration or button of every row sets its columns' widths).
    page.clock.set_fixed_time(time.time() + 3 * 86400)
    page.get_by_role("link", name="Jobs").click()
    table = page.get_by_test_id("jobs-table")
    expect(table.locator(f'[data-testid="job-row"][data-job-id="{r.json()["id"]}"]')).to_be_visible()
    for column in ("Started", "Took"):
        inside(table.get_by_role("columnheader", name=column))
    inside(table.get_by_role("link", name="Download").first)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    # Nor does its card scroll sideways (which would clip the buttons at its edge).
    assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth"), "the jobs table scrolls"
    shots(page, "jobs-at-1024")


def test_a_failed_import_is_retried_skipping_the_invalid_rows(
    page: Any, server: Server, shots: Shots, tmp_path: Path
) -> None:
    project = server.create_project("Retried upload", ["card", "refund"], item_kind="text")
    rows = [{"id": f"r{i}", "text": f"request {i}", "label": "card"} for i in range(5)]
    rows.append({"id": "r1", "text": "the same id again", "label": "refund"})
    dialog = _upload_dialog(page, project["id"], tmp_path, rows)
    dialog.get_by_test_id("start-import").click()
    progress = dialog.get_by_test_id("job-progress")
    expect(progress).to_have_attribute("data-status", "failed", timeout=60_000)
    expect(progress).to_contain_text("duplicate item 'r1'")
    shots(page, "import-failed")
    # Back to the form: every setting and the uploaded file are kept.
    dialog.get_by_test_id("import-edit").click()
    expect(dialog.get_by_test_id("kept-file")).to_contain_text("requests.jsonl")
    expect(dialog.get_by_test_id("start-import")).to_be_enabled()
    dialog.get_by_test_id("start-import").click()
    expect(progress).to_have_attribute("data-status", "failed", timeout=60_000)
    # One click imports the valid part of the same file.
    dialog.get_by_test_id("import-retry-skip").click()
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(dialog.get_by_test_id("job-result")).to_contain_text("5 items added")
    dialog.get_by_test_id("import-close").click()
    expect(page.get_by_test_id("grid")).to_have_attribute("data-loaded", "5")


def test_an_item_shows_its_tags_and_each_lists_the_items_sharing_it(page: Any, server: Server, shots: Shots) -> None:
    project = server.create_project("Tagged texts", ["card"], item_kind="text")
    pid = project["id"]
    source = server.files / "tagged.jsonl"
    source.write_text("".join(json.dumps({"id": f"t{i}", "text": f"text number {i}"}) + "\n" for i in range(4)))
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(source), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    items = server.api.get(f"{API}/projects/{pid}/items").json()["items"]
    ids = [i["id"] for i in sorted(items, key=lambda i: i["name"])]
    r = server.api.post(f"{API}/projects/{pid}/items/bulk", json={"item_ids": ids[:2], "add_tags": ["night shift"]})
    assert r.status_code == 200, r.text
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/items/{ids[1]}")
    tags = page.get_by_test_id("item-tags")
    expect(tags).to_have_text("night shift")
    shots(page, "item-tags")
    tags.get_by_role("link", name="night shift").click()
    expect(page.get_by_test_id("filter-tag")).to_contain_text("night shift")
    expect(page.get_by_test_id("grid")).to_have_attribute("data-loaded", "2")
    page.get_by_role("button", name="Drop the tag filter").click()
    expect(page.get_by_test_id("grid")).to_have_attribute("data-loaded", "4")
    # An item without tags shows none.
    page.goto(f"/#/projects/{pid}/items/{ids[3]}")
    expect(page.get_by_test_id("item-page")).to_be_visible()
    expect(page.get_by_text("text number 3")).to_be_visible()
    expect(page.get_by_test_id("item-tags")).to_have_count(0)
