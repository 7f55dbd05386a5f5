"""Split a track in two at a frame, and merge two tracks of a video item into one (CVAT's split and merge).

Both are a person's decision, checked as every track edit (:mod:`labelhub.services.tracks`): whoever may annotate,
one transaction that raises the item's version (409 when stale) and records an audit event. The boxes keep their
state (keyframe, propagated with its confidence, outside), their label and their attribute values; only the
keyframes the propagation needs at the seams are added or dropped (below). The routes then queue a propagation job
per changed track, which re-tracks only the segments next to those seams: the hub's cached passes of the track
that was split are handed on to the new track (:mod:`labelhub.services.propagation` compares them with the stored
keyframes), the merged-away track's are dropped.

The propagation fills every frame of the video from a track's keyframes: backwards from its first keyframe with a
box to the video's start, forwards from its last to the end, unless an *outside* keyframe bounds it. So a split at
frame ``f`` writes the track's ends as outside keyframes, as CVAT does:

- the first track keeps the rows before ``f``. Its last one becomes a keyframe as it is (its box, or outside when
  the object was out of view there) and, when that is a box, an outside keyframe on ``f`` ends the track (at the
  last place seen). When no keyframe with a box would be left, the last box before ``f`` becomes one too;
- the new track (the next free id, same label and attribute values) takes the rows from ``f`` on. Its first row
  becomes a keyframe as it is and, when that is a box, an outside keyframe on ``f - 1`` says the object is not
  this track's before.

Why both ends: between a box keyframe and an outside keyframe only a forward pass runs (interpolation holds the
box), so without a keyframe on ``f - 1`` the first track's boxes up to the split would move when re-propagated;
with it they are blended between the same boxes as before (interpolated: the same line).

A merge keeps the lowest id and combines the two tracks' keyframes: two keyframes with a box on one frame are
refused (422 naming the frames: remove one first); on a frame where one track says outside and the other has a
box, the box wins; the outside keyframes that only said the later track had not started yet are dropped; a
propagated box gives way to the other track's keyframe. Between the two (frames where neither shows the object)
the merged track is outside from the frame after the earlier one's last box, as in CVAT; where they overlap the
propagation joins them from the keyframes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Row, Table, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from labelhub.domain.permissions import Action
from labelhub.errors import NotFoundError, ValidationError
from labelhub.services import audit
from labelhub.services import track_attributes as ta
from labelhub.services.access import Actor, project_schema, require
from labelhub.services.track_rows import TRACK_BOX, is_keyframe, track_rows
from labelhub.services.track_undo import hold_item
from labelhub.services.tracks import bump_version, editable_video, keyframe_values
from labelhub.storage.models import Annotation, Item, utcnow

if TYPE_CHECKING:
    from labelhub.hub import Hub

__all__ = ["merge_tracks", "split_track"]

_TABLE = cast(Table, Annotation.__table__)
_A = _TABLE.c
_ITEMS = cast(Table, Item.__table__)
_LISTED = 12  # frames a refusal names before "and N more"


def _key(r: Row[Any]) -> bool:
    return is_keyframe(r.source, r.attributes)


def _outside(r: Row[Any]) -> bool:
    return bool((r.attributes or {}).get("outside"))


def _box(r: Row[Any]) -> list[float] | None:
    bbox = (r.geometry or {}).get("bbox")
    return [float(x) for x in bbox] if isinstance(bbox, list) and len(bbox) == 4 else None


def _visible(r: Row[Any]) -> bool:
    return not _outside(r) and _box(r) is not None


def _box_key(r: Row[Any]) -> bool:
    return _key(r) and _visible(r)


def _frames_text(frames: Sequence[int]) -> str:
    shown = ", ".join(str(f) for f in frames[:_LISTED])
    return shown + (f" and {len(frames) - _LISTED} more" if len(frames) > _LISTED else "")


def _track_rows(session: Session, item_id: int, track_id: int, n: int, field: str) -> list[Row[Any]]:
    """The track's rows on frames of the video, in frame order; 404 naming ``field`` for an unknown track."""
    rows = track_rows(session, item_id, track_id)
    if not rows:
        raise NotFoundError(f"item {item_id} has no track {track_id}", field=field)
    return [r for r in rows if r.frame is not None and 0 <= r.frame < n]


def _marker(actor: Actor, project_id: int, item_id: int, track_id: int, label: str, frame: int, box: list[float],
            kept: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    """An outside keyframe row: the object is not visible on ``frame`` (it keeps the place ``box``)."""
    return {"item_id": item_id, "project_id": project_id, "kind": TRACK_BOX, "label": label, "frame": frame,
            "track_id": track_id, "version": 1, "created_at": utcnow(),
            **keyframe_values(actor, box, True, kept)}  # fmt: skip


def _make_keyframe(session: Session, actor: Actor, r: Row[Any]) -> None:
    """Turn a propagated row into a person's keyframe, as it is (its box, or outside, and its values)."""
    box = _box(r)
    if box is None:  # pragma: no cover - every stored track box has a bbox
        raise ValidationError(f"the box on frame {r.frame} has no geometry", field="frame")
    values = keyframe_values(actor, box, _outside(r), ta.carried(r.attributes))
    session.execute(update(_TABLE).where(_A.id == r.id).values(version=_A.version + 1, **values))


def split_track(
    session: Session, hub: Hub, actor: Actor, project_id: int, item_id: int, track_id: int, *, version: int,
    frame: int,
) -> tuple[int, int]:  # fmt: skip
    """Split the track at ``frame``: it keeps the frames before, a new track holds ``frame`` on (see the module
    docstring); return (the item's new version, the new track's id)."""
    v = editable_video(session, hub, actor, project_id, item_id)
    hold_item(session, item_id)
    rows = _track_rows(session, item_id, track_id, v.frame_count, "track_id")
    if not rows:
        raise ValidationError(f"track {track_id} has no box on a frame of this video", field="track_id")
    first, last = rows[0].frame, rows[-1].frame
    if isinstance(frame, bool) or not isinstance(frame, int) or not first < frame <= last:
        where = f"frames {first + 1}-{last}" if first + 1 < last else f"frame {last}"
        raise ValidationError(
            f"track {track_id} runs from frame {first} to {last}: split it on a frame after its first ({where}), "
            f"got {frame!r}"
            if first < last
            else f"track {track_id} has one frame: there is nothing to split",
            field="frame",
        )
    before = [r for r in rows if r.frame < frame]
    after = [r for r in rows if r.frame >= frame]
    head = after[0]
    if not (_visible(head) or any(_box_key(r) for r in after)):
        raise ValidationError(f"track {track_id} shows nothing from frame {frame} on: nothing to split off",
                              field="frame")  # fmt: skip
    seen = [r for r in before if _visible(r)]
    if not seen:
        raise ValidationError(f"track {track_id} shows nothing before frame {frame}: delete the frames instead",
                              field="frame")  # fmt: skip
    tail = before[-1]
    # The first track needs a keyframe with a box: its last frame becomes one, or when the object is out of view
    # there, the last box before (an outside keyframe then ends the first track already).
    pin = None if _visible(tail) or any(_box_key(r) for r in before) else seen[-1]
    new_version = bump_version(session, actor, v, version)
    top = session.scalar(select(func.max(_A.track_id)).where(_A.item_id == item_id, _A.kind == TRACK_BOX))
    new_id = (top or track_id) + 1
    label = rows[0].label or ""
    now = utcnow()
    session.execute(
        update(_TABLE)
        .where(_A.item_id == item_id, _A.kind == TRACK_BOX, _A.track_id == track_id, _A.frame >= frame)
        .values(track_id=new_id, version=_A.version + 1, updated_at=now)
    )
    # Both ends become keyframes as they are: the propagation then keeps the boxes next to the split where they
    # were (without the first track's, a tracker would run on alone towards an outside keyframe).
    for r in (head, tail, pin):
        if r is not None and not _key(r):
            _make_keyframe(session, actor, r)
    markers = []
    head_box = _box(head)
    if _visible(head) and head_box is not None:  # nothing of the new track before ``frame``
        markers.append(_marker(actor, project_id, item_id, new_id, label, frame - 1, head_box,
                               ta.carried(head.attributes)))  # fmt: skip
    last_box = _box(seen[-1])
    if _visible(tail) and last_box is not None:  # nothing of the first track from ``frame`` on
        markers.append(_marker(actor, project_id, item_id, track_id, label, frame, last_box,
                               ta.carried(tail.attributes)))  # fmt: skip
    if markers:
        session.execute(insert(_TABLE), markers)
    audit.record(session, actor, "track.split", "item", item_id, project_id=project_id,
                 detail={"track_id": track_id, "frame": frame, "new_track_id": new_id})  # fmt: skip
    cached = hub.propagations.get((item_id, track_id))
    if cached is not None:  # the new track's job re-tracks only what the split changed
        hub.propagations.put((item_id, new_id), cached)
    return new_version, new_id


def _merged_keys(earlier: list[Row[Any]], later: list[Row[Any]]) -> dict[int, Row[Any]]:
    """The keyframes of the merged track by frame (the module docstring's rules; conflicts are checked before)."""
    start = min(r.frame for r in later if _box_key(r))
    keys = {r.frame: r for r in earlier if _key(r)}
    for r in later:
        if not _key(r) or (_outside(r) and r.frame < start):
            continue  # the later track's "not started yet" goes
        here = keys.get(r.frame)
        if here is None or (_outside(here) and _visible(r)):
            keys[r.frame] = r
    return keys


def _merged_rows(keys: Mapping[int, Row[Any]], by_track: Mapping[int, Mapping[int, Row[Any]]]) -> dict[int, Row[Any]]:
    """The row each frame of the merged track keeps: its keyframe, else the box of the track whose keyframe comes
    before it (after it, before the first), else the other track's propagated box."""
    frames = sorted(keys)
    chosen: dict[int, Row[Any]] = dict(keys)
    for f in sorted({f for rows in by_track.values() for f in rows} - set(keys)):
        i = bisect_right(frames, f)
        owner = keys[frames[i - 1] if i > 0 else frames[0]].track_id
        order = [owner, *(t for t in by_track if t != owner)]
        found = next((r for t in order if (r := by_track[t].get(f)) is not None and not _key(r)), None)
        if found is not None:
            chosen[f] = found
    return chosen


def merge_tracks(
    session: Session, hub: Hub, actor: Actor, project_id: int, item_id: int, track_ids: Sequence[int], *,
    version: int, label: str | None = None,
) -> tuple[int, int, int]:  # fmt: skip
    """Merge two tracks into the one with the lower id (see the module docstring); ``label`` is needed when their
    labels differ. Return (the item's new version, the kept track's id, the merged-away track's id)."""
    v = editable_video(session, hub, actor, project_id, item_id)
    schema = project_schema(session, require(session, actor, project_id, Action.ANNOTATE))
    if len(track_ids) != 2 or len(set(track_ids)) != 2:
        raise ValidationError(f"send two different track ids to merge, got {list(track_ids)}", field="track_ids")
    keep, gone = sorted(track_ids)
    hold_item(session, item_id)
    rows = {t: _track_rows(session, item_id, t, v.frame_count, "track_ids") for t in (keep, gone)}
    labels = {t: (rs[0].label if rs else "") or "" for t, rs in rows.items()}
    if label is None and labels[keep] != labels[gone]:
        raise ValidationError(f"track {keep} is {labels[keep]!r} and track {gone} is {labels[gone]!r}: choose the "
                              "label the merged track gets", field="label")  # fmt: skip
    if label is not None and schema.classes and not schema.has_class(label):
        raise ValidationError(f"label {label!r} is not in the project's classes", field="label")
    for t, rs in rows.items():
        if not any(_box_key(r) for r in rs):
            raise ValidationError(f"track {t} has no keyframe with a box", field="track_ids")
    both = sorted({r.frame for r in rows[keep] if _box_key(r)} & {r.frame for r in rows[gone] if _box_key(r)})
    if both:
        raise ValidationError(
            f"tracks {keep} and {gone} both have a keyframe with a box on frame{'s' if len(both) > 1 else ''} "
            f"{_frames_text(both)}: remove one of them first", field="track_ids", frames=both,
        )  # fmt: skip
    earlier, later = sorted((keep, gone), key=lambda t: (min(r.frame for r in rows[t] if _box_key(r)), t))
    keys = _merged_keys(rows[earlier], rows[later])
    by_track = {t: {r.frame: r for r in reversed(rs)} for t, rs in rows.items()}
    chosen = _merged_rows(keys, by_track)
    after = label if label is not None else labels[keep]
    specs = schema.attributes
    own, mixed = ta.shared_values(specs, (r.attributes for r in rows[keep]))
    theirs, _ = ta.shared_values(specs, (r.attributes for r in rows[gone]))
    changes: dict[str, Any] = {**{n: x for n, x in theirs.items() if n not in mixed}, **own}
    changes.update(dict.fromkeys(ta.relabel_drops(specs, after)))
    gap = _gap_marker(actor, project_id, item_id, keep, after, rows[earlier], rows[later], keys)
    if gap is not None:  # the outside keyframe takes the place of the propagated box on its frame
        chosen.pop(gap["frame"], None)
    new_version = bump_version(session, actor, v, version)
    now = utcnow()
    kept_ids = {r.id for r in chosen.values()}
    dropped = [r.id for rs in rows.values() for r in rs if r.id not in kept_ids]
    for at in range(0, len(dropped), 5_000):  # within every database's limit of bound values
        session.execute(delete(_TABLE).where(_A.id.in_(dropped[at : at + 5_000])))
    updates = []
    for r in chosen.values():
        attrs = ta.applied(r.attributes, changes)
        if r.track_id != keep or r.label != after or attrs != (r.attributes or {}):
            updates.append({"row_id": r.id, "new_label": after, "new_attributes": attrs, "now": now})
    if updates:
        stmt = update(_TABLE).where(_A.id == bindparam("row_id")).values(
            track_id=keep, label=bindparam("new_label"), attributes=bindparam("new_attributes"),
            updated_at=bindparam("now"), version=_A.version + 1,
        )  # fmt: skip
        session.execute(stmt, updates)
    # Rows on frames the video does not have (a damaged import) follow the kept track.
    off = or_(_A.frame.is_(None), _A.frame < 0, _A.frame >= v.frame_count)
    session.execute(update(_TABLE).where(_A.item_id == item_id, _A.kind == TRACK_BOX,
                                         _A.track_id.in_((keep, gone)), off)
                    .values(track_id=keep, label=after, updated_at=now))  # fmt: skip
    if gap is not None:
        gap["attributes"] = ta.applied(gap["attributes"], changes)
        session.execute(insert(_TABLE), gap)
    audit.record(session, actor, "track.merge", "item", item_id, project_id=project_id,
                 detail={"track_id": keep, "merged_track_id": gone, "label": after,
                         "gap_outside_from": gap["frame"] if gap is not None else None})  # fmt: skip
    hub.propagations.drop((item_id, gone))
    return new_version, keep, gone


def _gap_marker(actor: Actor, project_id: int, item_id: int, keep: int, label: str, earlier: list[Row[Any]],
                later: list[Row[Any]], keys: Mapping[int, Row[Any]]) -> dict[str, Any] | None:  # fmt: skip
    """An outside keyframe after the earlier track's last box when frames follow where neither track shows the
    object and no keyframe says anything there (CVAT fills such a gap as outside); None otherwise."""
    last = max((r for r in earlier if _visible(r)), key=lambda r: r.frame)
    start = min(r.frame for r in later if _visible(r))
    if start <= last.frame + 1 or any(last.frame < f < start for f in keys):
        return None
    box = _box(last)
    if box is None:  # pragma: no cover - _visible checked it
        return None
    return _marker(actor, project_id, item_id, keep, label, last.frame + 1, box, ta.carried(last.attributes))
