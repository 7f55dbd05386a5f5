"""Connecting a model from the models page: a Label Studio ML backend look-alike (tests/model_servers.py) is
connected to a text project through the "Connect a model" panel with a label mapping, made active and used to
pre-label; a bad URL or a bad mapping line is shown in the panel and connects nothing."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, add_member, login
from tests.model_servers import serve

TEXTS = ["Book a flight to Paris", "Is there a train to Lyon tonight?", "Pay my electricity bill"]


def ls_backend(path: str, body: Any) -> tuple[int, Any, float]:
    """Answers like a Label Studio ML backend on a text task: the choice ``travel`` (mapped by the test) and
    ``weather`` (left unmapped, so skipped), scored 0.7 (between the project's bands: proposed)."""
    if path != "/predict":
        return 404, {"detail": "unknown path"}, 0.0
    choices = {"choices": ["travel", "weather"]}
    result = [{"from_name": "intent", "to_name": "text", "type": "choices", "value": choices}]
    results = [{"result": result, "score": 0.7, "model_version": "ls-1"} for _ in body["tasks"]]
    return 200, {"results": results, "model_version": "ls-1"}, 0.0


def _project(server: Server, name: str) -> tuple[int, list[int]]:
    """A text project with the classes ``trips`` and ``payments`` and one unlabelled item per text."""
    body = {"name": name, "item_kind": "text", "labels": [{"name": "trips"}, {"name": "payments"}], "kinds": ["class"]}
    r = server.api.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    pid: int = r.json()["id"]
    src = server.files / f"{name}.jsonl"
    src.write_text("".join(json.dumps({"id": f"t{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)))
    r = server.api.post(f"{API}/projects/{pid}/imports", json={"source": str(src), "format": "text"})
    assert r.status_code == 202, r.text
    assert server.wait_for_job(r.json()["id"])["status"] == "succeeded"
    items = server.api.get(f"{API}/projects/{pid}/items", params={"limit": 50}).raise_for_status().json()["items"]
    return pid, [it["id"] for it in items]


def _versions(server: Server, pid: int) -> list[str]:
    models = server.api.get(f"{API}/projects/{pid}/models").raise_for_status().json()
    return sorted(f"{m['name']}@{m['version']}" for m in models)


def _open_models_page(page: Any, pid: int) -> Any:
    page.goto(f"/#/projects/{pid}/models")
    page.get_by_role("heading", name="Models", exact=True).wait_for()
    panel = page.get_by_test_id("connect-model")
    expect(panel.get_by_role("heading", name="Connect a model")).to_be_visible()
    return panel


def test_connect_a_label_studio_backend_activate_it_and_prelabel(page: Any, server: Server, shots: Shots) -> None:
    pid, ids = _project(server, "connect-e2e")
    with serve(ls_backend) as backend:
        # An older model is already the active one, so the connected version has to be activated by hand.
        old = {"kind": "label_studio_ml", "name": "old-backend", "url": backend.url}
        r = server.api.post(f"{API}/projects/{pid}/models/register", json=old)
        assert r.status_code == 201, r.text
        login(page, ADMIN_USER, ADMIN_PASSWORD)
        panel = _open_models_page(page, pid)
        expect(panel.get_by_label("Kind")).to_have_value("label_studio_ml")
        expect(panel.get_by_label("Name", exact=True)).to_have_value("label-studio-ml")
        panel.get_by_label("Name", exact=True).fill("ls-backend")
        panel.get_by_label("URL").fill(backend.url)
        panel.get_by_label("Label mapping").fill("# the backend's intents\ntravel = trips\n")
        panel.get_by_text("Advanced").click()
        expect(panel.get_by_label("Timeout (s)")).to_have_value("30")
        expect(panel.get_by_label("Retries")).to_have_value("2")
        panel.get_by_label("Retries").fill("0")
        shots(page, "connect-form-filled", full_page=True)
        panel.get_by_role("button", name="Connect").click()

        expect(page.get_by_text("Model connected")).to_be_visible()
        expect(panel.get_by_role("button", name="Connect", exact=True)).to_be_enabled()
        row = page.get_by_test_id("model-row").filter(has_text="ls-backend@1")
        expect(row).to_have_count(1)
        expect(row.get_by_test_id("model-status")).to_have_text("ready")
        expect(row).to_contain_text("Label Studio ML")
        expect(row.get_by_test_id("active-badge")).to_have_count(0)
        assert _versions(server, pid) == ["ls-backend@1", "old-backend@1"]
        # The form keeps what was typed (a second connect makes ls-backend@2).
        expect(panel.get_by_label("URL")).to_have_value(backend.url)
        shots(page, "connected", full_page=True)

        # Make it active and pre-label with it from the page.
        row.get_by_test_id("activate-button").click()
        expect(row.get_by_test_id("active-badge")).to_be_visible()
        prelabel = page.get_by_test_id("prelabel-panel")
        expect(prelabel).to_contain_text("Runs ls-backend@1")
        prelabel.get_by_test_id("prelabel-button").click()
        expect(prelabel.get_by_test_id("job-progress")).to_have_attribute("data-status", "succeeded", timeout=60_000)
        expect(prelabel.get_by_test_id("prelabel-proposed")).to_have_text(str(len(TEXTS)))
        shots(page, "prelabelled", full_page=True)

    assert backend.requests and all(path == "/predict" for path, _ in backend.requests)
    for iid in ids:
        anns = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()["annotations"]
        got = [(a["label"], a["state"], a["source"], a["model_version"], a["score"]) for a in anns]
        assert got == [("trips", "proposed", "model", "ls-backend@1", 0.7)], got  # "weather" was not mapped: skipped


def test_a_bad_mapping_line_or_url_is_shown_in_the_panel_and_connects_nothing(
    page: Any, server: Server, shots: Shots
) -> None:
    pid, _ = _project(server, "connect-refused-e2e")
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    panel = _open_models_page(page, pid)
    expect(page.get_by_test_id("models-empty")).to_be_visible()

    # A mapping line without "=": said inline, naming the line; nothing is sent.
    panel.get_by_label("URL").fill("http://ml-backend:9090")
    panel.get_by_label("Label mapping").fill("travel = trips\n\nweather payments")
    panel.get_by_role("button", name="Connect").click()
    expect(panel.get_by_test_id("connect-labels-error")).to_have_text(
        'Line 3: "weather payments" has no "=": write model label = project label'
    )
    expect(panel.get_by_label("Label mapping")).to_be_focused()
    shots(page, "bad-mapping-line")
    panel.get_by_label("Label mapping").fill("travel = trips\n\nweather = payments")
    expect(panel.get_by_test_id("connect-labels-error")).to_have_count(0)

    # A URL the server refuses: its problem, naming the field, under the form, which keeps what was typed.
    # While the request runs, the button says so (the request is held here until the button has been seen).
    held: list[Any] = []
    page.route("**/models/register", lambda route: held.append(route))
    panel.get_by_label("URL").fill("ml-backend:9090")
    panel.get_by_role("button", name="Connect").click()
    expect(panel.get_by_role("button", name="Connecting…")).to_be_disabled()
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/models/register")
    problem = panel.get_by_test_id("problem")
    expect(problem).to_contain_text("url must start with http:// or https://")
    expect(problem.get_by_role("listitem")).to_have_text("Field: url")
    expect(panel.get_by_label("URL")).to_have_attribute("aria-invalid", "true")
    expect(panel.get_by_label("URL")).to_have_value("ml-backend:9090")
    expect(panel.get_by_label("Label mapping")).to_have_value("travel = trips\n\nweather = payments")
    expect(panel.get_by_role("button", name="Connect")).to_be_enabled()
    problem.scroll_into_view_if_needed()
    shots(page, "refused-url")
    expect(page.get_by_test_id("models-empty")).to_be_visible()
    assert _versions(server, pid) == []


def test_a_url_nobody_listens_on_is_refused(page: Any, server: Server) -> None:
    pid, _ = _project(server, "connect-unreachable-e2e")
    login(page, ADMIN_USER, ADMIN_PASSWORD)
    panel = _open_models_page(page, pid)
    panel.get_by_label("URL").fill("http://127.0.0.1:9")  # the discard port: nobody listens
    panel.get_by_role("button", name="Connect").click()
    page.get_by_test_id("problem").or_(page.get_by_test_id("model-row")).first.wait_for()
    assert _versions(server, pid) == []
    expect(panel.get_by_test_id("problem").get_by_role("listitem")).to_have_text("Field: url")


def test_annotators_do_not_see_the_panel(page: Any, server: Server) -> None:
    pid, _ = _project(server, "connect-annotator-e2e")
    _, password = add_member(server, pid, "connect-annotator", "annotator")
    login(page, "connect-annotator", password)
    page.goto(f"/#/projects/{pid}/models")
    expect(page.get_by_test_id("models-empty")).to_be_visible()
    expect(page.get_by_test_id("connect-model")).to_have_count(0)
    expect(page.get_by_test_id("connect-form")).to_have_count(0)
