"""Undo of a track delete, split or merge: the server keeps what each of them changed and can put it back.

A moved box or a relabel is undone by the editor sending the inverse edit (it knows the old box or label). A
delete, split or merge moves or removes every stored box of a track at once, and what a person saw (propagated
boxes with their confidences, per-frame values, outside frames) is more than a few keyframes could rebuild. So
the route that makes such a change first :func:`capture` s the touched tracks' annotation rows (every column,
after locking the item as the change itself does), and once the change is made :func:`keep` stores them with the
tracks' keyframes as the change left them, and returns a token (the snapshot's id) the editor keeps with its
undo step.

:func:`undo` puts the rows back as they were, with their ids, under a new item version (409 when stale, as every
track edit): the split-off track goes, the merged-away or deleted track comes back with its id, and nothing needs
propagating again. It refuses (409) once a person changed those tracks since: their keyframes, labels or keyframe
values differ from what the change left (a propagation job's boxes do not count: they follow the keyframes), or a
deleted track's id was given to another track. Each token undoes once (a redo is the change made again, with a
new token); the last :data:`KEPT` changes of each video are kept, compressed, while they take no more than
:data:`KEPT_BYTES` (the newest always is).

Hand-written: no library keeps row snapshots for an editor's undo.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from labelhub.errors import ConflictError, NotFoundError
from labelhub.services import audit
from labelhub.services.access import Actor
from labelhub.services.track_rows import TRACK_BOX, is_keyframe, keyframe_rows, track_rows
from labelhub.services.tracks import bump_version, editable_video
from labelhub.storage.db import json_loads
from labelhub.storage.models import Annotation, Item
from labelhub.storage.undo_models import TrackSnapshot

if TYPE_CHECKING:
    from labelhub.hub import Hub

__all__ = ["KEPT", "KEPT_BYTES", "capture", "hold_item", "keep", "undo"]

KEPT = 50  # undoable changes kept per video: far more than an editor's session undoes
# ... and no more than this many compressed bytes of them (the newest is always kept): about 45 changes of a
# 10,000-frame track (722 KB each in bench_long_sequence.py, 4.8 MB as plain JSON).
KEPT_BYTES = 32 * 1024 * 1024
_CHUNK = 5_000  # bound values per statement, within every database's limit
_TABLE = cast(Table, Annotation.__table__)
_A = _TABLE.c
_ITEMS = cast(Table, Item.__table__)
_DATES = ("created_at", "updated_at")


def hold_item(session: Session, item_id: int) -> None:
    """Lock the item's row before reading its boxes (PostgreSQL; SQLite has one writer anyway): a propagation job
    writing a track meanwhile then finishes first, or waits, as the job itself holds the row while it writes."""
    session.execute(select(_ITEMS.c.id).where(_ITEMS.c.id == item_id).with_for_update())


def capture(
    session: Session, hub: Hub, actor: Actor, project_id: int, item_id: int, track_ids: Iterable[int]
) -> list[dict[str, Any]]:
    """The rows of ``track_ids`` before a change, as JSON (checks that ``actor`` may annotate the video)."""
    editable_video(session, hub, actor, project_id, item_id)
    hold_item(session, item_id)
    ids = sorted({t for t in track_ids if isinstance(t, int) and not isinstance(t, bool)})
    q = select(_TABLE).where(_A.item_id == item_id, _A.kind == TRACK_BOX, _A.track_id.in_(ids))
    out = []
    for row in session.execute(q.order_by(_A.track_id, _A.frame, _A.id)).mappings():
        r = dict(row)
        for k in _DATES:
            if isinstance(r.get(k), datetime):
                r[k] = r[k].isoformat()
        out.append(r)
    return out


def _keyframes(session: Session, item_id: int, track_id: int) -> list[list[Any]]:
    """What a person set on the track: frame, label, box and values of each keyframe, in frame order."""
    return [
        [r.frame, r.label, (r.geometry or {}).get("bbox"), r.attributes or {}]
        for r in keyframe_rows(session, item_id, track_id)
        if is_keyframe(r.source, r.attributes)
    ]


def keep(
    session: Session, actor: Actor, project_id: int, item_id: int, action: str, before: list[dict[str, Any]],
    after: Sequence[int],
) -> int:  # fmt: skip
    """Store ``before`` (from :func:`capture`) with the keyframes of the tracks ``after`` the change; return the
    token that undoes it. Drops the video's oldest snapshots beyond :data:`KEPT`."""
    packed = _pack(before)
    snap = TrackSnapshot(item_id=item_id, project_id=project_id, action=action, rows={}, packed=packed,
                         size_bytes=len(packed), after={str(t): _keyframes(session, item_id, t) for t in after},
                         created_by=actor.user_id)  # fmt: skip
    session.add(snap)
    session.flush()
    newest = select(TrackSnapshot.id, TrackSnapshot.size_bytes).where(TrackSnapshot.item_id == item_id)
    stale, total = [], 0
    for n, (sid, size) in enumerate(session.execute(newest.order_by(TrackSnapshot.id.desc()))):
        total += size
        if n >= KEPT or (n > 0 and total > KEPT_BYTES):
            stale.append(sid)
    if stale:
        session.execute(delete(TrackSnapshot).where(TrackSnapshot.id.in_(stale)))
    return snap.id


def _pack(rows: list[dict[str, Any]]) -> bytes:
    """The rows as compact JSON (the standard encoder, as the JSON columns use: every value reads back as it was),
    zlib-compressed at its fastest level (a 10,000-box track: 4.8 MB of JSON to 722 KB in 21 ms)."""
    return zlib.compress(json.dumps(rows, separators=(",", ":")).encode(), 1)


def _unpacked(snap: TrackSnapshot) -> list[dict[str, Any]]:
    if snap.packed is None:  # stored before migration 0012
        return cast(list[dict[str, Any]], snap.rows.get("rows", []))
    return cast(list[dict[str, Any]], json_loads(zlib.decompress(snap.packed)))


def _restored(row: dict[str, Any]) -> dict[str, Any]:
    r = dict(row)
    for k in _DATES:
        if isinstance(r.get(k), str):
            r[k] = datetime.fromisoformat(r[k])
    return r


def _taken(session: Session, ids: Sequence[int]) -> bool:
    """Whether any of the annotation ids is in use (SQLite may give a deleted row's id to a new row)."""
    return any(
        session.scalar(select(_A.id).where(_A.id.in_(ids[at : at + _CHUNK])).limit(1)) is not None
        for at in range(0, len(ids), _CHUNK)
    )


def undo(
    session: Session, hub: Hub, actor: Actor, project_id: int, item_id: int, token: int, *, version: int
) -> tuple[int, list[int], list[int]]:
    """Put back what change ``token`` changed (see the module docstring). Return (the item's new version, the
    tracks brought back, the tracks removed)."""
    v = editable_video(session, hub, actor, project_id, item_id)
    hold_item(session, item_id)
    snap = session.get(TrackSnapshot, token)
    if snap is None or snap.item_id != item_id:
        raise NotFoundError(
            f"item {item_id} has no track change {token} to undo: each is undone once, and only the last {KEPT} "
            "deletes, splits and merges of a video are kept (fewer of very long tracks)",
            field="undo_token",
        )
    new_version = bump_version(session, actor, v, version)
    before = _unpacked(snap)
    back = sorted({int(r["track_id"]) for r in before})
    after = {int(t): keys for t, keys in snap.after.items()}
    what = {"delete": "was deleted", "split": "was split", "merge": "was merged"}.get(snap.action, "changed")
    for t, keys in sorted(after.items()):
        if _keyframes(session, item_id, t) != keys:
            raise ConflictError(
                f"track {t} was changed after it {what} (its keyframes, label or values differ): undo cannot put "
                "it back; change it by hand instead",
                field="undo_token",
            )
    for t in back:
        if t not in after and track_rows(session, item_id, t):
            raise ConflictError(f"track {t} {what}, and its id is another track's now: undo cannot bring it back",
                                field="undo_token")  # fmt: skip
    touched = sorted(set(back) | set(after))
    session.execute(delete(_TABLE).where(_A.item_id == item_id, _A.kind == TRACK_BOX, _A.track_id.in_(touched)))
    rows = [_restored(r) for r in before]
    if _taken(session, [int(r["id"]) for r in rows]):
        rows = [{k: x for k, x in r.items() if k != "id"} for r in rows]
    for at in range(0, len(rows), _CHUNK // 20):  # about 20 columns a row
        session.execute(insert(_TABLE), rows[at : at + _CHUNK // 20])
    removed = sorted(set(after) - set(back))
    session.delete(snap)
    audit.record(session, actor, "track.undo", "item", item_id, project_id=project_id,
                 detail={"undid": snap.action, "track_ids": back, "removed": removed})  # fmt: skip
    for t in touched:
        hub.propagations.drop((item_id, t))
    return new_version, back, removed
