"""The model registry on a real database: training from imported BANKING77 labels, reproducibility, the report."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from sqlalchemy import select
from tests.assist._rows import banking_rows
from tests.builders import new_project
from tests.model_servers import http_contract, register_http, serve, text_project
from tests.services._banking_project import banking_project

from labelhub.assist.predictors import ItemInput, load_predictor
from labelhub.domain.enums import ItemKind
from labelhub.errors import ConflictError, JobCancelled, NotFoundError, ValidationError
from labelhub.hub import Hub
from labelhub.services import models as svc
from labelhub.services.access import Actor
from labelhub.services.model_eval import evaluate_version
from labelhub.services.model_jobs import train_version
from labelhub.services.users import create_user
from labelhub.storage.models import Annotation, Item, ModelVersion, ProjectAssist

SPEC = svc.TrainSpec(kind="text_classifier", mode="swag", seed=3, features=2**10, min_steps=200)
QUICK = {"features": 2**10, "min_steps": 60}
SYSTEM = Actor.system()


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _version(hub: Hub, mid: int) -> ModelVersion:
    with hub.db.session() as s:
        mv = s.get(ModelVersion, mid)
        assert mv is not None
        s.expunge(mv)
        return mv


def _test_inputs() -> tuple[list[ItemInput], list[str]]:
    rows = banking_rows(8, 10, "test.csv")
    return [ItemInput(item_id=i, kind="text", text=t) for i, (t, _) in enumerate(rows)], [c for _, c in rows]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the training; the registry runs on both below
def test_training_registers_a_reproducible_version_that_beats_chance(hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path)
    progress: list[float] = []
    first = _version(hub, train_version(hub, SYSTEM, pid, SPEC, progress=lambda f, m: progress.append(f)))
    assert progress[-1] == 1.0 and progress == sorted(progress)
    assert (first.status, first.active, first.version, first.name) == ("ready", True, 1, "text-classifier")
    assert (first.mode, first.seed, first.params["features"]) == ("swag", 3, 2**10)
    with hub.db.session() as s:
        rows = s.execute(
            select(Annotation.id, Annotation.version, Annotation.label).where(Annotation.project_id == pid)
        )
        triples = [tuple(r) for r in rows]
        assist = s.get(ProjectAssist, pid)
        assert assist is not None and assist.labels_at_last_train == 240
    assert first.data["count"] == 240 and first.data["hash"] == svc.data_hash(triples)
    assert (
        sorted(first.data["annotation_ids"]) == sorted(t[0] for t in triples) and len(first.data["held_out_ids"]) == 24
    )
    assert first.metrics["evaluated_on"] == "held-out labels" and first.metrics["n"] == 24
    assert first.metrics["accuracy"] > 0.6  # 8 classes: chance is 0.125
    assert first.metrics["temperature"] > 0 and 0 <= first.metrics["ece"] <= 1 and first.metrics["nll"] > 0
    assert len(first.metrics["per_class"]) == 8
    root = svc.models_dir(hub)
    assert (root / first.artifacts["state"]).is_file() and (root / first.artifacts["onnx"]).is_file()

    second = _version(hub, train_version(hub, SYSTEM, pid, SPEC))
    # A retraining of the active line takes over, so pre-labelling and the queue follow the newest labels.
    assert (second.version, second.active, second.data["hash"]) == (2, True, first.data["hash"])
    assert not _version(hub, first.id).active
    items, truth = _test_inputs()
    a = load_predictor(svc.model_ref(hub, first)).predict(items)
    b = load_predictor(svc.model_ref(hub, second)).predict(items)
    for pa, pb in zip(a, b, strict=True):
        assert pa.probs is not None and pb.probs is not None and pa.samples is not None
        np.testing.assert_array_equal(pa.probs, pb.probs)
        assert pa.proposals == pb.proposals and pa.proposals[0].kind == "class"
    accuracy = np.mean([p.proposals[0].label == t for p, t in zip(a, truth, strict=True)])
    assert accuracy > 0.6  # on BANKING77's test file
    state_a = torch.load(root / first.artifacts["state"], weights_only=True)["model"]["head"]
    state_b = torch.load(root / second.artifacts["state"], weights_only=True)["model"]["head"]
    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)


def test_the_report_counts_proposals_accepted_unchanged(hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=4, per_class=50)
    mid = train_version(hub, SYSTEM, pid, svc.TrainSpec(kind="text_classifier", mode="sgd", **QUICK))
    mv = _version(hub, mid)
    tag = f"{mv.name}@{mv.version}"
    texts = [t for t, _ in banking_rows(4, 3, "test.csv")][:6]
    predicted = load_predictor(svc.model_ref(hub, mv)).predict(
        [ItemInput(i, "text", text=t) for i, t in enumerate(texts)]
    )
    model_label = [p.proposals[0].label for p in predicted]
    other = [next(c for c in mv.data["classes"] if c != lab) for lab in model_label]
    with hub.db.session(write=True) as s:
        reviewer = create_user(s, SYSTEM, "rita", "rita-password-long").id
    # (label, source, state, version, reviewed by): auto-accepted by the band and never looked at; accepted by
    # a reviewer as proposed; relabelled by a person (theirs now); rejected; accepted with another label in one
    # save (stored before edits became the person's); still waiting for a review.
    cases = [(model_label[0], "model", "accepted", 1, None), (model_label[1], "model", "accepted", 2, reviewer),
             (other[2], "human", "accepted", 2, None), (model_label[3], "model", "rejected", 2, reviewer),
             (other[4], "model", "accepted", 2, reviewer), (model_label[5], "model", "proposed", 1, None)]  # fmt: skip
    with hub.db.session(write=True) as s:
        for i, (label, source, state, version, by) in enumerate(cases):
            item = Item(project_id=pid, kind="text", name=f"new-{i}", text=texts[i])
            s.add(item)
            s.flush()
            s.add(Annotation(item_id=item.id, project_id=pid, kind="class", label=label, source=source,
                             model_version=tag, score=0.9, state=state, version=version, reviewed_by=by))  # fmt: skip
    report = evaluate_version(hub, SYSTEM, pid, mid)
    assert report["accepted_unchanged"] == {
        "proposals": 6, "reviewed": 4, "accepted_unchanged": 1, "auto_accepted": 1, "share": 0.25
    }  # fmt: skip
    # The held-out slice (10 % of 200) and the three labels people gave since: the relabel and two accepts.
    assert report["n"] == 23 and report["on_training_data"] is False
    assert report["kind"] == "text_classifier" and sum(sum(r) for r in report["confusion"]) == 23
    assert _version(hub, mid).metrics["report"] == report


def test_registry_operations_check_state_and_clean_up(hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=3, per_class=10)
    spec = svc.TrainSpec(kind="text_classifier", mode="sgd", epochs=2, **QUICK)
    one, two = train_version(hub, SYSTEM, pid, spec), train_version(hub, SYSTEM, pid, spec)
    with hub.db.session(write=True) as s:
        assert [m.id for m in svc.list_versions(s, SYSTEM, pid)] == [two, one]
        assert [m.id for m in svc.list_versions(s, SYSTEM, pid) if m.active] == [two]
        assert svc.activate_version(s, SYSTEM, pid, one).active
    with hub.db.session(write=True) as s:
        assert [m.id for m in svc.list_versions(s, SYSTEM, pid) if m.active] == [one]
        assert svc.activate_version(s, SYSTEM, pid, two).active
    with hub.db.session() as s:
        assert [m.id for m in svc.list_versions(s, SYSTEM, pid) if m.active] == [two]
        folder = svc.models_dir(hub) / svc.get_version(s, SYSTEM, pid, one).artifacts["folder"]
    assert folder.is_dir()
    with hub.db.session(write=True) as s:
        svc.delete_version(s, hub, SYSTEM, pid, one)
    assert not folder.exists()
    with hub.db.session() as s, pytest.raises(NotFoundError, match="model version"):
        svc.get_version(s, SYSTEM, pid, one)
    with hub.db.session(write=True) as s:
        s.add(ModelVersion(project_id=pid, name="x", kind="text_classifier", version=1, status="training"))
        s.flush()
        busy = s.scalar(select(ModelVersion.id).where(ModelVersion.name == "x"))
    with hub.db.session(write=True) as s, pytest.raises(ConflictError, match="only a ready version"):
        svc.activate_version(s, SYSTEM, pid, busy or 0)
    with hub.db.session(write=True) as s, pytest.raises(ConflictError, match="still training"):
        svc.delete_version(s, hub, SYSTEM, pid, busy or 0)


def test_a_training_asked_not_to_activate_leaves_the_live_model_active(hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=3, per_class=10)
    spec = svc.TrainSpec(kind="text_classifier", mode="sgd", epochs=2, **QUICK)
    live = train_version(hub, SYSTEM, pid, spec)  # the first: active
    trial = train_version(hub, SYSTEM, pid, replace(spec, activate=False))
    other = train_version(hub, SYSTEM, pid, replace(spec, name="other"))
    with hub.db.session() as s:
        # The same line would have taken over by default; asked not to, it did not. Another line never does.
        assert [m.id for m in svc.list_versions(s, SYSTEM, pid) if m.active] == [live]
    chosen = train_version(hub, SYSTEM, pid, replace(spec, name="other", activate=True))
    with hub.db.session() as s:
        assert [m.id for m in svc.list_versions(s, SYSTEM, pid) if m.active] == [chosen]
        assert svc.get_version(s, SYSTEM, pid, trial).params["activate"] is False
    assert len({live, trial, other, chosen}) == 4


def test_a_cancelled_training_leaves_no_version_behind(hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=3, per_class=10)
    calls: list[str] = []

    def cancel_soon(fraction: float, message: str) -> None:
        calls.append(message)
        if len(calls) == 3:
            raise JobCancelled("job 1 was cancelled", field="cancel_requested")

    with pytest.raises(JobCancelled):
        train_version(hub, SYSTEM, pid, svc.TrainSpec(kind="text_classifier", mode="sgd", **QUICK),
                      progress=cancel_soon)  # fmt: skip
    with hub.db.session() as s:
        assert s.scalars(select(ModelVersion)).all() == []  # "nothing was changed", as the job says
    assert not any(p.is_dir() for p in svc.models_dir(hub).glob("project-*/*"))


@pytest.mark.parametrize(
    ("settings", "field"), [({"seed": -5}, "seed"), ({"seed": 2**31}, "seed"), ({"epochs": 0}, "epochs")]
)
def test_a_train_spec_out_of_range_is_refused_before_any_job(settings: dict[str, int], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        svc.TrainSpec(kind="text_classifier", **settings)  # type: ignore[arg-type]
    assert err.value.context["field"] == field


def test_training_without_enough_labels_fails_the_version(hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=1, per_class=10)
    with pytest.raises(ValidationError, match="two classes"):
        train_version(hub, SYSTEM, pid, svc.TrainSpec(kind="text_classifier"))
    with hub.db.session() as s:
        (mv,) = svc.list_versions(s, SYSTEM, pid)
        assert mv.status == "failed" and "two classes" in mv.metrics["error"] and not mv.active
        # The error says which labels count, so a project of boxes knows why it has none.
        assert "10 such label(s) of 1 class(es)" in mv.metrics["error"] and "not a box" in mv.metrics["error"]
    with hub.db.session(write=True) as s, pytest.raises(ValidationError, match="image items"):
        svc.queue_training(s, SYSTEM, pid, svc.TrainSpec(kind="image_classifier"))


def test_an_image_classifier_trains_on_the_stored_images(hub: Hub, tmp_path: Path) -> None:
    """Images drawn per class folder and imported (copied into the media store), then a CNN backbone and head."""
    from PIL import Image, ImageDraw

    from labelhub.formats import ImportOptions
    from labelhub.services.imports import import_source

    rng = np.random.default_rng(0)
    for i in range(48):
        shape = ("circle", "square")[i % 2]
        (tmp_path / "shapes" / shape).mkdir(parents=True, exist_ok=True)
        im = Image.new("RGB", (40, 40), (20, 20, 20))
        c, r = int(rng.integers(14, 26)), int(rng.integers(7, 11))
        (ImageDraw.Draw(im).ellipse if shape == "circle" else ImageDraw.Draw(im).rectangle)(
            (c - r, c - r, c + r, c + r), fill=(230, 230, 230)
        )
        im.save(tmp_path / "shapes" / shape / f"{i}.png")
    pid = new_project(hub, "shapes", ItemKind.IMAGE)
    import_source(hub, SYSTEM, pid, tmp_path / "shapes", fmt="image_folder", options=ImportOptions(media="copy"))
    spec = svc.TrainSpec(kind="image_classifier", mode="swa", min_steps=60, held_out=0.0)
    mv = _version(hub, train_version(hub, SYSTEM, pid, spec))
    assert (mv.status, mv.active, mv.data["count"], mv.metrics["backbone"]) == ("ready", True, 48, "cnn")
    assert mv.metrics["evaluated_on"] == "training labels" and mv.metrics["held_out"] is None
    with hub.db.session() as s:
        items = svc.item_inputs(s, hub, pid, list(s.scalars(select(Item.id).where(Item.project_id == pid))))
    assert len(items) == 48 and all(i.path is not None and i.path.is_file() for i in items)
    predictions = load_predictor(svc.model_ref(hub, mv)).predict(items)
    assert all(p.error is None and p.proposals[0].label in ("circle", "square") for p in predictions)
    assert all(p.samples is None for p in predictions)  # SWA: one set of weights, no samples


def test_training_data_is_reviewed_labels_one_per_item_and_its_hash_follows_edits(hub: Hub, tmp_path: Path) -> None:
    pid = banking_project(hub, tmp_path, n_classes=2, per_class=5)
    with hub.db.session() as s:
        before = svc.select_training_data(s, hub, pid, "text")
        assert (len(before.labels), before.skipped) == (10, 0) and svc.count_human_labels(s, pid) == 10
    first_item, second_item = before.item_ids[:2]
    with hub.db.session(write=True) as s:
        # A second, different accepted label: the item is ambiguous and left out. A model's unreviewed
        # auto-accepted label and a rejected human one do not count.
        s.add(Annotation(item_id=first_item, project_id=pid, kind="class", label="other", source="human"))
        s.add(Annotation(item_id=second_item, project_id=pid, kind="class", label="x", source="model",
                         model_version="m@1", score=0.99, state="accepted"))  # fmt: skip
        s.add(Annotation(item_id=second_item, project_id=pid, kind="class", label="y", state="rejected"))
    with hub.db.session() as s:
        after = svc.select_training_data(s, hub, pid, "text")
        assert (len(after.labels), after.skipped) == (9, 1) and first_item not in after.item_ids
        assert second_item in after.item_ids and "x" not in after.labels
        assert after.hash != before.hash
        ann = s.scalars(select(Annotation).where(Annotation.item_id == second_item, Annotation.source == "human",
                                                 Annotation.state == "accepted")).one()  # fmt: skip
        ann_id = ann.id
    with hub.db.session(write=True) as s:
        row = s.get(Annotation, ann_id)
        assert row is not None
        row.version += 1  # an edit that kept the label still changes the hash
    with hub.db.session() as s:
        edited = svc.select_training_data(s, hub, pid, "text")
    assert edited.labels == after.labels and edited.hash != after.hash
    assert svc.data_hash([(2, 1, "b"), (1, 1, "a")]) == svc.data_hash([(1, 1, "a"), (2, 1, "b")])


def test_versions_registered_at_the_same_moment_get_different_numbers(hub: Hub, tmp_path: Path) -> None:
    """The second registration waits for the first one's transaction instead of taking the same number."""
    pid = banking_project(hub, tmp_path, n_classes=2, per_class=2)
    first_holds = threading.Event()
    numbers: dict[str, int] = {}

    def register(release: threading.Event | None) -> None:
        with hub.db.session(write=True) as s:
            version = svc.next_version(s, pid, "line")
            s.add(ModelVersion(project_id=pid, name="line", kind="text_classifier", version=version))
            s.flush()
            if release is not None:
                first_holds.set()
                release.wait(timeout=10)
        # Keyed by the thread: after both commits, the two appends could land in either order under load.
        numbers["first" if release is not None else "second"] = version

    release = threading.Event()
    first = threading.Thread(target=register, args=(release,))
    first.start()
    assert first_holds.wait(timeout=10)
    second = threading.Thread(target=register, args=(None,))
    second.start()
    second.join(timeout=0.5)
    assert second.is_alive()  # waiting for the first transaction, not racing it
    release.set()
    first.join(timeout=10)
    second.join(timeout=10)
    assert numbers == {"first": 1, "second": 2}


def test_deleting_a_version_removes_its_open_proposals_and_keeps_decided_ones(hub: Hub) -> None:
    pid, ids = text_project(hub, "proposals", ["p=0.9", "p=0.8", "p=0.7", "p=0.6"])
    with serve(http_contract) as srv:
        mid = register_http(hub, pid, srv.url)
    with hub.db.session(write=True) as s:
        for iid, state, tag in ((ids[0], "proposed", "remote@1"), (ids[1], "accepted", "remote@1"),
                                (ids[2], "rejected", "remote@1"), (ids[3], "proposed", "other@1")):  # fmt: skip
            s.add(Annotation(item_id=iid, project_id=pid, kind="class", label="pos", source="model", state=state,
                             model_version=tag, score=0.9))  # fmt: skip
    with hub.db.session() as s:
        before = {i: v for i, v in s.execute(select(Item.id, Item.version).where(Item.project_id == pid))}
    with hub.db.session(write=True) as s:
        assert svc.delete_version(s, hub, SYSTEM, pid, mid) == 1
    with hub.db.session() as s:
        left = sorted(
            tuple(r) for r in s.execute(select(Annotation.item_id, Annotation.state, Annotation.model_version))
        )
        after = {i: v for i, v in s.execute(select(Item.id, Item.version).where(Item.project_id == pid))}
    assert left == [(ids[1], "accepted", "remote@1"), (ids[2], "rejected", "remote@1"), (ids[3], "proposed", "other@1")]
    assert after == {**before, ids[0]: before[ids[0]] + 1}  # only the item that lost a proposal moved on
