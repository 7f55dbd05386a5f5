"""Alert rules and the evaluator: each rule kind raises its alert exactly when it should, once while it is open,
and the evaluator handles every event once, whichever process runs it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from tests.builders import new_project

from labelhub.domain.enums import ItemStatus
from labelhub.errors import ValidationError
from labelhub.hub import Hub
from labelhub.jobs.context import JobContext
from labelhub.jobs.executor import LocalExecutor
from labelhub.jobs.recovery import recover
from labelhub.services import alert_rules, alerts, audit, event_feed
from labelhub.services.access import Actor
from labelhub.services.alert_evaluator import CURSOR, AlertEvaluator
from labelhub.services.items import review_item
from labelhub.services.jobs import MAX_ATTEMPTS, claim_next, enqueue
from labelhub.storage.models import Annotation, AuditEvent, Item, Job, Membership, User, utcnow
from labelhub.storage.team_models import Alert, EventCursor

SYSTEM = Actor.system()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Team:
    hub: Hub
    pid: int
    annotator: Actor
    reviewer: Actor
    clock: Clock
    evaluator: AlertEvaluator

    def rule(self, kind: str, **params: Any) -> int:
        with self.hub.db.session(write=True) as s:
            return alert_rules.create_rule(s, SYSTEM, self.pid, kind=kind, params=params).id

    def items(self, n: int, status: ItemStatus = ItemStatus.LABELED) -> list[int]:
        with self.hub.db.session(write=True) as s:
            made = int(s.scalar(select(func.count(Item.id)).where(Item.project_id == self.pid)) or 0)
            rows = [Item(project_id=self.pid, kind="image", name=f"img-{made + k}.jpg", status=status.value,
                         annotator_id=self.annotator.user_id) for k in range(n)]  # fmt: skip
            s.add_all(rows)
            s.flush()
            for r in rows:  # as a labelling save would
                audit.record(s, self.annotator, "annotations.replace", "item", r.id, project_id=self.pid)
            return [r.id for r in rows]

    def review(self, item_id: int, *, approve: bool) -> None:
        with self.hub.db.session(write=True) as s:
            review_item(s, self.reviewer, self.pid, item_id, approve=approve, comment="" if approve else "fix it")

    def relabel(self, item_id: int) -> None:
        with self.hub.db.session(write=True) as s:
            s.execute(update(Item).where(Item.id == item_id).values(status=ItemStatus.LABELED.value))

    def run(self, evaluator: AlertEvaluator | None = None, owner: str = "here") -> None:
        while (evaluator or self.evaluator).step(self.hub, owner):
            pass

    def alerts(self) -> list[Alert]:
        with self.hub.db.session() as s:
            return list(s.scalars(select(Alert).where(Alert.project_id == self.pid).order_by(Alert.id)))

    def ack(self, alert_id: int) -> None:
        with self.hub.db.session(write=True) as s:
            alerts.ack(s, self.reviewer, self.pid, alert_id)


def _user(hub: Hub, name: str, pid: int, role: str) -> Actor:
    with hub.db.session(write=True) as s:
        user = User(username=name, password_hash="!")
        s.add(user)
        s.flush()
        s.add(Membership(project_id=pid, user_id=user.id, role=role))
        return Actor(user.id, name)


@pytest.fixture
def team(hub: Hub) -> Team:
    pid = new_project(hub, "lab")
    clock = Clock()
    t = Team(hub, pid, _user(hub, "ann", pid, "annotator"), _user(hub, "rev", pid, "reviewer"), clock,
             AlertEvaluator(clock=clock))  # fmt: skip
    t.run()  # the cursor starts here: nothing before it raises alerts
    return t


def test_rejection_rate_fires_once_the_annotator_has_enough_reviews_and_not_again_while_open(team: Team) -> None:
    team.rule("rejection_rate", window=5, threshold=0.5, min_reviews=4)
    a, b, c, d, e, f = team.items(6)
    team.review(a, approve=False)
    team.review(b, approve=False)
    team.review(c, approve=True)
    team.run()
    assert team.alerts() == []  # 2 of 3 rejected, but only 3 reviews: fewer than min_reviews
    team.review(d, approve=True)  # 2 of 4: an approval never raises
    team.run()
    assert team.alerts() == []
    team.review(e, approve=False)  # 3 of 5 rejected: 60 %
    team.run()
    [alert] = team.alerts()
    assert alert.kind == "rejection_rate" and alert.severity == "warning"
    assert alert.subject_user_id == team.annotator.user_id and alert.object_type == "user"
    assert alert.title.startswith("ann's work is rejected often: 3 of their last 5 reviewed items (60%")
    team.review(f, approve=False)  # still over the limit, but the alert is open
    team.run()
    assert len(team.alerts()) == 1
    team.ack(alert.id)
    team.relabel(f)
    team.review(f, approve=False)
    team.run()
    assert [x.acknowledged_at is None for x in team.alerts()] == [False, True]


def test_rejected_again_fires_at_the_second_rejection_of_one_item(team: Team) -> None:
    team.rule("rejected_again")
    item, other = team.items(2)
    team.review(item, approve=False)
    team.review(other, approve=False)
    team.run()
    assert team.alerts() == []
    team.relabel(item)
    team.review(item, approve=False)
    team.run()
    [alert] = team.alerts()
    assert (alert.object_type, alert.object_id) == ("item", str(item))
    assert alert.title == "img-0.jpg was rejected 2 times" and alert.subject_user_id == team.annotator.user_id
    team.relabel(item)
    team.review(item, approve=False)  # a third time, the alert still open: nothing new
    team.run()
    assert len(team.alerts()) == 1


def _boom(ctx: JobContext) -> dict[str, Any]:
    raise ValidationError("the source has no images", field="source")


def test_job_failed_fires_when_a_real_job_of_the_project_fails(team: Team) -> None:
    team.rule("job_failed")
    with team.hub.db.session(write=True) as s:
        failing = enqueue(s, team.reviewer, "boom", {}, project_id=team.pid).id
        fine = enqueue(s, team.reviewer, "fine", {}, project_id=team.pid).id
    executor = LocalExecutor(team.hub, handlers={"boom": _boom, "fine": lambda ctx: {"ok": True}})
    while executor.run_once():
        pass
    with team.hub.db.session() as s:
        finished = s.scalars(select(AuditEvent).where(AuditEvent.action == "job.finished").order_by(AuditEvent.id))
        assert [(e.object_id, e.user_id, e.detail["status"], e.detail["error"]) for e in finished] == [
            (str(failing), team.reviewer.user_id, "failed", "Invalid input"),
            (str(fine), team.reviewer.user_id, "succeeded", None),
        ]
    team.run()
    [alert] = team.alerts()
    assert (alert.kind, alert.severity, alert.object_type, alert.object_id) == ("job_failed", "critical", "job",
                                                                                 str(failing))  # fmt: skip
    assert alert.title == f"Boom job {failing} failed: Invalid input"


def test_job_failed_fires_for_a_job_the_stale_job_recovery_fails(team: Team) -> None:
    """A job whose worker died on each of its tries is failed by a live worker's recovery, which records the
    ``job.finished`` its worker never could; one requeued for another try records nothing yet."""
    team.rule("job_failed")
    with team.hub.db.session(write=True) as s:
        doomed = enqueue(s, team.reviewer, "doomed", {}, project_id=team.pid).id
        retried = enqueue(s, team.reviewer, "retried", {}, project_id=team.pid).id
        for job_id, attempts in ((doomed, MAX_ATTEMPTS), (retried, 1)):
            assert claim_next(s, "dead-host:1") is not None
            s.execute(update(Job).where(Job.id == job_id)
                      .values(attempts=attempts, heartbeat_at=utcnow() - timedelta(hours=1)))  # fmt: skip
    assert [(r.id, r.status) for r in recover(team.hub, timedelta(minutes=1))] == [(doomed, "failed"),
                                                                                   (retried, "queued")]  # fmt: skip
    with team.hub.db.session() as s:
        finished = s.scalars(select(AuditEvent).where(AuditEvent.action == "job.finished"))
        expected = {"actor": "rev", "kind": "doomed", "status": "failed", "error": "Worker lost"}
        assert [(e.object_id, e.user_id, e.detail) for e in finished] == [
            (str(doomed), team.reviewer.user_id, expected)
        ]
    team.run()
    [alert] = team.alerts()
    assert (alert.kind, alert.object_id, alert.title) == ("job_failed", str(doomed),
                                                          f"Doomed job {doomed} failed: Worker lost")  # fmt: skip


def test_review_backlog_fires_at_count_and_waits_out_its_cooldown_after_an_ack(team: Team) -> None:
    team.rule("review_backlog", count=3, cooldown_minutes=60)
    team.items(2)
    team.run()
    assert team.alerts() == []
    team.items(1)
    team.run()
    [alert] = team.alerts()
    assert alert.title == "3 items are waiting for review (the rule's limit is 3)" and alert.severity == "info"
    team.items(1)
    team.run()
    assert len(team.alerts()) == 1  # open: no second one
    team.ack(alert.id)
    team.items(1)
    team.run()
    assert len(team.alerts()) == 1  # acknowledged a moment ago: quiet for an hour
    team.clock.now += timedelta(minutes=61)
    team.items(1)
    team.run()
    assert [a.title for a in team.alerts()][-1] == "6 items are waiting for review (the rule's limit is 3)"


def test_model_disagreement_fires_when_a_reviewer_approves_against_a_confident_model(team: Team) -> None:
    team.rule("model_disagreement", min_score=0.95)
    sure, unsure = team.items(2)
    with team.hub.db.session(write=True) as s:
        for item, score in ((sure, 0.97), (unsure, 0.9)):
            s.add(Annotation(item_id=item, project_id=team.pid, kind="class", label="cat", state="accepted"))
            s.add(Annotation(item_id=item, project_id=team.pid, kind="class", label="dog", source="model",
                             score=score, state="proposed"))  # fmt: skip
    team.review(sure, approve=True)
    team.review(unsure, approve=True)
    team.run()
    [alert] = team.alerts()
    assert alert.object_id == str(sure) and alert.subject_user_id == team.reviewer.user_id
    assert alert.title == "rev approved img-0.jpg as cat; a model said dog (97%)"


def test_an_inactive_rule_raises_nothing(team: Team) -> None:
    rule = team.rule("rejected_again")
    with team.hub.db.session(write=True) as s:
        alert_rules.update_rule(s, SYSTEM, team.pid, rule, version=1, active=False)
    [item] = team.items(1)
    for _ in range(2):
        team.review(item, approve=False)
        team.relabel(item)
    team.run()
    assert team.alerts() == []


def test_an_alert_is_an_audit_event_that_the_live_stream_and_webhooks_carry(team: Team) -> None:
    team.rule("rejected_again", count=2)
    [item] = team.items(1)
    team.review(item, approve=False)
    team.relabel(item)
    team.review(item, approve=False)
    team.run()
    [alert] = team.alerts()
    with team.hub.db.session() as s:
        events, _ = event_feed.read_after(s, alert.event_id or 0, project_id=team.pid)
    raised = [e for e in events if e.action == "alert.raised"]
    assert [e.body()["detail"] for e in raised] == [
        {"alert_id": alert.id, "kind": "rejected_again", "severity": "warning", "title": alert.title}
    ]


def test_a_new_evaluator_starts_at_the_newest_event_and_raises_nothing_about_the_past(hub: Hub) -> None:
    pid = new_project(hub, "past")
    with hub.db.session(write=True) as s:
        alert_rules.create_rule(s, SYSTEM, pid, kind="review_backlog", params={"count": 1})
        s.add(Item(project_id=pid, kind="image", name="a.jpg", status="labeled"))
    evaluator = AlertEvaluator()
    assert evaluator.step(hub, "here") is False
    with hub.db.session() as s:
        assert s.scalar(select(func.count(Alert.id))) == 0
        assert s.scalar(select(EventCursor.last_event_id).where(EventCursor.name == CURSOR)) == event_feed.last_id(s)


def test_the_evaluator_resumes_from_its_cursor_after_a_restart(team: Team) -> None:
    team.rule("rejected_again", count=2)
    items = team.items(3)
    for item in items:
        for _ in range(2):
            team.review(item, approve=False)
            team.relabel(item)
    first = AlertEvaluator(batch=6, clock=team.clock)  # the rule, three saves, the first item's two rejections
    assert first.step(team.hub, "here") is True  # more waiting
    with team.hub.db.session() as s:
        cursor = s.scalar(select(EventCursor.last_event_id).where(EventCursor.name == CURSOR))
    assert 0 < len(team.alerts()) < 3
    team.run(AlertEvaluator(batch=6, clock=team.clock))  # a restarted process, same owner name
    assert sorted(int(a.object_id or 0) for a in team.alerts()) == items
    with team.hub.db.session() as s:
        last = s.scalar(select(EventCursor.last_event_id).where(EventCursor.name == CURSOR))
        assert last is not None and cursor is not None and last > cursor
        assert s.scalar(select(func.count()).where(AuditEvent.action == "alert.raised")) == 3


def test_a_second_process_waits_for_the_lease_and_then_carries_on_from_the_cursor(team: Team) -> None:
    team.rule("rejected_again", count=2)
    [one, two] = team.items(2)
    for _ in range(2):
        team.review(one, approve=False)
        team.relabel(one)
    team.run()  # this process ("here") holds the lease for 30 s
    b = AlertEvaluator(clock=team.clock)
    for _ in range(2):
        team.review(two, approve=False)
        team.relabel(two)
    assert b.step(team.hub, "b") is False
    assert [a.object_id for a in team.alerts()] == [str(one)]
    team.clock.now += timedelta(seconds=31)  # "here" died: its lease ran out
    team.run(b, owner="b")
    assert [a.object_id for a in team.alerts()] == [str(one), str(two)]


def test_a_process_whose_lease_ran_out_during_its_checks_writes_nothing(team: Team) -> None:
    team.rule("rejected_again", count=2)
    [item] = team.items(1)
    for _ in range(2):
        team.review(item, approve=False)
        team.relabel(item)

    class Slow(AlertEvaluator):
        def _evaluate(self, s: Session, events: list[event_feed.FeedEvent]) -> list[Any]:
            found = super()._evaluate(s, events)
            team.clock.now += timedelta(seconds=31)  # too slow: the lease runs out and "b" takes over
            team.run(AlertEvaluator(clock=team.clock), owner="b")
            return found

    assert Slow(clock=team.clock).step(team.hub, "here") is False
    assert [a.object_id for a in team.alerts()] == [str(item)]
    with team.hub.db.session() as s:
        assert s.scalar(select(func.count()).where(AuditEvent.action == "alert.raised")) == 1
        assert s.scalar(select(EventCursor.lease_owner).where(EventCursor.name == CURSOR)) == "b"


def test_two_evaluators_running_at_once_never_raise_the_same_alert_twice(team: Team) -> None:
    team.rule("rejected_again", count=2)
    items = team.items(6)
    with team.hub.db.session(write=True) as s:  # the fixture's evaluator lets go of its lease
        s.execute(update(EventCursor).values(lease_owner=None, lease_until=None))
    stop = threading.Event()
    errors: list[BaseException] = []

    def loop(owner: str) -> None:
        evaluator = AlertEvaluator(batch=3)  # a real clock: both see the same leases
        while not stop.is_set():
            try:
                evaluator.step(team.hub, owner)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)
                return

    threads = [threading.Thread(target=loop, args=(o,)) for o in ("a", "b")]
    for t in threads:
        t.start()
    try:
        for item in items:
            for _ in range(2):
                team.review(item, approve=False)
                team.relabel(item)
    finally:
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while len(team.alerts()) < len(items) and datetime.now(UTC) < deadline:
            stop.wait(0.05)
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert sorted(int(a.object_id or 0) for a in team.alerts()) == items
    with team.hub.db.session() as s:
        assert s.scalar(select(func.count()).where(AuditEvent.action == "alert.raised")) == len(items)
        owner = s.scalar(select(EventCursor.lease_owner).where(EventCursor.name == CURSOR))
    assert owner in ("a", "b")


def test_a_failed_job_without_a_project_records_no_job_finished(hub: Hub) -> None:
    with hub.db.session(write=True) as s:
        enqueue(s, SYSTEM, "boom", {})
    executor = LocalExecutor(hub, handlers={"boom": _boom})
    executor.run_once()
    with hub.db.session() as s:
        assert s.scalar(select(func.count()).where(AuditEvent.action == "job.finished")) == 0
        assert s.scalar(select(func.count()).where(AuditEvent.action == "job.create")) == 1
