"""Items: keyset-paginated listing with filters, single reads, and the review decision."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, Select, case, distinct, exists, func, or_, select, update
from sqlalchemy.orm import Session

from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.enums import AnnotationState, ItemKind, ItemStatus, Source
from labelhub.domain.permissions import Action
from labelhub.errors import ConflictError, NotFoundError, ValidationError
from labelhub.services import audit
from labelhub.services.access import Actor, project_schema, require
from labelhub.services.item_order import (
    ItemOrder,
    anchor_key,
    before_count_condition,
    ids_bound,
    on_postgresql,
    ordered,
    ordered_before,
    whole_project_page,
)
from labelhub.storage.attribute_values import attribute_is
from labelhub.storage.models import Annotation, Item, Project, utcnow
from labelhub.storage.tags import has_tag

MAX_PAGE = 1000
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def to_label(project_id: int) -> list[ColumnElement[bool]]:
    """Conditions on :class:`Item` for what the labelling queue offers: status new and no accepted label."""
    a = Annotation
    return [
        Item.project_id == project_id,
        Item.status == ItemStatus.NEW.value,
        ~exists().where(a.item_id == Item.id, a.project_id == project_id, a.state == AnnotationState.ACCEPTED.value),
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemFilter:
    """Filters for listing. Annotation filters (label, source, state, score, attribute) match items that have at
    least one annotation meeting all of them at once.

    ``attribute`` names a declared attribute: with ``attribute_value`` (the text of a URL, read by the attribute's
    type) the annotation holds that value, without it any value. :func:`attribute_condition` checks them.
    """

    status: ItemStatus | None = None
    kind: ItemKind | None = None
    split: str | None = None
    label: str | None = None
    source: Source | None = None
    state: AnnotationState | None = None
    min_score: float | None = None
    max_score: float | None = None
    q: str | None = None
    tag: str | None = None
    unlabeled: bool = False
    annotator_id: int | None = None
    attribute: str | None = None
    attribute_value: str | None = None
    # Who should label it (labelhub.services.assignment): this user id, or (``unassigned``) nobody.
    assignee_id: int | None = None
    unassigned: bool = False


@dataclass(frozen=True, slots=True)
class ItemPage:
    items: list[Item]
    annotation_counts: dict[int, int]
    next_after: int | None


def attribute_condition(specs: Sequence[AttributeSpec], f: ItemFilter) -> ColumnElement[bool] | None:
    """The condition on :class:`Annotation` for ``f``'s attribute filter, None without one.

    The value is read by the declared type, so a bool matches JSON ``true``, not the string ``"true"``. Raises
    ValidationError naming ``attribute`` (not declared) or ``attribute_value`` (no value of that type, or no
    attribute named).
    """
    if f.attribute is None:
        if f.attribute_value is not None:
            raise ValidationError(
                "attribute_value needs attribute: name the attribute whose value to match", field="attribute_value"
            )
        return None
    spec = next((s for s in specs if s.name == f.attribute), None)
    if spec is None:
        declared = ", ".join(s.name for s in specs) or "none yet"
        raise ValidationError(
            f"attribute {f.attribute!r} is not declared in this project (declared: {declared}); declare it in the"
            " project's settings to filter by it",
            field="attribute",
        )
    raw = f.attribute_value
    if raw is None:
        return attribute_is(spec.name, "any")
    bad = f"attribute_value for {spec.name!r}"
    if spec.type == "bool":
        if raw not in ("true", "false"):
            raise ValidationError(f"{bad} must be true or false, not {raw!r}", field="attribute_value")
        return attribute_is(spec.name, "true" if raw == "true" else "false")
    if spec.type == "number":
        # A plain decimal, as the grid's number field writes one: float() alone would also take "3_0", " 3 " or a
        # full-width digit, which the web app's note calls no number.
        number = float(raw) if _DECIMAL.fullmatch(raw) else math.nan
        if not math.isfinite(number):
            raise ValidationError(f"{bad} must be a finite number, not {raw!r}", field="attribute_value")
        return attribute_is(spec.name, "number", number)
    if spec.type == "select" and raw not in spec.options:
        raise ValidationError(
            f"{bad} {raw!r} is not one of its options: {', '.join(spec.options)}", field="attribute_value"
        )
    return attribute_is(spec.name, "text", raw)


def _annotation_conditions(f: ItemFilter, specs: Sequence[AttributeSpec]) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    attribute = attribute_condition(specs, f)
    if attribute is not None:
        conds.append(attribute)
    if f.label is not None:
        conds.append(Annotation.label == f.label)
    if f.source is not None:
        conds.append(Annotation.source == f.source.value)
    if f.state is not None:
        conds.append(Annotation.state == f.state.value)
    if f.min_score is not None:
        conds.append(Annotation.score >= f.min_score)
    if f.max_score is not None:
        conds.append(Annotation.score <= f.max_score)
    return conds


def filtered_items(
    project_id: int,
    f: ItemFilter,
    specs: Sequence[AttributeSpec] = (),
    *,
    ids_bound: ColumnElement[bool] | None = None,
    counting: bool = False,
) -> Select[Item]:
    """Return the SELECT for a project's items under ``f``, ordered by id (the keyset).

    ``specs`` are the project's declared attributes, needed only by an attribute filter (:func:`specs_for`).
    ``ids_bound`` restates a page's keyset on ``Annotation.item_id`` (:func:`ids_bound`) for the annotation filters.
    ``counting``: for a COUNT (of the list, or of the items before one), the annotation filters become ``items.id
    IN (matching annotations' items)``: SQLite runs a page's EXISTS once per item of the project, but reads the IN
    list from the (project, label, item) index once (a label's count at 1M items: 1.2 s -> 16 ms).
    """
    stmt = select(Item).where(Item.project_id == project_id)
    if f.status is not None:
        stmt = stmt.where(Item.status == f.status.value)
    if f.kind is not None:
        stmt = stmt.where(Item.kind == f.kind.value)
    if f.split is not None:
        stmt = stmt.where(Item.split == f.split)
    if f.annotator_id is not None:
        stmt = stmt.where(Item.annotator_id == f.annotator_id)
    if f.assignee_id is not None:
        stmt = stmt.where(Item.assignee_id == f.assignee_id)
    if f.unassigned:
        stmt = stmt.where(Item.assignee_id.is_(None))
    if f.q:
        escaped = f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        stmt = stmt.where(
            or_(Item.text.ilike(pattern, escape="\\"), Item.name.ilike(pattern, escape="\\"), has_tag(f.q.strip()))
        )
    if f.tag:
        stmt = stmt.where(has_tag(f.tag))
    conds = _annotation_conditions(f, specs)
    if conds:
        # ``Annotation.project_id`` (a copy of the item's) lets the database walk the (project, label|source|
        # state, item) indexes in item order instead of every annotation from the first item: a deep label page
        # took 80 ms on PostgreSQL without it, 11 ms with it.
        if ids_bound is not None:
            conds.append(ids_bound)
        annotated: ColumnElement[bool]
        if counting:
            annotated = Item.id.in_(select(Annotation.item_id).where(Annotation.project_id == project_id, *conds))
        else:
            annotated = exists().where(Annotation.item_id == Item.id, Annotation.project_id == project_id, *conds)
        stmt = stmt.where(annotated)
    if f.unlabeled:
        stmt = stmt.where(~exists().where(Annotation.item_id == Item.id))
    return stmt.order_by(Item.id)


def specs_for(session: Session, project: Project, f: ItemFilter) -> tuple[AttributeSpec, ...]:
    """The project's declared attributes when ``f`` filters by one (the schema is read only then)."""
    if f.attribute is None and f.attribute_value is None:
        return ()
    return project_schema(session, project).attributes


def list_items(
    session: Session,
    actor: Actor,
    project_id: int,
    f: ItemFilter,
    *,
    after: int | None = None,
    before: int | None = None,
    after_name: str | None = None,
    before_name: str | None = None,
    limit: int = 100,
    order: ItemOrder = ItemOrder.ID,
) -> ItemPage:
    """Return one page of items in ``order``, after the item ``after``; cost does not grow with depth (keyset).

    With ``before`` instead, the page holds the ``limit`` items just before that item (still in ``order``), and
    ``next_after`` is not set: the editor's "previous item" at any depth, without walking the list. In the id
    orders ``after`` and ``before`` are ids that need not exist any more; in the name orders they name an item of
    the project, whose name is the keyset's position, unless ``after_name`` / ``before_name`` give that name
    (then the item need not exist any more either).
    """
    project = require(session, actor, project_id, Action.READ)
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    backwards = before is not None or before_name is not None
    if backwards and (after is not None or after_name is not None):
        raise ValidationError("pass after or before, not both", field="before")
    specs = specs_for(session, project, f)
    end = anchor_key(session, project_id, order, before, name=before_name, field="before") if backwards else None
    start = (
        None
        if backwards or (after is None and after_name is None)
        else anchor_key(session, project_id, order, after, name=after_name, field="after")
    )
    if not order.by_name and f == ItemFilter() and on_postgresql(session):
        stmt = whole_project_page(project_id, order, after=start, before=end)
    elif end is not None:
        stmt = filtered_items(project_id, f, specs, ids_bound=ids_bound(session, order, end, before=True))
        stmt = ordered_before(stmt, order, end)
    else:
        bound = None if start is None else ids_bound(session, order, start, before=False)
        stmt = ordered(filtered_items(project_id, f, specs, ids_bound=bound), order, after=start)
    items = list(session.scalars(stmt.limit(limit)))
    if backwards:
        items.reverse()
    counts = annotation_counts(session, [i.id for i in items])
    next_after = items[-1].id if len(items) == limit and not backwards else None
    return ItemPage(items=items, annotation_counts=counts, next_after=next_after)


def count_items(session: Session, actor: Actor, project_id: int, f: ItemFilter) -> int:
    """Return how many of the project's items match ``f`` (the size of the list :func:`list_items` pages)."""
    project = require(session, actor, project_id, Action.READ)
    specs = specs_for(session, project, f)
    if _annotations_only(f, specs):
        return _count_annotated(session, project_id, f, specs, None)
    listed = filtered_items(project_id, f, specs, counting=True).order_by(None)
    return int(session.scalar(listed.with_only_columns(func.count(Item.id), maintain_column_froms=True)) or 0)


def item_position(
    session: Session, actor: Actor, project_id: int, f: ItemFilter, item_id: int, order: ItemOrder = ItemOrder.ID
) -> int:
    """Return how many items matching ``f`` come before item ``item_id`` in ``order`` (its 0-based position).

    One COUNT with the keyset condition, served by the order's index; the item itself need not match ``f``. In the
    name orders the item's name is read first (an id that is no item of the project is a ValidationError).
    """
    project = require(session, actor, project_id, Action.READ)
    key = anchor_key(session, project_id, order, item_id, field="position_of")
    specs = specs_for(session, project, f)
    bound = ids_bound(None, order, key, before=True)
    if bound is not None and _annotations_only(f, specs):
        return _count_annotated(session, project_id, f, specs, bound)
    listed = filtered_items(project_id, f, specs, ids_bound=bound, counting=True).order_by(None)
    # With an annotation filter the IN list's ``item_id < n`` already says "before"; given ``items.id < n`` too,
    # SQLite walks those items probing the list (a label's position at half of 1M items: 140 ms, alone 9 ms).
    if bound is None or on_postgresql(session) or not _annotation_conditions(f, specs):
        listed = listed.where(before_count_condition(order, key))
    return int(session.scalar(listed.with_only_columns(func.count(Item.id), maintain_column_froms=True)) or 0)


def _annotations_only(f: ItemFilter, specs: Sequence[AttributeSpec]) -> bool:
    """Whether ``f`` filters by annotations and by nothing of the item itself."""
    items_part = replace(f, label=None, source=None, state=None, min_score=None, max_score=None, attribute=None,
                         attribute_value=None)  # fmt: skip
    return bool(_annotation_conditions(f, specs)) and items_part == ItemFilter()


def _count_annotated(
    session: Session, project_id: int, f: ItemFilter, specs: Sequence[AttributeSpec], bound: ColumnElement[bool] | None
) -> int:
    """How many items hold an annotation matching ``f``'s annotation filters (within ``bound``, an
    :func:`ids_bound`), counted from the annotations alone: their ``project_id`` is their item's, so the items
    table is not read. A semi-join with the items reads every item of the project on PostgreSQL (a hash join over
    a sequential scan: a label's count in a 1M-item project took 230 ms at load 10, ten times that at 10M); this
    reads only the label's entries of the (project, label, item) index.
    """
    conds = [*_annotation_conditions(f, specs), *([bound] if bound is not None else [])]
    stmt = select(func.count(distinct(Annotation.item_id))).where(Annotation.project_id == project_id, *conds)
    return int(session.scalar(stmt) or 0)


def annotation_counts(session: Session, item_ids: list[int]) -> dict[int, int]:
    """What an item's thumbnail badge counts, per item id: annotations not rejected, a track once (not a box per
    frame). Items without any are left out (count 0)."""
    if not item_ids:
        return {}
    # Track ids and annotation ids are both positive, so a track is keyed by its negative id.
    one = case((Annotation.track_id.is_not(None), -Annotation.track_id), else_=Annotation.id)
    rows = session.execute(
        select(Annotation.item_id, func.count(distinct(one)))
        .where(Annotation.item_id.in_(item_ids), Annotation.state != AnnotationState.REJECTED.value)
        .group_by(Annotation.item_id)
    ).all()
    return {item_id: n for item_id, n in rows}


def get_item(session: Session, actor: Actor, project_id: int, item_id: int, action: Action = Action.READ) -> Item:
    """Return an item of the project, checking ``action``; another project's item id is a 404."""
    require(session, actor, project_id, action)
    return item_in_project(session, project_id, item_id)


def item_in_project(session: Session, project_id: int, item_id: int) -> Item:
    """Return the item when it belongs to the project; no access check (callers have made one)."""
    item = session.get(Item, item_id)
    if item is None or item.project_id != project_id:
        raise NotFoundError(f"item {item_id} not found in project {project_id}", field="item_id")
    return item


def review_item(
    session: Session,
    actor: Actor,
    project_id: int,
    item_id: int,
    *,
    approve: bool,
    comment: str = "",
    expected_version: int | None = None,
) -> Item:
    """Approve (status reviewed) or reject (status rejected, back to its annotator) an item.

    A rejection needs a comment telling the annotator what to fix. Any item can be approved, an empty one too
    (an image with nothing to label is a finished item). With ``expected_version`` (the version the reviewer
    looked at) a decision on an item someone saved since is refused with ConflictError: nobody approves work
    they have not seen.
    """
    item = get_item(session, actor, project_id, item_id, Action.REVIEW)
    seen = item.version if expected_version is None else expected_version
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError("say what to fix: a rejection needs a comment for the annotator", field="comment")
    status = ItemStatus.REVIEWED if approve else ItemStatus.REJECTED
    now = utcnow()
    # The version moves too, so an editor still holding the item before the review gets 409 on save.
    res = session.execute(
        update(Item)
        .where(Item.id == item.id, Item.version == seen)
        .values(
            status=status.value,
            version=Item.version + 1,
            updated_at=now,
            reviewer_id=actor.user_id,
            reviewed_at=now,
            review_comment=comment or None,
        )
    )
    session.refresh(item)
    if res.rowcount == 0:  # type: ignore[attr-defined]
        raise ConflictError(
            f"item {item_id} was changed since you looked at it (version {seen}, now {item.version}); look at it "
            "again before deciding",
            field="version",
            current_version=item.version,
        )
    audit.record(
        session,
        actor,
        "item.approve" if approve else "item.reject",
        "item",
        item.id,
        project_id=project_id,
        detail={"version": item.version, "status": item.status, **({"comment": comment} if comment else {})},
    )
    return item
