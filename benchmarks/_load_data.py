"""bench_load's data: tiny real JPEGs in the media store, one project of image items that share them, boxes on
the labelled share, and the team (annotators, reviewers, a manager, viewers) with an API token each. See
bench_load.py for the scenario."""

from __future__ import annotations

import io
import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from _util import log

IMG_W, IMG_H = 320, 240
LABELS = [f"class_{c}" for c in range(8)]
BATCH = 5_000
ROLES = ("annotator", "reviewer", "manager", "viewer")


@dataclass(slots=True)
class Team:
    """How many accounts of each role; half the annotators get assigned items, the others label the open pool."""

    annotators: int = 60
    reviewers: int = 20
    managers: int = 1
    viewers: int = 40

    def count(self, role: str) -> int:
        return int(getattr(self, role + "s"))


@dataclass(slots=True)
class Seeded:
    """What the simulated users need: the project, the item id range, each role's tokens (assigned and pool
    annotators alternate, so any number of annotators holds both kinds) and what was made."""

    project_id: int
    first_id: int
    last_id: int
    labelled_last_id: int  # items up to here start labelled (the review queue)
    tokens: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _jpegs(n: int, seed: int) -> list[bytes]:
    """``n`` distinct 320x240 JPEGs (a colour gradient and a few random rectangles, ~5 KB each)."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    ramp = np.linspace(0, 255, IMG_W, dtype=np.uint8)
    out: list[bytes] = []
    for _ in range(n):
        base = np.zeros((IMG_H, IMG_W, 3), dtype=np.uint8)
        base[..., rng.randrange(3)] = ramp[None, :]
        img = Image.fromarray(base)
        draw = ImageDraw.Draw(img)
        for _ in range(4):
            x, y = rng.randrange(IMG_W - 40), rng.randrange(IMG_H - 40)
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            draw.rectangle((x, y, x + rng.randrange(10, 40), y + rng.randrange(10, 40)), fill=colour)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=80)
        out.append(buf.getvalue())
    return out


def _store_images(hub: Any, n: int, seed: int) -> list[str]:
    """Put ``n`` JPEGs in the hub's media store and the ``media`` table; return their keys."""
    from sqlalchemy import insert

    from labelhub.storage.models import Media

    keys: list[str] = []
    rows = []
    for data in _jpegs(n, seed):
        stored = hub.media.put_bytes(data, name="x.jpg")
        keys.append(stored.key)
        rows.append({"key": stored.key, "size": stored.size, "mime": stored.mime, "created_at": datetime.now(UTC)})
    unique = list({r["key"]: r for r in rows}.values())
    with hub.db.session(write=True) as s:
        s.execute(insert(Media), unique)
    return keys


def _team(hub: Any, actor: Any, project_id: int, team: Team) -> tuple[dict[str, list[str]], dict[str, list[int]]]:
    """Create the accounts, make them members with their role and give each an API token.

    Enough that no two simulated users share an account at 100 users (50 annotators, 20 reviewers, 30 viewers):
    two on one account would be one person in two tabs, and an annotator's two tabs compete for their own items."""
    from labelhub.domain.enums import Role
    from labelhub.services.projects import set_member
    from labelhub.services.users import create_user, issue_token
    from labelhub.storage.models import User

    tokens: dict[str, list[str]] = {r: [] for r in ROLES}
    ids: dict[str, list[int]] = {r: [] for r in ROLES}
    with hub.db.session(write=True) as s:
        # One Argon2 hash for every account (they never log in with a password): 121 hashes cost a minute on a
        # busy 2-core machine.
        pw_hash = create_user(s, actor, "load-first", "load-first-password").password_hash
        for role in ROLES:
            for k in range(team.count(role)):
                user = User(username=f"load-{role}{k + 1:02d}", password_hash=pw_hash, is_admin=False, is_active=True)
                s.add(user)
                s.flush()
                set_member(s, actor, project_id, user.id, Role(role))
                tokens[role].append(issue_token(s, user, "load").token)
                ids[role].append(user.id)
    return tokens, ids


def _boxes(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        w, h = rng.uniform(8, 80), rng.uniform(8, 80)
        x, y = rng.uniform(0, IMG_W - w), rng.uniform(0, IMG_H - h)
        out.append({"bbox": [round(x, 1), round(y, 1), round(x + w, 1), round(y + h, 1)]})
    return out


def seed_project(hub: Any, actor: Any, *, items: int, images: int, labelled_share: float, team: Team,
                 seed: int) -> Seeded:  # fmt: skip
    """Make the load test's project; return what the simulated users need (see :class:`Seeded`).

    Items: ``items`` 320x240 images named ``img/000123.jpg``, item k showing stored image ``k % images``. The
    first ``labelled_share`` are labelled (1-4 accepted boxes each, status ``labeled``, version 2, by a random
    annotator): the review queue. Of the rest (status ``new``), every other one is assigned round robin to the
    first half of the annotators; the others are the open pool the queue offers everyone.
    """
    from sqlalchemy import insert, select

    from labelhub.domain.enums import ItemKind
    from labelhub.domain.natural import natural_key
    from labelhub.domain.schema import LabelSchema
    from labelhub.services.projects import create_project
    from labelhub.storage.models import Annotation, Item

    rng = random.Random(seed)
    keys = _store_images(hub, images, seed)
    log(f"stored {len(keys):,} JPEGs")
    with hub.db.session(write=True) as s:
        pid = int(create_project(s, actor, "load", item_kind=ItemKind.IMAGE, schema=LabelSchema.from_names(LABELS)).id)
    tokens, ids = _team(hub, actor, pid, team)
    # Interleave: annotator tokens alternate assigned / pool, so every step has both kinds.
    half = (len(ids["annotator"]) + 1) // 2
    assigned_ids = ids["annotator"][:half]
    assigned, pool = tokens["annotator"][:half], tokens["annotator"][half:]
    tokens["annotator"] = [t for pair in zip(assigned, pool, strict=False) for t in pair] + assigned[len(pool) :]
    tokens["assigned"] = assigned
    n_labelled = int(items * labelled_share)
    now = datetime.now(UTC)
    for start in range(0, items, BATCH):
        rows = []
        for i in range(start, min(items, start + BATCH)):
            name = f"img/{i:06d}.jpg"
            done = i < n_labelled
            assignee = None if done or i % 2 else assigned_ids[(i // 2) % len(assigned_ids)]
            rows.append({"project_id": pid, "kind": "image", "name": name, "sort_key": natural_key(name),
                         "media_key": keys[i % len(keys)], "width": IMG_W, "height": IMG_H, "meta": {},
                         "status": "labeled" if done else "new", "version": 2 if done else 1, "overlap": 0,
                         "annotator_id": rng.choice(ids["annotator"]) if done else None, "assignee_id": assignee,
                         "created_at": now, "updated_at": now})  # fmt: skip
        with hub.db.session(write=True) as s:
            s.execute(insert(Item), rows)
    with hub.db.session() as s:
        item_ids = list(s.scalars(select(Item.id).where(Item.project_id == pid).order_by(Item.id)))
        q = select(Item.id, Item.annotator_id).where(Item.project_id == pid, Item.status == "labeled")
        annotators = {int(r[0]): r[1] for r in s.execute(q)}
    boxes = 0
    for start in range(0, n_labelled, BATCH):
        rows = []
        for iid in item_ids[start : min(n_labelled, start + BATCH)]:
            for geo in _boxes(rng, rng.randint(1, 4)):
                rows.append({"item_id": iid, "project_id": pid, "kind": "box", "label": rng.choice(LABELS),
                             "geometry": geo, "source": "human", "state": "accepted", "attributes": {},
                             "author_id": annotators[iid], "version": 1, "created_at": now,
                             "updated_at": now})  # fmt: skip
        boxes += len(rows)
        with hub.db.session(write=True) as s:
            s.execute(insert(Annotation), rows)
    if hub.db.dialect == "postgresql":  # as the importer does after a big insert (labelhub.storage.bulk)
        from sqlalchemy import text

        with hub.db.session(write=True) as s:
            s.execute(text("ANALYZE items"))
            s.execute(text("ANALYZE annotations"))
    log(f"project {pid}: {len(item_ids):,} items ({n_labelled:,} labelled, {boxes:,} boxes), "
        f"{sum(len(tokens[r]) for r in ROLES)} users")  # fmt: skip
    counts = {"items": len(item_ids), "labelled": n_labelled, "boxes": boxes, "images": len(set(keys)),
              "users": {r: len(tokens[r]) for r in ROLES}, "assigned_annotators": len(assigned)}  # fmt: skip
    return Seeded(project_id=pid, first_id=item_ids[0], last_id=item_ids[-1],
                  labelled_last_id=item_ids[max(0, n_labelled - 1)], tokens=tokens, counts=counts)  # fmt: skip
