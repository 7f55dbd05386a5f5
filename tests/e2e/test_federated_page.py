"""Federated training from the models page: a manager adds a site (another project of the same server, reached over
HTTP with an API token), sees a wrong URL refused under its field, checks the site, starts a short training and
watches it round by round until it ends with an accuracy and a per-round chart."""

from __future__ import annotations

import csv
import re
from typing import Any

from playwright.sync_api import expect
from tests.assist._rows import banking_rows
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login


def _text_project(server: Server, name: str, rows: list[tuple[str, str]], classes: list[str]) -> int:
    """A text project with ``classes`` and ``rows`` imported as accepted labels."""
    body = {"name": name, "item_kind": "text", "labels": [{"name": c} for c in classes], "kinds": ["class"]}
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    src = server.files / f"{name}.csv"
    with src.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([("text", "label"), *rows])
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    return pid


def test_add_a_site_check_it_and_train_federated(page: Any, server: Server, shots: Shots) -> None:
    rows = banking_rows(3, 10)
    classes = sorted({c for _, c in rows})
    site = _text_project(server, "federated-site", rows, classes)
    coordinator = _text_project(server, "federated-coordinator", banking_rows(3, 4, file="test.csv"), classes)
    token = server.api.post(f"{API}/auth/tokens", json={"name": "federated-e2e"}).raise_for_status().json()["token"]

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{coordinator}/models")
    card = page.get_by_test_id("federated-card")
    expect(card.get_by_role("heading", name="Federated training")).to_be_visible()
    expect(card.get_by_test_id("federated-no-sites")).to_be_visible()
    expect(card.get_by_test_id("federated-start")).to_be_disabled()

    card.get_by_label("Name", exact=True).fill("Site A")
    card.get_by_label("Project URL").fill(f"{server.url}{API}/items")
    card.get_by_label("Manager's token there").fill(token)
    card.get_by_role("button", name="Add site").click()
    expect(card.get_by_test_id("federated-url-error")).to_contain_text("project URL")
    card.get_by_label("Project URL").fill(f"{server.url}{API}/projects/{site}")
    card.get_by_role("button", name="Add site").click()
    row = card.get_by_test_id("federated-site")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"••••{token[-4:]}")
    assert token not in page.content()

    card.get_by_role("button", name="Check sites").click()
    expect(row.get_by_test_id("federated-check")).to_have_text("ready")
    shots(page, "site-checked", full_page=True)

    card.get_by_label("Rounds", exact=True).fill("3")
    card.get_by_label("Local steps", exact=True).fill("2")
    card.get_by_role("button", name="Train", exact=True).click()
    expect(card.get_by_test_id("federated-job")).to_be_visible()
    result = card.get_by_test_id("federated-result")
    done = re.compile(r"federated-text-classifier@1 ready · round 3 of 3: 1 site, accuracy [01]\.\d{3}")
    expect(result).to_have_text(done, timeout=60_000)
    expect(card.get_by_test_id("federated-chart").locator("circle")).to_have_count(3)
    expect(page.get_by_test_id("model-row").filter(has_text="federated-text-classifier@1")).to_have_count(1)
    card.get_by_test_id("federated-chart").scroll_into_view_if_needed()
    shots(page, "trained")


def test_edit_a_site_in_place(page: Any, server: Server, shots: Shots) -> None:
    classes = sorted({c for _, c in banking_rows(3, 2)})
    site = _text_project(server, "federated-edit-site", banking_rows(3, 2), classes)
    coordinator = _text_project(server, "federated-edit-coordinator", banking_rows(3, 2, file="test.csv"), classes)
    token = server.api.post(f"{API}/auth/tokens", json={"name": "federated-edit"}).raise_for_status().json()["token"]
    body = {"name": "Sit A", "url": f"{server.url}{API}/projects/{site}", "token": token}
    server.api.post(f"{API}/projects/{coordinator}/federated/sites", json=body).raise_for_status()

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{coordinator}/models")
    card = page.get_by_test_id("federated-card")
    row = card.get_by_test_id("federated-site")
    expect(row).to_contain_text("Sit A")

    # Esc leaves the row as it was.
    row.get_by_role("button", name="Edit").click()
    form = card.get_by_test_id("federated-site-edit")
    expect(form.get_by_label("New token")).to_have_attribute("placeholder", f"Empty: keep ••••{token[-4:]}")
    form.get_by_label("Name").fill("Something else")
    form.get_by_label("Name").press("Escape")
    expect(form).to_have_count(0)
    expect(row).to_contain_text("Sit A")

    # A URL the server refuses is told under the URL field; fixed, the new name is saved (the token kept).
    row.get_by_role("button", name="Edit").click()
    form.get_by_label("Name").fill("Site A")
    form.get_by_label("Project URL").fill(f"{server.url}{API}/items")
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_test_id("federated-edit-url-error")).to_contain_text("project URL")
    shots(page, "edit-url-refused")
    form.get_by_label("Project URL").fill(body["url"])
    form.get_by_role("button", name="Save").click()
    expect(form).to_have_count(0)
    expect(row).to_contain_text("Site A")

    page.reload()
    expect(card.get_by_test_id("federated-site")).to_contain_text("Site A")
    expect(card.get_by_test_id("federated-site")).to_contain_text(f"••••{token[-4:]}")
    assert token not in page.content()
