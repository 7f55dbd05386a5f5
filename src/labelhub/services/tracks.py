"""Tracks on video items: read them frame by frame, and apply a person's edits (new track, keyframe, outside).

A track is stored as ``track_box`` annotations of one item sharing a ``track_id``, one per frame that has a box
(the video convention of :mod:`labelhub.domain.records`): ``attributes.keyframe`` marks the frames a person
set, ``attributes.outside`` the frames where the object is not visible, and a propagated box carries its
confidence in ``score``. Every edit here is a human decision: it raises the item's ``version`` (409 when the
caller's is stale, as the image editor's saves) and the caller then queues a propagation job
(:mod:`labelhub.services.propagation`) that fills in the frames between keyframes. Propagated boxes are
derived data: the job rewrites them without touching the version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemStatus, Source
from labelhub.domain.geometry import validate_box
from labelhub.domain.permissions import Action, allows
from labelhub.errors import ConflictError, NotFoundError, ValidationError
from labelhub.services import audit
from labelhub.services import track_attributes as ta
from labelhub.services.access import Actor, project_schema, require, role_in
from labelhub.services.frames import VideoItem, load_video_item
from labelhub.services.track_boxes import track_boxes
from labelhub.services.track_rows import TRACK_BOX, is_keyframe, keyframe_rows, track_rows
from labelhub.services.track_view import TrackView, track_view
from labelhub.storage.models import Annotation, Item, utcnow
from labelhub.tracking import Keyframe
from labelhub.tracking._boxes import as_box, clip

if TYPE_CHECKING:
    from labelhub.hub import Hub

__all__ = [
    "create_track",
    "delete_track",
    "edit_track",
    "keyframe_attributes",
    "propagated_ids",
    "read_keyframes",
    "read_tracks",
    "remove_keyframe",
    "set_keyframe",
]

_TABLE = cast(Table, Annotation.__table__)
_A = _TABLE.c
_ITEMS = cast(Table, Item.__table__)


def read_tracks(
    session: Session,
    hub: Hub,
    actor: Actor,
    project_id: int,
    item_id: int,
    *,
    span: bool = False,
    track_id: int | None = None,
) -> tuple[VideoItem, list[TrackView]]:
    """Return the video item (its version and size) and its tracks in ``track_id`` order (only ``track_id``'s when
    given: none when it has none), for a reader; each over its own frames with ``span``, else over the video."""
    v = load_video_item(session, hub, actor, project_id, item_id)
    specs = ta.project_specs(session, project_id)
    by_track = track_boxes(session, item_id, track_id)
    views = [track_view(tid, rows, v.frame_count, specs) for tid, rows in by_track.items()]
    return v, views if span else [view.whole() for view in views]


def read_track(session: Session, v: VideoItem, track_id: int, *, span: bool = False) -> TrackView:
    """Return one track of ``v`` (over its own frames with ``span``); NotFoundError when there is no such track."""
    rows = track_boxes(session, v.item_id, track_id).get(track_id)
    if not rows:
        raise NotFoundError(f"item {v.item_id} has no track {track_id}", field="track_id")
    view = track_view(track_id, rows, v.frame_count, ta.project_specs(session, v.project_id))
    return view if span else view.whole()


def read_keyframes(session: Session, v: VideoItem, track_id: int) -> tuple[str, list[Keyframe]]:
    """Return a track's label and keyframes as the tracker takes them (boxes clipped to the image).

    A keyframe whose box lies wholly outside the image (possible in imported files) counts as outside.
    """
    rows = keyframe_rows(session, v.item_id, track_id) or track_rows(session, v.item_id, track_id)
    if not rows:
        raise NotFoundError(f"item {v.item_id} has no track {track_id}", field="track_id")
    kfs: list[Keyframe] = []
    for r in rows:
        if r.frame is None or not 0 <= r.frame < v.frame_count or not is_keyframe(r.source, r.attributes):
            continue
        bbox = (r.geometry or {}).get("bbox")
        box = None
        if not (r.attributes or {}).get("outside") and isinstance(bbox, list) and len(bbox) == 4:
            box = clip(as_box(bbox), v.width, v.height)
            if box[2] - box[0] < 1 or box[3] - box[1] < 1:
                box = None
        kfs.append(Keyframe(r.frame, box))
    return rows[0].label or "", kfs


def keyframe_attributes(session: Session, item_id: int, track_id: int) -> list[tuple[int, dict[str, Any]]]:
    """Return the track's keyframes as (frame, attributes) in frame order: where its boxes take their values."""
    return [
        (r.frame, dict(r.attributes or {}))
        for r in keyframe_rows(session, item_id, track_id)
        if r.frame is not None and is_keyframe(r.source, r.attributes)
    ]


def propagated_ids(session: Session, item_id: int, track_id: int, first: int, last: int) -> list[int]:
    """Return the ids of the track's rows on frames ``first .. last`` that no person set (not keyframes).

    Decided per row as everywhere here (``attributes.keyframe``, else the source): an imported track's
    interpolated boxes can be ``human`` rows with ``keyframe: false``, and a propagation replaces them too.
    """
    q = select(_A.id, _A.source, _A.attributes).where(
        _A.item_id == item_id, _A.kind == TRACK_BOX, _A.track_id == track_id, _A.frame.between(first, last)
    )
    return [r.id for r in session.execute(q) if not is_keyframe(r.source, r.attributes)]


def _checked_box(v: VideoItem, box: Sequence[float], field: str = "box") -> list[float]:
    return validate_box([float(x) for x in box] if isinstance(box, list | tuple) else box, v.width, v.height, field)


def _check_frame(v: VideoItem, frame: int) -> None:
    if isinstance(frame, bool) or not isinstance(frame, int) or not 0 <= frame < v.frame_count:
        raise ValidationError(f"frame must be in [0, {v.frame_count}), got {frame!r}", field="frame")


def bump_version(session: Session, actor: Actor, v: VideoItem, expected: int) -> int:
    """Raise the item's version (409 when ``expected`` is stale) and mark it labelled by ``actor``.

    As with the image editor's saves, a reviewer's fix does not take the item over from the person who
    labelled it: a reviewer becomes its annotator only when it has none.
    """
    values: dict[str, Any] = {}
    if actor.user_id is not None:
        reviewer = allows(role_in(session, actor, v.project_id), Action.REVIEW, is_admin=actor.is_admin)
        values["annotator_id"] = func.coalesce(_ITEMS.c.annotator_id, actor.user_id) if reviewer else actor.user_id
    res = session.execute(
        update(_ITEMS)
        .where(_ITEMS.c.id == v.item_id, _ITEMS.c.version == expected)
        .values(version=_ITEMS.c.version + 1, status=ItemStatus.LABELED.value, updated_at=utcnow(), **values)
    )
    if res.rowcount == 0:  # type: ignore[attr-defined]
        current = session.scalar(select(_ITEMS.c.version).where(_ITEMS.c.id == v.item_id))
        raise ConflictError(
            f"item {v.item_id} was changed by someone else (you had version {expected}, it is now {current}); "
            "reload its tracks",
            field="version",
            current_version=current,
        )
    return expected + 1


def keyframe_values(actor: Actor, box: list[float], outside: bool, kept: Mapping[str, Any]) -> dict[str, Any]:
    """Return a keyframe row's columns; ``kept``: the attribute values it carries (the track's, or the row's own)."""
    return {
        "geometry": {"bbox": box},
        "source": Source.HUMAN.value,
        "model_version": None,
        "score": None,
        "state": AnnotationState.ACCEPTED.value,
        "attributes": {**ta.carried(kept), "keyframe": True, "outside": outside, "needs_review": False},
        "author_id": actor.user_id,
        "updated_at": utcnow(),
    }


def editable_video(session: Session, hub: Hub, actor: Actor, project_id: int, item_id: int) -> VideoItem:
    return load_video_item(session, hub, actor, project_id, item_id, Action.ANNOTATE)


def create_track(
    session: Session, hub: Hub, actor: Actor, project_id: int, item_id: int, *, version: int, label: str,
    frame: int, box: Sequence[float], attributes: Mapping[str, Any] | None = None,
) -> tuple[int, int]:  # fmt: skip
    """Start a track with one keyframe carrying ``attributes`` (checked against ``label``); return (the item's new
    version, the new track's id)."""
    v = editable_video(session, hub, actor, project_id, item_id)
    schema = project_schema(session, require(session, actor, project_id, Action.ANNOTATE))
    if AnnotationKind.TRACK_BOX not in schema.kinds:
        raise ValidationError("this project does not allow tracks (kind track_box)", field="kind")
    if schema.classes and not schema.has_class(label):
        raise ValidationError(f"label {label!r} is not in the project's classes", field="label")
    _check_frame(v, frame)
    bbox = _checked_box(v, box)
    top = session.scalar(select(func.max(_A.track_id)).where(_A.item_id == item_id, _A.kind == TRACK_BOX))
    track_id = (top or 0) + 1
    values = ta.checked_changes(schema.attributes, label, attributes or {}, track_id)
    new_version = bump_version(session, actor, v, version)
    session.execute(
        insert(_TABLE),
        {"item_id": item_id, "project_id": project_id, "kind": TRACK_BOX, "label": label, "frame": frame,
         "track_id": track_id, "version": 1, "created_at": utcnow(),
         **keyframe_values(actor, bbox, False, {k: x for k, x in values.items() if x is not None})},
    )  # fmt: skip
    audit.record(session, actor, "track.create", "item", item_id, project_id=project_id,
                 detail={"track_id": track_id, "frame": frame, "label": label})  # fmt: skip
    return new_version, track_id


def set_keyframe(
    session: Session, hub: Hub, actor: Actor, project_id: int, item_id: int, track_id: int, frame: int, *,
    version: int, box: Sequence[float] | None,
) -> int:  # fmt: skip
    """Make ``frame`` a keyframe of the track: ``box``, or outside when ``box`` is None; return the new version."""
    v = editable_video(session, hub, actor, project_id, item_id)
    _check_frame(v, frame)
    rows = keyframe_rows(session, item_id, track_id, frame) or track_rows(session, item_id, track_id)
    if not rows:
        raise NotFoundError(f"item {item_id} has no track {track_id}", field="track_id")
    here = next((r for r in rows if r.frame == frame), None)
    if box is not None:
        bbox, outside = _checked_box(v, box), False
    else:
        # Outside keeps a place (the video convention): the box shown here, or the nearest keyframe's.
        boxed = [r for r in rows if (r.geometry or {}).get("bbox") and is_keyframe(r.source, r.attributes)]
        source = here if here is not None else min(boxed or rows, key=lambda r: abs((r.frame or 0) - frame))
        bbox, outside = list(source.geometry["bbox"]), True
        others = [r for r in boxed if r.frame != frame and not (r.attributes or {}).get("outside")]
        if not others:
            raise ValidationError("a track needs at least one keyframe with a box; delete the track instead",
                                  field="box")  # fmt: skip
    new_version = bump_version(session, actor, v, version)
    if here is not None:  # the box keeps its own values; a new keyframe takes the track's
        kept = ta.carried(here.attributes)
    else:
        keyed = [(r.frame, r.attributes) for r in rows if r.frame is not None and is_keyframe(r.source, r.attributes)]
        kept = ta.values_at(keyed, frame, (s.name for s in ta.project_specs(session, project_id)))
    values = keyframe_values(actor, bbox, outside, kept)
    if here is not None:
        session.execute(update(_TABLE).where(_A.id == here.id).values(version=_A.version + 1, **values))
    else:
        session.execute(
            insert(_TABLE),
            {"item_id": item_id, "project_id": project_id, "kind": TRACK_BOX, "label": rows[0].label,
             "frame": frame, "track_id": track_id, "version": 1, "created_at": utcnow(), **values},
        )  # fmt: skip
    audit.record(session, actor, "track.keyframe", "item", item_id, project_id=project_id,
                 detail={"track_id": track_id, "frame": frame, "outside": outside})  # fmt: skip
    return new_version


def remove_keyframe(
    session: Session, hub: Hub, actor: Actor, project_id: int, item_id: int, track_id: int, frame: int, *,
    version: int,
) -> int:  # fmt: skip
    """Remove the keyframe on ``frame`` (the propagation fills the frame in again); return the new version."""
    v = editable_video(session, hub, actor, project_id, item_id)
    rows = keyframe_rows(session, item_id, track_id) or track_rows(session, item_id, track_id)
    if not rows:
        raise NotFoundError(f"item {item_id} has no track {track_id}", field="track_id")
    here = next((r for r in rows if r.frame == frame and is_keyframe(r.source, r.attributes)), None)
    if here is None:
        raise NotFoundError(f"frame {frame} is not a keyframe of track {track_id}", field="frame")
    boxed = [r for r in rows if is_keyframe(r.source, r.attributes) and not (r.attributes or {}).get("outside")]
    if all(r.frame == frame for r in boxed):
        raise ValidationError("this is the track's last keyframe with a box; delete the track instead", field="frame")
    new_version = bump_version(session, actor, v, version)
    session.execute(delete(_TABLE).where(_A.id == here.id))
    audit.record(session, actor, "track.keyframe_remove", "item", item_id, project_id=project_id,
                 detail={"track_id": track_id, "frame": frame})  # fmt: skip
    return new_version


def edit_track(
    session: Session, hub: Hub, actor: Actor, project_id: int, item_id: int, track_id: int, *, version: int,
    label: str | None = None, attributes: Mapping[str, Any] | None = None,
) -> int:  # fmt: skip
    """Give every box of the track a new label and/or attribute values; return the item's new version.

    ``attributes`` maps declared names to a value (set on every box) or None (removed from every box), checked
    against the track's label after the change. A new label also drops the values it does not take.
    """
    v = editable_video(session, hub, actor, project_id, item_id)
    schema = project_schema(session, require(session, actor, project_id, Action.ANNOTATE))
    if label is None and attributes is None:
        raise ValidationError("send a new label or attribute values", field="label")
    if label is not None and schema.classes and not schema.has_class(label):
        raise ValidationError(f"label {label!r} is not in the project's classes", field="label")
    rows = track_rows(session, item_id, track_id)
    if not rows:
        raise NotFoundError(f"item {item_id} has no track {track_id}", field="track_id")
    current = rows[0].label or ""
    after = current if label is None else label
    changes = ta.checked_changes(schema.attributes, after, attributes or {}, track_id)
    drop = dict.fromkeys(ta.relabel_drops(schema.attributes, after) if after != current else ())
    now = utcnow()
    updates = []
    for r in rows:
        new = ta.applied(r.attributes, {**drop, **changes})
        if new != (r.attributes or {}) or after != r.label:
            updates.append({"row_id": r.id, "new_label": after, "new_attributes": new, "now": now})
    if not updates:  # nothing changes: no new version (another tab would get a 409 for nothing), no audit event
        if version != v.version:
            bump_version(session, actor, v, version)  # raises the 409 a stale version gets
        return version
    new_version = bump_version(session, actor, v, version)
    stmt = update(_TABLE).where(_A.id == bindparam("row_id"))
    stmt = stmt.values(label=bindparam("new_label"), attributes=bindparam("new_attributes"))
    session.execute(stmt.values(updated_at=bindparam("now"), version=_A.version + 1), updates)
    if label is not None:
        audit.record(session, actor, "track.rename", "item", item_id, project_id=project_id,
                     detail={"track_id": track_id, "label": label})  # fmt: skip
    if attributes is not None:
        audit.record(session, actor, "track.attributes", "item", item_id, project_id=project_id,
                     detail={"track_id": track_id, "attributes": changes})  # fmt: skip
    return new_version


def delete_track(
    session: Session, hub: Hub, actor: Actor, project_id: int, item_id: int, track_id: int, *, version: int
) -> int:
    """Delete every box of the track; return the item's new version."""
    v = editable_video(session, hub, actor, project_id, item_id)
    one = select(_A.id).where(_A.item_id == item_id, _A.kind == TRACK_BOX, _A.track_id == track_id).limit(1)
    if session.scalar(one) is None:
        raise NotFoundError(f"item {item_id} has no track {track_id}", field="track_id")
    new_version = bump_version(session, actor, v, version)
    session.execute(delete(_TABLE).where(_A.item_id == item_id, _A.kind == TRACK_BOX, _A.track_id == track_id))
    audit.record(session, actor, "track.delete", "item", item_id, project_id=project_id,
                 detail={"track_id": track_id})  # fmt: skip
    hub.propagations.drop((item_id, track_id))
    return new_version
