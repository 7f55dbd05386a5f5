"""The pre-labelling job: bands route each proposal (accepted above upper, proposed between, dropped below),
per-item errors are reported without stopping the job, and a second run skips what this model version did."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select, update
from tests.api._support import run_jobs
from tests.model_servers import http_contract, register_http, serve, text_project

from labelhub.errors import JobCancelled, ValidationError
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.assist_settings import update_assist
from labelhub.services.prelabel import run_prelabel, start_prelabel
from labelhub.storage.models import Annotation, AuditEvent, Item, Job, ModelVersion

SYSTEM = Actor.system()
TEXTS = ["a p=0.97", "b p=0.8", "c p=0.45", "d p=0.05", "e fail", "f p=0.75"]


def _bands(hub: Hub, pid: int, lower: float, upper: float) -> None:
    with hub.db.session(write=True) as s:
        update_assist(s, SYSTEM, pid, {"lower": lower, "upper": upper}, version=1)


def _prelabel(hub: Hub, pid: int, **kw: object) -> Job:
    with hub.db.session(write=True) as s:
        job_id = start_prelabel(s, SYSTEM, pid, **kw).id  # type: ignore[arg-type]
    run_jobs(hub)
    with hub.db.session() as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job


def test_bands_route_each_proposal(hub: Hub) -> None:
    pid, ids = text_project(hub, "bands", TEXTS)
    with hub.db.session(write=True) as s:  # f is labelled by a person already: not pre-labelled
        s.add(Annotation(item_id=ids[5], project_id=pid, kind="class", label="pos", source="human", state="accepted"))
    _bands(hub, pid, lower=0.6, upper=0.9)
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)
        job = _prelabel(hub, pid, batch_size=2)
    assert job.status == "succeeded", job.error
    assert job.message == "done" and job.result is not None
    r = job.result
    assert (r["items"], r["accepted"], r["proposed"], r["dropped"]) == (5, 2, 1, 1)
    assert r["errors"] == [{"item_id": ids[4], "error": "this item makes the model fail"}]
    assert r["model_version"] == "remote@1"
    with hub.db.session() as s:
        got = {(row.name, row.label, row.state, row.score, row.source, row.model_version) for row in s.execute(
            select(Item.name, Annotation.label, Annotation.state, Annotation.score, Annotation.source,
                   Annotation.model_version).join(Annotation, Annotation.item_id == Item.id))}  # fmt: skip
        items = {it.name: (it.status, it.version) for it in s.scalars(select(Item))}
    assert got == {
        ("t000", "pos", "accepted", 0.97, "model", "remote@1"),  # above upper
        ("t001", "pos", "proposed", 0.8, "model", "remote@1"),  # between the bands
        ("t003", "neg", "accepted", 0.95, "model", "remote@1"),
        ("t005", "pos", "accepted", None, "human", None),  # the person's label, untouched
    }  # c (neg 0.55, below lower) was dropped; e failed
    assert items["t000"] == ("labeled", 2) and items["t003"] == ("labeled", 2)  # sure: labelled, leaves the queue
    assert items["t001"] == ("new", 2)  # a proposal moves the version (an open editor gets a 409), not the status
    assert items["t002"] == ("new", 1) and items["t004"] == ("new", 1)


def test_a_second_run_skips_items_this_version_already_proposed(hub: Hub) -> None:
    pid, _ = text_project(hub, "again", TEXTS[:3])
    _bands(hub, pid, lower=0.6, upper=0.9)
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)
        first = _prelabel(hub, pid)
        second = _prelabel(hub, pid, only_unlabelled=False)
    assert first.result is not None and second.result is not None
    assert first.result["items"] == 3
    # a (accepted) and b (proposed) carry this version's proposals; c's was dropped, so it is asked again.
    assert (second.result["items"], second.result["dropped"], second.result["proposed"]) == (1, 1, 0)
    with hub.db.session() as s:
        assert len(s.scalars(select(Annotation.id)).all()) == 2


def test_a_run_where_every_item_failed_fails_quoting_the_first_error(hub: Hub) -> None:
    pid, ids = text_project(hub, "down", TEXTS[:2])
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url, retries=0)  # registering checks that the server answers
    job = _prelabel(hub, pid, batch_size=1)  # the server is gone now: every item fails, batch after batch
    assert job.status == "failed", job.result
    assert job.message.startswith("failed: all 2 items failed with remote@1, so nothing was pre-labelled")
    assert f"item {ids[0]}: cannot reach" in job.message
    assert job.error is not None and job.error["title"] == "Pre-labelling failed"
    assert (job.error["items"], job.error["errors_total"]) == (2, 2)
    assert [e["item_id"] for e in job.error["errors"]] == ids  # every item was still tried
    assert all("cannot reach" in e["error"] for e in job.error["errors"])


def test_labels_outside_the_project_are_per_item_errors(hub: Hub) -> None:
    pid, ids = text_project(hub, "classes", ["x p=0.9", "y p=0.1"], classes=("neg",))
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)
        job = _prelabel(hub, pid)
    assert job.status == "succeeded" and job.result is not None  # y's "neg" was fine: the job goes on
    assert (job.result["errors_total"], job.result["errors"][0]["item_id"]) == (1, ids[0])
    assert "'pos' is not in the project's classes" in job.result["errors"][0]["error"]
    assert job.result["proposed"] + job.result["accepted"] == 1


def test_without_a_model_there_is_nothing_to_run(hub: Hub) -> None:
    pid, _ = text_project(hub, "nomodel", TEXTS[:1])
    with hub.db.session(write=True) as s, pytest.raises(ValidationError, match="no active model") as exc:
        start_prelabel(s, SYSTEM, pid)
    assert exc.value.context["field"] == "model_id"


def test_a_newer_version_replaces_the_open_proposals_of_an_older_one(hub: Hub) -> None:
    pid, ids = text_project(hub, "versions", TEXTS[:4])
    _bands(hub, pid, lower=0.6, upper=0.99)  # a, b and d proposed; c dropped
    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)  # remote@1, the active model
        first = _prelabel(hub, pid)
        with hub.db.session(write=True) as s:  # a reviewer accepted b's proposal of version 1: that stays
            s.execute(update(Annotation).where(Annotation.item_id == ids[1]).values(state="accepted"))
        v2 = register_http(hub, pid, srv.url)  # remote@2, the same model line
        second = _prelabel(hub, pid, model_id=v2, only_unlabelled=False)
        other = register_http(hub, pid, srv.url, name="other")  # another line: it replaces none of remote's
        third = _prelabel(hub, pid, model_id=other, only_unlabelled=False)
    assert first.result is not None and second.result is not None and third.result is not None
    assert (first.result["proposed"], first.result["dropped"]) == (3, 1)
    assert (second.result["replaced"], third.result["replaced"]) == (2, 0)
    with hub.db.session() as s:
        rows = s.execute(select(Annotation.item_id, Annotation.model_version, Annotation.state)
                         .where(Annotation.model_version != "other@1")
                         .order_by(Annotation.item_id, Annotation.model_version)).all()  # fmt: skip
    # a, d: version 1's open proposals replaced by version 2's; b: the accepted one kept beside version 2's.
    assert [tuple(r) for r in rows] == [
        (ids[0], "remote@2", "proposed"),
        (ids[1], "remote@1", "accepted"),
        (ids[1], "remote@2", "proposed"),
        (ids[3], "remote@2", "proposed"),
    ]


def test_the_model_accepts_only_as_far_as_its_held_out_labels_support(hub: Hub) -> None:
    pid, _ = text_project(hub, "evidence", TEXTS[:4])
    _bands(hub, pid, lower=0.1, upper=0.9)
    with serve(http_contract) as srv:
        mid = register_http(hub, pid, srv.url)
        # Its held-out labels: sure of everything and right half the time; no bound reaches 98 % precision.
        held = {"scores": [0.99] * 40, "correct": [True, False] * 20}
        with hub.db.session(write=True) as s:
            s.execute(update(ModelVersion).where(ModelVersion.id == mid).values(metrics={"held_out": held}))
        job = _prelabel(hub, pid)
    r = job.result
    assert r is not None and (r["accepted"], r["proposed"]) == (0, 4)  # the 0.97 and 0.95 ones too: proposed
    assert r["upper"] == 1.0
    assert r["upper_note"] == ("accepted only above 1, not the project's 0.9: remote@1's held-out labels do not "
                               "reach 98 % precision below it (nothing is accepted)")  # fmt: skip


def test_a_model_trained_without_held_out_labels_accepts_nothing_by_itself(hub: Hub) -> None:
    pid, _ = text_project(hub, "unmeasured", TEXTS[:4])
    _bands(hub, pid, lower=0.1, upper=0.9)
    with serve(http_contract) as srv:
        mid = register_http(hub, pid, srv.url)
        with hub.db.session(write=True) as s:  # what a training on under 20 held-out labels records
            s.execute(
                update(ModelVersion).where(ModelVersion.id == mid).values(metrics={"evaluated_on": "training labels"})
            )
        job = _prelabel(hub, pid)
    r = job.result
    assert r is not None and (r["accepted"], r["proposed"], r["upper"]) == (0, 4, 1.0)
    assert r["upper_note"].startswith("accepted nothing: remote@1 was trained on too few labels to keep any out")


@pytest.mark.parametrize(("stop", "ended"), [(JobCancelled("cancelled by a person"), "cancelled"),
                                             (RuntimeError("the disk is full"), "failed")])  # fmt: skip
def test_a_run_stopped_after_a_batch_records_what_it_wrote(hub: Hub, stop: Exception, ended: str) -> None:
    """Each batch commits on its own: a run cancelled (or failed) after one leaves its proposals, and the audit log
    says how many and how the run ended; a run stopped before writing anything records nothing."""
    pid, _ = text_project(hub, f"stopped-{ended}", TEXTS)
    _bands(hub, pid, lower=0.0, upper=0.999)  # every answer a proposal

    def stop_after(batches: int) -> Callable[[float, str], None]:
        def report(fraction: float, message: str) -> None:
            if message.startswith("pre-labelled") and fraction >= batches * 2 / len(TEXTS):
                raise stop

        return report

    with serve(http_contract) as srv:
        register_http(hub, pid, srv.url)
        with pytest.raises(type(stop)):
            run_prelabel(hub, SYSTEM, pid, {"batch_size": 2}, stop_after(0))
        with hub.db.session() as s:
            assert s.scalars(select(AuditEvent).where(AuditEvent.action == "prelabel.run")).all() == []
        with pytest.raises(type(stop)):
            run_prelabel(hub, SYSTEM, pid, {"batch_size": 2}, stop_after(1))
    with hub.db.session() as s:
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "prelabel.run")).all()
        written = s.scalars(select(Annotation.label).where(Annotation.project_id == pid)).all()
    assert sorted(written) == ["pos", "pos"]  # the first batch: a (0.97) and b (0.8)
    assert (event.detail["ended"], event.detail["proposed"], event.detail["accepted"]) == (ended, 2, 0)
    assert event.project_id == pid and event.detail["items"] == len(TEXTS)
