"""Training a text model with a pretrained sentence encoder from the models page: a folder that is not there is
refused with the reason, a real one trains, the version says which encoder its features came from, and the form
then starts with that encoder."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from tests.assist._encoders import random_word_encoder
from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USER, Server, Shots, login
from tests.e2e.test_assist import _project, _texts


def test_train_with_a_sentence_encoder_from_the_models_page(page: Any, server: Server, shots: Shots) -> None:
    pid = _project(server, "assist-encoder")
    folder = random_word_encoder(server.files / "minilm", (t for texts in _texts().values() for t in texts))

    login(page, ADMIN_USER, ADMIN_PASSWORD)
    page.goto(f"/#/projects/{pid}/models")
    form = page.get_by_test_id("train-form")
    encoder = form.get_by_test_id("train-encoder")
    expect(encoder).to_be_visible()
    encoder.fill(str(server.files / "no-such-model"))
    form.get_by_test_id("train-button").click()
    problem = form.get_by_test_id("problem")
    expect(problem).to_contain_text("no such folder on the server")
    expect(problem).to_contain_text("no-such-model")
    expect(page.get_by_test_id("model-row")).to_have_count(0)

    encoder.fill(str(folder))
    form.get_by_test_id("train-button").click()
    expect(form.get_by_test_id("job-progress")).to_have_attribute("data-status", "succeeded", timeout=120_000)
    expect(form.get_by_test_id("train-result")).to_contain_text("accuracy")
    row = page.get_by_test_id("model-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("sentence encoder encoder (16-d)")
    shots(page, "trained-with-encoder")

    # Back on the page later, the form offers the encoder of the model in use: training again keeps it.
    page.reload()
    expect(form.get_by_test_id("train-encoder")).to_have_value(str(folder))
    expect(form.get_by_test_id("train-encoder-kept")).to_be_visible()
    form.get_by_test_id("train-encoder").fill("")
    expect(form.get_by_test_id("train-encoder-kept")).to_have_count(0)
