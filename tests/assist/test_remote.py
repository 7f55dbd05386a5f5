"""Remote models against small real HTTP servers: a Label Studio ML backend look-alike and labelhub's contract."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from tests.model_servers import http_contract, serve

from labelhub.assist.predictors import ItemInput
from labelhub.assist.remote import HttpModel, LabelStudioML, RemoteConfig, check_reachable
from labelhub.errors import ValidationError

TEXT = "Book a flight to Paris"


def ls_backend(path: str, body: Any) -> tuple[int, Any, float]:
    """Answers like a Label Studio ML backend: one prediction per task, regions in percent of the image."""
    results = []
    for task in body["tasks"]:
        data = task["data"]
        if "text" in data:
            result = [
                {"from_name": "intent", "to_name": "text", "type": "choices", "value": {"choices": ["travel"]}},
                {"from_name": "ner", "to_name": "text", "type": "labels", "score": 0.8,
                 "value": {"start": 17, "end": 22, "text": "Paris", "labels": ["city"]}},
            ]  # fmt: skip
        else:
            result = [
                {"type": "rectanglelabels", "original_width": 200, "original_height": 100, "score": 0.9,
                 "value": {"x": 10, "y": 20, "width": 50, "height": 40, "rectanglelabels": ["cat"]}},
                {"type": "polygonlabels", "original_width": 200, "original_height": 100,
                 "value": {"points": [[0, 0], [50, 0], [50, 50]], "polygonlabels": ["dog"], "score": 0.4}},
            ]  # fmt: skip
        results.append({"result": result, "score": 0.7, "model_version": "ls-1"})
    return 200, {"results": results, "model_version": "ls-1"}, 0.0


def items() -> list[ItemInput]:
    return [ItemInput(1, "text", text=TEXT), ItemInput(2, "image", name="a.png", width=200, height=100)]


def test_label_studio_results_become_proposals_in_hub_coordinates() -> None:
    with serve(ls_backend) as srv:
        model = LabelStudioML(RemoteConfig(url=srv.url), model_version="ls@1")
        text, image = model.predict(items())
    assert srv.requests[0][0] == "/predict"
    assert srv.requests[0][1]["tasks"][0] == {"id": 1, "data": {"text": TEXT}}
    assert [(p.kind, p.label, p.score, p.geometry) for p in text.proposals] == [
        ("class", "travel", 0.7, {}),  # no score of its own: the prediction's
        ("span", "city", 0.8, {"start": 17, "end": 22}),
    ]
    box, polygon = image.proposals
    assert (box.kind, box.label, box.score, box.geometry) == ("box", "cat", 0.9, {"bbox": [20.0, 20.0, 120.0, 60.0]})
    assert (polygon.kind, polygon.label, polygon.score) == ("polygon", "dog", 0.4)
    assert polygon.geometry == {"points": [0.0, 0.0, 100.0, 0.0, 100.0, 50.0]}


def test_a_label_mapping_renames_and_skips() -> None:
    with serve(ls_backend) as srv:
        model = LabelStudioML(RemoteConfig(url=srv.url, labels={"cat": "Katze", "travel": "reise"}))
        text, image = model.predict(items())
    assert [p.label for p in text.proposals] == ["reise"]
    assert [p.label for p in image.proposals] == ["Katze"]


def test_a_bad_item_fails_alone_and_the_batch_is_asked_item_by_item() -> None:
    def answer(path: str, body: Any) -> tuple[int, Any, float]:
        if any("bad" in t["data"].get("text", "") for t in body["tasks"]):
            return 400, {"detail": "cannot read task"}, 0.0
        return ls_backend(path, body)

    batch = [ItemInput(1, "text", text=TEXT), ItemInput(2, "text", text="a bad text"), ItemInput(3, "text", text=TEXT)]
    with serve(answer) as srv:
        preds = LabelStudioML(RemoteConfig(url=srv.url, backoff=0.01)).predict(batch)
    assert [p.error is None for p in preds] == [True, False, True]
    assert "400" in (preds[1].error or "") and "cannot read task" in (preds[1].error or "")
    assert [p.label for p in preds[0].proposals] == ["travel", "city"]
    assert len(srv.requests) == 4  # the batch, then each of its three items


def test_a_server_that_never_answers_in_time_fails_each_item_after_its_retries() -> None:
    with serve(lambda path, body: (200, {"results": []}, 2.0)) as srv:
        config = RemoteConfig(url=srv.url, timeout=0.2, retries=1, backoff=0.01)
        preds = LabelStudioML(config).predict(items())
    assert all(p.error and "no answer" in p.error and "tried 2 times" in p.error for p in preds)
    assert len(srv.requests) == 2  # the first try and one retry; no item-by-item calls to a silent server


def test_a_busy_server_is_tried_again() -> None:
    calls: list[int] = []

    def answer(path: str, body: Any) -> tuple[int, Any, float]:
        calls.append(1)
        return (503, {"detail": "busy"}, 0.0) if len(calls) == 1 else ls_backend(path, body)

    with serve(answer) as srv:
        preds = LabelStudioML(RemoteConfig(url=srv.url, retries=2, backoff=0.01)).predict(items())
    assert all(p.error is None for p in preds) and len(calls) == 2


def test_a_wrong_number_of_results_is_asked_again_item_by_item() -> None:
    def answer(path: str, body: Any) -> tuple[int, Any, float]:
        status, out, delay = ls_backend(path, body)
        return status, {"results": out["results"][:1]}, delay  # a backend that answers only the first task

    with serve(answer) as srv:
        preds = LabelStudioML(RemoteConfig(url=srv.url)).predict(items())
    assert all(p.error is None for p in preds) and len(srv.requests) == 3


def test_labelhub_contract_gives_probabilities_and_per_item_errors() -> None:
    batch = [
        ItemInput(1, "text", text="x p=0.9"),
        ItemInput(2, "text", text="fail"),
        ItemInput(3, "text", text="p=0.2"),
    ]
    with serve(http_contract) as srv:
        model = HttpModel(RemoteConfig(url=srv.url), model_version="remote@1")
        preds = model.predict(batch)
    assert srv.requests[0][1] == {"model": "remote@1", "items": [
        {"id": 1, "kind": "text", "name": "", "text": "x p=0.9"}, {"id": 2, "kind": "text", "name": "", "text": "fail"},
        {"id": 3, "kind": "text", "name": "", "text": "p=0.2"}]}  # fmt: skip
    assert [(p.label, p.score) for p in preds[0].proposals] == [("pos", 0.9)]
    assert preds[0].probs is not None and np.allclose(preds[0].probs, [0.9, 0.1])
    assert preds[1].error == "this item makes the model fail"
    assert [p.label for p in preds[2].proposals] == ["neg"]


def test_labelhub_contract_train() -> None:
    def answer(path: str, body: Any) -> tuple[int, Any, float]:
        return 200, {"version": f"v{len(body['examples'])}"}, 0.0

    with serve(answer) as srv:
        out = HttpModel(RemoteConfig(url=srv.url)).train("demo", [{"id": 1, "text": "hi", "label": "greet"}])
    assert out == {"version": "v1"} and srv.requests[0][0] == "/train"


BAD_SETTINGS = [
    ("url", {"url": "ftp://x"}),
    ("timeout", {"url": "http://x", "timeout": 0}),
    ("retries", {"url": "http://x", "retries": 11}),
]


@pytest.mark.parametrize(("field", "params"), BAD_SETTINGS)
def test_bad_settings_name_their_field(field: str, params: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        RemoteConfig.from_params(params)
    assert exc.value.context["field"] == field


def test_registering_checks_that_a_server_answers_at_all() -> None:
    # A server that answers, whatever it says to GET /health (this one only knows POST), is there.
    with serve(http_contract) as srv:
        check_reachable(RemoteConfig(url=srv.url))
        gone = srv.url
    # Once it stopped, nothing listens on its port: refused, naming the URL and what to check.
    refused = r"cannot reach http://127\.0\.0\.1:\d+ .*is the model server running"
    with pytest.raises(ValidationError, match=refused) as err:
        check_reachable(RemoteConfig(url=gone))
    assert err.value.context["field"] == "url"
