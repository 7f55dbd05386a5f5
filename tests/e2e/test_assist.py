"""The assist loop in the browser, on a real server: a text project with a few dozen labelled BANKING77 requests,
a model trained from them, pre-labelling from the models page, the proposals in the text editor, one accepted,
and the labelling queue shown on the models page reordering after the model is trained again. Also the image
editor's "Box → polygon" tool (GrabCut on the server)."""

from __future__ import annotations

import csv
import json
import re
from typing import Any

from playwright.sync_api import expect
from tests.conftest import data_path
from tests.e2e.conftest import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    API,
    Server,
    Shots,
    add_member,
    drag_in_image,
    eventually,
    import_images,
    login,
    open_item_as,
)

INTENTS = ["card_arrival", "exchange_rate", "lost_or_stolen_card", "top_up_failed"]
LABELLED, UNLABELLED = 10, 8  # per intent: 40 labelled texts to train on, 32 to pre-label


def _texts() -> dict[str, list[str]]:
    """The first texts of each intent from BANKING77's train file (skips without the shared data)."""
    out: dict[str, list[str]] = {i: [] for i in INTENTS}
    with data_path("text_banking77", "train.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            texts = out.get(row["category"])
            if texts is not None and len(texts) < LABELLED + UNLABELLED:
                texts.append(row["text"])
    return out


def _project(server: Server, name: str = "assist-e2e") -> int:
    """A text classification project: labelled requests first, then unlabelled ones, imported as JSONL (``name``
    is the project's and its source folder's: one per test)."""
    body = {"name": name, "item_kind": "text", "labels": [{"name": n} for n in INTENTS], "kinds": ["class"]}
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    rows: list[dict[str, str]] = []
    for intent, texts in _texts().items():
        rows += [{"id": f"{intent}-{k}", "text": t, "label": intent} for k, t in enumerate(texts[:LABELLED])]
    for intent, texts in _texts().items():
        rows += [{"id": f"new-{intent}-{k}", "text": t} for k, t in enumerate(texts[LABELLED:])]
    src = server.files / name
    src.mkdir()
    (src / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src / "requests.jsonl"), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    # Everything the test does by hand: no retraining by itself, and proposals between the bands stay proposed.
    assist = server.api.get(f"{API}/projects/{pid}/assist").raise_for_status().json()
    settings = {**assist["settings"], "retrain_every": None, "lower": 0.0, "upper": 0.999}
    r = server.api.put(f"{API}/projects/{pid}/assist", json={"settings": settings, "version": assist["version"]})
    assert r.status_code == 200, r.text
    return pid


def _saved_strategy(server: Server, pid: int, strategy: str) -> dict[str, Any]:
    settings: dict[str, Any] = server.api.get(f"{API}/projects/{pid}/assist").raise_for_status().json()["settings"]
    assert settings["strategy"] == strategy, settings
    return settings


def _queue_ids(page: Any) -> list[int]:
    rows = page.get_by_test_id("queue-list").get_by_test_id("queue-row")
    return [int(x) for x in rows.evaluate_all("rows => rows.map(r => r.dataset.itemId)")]


def test_prelabel_accept_and_the_queue_reorders_after_retraining(page: Any, server: Server, shots: Shots) -> None:
    pid = _project(server)
    r = server.api.post(f"{API}/projects/{pid}/models/train", json={"kind": "text_classifier", "seed": 0})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"], timeout=120)["status"] == "succeeded"

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}")
    page.get_by_test_id("models-link").click()
    page.get_by_role("heading", name="Models", exact=True).wait_for()
    first = page.get_by_test_id("model-row")
    expect(first).to_have_count(1)
    expect(first.get_by_test_id("active-badge")).to_be_visible()
    # (The training ranked the queue before it finished; the page may still be reading it on a busy machine.)
    expect(page.get_by_test_id("queue-model")).to_have_text("text-classifier@1", timeout=60_000)

    # Pre-label from the page: live progress, then the counts.
    page.get_by_test_id("prelabel-button").click()
    panel = page.get_by_test_id("prelabel-panel")
    expect(panel.get_by_test_id("job-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
    counts = dict(zip(*[iter(panel.get_by_test_id("prelabel-result").inner_text().split())] * 2, strict=True))
    # Nothing scores below a lower band of 0: every unlabelled text got a proposal, a few sure ones accepted.
    assert int(counts["Items"]) == len(INTENTS) * UNLABELLED, counts
    assert int(counts["Dropped"]) == 0 and int(counts["Proposed"]) > 0, counts
    assert int(counts["Proposed"]) + int(counts["Accepted"]) == len(INTENTS) * UNLABELLED, counts
    shots(page, "models-page-prelabelled", full_page=True)

    # The queue's first item opens in the editor with the model's proposal; accepting it is saved. The queue is read
    # again once the pre-labelling is done: until then it may still list the items it has just labelled.
    labelled = server.api.get(f"{API}/projects/{pid}/items", params={"status": "labeled", "limit": 500}).json()["items"]
    done = {it["id"] for it in labelled}

    def requeued() -> int:
        shown = _queue_ids(page)
        assert len(shown) == 10 and not done & set(shown), shown
        return shown[0]

    top = eventually(requeued, timeout=60)  # the queue read again: seconds on a busy machine (see above)
    page.get_by_test_id("queue-list").locator(f'[data-testid="queue-row"][data-item-id="{top}"]').get_by_role(
        "link"
    ).click()
    expect(page).to_have_url(re.compile(rf"/items/{top}\?"))
    expect(page.get_by_test_id("label-queue-crumb")).to_be_visible()
    chip = page.locator('[data-testid^="class-tag-"][data-state="proposed"]')
    expect(chip).to_have_count(1)
    label = chip.get_attribute("data-testid").removeprefix("class-tag-")
    shots(page, "editor-with-proposal")
    chip.click()
    expect(page.get_by_test_id(f"class-tag-{label}")).to_have_attribute("data-state", "on")
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "saved")

    def accepted() -> None:
        anns = server.api.get(f"{API}/projects/{pid}/items/{top}/annotations").raise_for_status().json()
        assert [(a["label"], a["state"]) for a in anns["annotations"]] == [(label, "accepted")], anns

    eventually(accepted)
    # Next follows the labelling queue: another item still waiting for a label.
    page.keyboard.press("n")
    page.wait_for_url(lambda url: "?queue=label" in url and f"/items/{top}?" not in url)

    # Back on the models page: the accepted item left the queue; the queue is ranked by text-classifier@1 still.
    page.goto(f"/#/projects/{pid}/models")
    expect(page.get_by_test_id("queue-model")).to_have_text("text-classifier@1")
    before = _queue_ids(page)
    assert top not in before and len(before) == 10, before

    # Train again with the Train button (the new version becomes the active one, then pre-labels the unlabelled
    # items): the job runs live, links to the pre-labelling it queued, and the queue is ranked by the new model.
    form = page.get_by_test_id("train-form")
    expect(form.get_by_test_id("train-activate")).to_be_checked()
    form.get_by_test_id("train-prelabel").check()
    form.get_by_test_id("train-button").click()
    expect(form.get_by_test_id("job-progress")).to_have_attribute("data-status", "succeeded", timeout=120_000)
    link = form.get_by_test_id("train-prelabel-job").get_by_role("link")
    prelabel_job = int(link.inner_text().removeprefix("job #"))
    done = server.wait_for_job(prelabel_job, timeout=120)
    assert done["kind"] == "prelabel" and done["status"] == "succeeded", done
    page.reload()
    expect(page.get_by_test_id("model-row")).to_have_count(2)
    expect(page.locator('[data-testid="model-row"][data-active="true"] .mono')).to_have_text("text-classifier@2")
    # (The training ranked the queue with the new version; the pre-labelling it queued changes the pool again.)
    expect(page.get_by_test_id("queue-model")).to_have_text("text-classifier@2", timeout=60_000)
    after = _queue_ids(page)
    assert after != before, f"the queue did not change after retraining: {before}"
    shots(page, "models-page-retrained", full_page=True)

    # "Report" on a version not evaluated yet says so without asking the server (its 404 would be logged).
    row = page.locator('[data-testid="model-row"][data-active="true"]')
    asked: list[str] = []

    def report_request(req: Any) -> None:
        if "/report" in req.url:
            asked.append(req.url)

    page.on("request", report_request)
    row.get_by_test_id("report-button").click()
    expect(page.get_by_test_id("report-missing")).to_contain_text("has not been evaluated yet")
    page.remove_listener("request", report_request)
    assert asked == [], asked

    # The new version's report against the accepted human labels, inline, with its HTML export.
    row.get_by_test_id("evaluate-button").click()
    report = page.get_by_test_id("model-report")
    expect(report).to_be_visible(timeout=60_000)
    expect(report.get_by_test_id("per-class").locator("tbody tr")).to_have_count(len(INTENTS))
    expect(report.get_by_test_id("reliability-diagram")).to_be_visible()
    expect(report.get_by_test_id("confusion-matrix").locator("tbody tr")).to_have_count(len(INTENTS))
    href = report.get_by_test_id("report-html").get_attribute("href")
    html = page.request.get(href)
    assert html.ok and "<html" in html.text().lower(), html.status
    report.scroll_into_view_if_needed()
    shots(page, "models-page-report", full_page=True)

    # Assist settings saved with a stale version: the panel says what the other person changed; keep mine.
    settings = page.get_by_test_id("assist-settings")
    settings.get_by_test_id("queue-strategy").select_option("margin")
    theirs = server.api.get(f"{API}/projects/{pid}/assist").raise_for_status().json()
    changed = {**theirs["settings"], "upper": 0.97}
    r = server.api.put(f"{API}/projects/{pid}/assist", json={"settings": changed, "version": theirs["version"]})
    assert r.status_code == 200, r.text
    settings.get_by_test_id("assist-save").click()
    conflict = settings.get_by_test_id("assist-conflict")
    expect(conflict).to_contain_text("They changed upper bound")
    conflict.get_by_role("button", name="Keep mine").click()
    expect(conflict).to_have_count(0)
    saved = eventually(lambda: _saved_strategy(server, pid, "margin"))
    assert saved["upper"] == 0.999, saved  # "keep mine" writes the whole form as this page had it
    expect(page.get_by_test_id("queue-list")).to_have_attribute("data-strategy", "margin")


def test_an_annotator_sees_the_models_page_read_only(page: Any, server: Server) -> None:
    pid = server.create_project("assist-read-only", ["a", "b"], item_kind="text")["id"]
    _, password = add_member(server, pid, "assist-annotator", "annotator")
    login(page, "assist-annotator", password)
    page.goto(f"/#/projects/{pid}/models")
    expect(page.get_by_test_id("models-empty")).to_contain_text("A manager trains")
    expect(page.get_by_test_id("queue-list")).to_contain_text("Random order")
    for hidden in ("train-form", "prelabel-button", "assist-save"):
        expect(page.get_by_test_id(hidden)).to_have_count(0)
    expect(page.get_by_test_id("band-upper")).to_be_disabled()
    expect(page.get_by_test_id("start-labelling")).to_be_visible()


def test_box_to_polygon_in_the_image_editor(page: Any, server: Server, shots: Shots) -> None:
    size = (800, 600)
    pid = server.create_project("grabcut-e2e", ["car", "person"])["id"]
    [iid] = import_images(server, pid, "grabcut-e2e", 1, size)
    open_item_as(page, server, pid, iid, "cut-annotator", size)

    # The scene's red car (import_images draws it at x 267-427, y 330-432) in a loose box: S, then drag.
    page.keyboard.press("s")
    expect(page.locator('[data-tool="grabcut"]')).to_have_attribute("aria-checked", "true")
    drag_in_image(page, size, (235, 300), (460, 460))

    def polygon() -> list[float]:
        anns = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()
        assert len(anns["annotations"]) == 1, anns
        a = anns["annotations"][0]
        assert a["kind"] == "polygon" and a["label"] == "car" and a["source"] == "human", a
        pts: list[float] = a["geometry"]["points"]
        return pts

    pts = eventually(polygon, timeout=30)
    xs, ys = pts[0::2], pts[1::2]
    bounds = [min(xs), min(ys), max(xs), max(ys)]
    assert all(abs(g - w) <= 12 for g, w in zip(bounds, [267, 330, 427, 432], strict=True)), bounds
    shots(page, "grabcut-polygon")

    # One undoable step, like any edit.
    page.keyboard.press("Control+z")

    def gone() -> None:
        anns = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()
        assert anns["annotations"] == [], anns

    eventually(gone)
