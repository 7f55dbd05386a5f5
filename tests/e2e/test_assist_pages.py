"""The assist pages' details in the browser, on a real server: a whole-text class proposal reviewed from the text
editor's top bar and panel; the models page following trainings started elsewhere (live progress, Cancel, a
failed version's reason, the versions and the queue read again when a training ends) and fitting a 1024 px
window; the labelling queue's texts and order note; the validation report of a model with many classes (the
confusion matrix's view, the reliability diagram's colours, the HTML report's file name) and the suggested bands
taken without rounding the upper bound down."""

from __future__ import annotations

import csv
import json
import math
import re
from typing import Any

from playwright.sync_api import expect
from tests.conftest import data_path
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, eventually, login
from tests.e2e.test_assist import _project


def _propose(server: Server, pid: int, item: int, label: str, score: float) -> None:
    url = f"{API}/projects/{pid}/items/{item}/annotations"
    version = server.api.get(url).json()["version"]
    body = [{"kind": "class", "label": label, "geometry": {}, "source": "model", "model_version": "intents@3",
             "score": score, "state": "proposed"}]  # fmt: skip
    assert server.api.put(url, json={"version": version, "annotations": body}).status_code == 200


def _classes(server: Server, pid: int, item: int) -> list[tuple[str, str, str]]:
    anns = server.api.get(f"{API}/projects/{pid}/items/{item}/annotations").json()["annotations"]
    return sorted((a["label"], a["source"], a["state"]) for a in anns)


def _equal(got: object, want: object) -> None:
    assert got == want, got


def test_a_class_proposal_is_reviewed_from_the_top_bar_and_the_panel(page: Any, server: Server, shots: Shots) -> None:
    # Many classes, spans and classes both: the span label list is long, and the proposal must not sit below it.
    labels = [f"intent_{i:02d}" for i in range(26)]
    body = {"name": "class-proposal-review", "item_kind": "text", "labels": [{"name": n} for n in labels],
            "kinds": ["class", "span"]}  # fmt: skip
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    src = server.files / "class-proposal-review"
    src.mkdir()
    texts = ["My card has not arrived yet, it has been two weeks.", "Why was I charged a fee for my transfer?"]
    (src / "t.jsonl").write_text("".join(json.dumps({"id": f"t{i}", "text": t}) + "\n" for i, t in enumerate(texts)))
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src / "t.jsonl"), "format": "text"})
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    ids = [i["id"] for i in server.api.get(f"{API}/projects/{pid}/items").json()["items"]]
    _propose(server, pid, ids[0], "intent_17", 0.83)
    _propose(server, pid, ids[1], "intent_05", 0.61)

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/items/{ids[0]}")
    expect(page.get_by_test_id("text-editor")).to_be_visible()
    # The proposal with its score is at the top of the panel, in view, above the span labels.
    panel = page.get_by_test_id("class-proposals")
    expect(panel).to_be_in_viewport()
    proposal = panel.get_by_test_id("class-proposal")
    expect(proposal).to_have_count(1)
    expect(proposal).to_contain_text("intent_17")
    expect(proposal).to_contain_text("0.83")
    assert panel.bounding_box()["y"] < page.get_by_test_id("text-label-intent_00").bounding_box()["y"]
    shots(page, "class-proposal-at-the-top")

    # The top bar's "1 to review" leads to it, and its Accept works on it (as A does).
    page.get_by_role("button", name="1 to review").click()
    expect(page.get_by_text("No open proposals")).to_have_count(0)
    expect(panel).to_be_in_viewport()
    accept = page.get_by_role("button", name="Accept proposal")
    expect(accept).to_be_enabled()
    expect(page.get_by_role("button", name="Reject proposal")).to_be_enabled()
    accept.click()
    expect(page.get_by_test_id("class-tag-intent_17")).to_have_attribute("data-state", "on")
    expect(panel).to_have_count(0)
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "saved")
    eventually(lambda: _equal(_classes(server, pid, ids[0]), [("intent_17", "model", "accepted")]))

    # The panel's own Reject.
    page.goto(f"/#/projects/{pid}/items/{ids[1]}")
    page.get_by_test_id("class-proposals").get_by_test_id("reject-class-proposal").click()
    expect(page.get_by_test_id("class-tag-intent_05")).to_have_attribute("data-state", "off")
    expect(page.get_by_test_id("save-status")).to_have_attribute("data-status", "saved")
    eventually(lambda: _equal(_classes(server, pid, ids[1]), [("intent_05", "model", "rejected")]))


def _versions(page: Any) -> Any:
    return page.get_by_test_id("models").locator(".assist-head .hint")


def _fits(page: Any) -> None:
    """The versions table needs no sideways scrolling, and every row's buttons are inside the card."""
    box = page.evaluate(
        """() => {
             const s = document.querySelector('[data-testid="models-table"]').parentElement;
             const card = document.querySelector('[data-testid="models"]').getBoundingClientRect();
             const out = [...document.querySelectorAll('[data-testid="model-row"] button')]
               .map((b) => b.getBoundingClientRect()).filter((r) => r.right > card.right + 0.5 || r.left < card.left);
             return { scroll: s.scrollWidth, client: s.clientWidth, outside: out.length };
           }"""
    )
    assert box["scroll"] <= box["client"] and box["outside"] == 0, box


def test_the_models_page_follows_trainings_started_anywhere(page: Any, server: Server, shots: Shots) -> None:
    pid = _project(server, "assist-watch")
    r = server.api.post(f"{API}/projects/{pid}/models/train", json={"kind": "text_classifier", "seed": 0})
    assert server.wait_for_job(r.json()["id"], timeout=120)["status"] == "succeeded"

    page.set_viewport_size({"width": 1024, "height": 800})
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/models")
    expect(page.get_by_test_id("model-row")).to_have_count(1)
    expect(_versions(page)).to_contain_text("1 version")

    # The queue shows each item's text, scores that tell items apart, and says a hybrid pick is not score order.
    queue = page.get_by_test_id("queue-list")
    # (The training ranked the queue before it finished; the page may still be reading it on a busy machine.)
    expect(queue.get_by_test_id("queue-text")).to_have_count(10, timeout=60_000)
    first = int(queue.get_by_test_id("queue-row").first.get_attribute("data-item-id"))
    text = server.api.get(f"{API}/projects/{pid}/items/{first}").json()["text"]
    shown = queue.get_by_test_id("queue-text").first.inner_text().rstrip("…")
    assert text.startswith(shown) and len(shown) > 10, (shown, text)
    expect(queue.get_by_test_id("queue-order-note")).to_contain_text("not in score order")
    assert "-0.000" not in queue.inner_text()
    queue.scroll_into_view_if_needed()
    shots(page, "queue-with-texts")

    # A long training started through the API shows at once with its progress and a Cancel button.
    r = server.api.post(
        f"{API}/projects/{pid}/models/train", json={"kind": "text_classifier", "seed": 1, "epochs": 6000}
    )
    slow = r.json()["id"]
    try:
        job = page.locator(f'[data-testid="training-job"][data-job-id="{slow}"]')
        expect(job).to_have_attribute("data-status", "running", timeout=10_000)
        expect(page.locator('[data-testid="model-row"][data-status="training"]')).to_have_count(1)
        expect(job.get_by_test_id("cancel-training")).to_be_enabled()
        # Trained from the page meanwhile: queued behind it, and shown at once.
        page.get_by_test_id("train-button").click()
        expect(page.get_by_test_id("training-job")).to_have_count(2, timeout=5_000)
        shots(page, "two-trainings")
        job.get_by_test_id("cancel-training").click()
    finally:
        server.api.post(f"{API}/jobs/{slow}/cancel")
    assert server.wait_for_job(slow, timeout=60)["status"] == "cancelled"
    # The page's own training ends: two versions, so the cancelled training left none behind ("nothing was
    # changed", as its job says). (Counted once the page's training is done: on a busy machine it is already
    # training when the cancel lands, and its row takes the cancelled one's id.)
    expect(page.get_by_test_id("train-form").get_by_test_id("job-progress")).to_have_attribute(
        "data-status", "succeeded", timeout=120_000
    )
    expect(_versions(page)).to_contain_text("2 versions")
    expect(page.get_by_test_id("model-row")).to_have_count(2)
    expect(page.locator('[data-testid="model-row"][data-status="training"]')).to_have_count(0)
    expect(page.get_by_test_id("training-job")).to_have_count(0, timeout=10_000)

    # A training through the API that ends while the page is open: the versions and the queue follow, no reload.
    r = server.api.post(f"{API}/projects/{pid}/models/train", json={"kind": "text_classifier", "seed": 2})
    assert server.wait_for_job(r.json()["id"], timeout=120)["status"] == "succeeded"
    expect(_versions(page)).to_contain_text("3 versions", timeout=15_000)
    expect(page.get_by_test_id("queue-model")).to_have_text("text-classifier@3", timeout=15_000)
    expect(page.locator('[data-testid="model-row"][data-active="true"] .mono')).to_have_text("text-classifier@3")

    # At 1024 px the versions table fits its card: no sideways scrolling, every button inside.
    expect(page.get_by_test_id("activate-button")).to_have_count(2)  # every version but the active one
    _fits(page)
    shots(page, "models-1024", full_page=True)


def _many_intents(classes: int, per_class: int) -> list[dict[str, str]]:
    out: dict[str, list[str]] = {}
    with data_path("text_banking77", "train.csv").open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            texts = out.setdefault(row["category"], [])
            if len(texts) < per_class:
                texts.append(row["text"])
    intents = list(out)[:classes]
    return [{"id": f"{c}-{k}", "text": t, "label": c} for c in intents for k, t in enumerate(out[c])]


def test_the_report_of_a_model_with_many_classes(page: Any, server: Server, shots: Shots) -> None:
    rows = _many_intents(15, 15)  # 225 labels: 22 held out, enough for suggested bands
    labels = sorted({r["label"] for r in rows})
    body = {"name": "Intents & more", "item_kind": "text", "labels": [{"name": n} for n in labels], "kinds": ["class"]}
    r = server.api.post(f"{API}/projects", json=body)
    pid = r.json()["id"]
    src = server.files / "assist-report"
    src.mkdir()
    (src / "r.jsonl").write_text("".join(json.dumps(x) + "\n" for x in rows))
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src / "r.jsonl"), "format": "text"})
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    assist = server.api.get(f"{API}/projects/{pid}/assist").json()
    settings = {**assist["settings"], "retrain_every": None}
    server.api.put(f"{API}/projects/{pid}/assist", json={"settings": settings, "version": assist["version"]})
    r = server.api.post(f"{API}/projects/{pid}/models/train", json={"kind": "text_classifier", "seed": 0})
    job = server.wait_for_job(r.json()["id"], timeout=300)
    assert job["status"] == "succeeded", job
    mid = job["result"]["model_id"]
    r = server.api.post(f"{API}/projects/{pid}/models/{mid}/evaluate")
    assert server.wait_for_job(r.json()["id"], timeout=120)["status"] == "succeeded"
    report = server.api.get(f"{API}/projects/{pid}/models/{mid}/report").json()
    suggested = server.api.get(f"{API}/projects/{pid}/assist").json()["suggested_bands"]
    assert suggested is not None

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/models")
    page.get_by_test_id("report-button").click()
    view = page.get_by_test_id("model-report")
    expect(view).to_be_visible()

    # The confusion matrix starts with the 12 most confused classes; a toggle shows all 15; names in full on hover.
    cm = view.get_by_test_id("confusion-matrix")
    expect(view.get_by_test_id("confusion-scope")).to_contain_text("12 classes in the most mistakes, of 15")
    expect(cm.locator("tbody tr")).to_have_count(12)
    view.get_by_test_id("confusion-toggle").click()
    expect(cm.locator("tbody tr")).to_have_count(15)
    names = cm.locator("th.rowh").evaluate_all("hs => hs.map(h => h.title)")
    assert [re.sub(r"^human: | \(\d+ labels\)$", "", n) for n in names] == report["classes"], names
    assert cm.locator("thead th").first.evaluate("h => getComputedStyle(h).position") == "sticky"

    # The reliability diagram: every bin with items draws something; each gap is drawn in its legend colour.
    filled = [b for b in report["reliability"] if b["count"] > 0]
    expect(view.get_by_test_id("reliability-bar")).to_have_count(len(filled))
    heights = view.get_by_test_id("reliability-bar").evaluate_all("rs => rs.map(r => r.getBBox().height)")
    assert min(heights) >= 2, heights
    legend = {k: view.get_by_test_id(f"legend-{k}").evaluate("e => getComputedStyle(e).backgroundColor")
              for k in ("over", "under")}  # fmt: skip
    gaps = view.get_by_test_id("reliability-gap").evaluate_all(
        "rs => rs.map(r => [r.dataset.over, getComputedStyle(r).fill, getComputedStyle(r).opacity])"
    )
    assert gaps, "no calibration gap drawn"
    for over, fill, opacity in gaps:
        assert fill == legend["over" if over == "true" else "under"] and opacity == "1", (gaps, legend)
    shots(page, "report-many-classes", full_page=True)

    # The HTML report downloads under the project's and the version's name.
    assert view.get_by_test_id("report-html").get_attribute("download") == "Intents-more-text-classifier@1-report.html"

    # "Use these" keeps the suggested upper bound (rounded up at most, never down) and saves it.
    page.get_by_test_id("use-suggested").click()
    want_upper = math.ceil(suggested["upper"] * 1e4 - 1e-6) / 1e4
    want_lower = math.floor(suggested["lower"] * 1e4 + 1e-6) / 1e4
    assert float(page.get_by_test_id("band-upper-value").inner_text()) == want_upper
    page.get_by_test_id("assist-save").click()

    def saved() -> None:
        s = server.api.get(f"{API}/projects/{pid}/assist").json()["settings"]
        assert s["upper"] == want_upper and s["lower"] == want_lower, (s, suggested)

    eventually(saved)
    assert want_upper >= suggested["upper"] - 1e-9


def test_a_failed_training_says_why_on_its_row_and_in_its_report(page: Any, server: Server, shots: Shots) -> None:
    rows = [r for r in _many_intents(1, 30)]  # thirty labels of one class: no classifier can be trained
    body = {"name": "One intent", "item_kind": "text", "labels": [{"name": rows[0]["label"]}], "kinds": ["class"]}
    pid = server.api.post(f"{API}/projects", json=body).json()["id"]
    src = server.files / "assist-one-class"
    src.mkdir()
    (src / "r.jsonl").write_text("".join(json.dumps(x) + "\n" for x in rows))
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src / "r.jsonl"), "format": "text"})
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    r = server.api.post(f"{API}/projects/{pid}/models/train", json={"kind": "text_classifier"})
    assert server.wait_for_job(r.json()["id"], timeout=120)["status"] == "failed"
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/models")

    # The failed version says why, without "0 labels"; its report says training failed, not "evaluate it".
    failed = page.locator('[data-testid="model-row"][data-status="failed"]')
    expect(failed).to_have_count(1)
    expect(failed.get_by_test_id("model-error")).to_contain_text("of two classes or more")
    assert "0 labels" not in failed.inner_text()
    reason = failed.get_by_test_id("model-error").inner_text()
    failed.get_by_test_id("report-button").click()
    expect(page.get_by_test_id("report-missing")).to_contain_text(f"training failed: {reason}")
    expect(page.get_by_test_id("report-missing")).not_to_contain_text("not been evaluated")
    shots(page, "failed-version")
