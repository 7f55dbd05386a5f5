"""The models page when an evaluation fails: pressing Evaluate on a version whose evaluation job fails shows the
job's error where the report would be, instead of "Loading the report…" for ever (a QA pass found this on a
detection project). The failure here is a connected Label Studio backend evaluated on a project with no accepted
human labels yet: the job fails saying there is nothing to evaluate against."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, API, Server, Shots, login
from tests.e2e.test_connect_model import _project, ls_backend
from tests.model_servers import serve


def test_a_failed_evaluation_says_why_instead_of_loading(page: Any, server: Server, shots: Shots) -> None:
    pid, _ = _project(server, "evaluate-fails-e2e")
    with serve(ls_backend) as backend:
        r = server.api.post(f"{API}/projects/{pid}/models/register",
                            json={"kind": "label_studio_ml", "name": "ls-eval", "url": backend.url})  # fmt: skip
        assert r.status_code == 201, r.text
        login(page, ADMIN_USER, ADMIN_PASSWORD)
        page.goto(f"/#/projects/{pid}/models")
        row = page.get_by_test_id("model-row").filter(has_text="ls-eval@1")
        row.get_by_test_id("evaluate-button").click()

        failed = page.get_by_test_id("evaluation-failed")
        expect(failed).to_contain_text("The evaluation of ls-eval@1 failed: no report was made.")
        expect(failed.get_by_test_id("job-progress")).to_have_attribute("data-status", "failed")
        expect(failed.get_by_test_id("job-error-detail")).to_contain_text("nothing to evaluate ls-eval@1 against")
        expect(page.get_by_text("Loading the report…")).to_have_count(0)
        expect(row.get_by_test_id("evaluate-button")).to_be_enabled()
        failed.scroll_into_view_if_needed()
        shots(page, "evaluation-failed")

        # Closing and opening the report keeps saying so; the version itself is still ready.
        row.get_by_test_id("report-button").click()
        expect(failed).to_have_count(0)
        row.get_by_test_id("report-button").click()
        expect(failed).to_be_visible()
        expect(row.get_by_test_id("model-status")).to_have_text("ready")
    jobs = server.api.get(f"{API}/jobs", params={"project_id": pid, "limit": 5}).raise_for_status().json()
    assert [j["status"] for j in jobs if j["kind"] == "evaluate_model"] == ["failed"], jobs
