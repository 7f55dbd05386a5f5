"""bench_teams' in-process steps: fast inserts (items, audit events, consensus replicas), assignment and the
grid's assignee filter, the event feed's poll cost, the alert evaluator and the consensus merge. See
bench_teams.py for what each step measures."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from _util import log, stopwatch, summarize_ms

N_ANNOTATORS = 5
BATCH = 10_000
IMG_W, IMG_H = 1920, 1080
LABELS = [f"class_{c}" for c in range(8)]


def _tables() -> tuple[Any, Any, Any]:
    from labelhub.storage.models import AuditEvent, Item
    from labelhub.storage.team_models import ConsensusReplica

    return Item.__table__, AuditEvent.__table__, ConsensusReplica.__table__


def insert_items(hub: Any, project_id: int, n: int, prefix: str, **values: Any) -> list[int]:
    """Insert ``n`` image items (Core insert, ``BATCH`` rows a statement and transaction); return their ids."""
    from sqlalchemy import insert, select

    from labelhub.domain.natural import natural_key

    items, _, _ = _tables()
    now = datetime.now(UTC)
    for start in range(0, n, BATCH):
        rows = []
        for i in range(start, min(n, start + BATCH)):
            name = f"{prefix}/{i:07d}.jpg"
            rows.append({"project_id": project_id, "kind": "image", "name": name, "sort_key": natural_key(name),
                         "width": IMG_W, "height": IMG_H, "meta": {}, "status": "new", "version": 1, "overlap": 0,
                         "created_at": now, "updated_at": now, **values})  # fmt: skip
        with hub.db.session(write=True) as s:
            s.execute(insert(items), rows)
    with hub.db.session() as s:
        q = select(items.c.id).where(items.c.project_id == project_id).order_by(items.c.id)
        return list(s.scalars(q))


def make_members(hub: Any, actor: Any, project_ids: list[int], n: int = N_ANNOTATORS) -> list[int]:
    """Create ``n`` annotators (or find them) and make them annotators of every project in ``project_ids``."""
    from sqlalchemy import select

    from labelhub.domain.enums import Role
    from labelhub.services.projects import set_member
    from labelhub.services.users import create_user
    from labelhub.storage.models import User

    ids: list[int] = []
    with hub.db.session(write=True) as s:
        for k in range(n):
            name = f"annotator{k + 1}"
            uid = s.scalar(select(User.id).where(User.username == name))
            ids.append(uid if uid is not None else create_user(s, actor, name, f"{name}-password-1").id)
        s.flush()
        for pid in project_ids:
            for uid in ids:
                set_member(s, actor, pid, uid, Role.ANNOTATOR)
    return ids


def new_project(hub: Any, actor: Any, name: str) -> int:
    from labelhub.domain.enums import ItemKind
    from labelhub.domain.schema import LabelSchema
    from labelhub.services.projects import create_project

    with hub.db.session(write=True) as s:
        return int(create_project(s, actor, name, item_kind=ItemKind.IMAGE, schema=LabelSchema.from_names(LABELS)).id)


def timed_calls(fn: Any, tries: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    out: list[float] = []
    for _ in range(tries):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


# --- 1. assignment ------------------------------------------------------------------------------------------
def bench_assignment(hub: Any, actor: Any, n_items: int, tries: int) -> dict[str, Any]:
    from labelhub.domain.assignment import AssignMode
    from labelhub.services.assignment import Selection, assign_items
    from labelhub.services.items import ItemFilter, list_items

    pid = new_project(hub, actor, "assign")
    with stopwatch() as t:
        ids = insert_items(hub, pid, n_items, "assign")
    log(f"assignment: {len(ids):,} items inserted in {t[0]:.1f} s")
    members = make_members(hub, actor, [pid])
    out: dict[str, Any] = {"project_id": pid, "items": len(ids), "insert_s": round(t[0], 2)}
    everything = Selection(filter=ItemFilter())
    with stopwatch() as t, hub.db.session(write=True) as s:
        res = assign_items(s, actor, pid, everything, members, AssignMode.EVEN)
    out["assign_even"] = {
        "seconds": round(t[0], 3),
        "items_per_s": round(res.items / t[0]),
        "counts": {str(u): n for u, n in res.counts.items()},
    }
    log(f"assignment: even split of {res.items:,} items over {len(members)} in {t[0]:.2f} s {res.counts}")

    member = members[len(members) // 2]
    with hub.db.session() as s:
        run = list_items(s, actor, pid, ItemFilter(assignee_id=member), limit=1).items
    first_id = run[0].id if run else None
    # 90% into the member's run of items, with a full page after it
    offset = max(0, min(int(res.counts[member] * 0.9), res.counts[member] - 101))
    deep_after = ids[ids.index(first_id) + offset] if first_id is not None else None

    def page(after: int | None) -> None:
        with hub.db.session() as s:
            got = list_items(s, actor, pid, ItemFilter(assignee_id=member), after=after, limit=100)
            if len(got.items) != min(100, n_items // N_ANNOTATORS):
                raise RuntimeError(f"the listing gave {len(got.items)} items")

    out["list_first"] = summarize_ms(timed_calls(lambda: page(None), tries))
    out["list_deep"] = {**summarize_ms(timed_calls(lambda: page(deep_after), tries)), "after": deep_after}
    log(f"assignment: listing, first {out['list_first']}, deep {out['list_deep']}")

    with stopwatch() as t, hub.db.session(write=True) as s:
        res = assign_items(s, actor, pid, everything, None)
    out["unassign"] = {"seconds": round(t[0], 3), "items_per_s": round(res.items / t[0]), "items": res.unassigned}
    log(f"assignment: unassigned {res.unassigned:,} items in {t[0]:.2f} s")
    return out


# --- 2. event feed ------------------------------------------------------------------------------------------
_ACTIONS = [  # (action, object_type, weight): what a busy labelling team's log is made of
    ("annotations.replace", "item", 60), ("item.approve", "item", 12), ("item.reject", "item", 4),
    ("item.assign", "project", 1), ("track.update", "item", 8), ("project.import", "project", 1),
    ("job.finished", "job", 1), ("item.update", "item", 10), ("member.set", "project", 1),
    ("consensus.submit", "item", 2),
]  # fmt: skip


def _detail(rng: random.Random, action: str, actor: str) -> dict[str, Any]:
    if action == "annotations.replace":
        return {"actor": actor, "version": rng.randint(2, 40), "status": "labeled", "count": rng.randint(1, 30),
                "added": rng.randint(0, 5), "removed": rng.randint(0, 3)}  # fmt: skip
    if action in ("item.approve", "item.reject"):
        out = {
            "actor": actor,
            "version": rng.randint(2, 40),
            "status": "reviewed" if action == "item.approve" else "rejected",
        }
        return out | ({"comment": "the box on the left cuts the car's bumper"} if action == "item.reject" else {})
    if action == "job.finished":
        return {"actor": actor, "kind": "import", "status": "succeeded", "error": None}
    return {"actor": actor, "count": rng.randint(1, 500)}


def seed_events(hub: Any, n: int, project_ids: list[int], users: list[tuple[int, str]], seed: int) -> float:
    """Insert ``n`` audit events across ``project_ids`` (Zipf-like: project k gets a share ~ 1/(k+1)), one second
    of the past apart in total up to now; return the seconds the inserts took."""
    from sqlalchemy import insert

    _, audit, _ = _tables()
    rng = random.Random(seed)
    weights = [1.0 / (k + 1) for k in range(len(project_ids))]
    actions = [a for a in _ACTIONS for _ in range(a[2])]
    start = datetime.now(UTC) - timedelta(seconds=n * 0.05 + 60)
    t0 = time.perf_counter()
    for lo in range(0, n, BATCH * 2):
        rows = []
        for k in range(lo, min(n, lo + BATCH * 2)):
            action, otype, _w = actions[rng.randrange(len(actions))]
            uid, uname = users[rng.randrange(len(users))]
            pid = rng.choices(project_ids, weights)[0]
            rows.append({"at": start + timedelta(seconds=k * 0.05), "user_id": uid, "project_id": pid,
                         "action": action, "object_type": otype,
                         "object_id": str(rng.randint(1, 100_000) if otype == "item" else pid),
                         "detail": _detail(rng, action, uname)})  # fmt: skip
        with hub.db.session(write=True) as s:
            s.execute(insert(audit), rows)
        if (lo // (BATCH * 2)) % 10 == 9:
            log(f"events: {lo + len(rows):,} of {n:,}")
    return time.perf_counter() - t0


def bench_feed(hub: Any, actor: Any, n_events: int, users: list[tuple[int, str]], tries: int, seed: int,
               token: str) -> dict[str, Any]:  # fmt: skip
    from labelhub.services import event_feed, live_events

    projects = [new_project(hub, actor, f"feed-{k:02d}") for k in range(50)]
    secs = seed_events(hub, n_events, projects, users, seed)
    log(f"events: {n_events:,} inserted in {secs:.1f} s")
    with hub.db.session() as s:
        newest = event_feed.last_id(s)
    cursor = newest - 100
    out: dict[str, Any] = {"events": n_events, "insert_s": round(secs, 1), "cursor_behind": 100}
    for name, pid in (("busy", projects[0]), ("quiet", projects[-1])):
        got: list[int] = []

        def poll(pid: int = pid, got: list[int] = got) -> None:
            with hub.db.session() as s:
                events, _ = event_feed.read_after(s, cursor, project_id=pid)
                got.append(len(events))

        out[name] = {**summarize_ms(timed_calls(poll, tries, warmup=5)), "events_per_poll": got[-1]}
        log(f"feed: read_after, {name} project: {out[name]}")

    def horizon() -> None:
        with hub.db.session() as s:
            event_feed.horizon(s, cursor)

    out["horizon"] = summarize_ms(timed_calls(horizon, tries, warmup=5))
    mean_p50 = (out["busy"]["p50_ms"] + out["quiet"]["p50_ms"]) / 2
    out["load_100_streams_ms_per_s"] = round(100 * 2 * mean_p50, 1)  # 100 streams, 2 polls/s each
    shared: list[int] = []

    def shared_read() -> None:  # what the process's one copy of the feed reads each poll interval
        with hub.db.session() as s:
            events, _ = event_feed.read_after(s, cursor)
            shared.append(len(events))

    def recheck() -> None:
        with hub.db.session() as s:
            live_events.open_viewer(s, token, projects[0])

    out["shared"] = {**summarize_ms(timed_calls(shared_read, tries, warmup=5)), "events_per_poll": shared[-1]}
    out["recheck"] = summarize_ms(timed_calls(recheck, tries, warmup=5))
    out["load_100_shared_ms_per_s"] = round(2 * out["shared"]["p50_ms"] + 100 / 5 * out["recheck"]["p50_ms"], 1)
    log(f"feed: shared read {out['shared']}, re-check {out['recheck']}")
    log(f"feed: horizon {out['horizon']}; 100 streams ~ {out['load_100_streams_ms_per_s']} ms of queries/s")
    return out


# --- 5. alert evaluator -------------------------------------------------------------------------------------
def bench_alerts(hub: Any, actor: Any, members: list[int], n_reviews: int, seed: int) -> dict[str, Any]:
    from sqlalchemy import func, select, update

    from labelhub.services import audit, event_feed
    from labelhub.services.alert_evaluator import CURSOR, AlertEvaluator
    from labelhub.services.alert_rules import create_rule
    from labelhub.services.items import review_item
    from labelhub.storage.team_models import Alert, EventCursor

    pid = new_project(hub, actor, "alerts")
    make_members(hub, actor, [pid])
    ids = insert_items(hub, pid, max(50, n_reviews // 5), "alerts", status="labeled")
    items, _, _ = _tables()
    with hub.db.session(write=True) as s:
        for k, uid in enumerate(members):
            s.execute(update(items).where(items.c.project_id == pid, items.c.id % len(members) == k)
                      .values(annotator_id=uid))  # fmt: skip
        for kind in ("rejection_rate", "rejected_again", "review_backlog", "job_failed"):
            create_rule(s, actor, pid, kind=kind)
    evaluator = AlertEvaluator()
    evaluator.step(hub, "bench")  # creates the cursor at the newest event: the rules judge what follows
    rng = random.Random(seed)
    with stopwatch() as t:
        for k in range(n_reviews):
            approve = rng.random() < 0.65
            with hub.db.session(write=True) as s:
                review_item(s, actor, pid, rng.choice(ids), approve=approve,
                            comment="" if approve else "the box on the left cuts the bumper")  # fmt: skip
                if k % 1000 == 999:  # a failed job now and then, as the worker records it
                    audit.record(s, actor, "job.finished", "job", 9000 + k, project_id=pid,
                                 detail={"kind": "train", "status": "failed", "error": "out of memory"})  # fmt: skip
    log(f"alerts: {n_reviews:,} reviews written in {t[0]:.1f} s")
    with hub.db.session() as s:
        target = event_feed.last_id(s)
        start = int(s.scalar(select(EventCursor.last_event_id).where(EventCursor.name == CURSOR)) or 0)
    rounds, cursor = 0, start
    with stopwatch() as t:
        while cursor < target and rounds < 10_000:
            evaluator.step(hub, "bench")
            rounds += 1
            with hub.db.session() as s:
                cursor = int(s.scalar(select(EventCursor.last_event_id).where(EventCursor.name == CURSOR)) or 0)
    with hub.db.session() as s:
        raised = int(s.scalar(select(func.count()).select_from(Alert).where(Alert.project_id == pid)) or 0)
        by_kind = dict(s.execute(select(Alert.kind, func.count()).where(Alert.project_id == pid)
                                 .group_by(Alert.kind)).tuples().all())  # fmt: skip
    n = target - start
    out = {"reviews": n_reviews, "events": n, "rounds": rounds, "seconds": round(t[0], 3),
           "events_per_s": round(n / t[0]), "alerts": raised, "alerts_by_kind": by_kind}  # fmt: skip
    log(f"alerts: {out}")
    return out


# --- 6. consensus -------------------------------------------------------------------------------------------
def replicas_for(rng: random.Random, n_boxes: int, k: int = 3) -> list[list[dict[str, Any]]]:
    """``k`` people's boxes for one item: the shared truth jittered (~3% of the box), ~8% missing, 0-3 extra."""
    truth = []
    for _ in range(n_boxes):
        w, h = rng.uniform(30, 300), rng.uniform(30, 300)
        x, y = rng.uniform(0, IMG_W - w), rng.uniform(0, IMG_H - h)
        truth.append((rng.choice(LABELS), x, y, w, h))
    out = []
    for _ in range(k):
        boxes = []
        for label, x, y, w, h in truth:
            if rng.random() < 0.08:
                continue
            j = [rng.gauss(0, 0.03) for _ in range(4)]
            x1, y1 = x + j[0] * w, y + j[1] * h
            boxes.append({"kind": "box", "label": label, "attributes": {},
                          "geometry": {"bbox": [round(x1, 1), round(y1, 1), round(x1 + w * (1 + j[2]), 1),
                                                round(y1 + h * (1 + j[3]), 1)]}})  # fmt: skip
        for _ in range(rng.randint(0, 3)):
            x, y = rng.uniform(0, IMG_W - 50), rng.uniform(0, IMG_H - 50)
            bbox = [round(x, 1), round(y, 1), round(x + 40, 1), round(y + 40, 1)]
            boxes.append({"kind": "box", "label": rng.choice(LABELS), "attributes": {}, "geometry": {"bbox": bbox}})
        out.append(boxes)
    return out


def bench_consensus(hub: Any, actor: Any, members: list[int], n_merge: int, n_report: int, n_boxes: int,
                    seed: int) -> dict[str, Any]:  # fmt: skip
    from sqlalchemy import insert

    from labelhub.services.agreement_report import project_agreement
    from labelhub.services.consensus_merge import merge_replicas

    rng = random.Random(seed)
    cases = [replicas_for(rng, n_boxes) for _ in range(n_merge)]
    with stopwatch() as t:
        merge_replicas(cases[0], width=IMG_W, height=IMG_H)  # loads ensemble-boxes (pandas, numba)
    first_s = t[0]
    samples, kept = [], 0
    for reps in cases:
        t0 = time.perf_counter()
        kept += len(merge_replicas(reps, width=IMG_W, height=IMG_H).annotations)
        samples.append(time.perf_counter() - t0)
    merged = {
        "first_call_s": round(first_s, 2),
        "boxes_per_replica": n_boxes,
        "kept_per_item": round(kept / n_merge, 1),
    }
    out: dict[str, Any] = {"merge": {**summarize_ms(samples), **merged}}
    log(f"consensus: merge {out['merge']}")

    pid = new_project(hub, actor, "consensus")
    make_members(hub, actor, [pid])
    ids = insert_items(hub, pid, n_report, "consensus", status="labeled", overlap=3)
    _, _, replicas = _tables()
    now = datetime.now(UTC)
    for lo in range(0, len(ids), 500):
        rows = [{"item_id": iid, "project_id": pid, "user_id": members[r], "annotations": reps[r], "submitted": True,
                 "version": 2, "created_at": now, "updated_at": now}
                for iid in ids[lo : lo + 500] for reps in [replicas_for(rng, n_boxes)] for r in range(3)]  # fmt: skip
        with hub.db.session(write=True) as s:
            s.execute(insert(replicas), rows)
    with stopwatch() as t, hub.db.session() as s:  # as items merged before the pair scores were kept
        old = project_agreement(s, actor, pid)
    out["report_recomputed"] = {"items": n_report, "seconds": round(t[0], 2), "items_scored": old.items_scored,
                                "mean_agreement": old.mean_agreement}  # fmt: skip
    log(f"consensus: agreement report, replicas compared {out['report_recomputed']}")
    with stopwatch() as t:
        keep_merge_records(hub, ids)
    with stopwatch() as t2, hub.db.session() as s:
        rep = project_agreement(s, actor, pid)
    same = [(a.user_id, a.items, a.submitted) for a in rep.annotators] == [(a.user_id, a.items, a.submitted)
                                                                           for a in old.annotators]  # fmt: skip
    if not same or abs((rep.mean_agreement or 0) - (old.mean_agreement or 0)) > 1e-4:
        raise RuntimeError(f"the report from the kept scores differs: {rep} != {old}")
    out["report"] = {"items": n_report, "seconds": round(t2[0], 2), "items_scored": rep.items_scored,
                     "mean_agreement": rep.mean_agreement, "records_written_s": round(t[0], 2)}  # fmt: skip
    log(f"consensus: agreement report, scores kept at the merge {out['report']}")
    return out


def keep_merge_records(hub: Any, ids: list[int]) -> None:
    """Write each item's merge record as ``consensus_apply.merge_item`` does (pair scores, class tags), from its
    submitted replicas; the merged annotations themselves are not written (the report does not read them)."""
    from sqlalchemy import bindparam, select, update

    from labelhub.domain.agreement_pairs import class_tags, pair_scores

    items, _, replicas = _tables()
    for lo in range(0, len(ids), 500):
        chunk = ids[lo : lo + 500]
        by_item: dict[int, list[tuple[int, Any]]] = {i: [] for i in chunk}
        with hub.db.session() as s:
            q = select(replicas.c.item_id, replicas.c.user_id, replicas.c.annotations).where(
                replicas.c.item_id.in_(chunk), replicas.c.submitted.is_(True)).order_by(replicas.c.id)  # fmt: skip
            for r in s.execute(q):
                by_item[r.item_id].append((r.user_id, r.annotations))
        rows = []
        for iid, reps in by_item.items():
            pairs = pair_scores(reps)
            classes = {str(u): t for u, a in reps if (t := class_tags(a))}
            record = {"of": len(reps), "overlap": 3, "forced": False, "flags": [], "users": [u for u, _ in reps],
                      "pairs": [list(p) for p in pairs], "classes": classes}  # fmt: skip
            agreement = round(sum(p[2] for p in pairs) / len(pairs), 4)
            rows.append({"iid": iid, "record": {"agreement": agreement, "consensus": record}})
        with hub.db.session(write=True) as s:
            s.execute(update(items).where(items.c.id == bindparam("iid")).values(meta=bindparam("record")), rows)
