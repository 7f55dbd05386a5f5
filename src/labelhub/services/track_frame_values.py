"""A track's per-frame ("mutable") attribute values: set from a frame on, held until the next change.

CVAT distinguishes immutable attributes (one value for the whole track, :mod:`labelhub.services.track_attributes`)
from mutable ones (``occluded``, ``speaking``), declared with ``AttributeSpec.mutable``. A person sets a mutable
value at frame ``t``; it holds on ``t`` and every later frame up to the next frame where the value changes (a
"value keyframe"), whatever the box keyframes are.

Storage: each box of the track (one annotation per frame) carries the value that holds on its frame in its
``attributes``, as an immutable value is carried. A value keyframe is no stored marker but a frame whose value
differs from the frame before. This was chosen over a per-track table because everything that reads boxes —
exports (CVAT writes per-frame values), imports (CVAT's per-box values come in as they are), search, item
deletes — then sees the values without knowing about them, and there is one place a value lives. What it costs:
setting the value a frame already holds changes nothing (there is no "set but equal" keyframe), and the
propagation job, which replaces the propagated boxes, must give its new boxes the values the old ones held
(:func:`steps` read before it deletes them, :func:`value_at` for each new box). Across a frame without a box
(a box keyframe just removed, filled again by the job) the later value starts right after the last box of the
earlier one, so a value set on a removed box keyframe still starts there.

Hand-written: no library models CVAT-style step values over a track stored as rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from labelhub.domain.attributes import AttributeSpec, AttributeValue, check_values
from labelhub.domain.enums import AnnotationKind
from labelhub.domain.permissions import Action
from labelhub.errors import NotFoundError, ValidationError
from labelhub.services import audit
from labelhub.services.access import Actor, project_schema, require
from labelhub.services.track_attributes import mutable_names
from labelhub.services.tracks import bump_version, editable_video
from labelhub.storage.models import Annotation, utcnow

if TYPE_CHECKING:
    from labelhub.hub import Hub

__all__ = ["Steps", "mutable_names", "set_from_frame", "steps", "track_rows", "value_at"]

TRACK_BOX = AnnotationKind.TRACK_BOX.value
FIELD = "frame_attributes"
_TABLE = cast(Table, Annotation.__table__)
_A = _TABLE.c
#: Per attribute name: (first frame, value) of each run of equal values, in frame order.
Steps = dict[str, list[tuple[int, AttributeValue | None]]]


def _same(a: object, b: object) -> bool:
    # Python compares True == 1; a yes/no and a number are different values here.
    return a == b and type(a) is type(b)


def track_rows(session: Session, item_id: int, track_id: int) -> list[tuple[int, int, dict[str, Any]]]:
    """Return the track's boxes as (row id, frame, attributes) in frame order."""
    q = select(_A.id, _A.frame, _A.attributes).where(
        _A.item_id == item_id, _A.kind == TRACK_BOX, _A.track_id == track_id, _A.frame.is_not(None)
    )
    return [(r.id, r.frame, dict(r.attributes or {})) for r in session.execute(q.order_by(_A.frame, _A.id))]


def steps(boxes: Iterable[tuple[int, Mapping[str, Any] | None]], names: Iterable[str]) -> Steps:
    """Return where each of ``names`` changes value along ``boxes`` ((frame, attributes) in frame order).

    A run starts on its first box; after a gap (frames without a box) it starts right after the earlier run's last
    box, so a frame filled in later takes the value that follows it (see the module docstring).
    """
    out: Steps = {n: [] for n in names}
    last: int | None = None
    for frame, attrs in boxes:
        a = attrs or {}
        for name, runs in out.items():
            v = a.get(name)
            if not runs:
                runs.append((frame, v))
            elif not _same(runs[-1][1], v):
                runs.append((frame if last is None else min(frame, last + 1), v))
        last = frame
    return out


def value_at(runs: Sequence[tuple[int, AttributeValue | None]], frame: int) -> AttributeValue | None:
    """Return the value on ``frame``: that of the last run starting at or before it (before all: the first's)."""
    if not runs:
        return None
    value = runs[0][1]
    for start, v in runs:
        if start > frame:
            break
        value = v
    return value


def _checked(specs: Sequence[AttributeSpec], label: str, values: Mapping[str, Any], track_id: int) -> None:
    mutable = set(mutable_names(specs))
    declared = {s.name for s in specs}
    for name in values:
        if name not in mutable:
            why = (
                "is not a per-frame attribute: set it on the whole track with attributes"
                if name in declared
                else "is not an attribute of this project; declare it in the project's settings first"
            )
            raise ValidationError(f"track {track_id}: {name!r} {why}", field=f"{FIELD}.values.{name}")
    where = f"track {track_id}"
    try:
        check_values(specs, label, values, where)
    except ValidationError as exc:
        field = str(exc.context.get("field", "attributes")).removeprefix(f"{where}.attributes.")
        raise ValidationError(exc.detail, field=f"{FIELD}.values.{field}") from None


def set_from_frame(
    session: Session, hub: Hub, actor: Actor, project_id: int, item_id: int, track_id: int, *, version: int,
    from_frame: int, values: Mapping[str, Any], to_frame: int | None = None,
) -> int:  # fmt: skip
    """Set per-frame values from ``from_frame`` on (None unsets); return the item's new version.

    Each value holds on the track's boxes from ``from_frame`` up to the next frame where the value held there
    changes, or up to ``to_frame`` when given (what undo sends: exactly the frames a change covered). Nothing
    changing (the same values already hold) raises no version, as the track's other edits.
    """
    v = editable_video(session, hub, actor, project_id, item_id)
    schema = project_schema(session, require(session, actor, project_id, Action.ANNOTATE))
    if isinstance(from_frame, bool) or not 0 <= from_frame < v.frame_count:
        raise ValidationError(
            f"from_frame must be in [0, {v.frame_count}), got {from_frame!r}", field=f"{FIELD}.from_frame"
        )
    if to_frame is not None and to_frame < from_frame:
        raise ValidationError(
            f"to_frame ({to_frame}) comes before from_frame ({from_frame})", field=f"{FIELD}.to_frame"
        )
    rows = track_rows(session, item_id, track_id)
    if not rows:
        raise NotFoundError(f"item {item_id} has no track {track_id}", field="track_id")
    label = session.scalar(select(_A.label).where(_A.id == rows[0][0])) or ""
    _checked(schema.attributes, label, values, track_id)
    after = [r for r in rows if r[1] >= from_frame and (to_frame is None or r[1] <= to_frame)]
    if not after:
        where = f"on frame {from_frame} or later" if to_frame is None else f"on frames {from_frame}..{to_frame}"
        raise ValidationError(f"track {track_id} has no box {where}", field=f"{FIELD}.from_frame")
    changed: dict[int, dict[str, Any]] = {}
    for name, value in values.items():
        held = after[0][2].get(name)
        for row_id, _frame, attrs in after:
            if to_frame is None and not _same(attrs.get(name), held):
                break  # the next value keyframe: the value set there holds on
            new = changed.setdefault(row_id, dict(attrs))
            if value is None:
                new.pop(name, None)
            else:
                new[name] = value
    before = {rid: attrs for rid, _frame, attrs in after}
    now = utcnow()
    updates = [{"row_id": rid, "new_attributes": new, "now": now} for rid, new in changed.items() if new != before[rid]]
    if not updates:
        if version != v.version:
            bump_version(session, actor, v, version)  # the 409 a stale version gets
        return version
    new_version = bump_version(session, actor, v, version)
    stmt = update(_TABLE).where(_A.id == bindparam("row_id"))
    stmt = stmt.values(attributes=bindparam("new_attributes"), updated_at=bindparam("now"), version=_A.version + 1)
    session.execute(stmt, updates)
    audit.record(session, actor, "track.frame_attributes", "item", item_id, project_id=project_id,
                 detail={"track_id": track_id, "from_frame": from_frame, "attributes": dict(values)})  # fmt: skip
    return new_version
