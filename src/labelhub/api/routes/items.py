"""Items (keyset pages with filters), their annotations, and review decisions."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response
from sqlalchemy import Row
from sqlalchemy.orm import Session

from labelhub.api.deps import ActorDep, HubDep
from labelhub.api.schemas import (
    AcceptedProposalsPublic,
    AcceptProposalsIn,
    AnnotationsPublic,
    AnnotationsPut,
    ItemPagePublic,
    ItemPublic,
    ItemsDeletedPublic,
    ItemsDeleteIn,
    ReviewIn,
)
from labelhub.api.shape_schemas import ItemShapesPagePublic
from labelhub.domain.enums import AnnotationState, ItemKind, ItemStatus, Source
from labelhub.hub import Hub
from labelhub.services import annotations as annotation_service
from labelhub.services import assignment, consensus, item_delete, item_shapes, items, proposal_accept
from labelhub.services._stale import stale_item
from labelhub.services.access import Actor
from labelhub.services.annotations import AnnotationInput
from labelhub.services.item_order import ItemOrder
from labelhub.storage.models import Item

router = APIRouter(prefix="/projects/{project_id}/items", tags=["items"])
FrameQuery = Annotated[
    int | None,
    Query(ge=0, description="Only this frame's annotations (a volume's slice, a video's frame); 422 on other items"),
]


@router.get("", response_model=ItemPagePublic)
def list_items(
    project_id: int,
    actor: ActorDep,
    hub: HubDep,
    after: Annotated[int | None, Query(description="The previous page's last item (its next_after)")] = None,
    before: Annotated[
        int | None, Query(description="Instead of after: the items just before this item (still in the order)")
    ] = None,
    after_name: Annotated[
        str | None,
        Query(
            max_length=1024,
            description="In the name orders: the previous page's last item's name. It marks the place without"
            " looking the item up, so the page still comes when that item was deleted since",
        ),
    ] = None,
    before_name: Annotated[
        str | None,
        Query(max_length=1024, description="In the name orders, instead of after: the name of the item `before` names"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=items.MAX_PAGE)] = 100,
    order: Annotated[
        ItemOrder,
        Query(description="`id` (oldest first), `-id` (newest first), `name` (A to Z) or `-name` (Z to A)"),
    ] = ItemOrder.ID,
    status: ItemStatus | None = None,
    kind: ItemKind | None = None,
    split: str | None = None,
    label: str | None = None,
    source: Source | None = None,
    state: AnnotationState | None = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    max_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Text contained in the item's text or name, or one of its tags")
    ] = None,
    tag: Annotated[str | None, Query(max_length=64, description="Items with this tag (meta.tags)")] = None,
    unlabeled: bool = False,
    attribute: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Items with an annotation carrying a value for this declared attribute (any value, or"
            " `attribute_value`); it joins the other annotation filters on the same annotation",
        ),
    ] = None,
    attribute_value: Annotated[
        str | None,
        Query(
            max_length=1000,
            description="With `attribute`: the value, read by the attribute's type: `true`/`false` (bool), a"
            " number, one of a select's options, or a text matched exactly",
        ),
    ] = None,
    annotator: Annotated[
        str | None,
        Query(pattern=r"^(me|[0-9]{1,9})$", description="Items labelled by this user id, or by `me`"),
    ] = None,
    assignee: Annotated[
        str | None,
        Query(max_length=40, description="Items assigned to this user id, to `me`, or to nobody (`none`)"),
    ] = None,
    with_total: Annotated[
        bool, Query(description="Also count every item matching the filters (`total`), for an item's position")
    ] = False,
    fresh_total: Annotated[
        bool,
        Query(description="Count the total again whatever the server kept (implies with_total; the grid's Recount)"),
    ] = False,
    position_of: Annotated[
        int | None,
        Query(description="Also tell this item's 0-based position in the order under the filters (`position`)"),
    ] = None,
) -> ItemPagePublic:
    """One page of items in ``order``; pass ``next_after`` back as ``after`` (with the same order) for the next page."""
    assignee_id, unassigned = assignment.parse_assignee(assignee, actor)
    f = items.ItemFilter(
        status=status,
        kind=kind,
        split=split,
        label=label,
        source=source,
        state=state,
        min_score=min_score,
        max_score=max_score,
        q=q,
        tag=tag,
        unlabeled=unlabeled,
        attribute=attribute,
        attribute_value=attribute_value,
        annotator_id=(actor.user_id or 0) if annotator == "me" else (int(annotator) if annotator else None),
        assignee_id=assignee_id,
        unassigned=unassigned,
    )
    with hub.db.session() as s:
        page = items.list_items(
            s,
            actor,
            project_id,
            f,
            after=after,
            before=before,
            after_name=after_name,
            before_name=before_name,
            limit=limit,
            order=order,
        )
        out = []
        names = assignment.usernames(s, (it.assignee_id for it in page.items))
        replicas = consensus.submitted_counts(s, [it.id for it in page.items if it.overlap >= 2])
        for it in page.items:
            pub = ItemPublic.model_validate(it)
            pub.annotation_count = page.annotation_counts.get(it.id, 0)
            pub.assignee_username = names.get(it.assignee_id) if it.assignee_id is not None else None
            pub.consensus_submitted = replicas.get(it.id, 0) if it.overlap >= 2 else None
            out.append(pub)
        # A big list's total is kept until the project's next write (services/item_totals.py).
        kept = hub.totals.total(s, actor, project_id, f, fresh=fresh_total) if with_total or fresh_total else None
        position = None if position_of is None else items.item_position(s, actor, project_id, f, position_of, order)
    return ItemPagePublic(
        items=out,
        next_after=page.next_after,
        total=None if kept is None else kept.value,
        total_counted_at=None if kept is None else kept.counted_at,
        total_cached=kept is not None and kept.cached,
        position=position,
    )


@router.get("/shapes", response_model=ItemShapesPagePublic)
def list_item_shapes(
    project_id: int,
    actor: ActorDep,
    hub: HubDep,
    ids: Annotated[str, Query(max_length=2000, description="Up to 100 item ids, comma-separated: `ids=4,5,9`")],
) -> Response:
    """The labels of a page of image items reduced for their thumbnails: see services/item_shapes.py."""
    wanted = item_shapes.parse_ids(ids)
    with hub.db.session() as s:
        found = item_shapes.item_shapes(s, actor, project_id, wanted)
    # orjson writes the dataclasses (the ItemShapesPagePublic shape) directly: a page can hold 30,000 shapes.
    return Response(orjson.dumps({"items": found}), media_type="application/json")


@router.post("/delete", response_model=ItemsDeletedPublic)
def delete_items(project_id: int, body: ItemsDeleteIn, actor: ActorDep, hub: HubDep) -> ItemsDeletedPublic:
    """Delete items with their annotations, tracks and embeddings (manager role); every id or none."""
    with hub.db.session(write=True) as s:
        deleted = item_delete.delete_items(s, actor, project_id, body.item_ids)
    item_delete.forget_items(hub, project_id, deleted)
    return ItemsDeletedPublic(deleted=len(deleted))


@router.post("/accept-proposals", response_model=AcceptedProposalsPublic)
def accept_proposals(project_id: int, body: AcceptProposalsIn, actor: ActorDep, hub: HubDep) -> AcceptedProposalsPublic:
    """Accept (or reject) the open model proposals of many items at once (reviewers), optionally of one class or
    model version only: see services/proposal_accept.py."""
    with hub.db.session(write=not body.dry_run) as s:
        r = proposal_accept.accept_proposals(s, actor, project_id, body.item_ids, min_score=body.min_score,
                                             label=body.label, model_version=body.model_version, reject=body.reject,
                                             dry_run=body.dry_run)  # fmt: skip
    return AcceptedProposalsPublic(items=r.items, accepted=r.accepted, skipped=r.skipped, rejected=r.rejected)


@router.delete("/{item_id}", status_code=204)
def delete_item(project_id: int, item_id: int, actor: ActorDep, hub: HubDep) -> Response:
    """Delete one item with its annotations, tracks and embeddings (manager role); 404 when it is not there."""
    with hub.db.session(write=True) as s:
        items.get_item(s, actor, project_id, item_id)  # another project's item, or none: 404
        item_delete.delete_items(s, actor, project_id, [item_id], field="item_id")
    item_delete.forget_items(hub, project_id, [item_id])
    return Response(status_code=204)


@router.get("/{item_id}", response_model=ItemPublic)
def get_item(project_id: int, item_id: int, actor: ActorDep, hub: HubDep) -> ItemPublic:
    with hub.db.session() as s:
        return _counted(s, items.get_item(s, actor, project_id, item_id))


@router.post("/{item_id}/review", response_model=ItemPublic)
def review_item(project_id: int, item_id: int, body: ReviewIn, actor: ActorDep, hub: HubDep) -> ItemPublic:
    """Approve an item, or reject it with a comment so it goes back to its annotator (reviewers)."""
    with hub.db.session(write=True) as s:
        it = items.review_item(s, actor, project_id, item_id, approve=body.approve, comment=body.comment,
                               expected_version=body.version)  # fmt: skip
        return _counted(s, it)


def _counted(s: Session, it: Item) -> ItemPublic:
    """The item as the API shows it, with the same annotation count as its row in the list."""
    pub = ItemPublic.model_validate(it)
    pub.annotation_count = items.annotation_counts(s, [it.id]).get(it.id, 0)
    pub.assignee_username = assignment.usernames(s, [it.assignee_id]).get(it.assignee_id or 0)
    return pub


@router.get("/{item_id}/annotations", response_model=AnnotationsPublic)
def get_annotations(
    project_id: int,
    item_id: int,
    actor: ActorDep,
    hub: HubDep,
    tracks: Annotated[
        bool, Query(description="Include track boxes (false: a video's tracks come from `.../tracks`)")
    ] = True,
    frame: FrameQuery = None,
) -> Response:
    with hub.db.session() as s:
        # Under consensus: the caller's own labels only (services/consensus.py).
        own = consensus.read_own(s, actor, project_id, item_id) if consensus.routed(s, project_id, item_id) else None
        if own is None:
            version, rows = annotation_service.read_annotations(s, actor, project_id, item_id, tracks=tracks,
                                                                frame=frame)  # fmt: skip
    if own is not None:
        return _replica_response(own)
    return _annotations_response(item_id, version, rows)


@router.put("/{item_id}/annotations", response_model=AnnotationsPublic)
def replace_annotations(
    project_id: int, item_id: int, body: AnnotationsPut, actor: ActorDep, hub: HubDep, frame: FrameQuery = None
) -> Response:
    """Replace all of the item's annotations (``?frame=k``: only frame k's); 409 (and nothing written) when
    ``version`` is stale."""
    inputs = [AnnotationInput(**a.model_dump()) for a in body.annotations]
    # Checked in a read transaction, then written and read back in a short write transaction (SQLite has one
    # writer at a time): see plan_save.
    with hub.db.session() as s:
        routed = consensus.routed(s, project_id, item_id)
        if not routed:
            plan = annotation_service.plan_save(s, actor, project_id, item_id, expected_version=body.version,
                                                annotations=inputs, status=body.status, frame=frame)  # fmt: skip
    if routed:  # under consensus: the caller's own labels (services/consensus.py)
        return _save_replica(project_id, item_id, body, inputs, actor, hub)
    with hub.db.session(write=True) as s:
        version = annotation_service.apply_save(s, actor, plan)
        # Read back in the same transaction: a few rows by index cost less than opening another one.
        rows = annotation_service.list_annotations(s, item_id, frame=frame)
    return _annotations_response(item_id, version, rows)


def _save_replica(project_id: int, item_id: int, body: AnnotationsPut, inputs: list[AnnotationInput], actor: Actor,
                  hub: Hub) -> Response:  # fmt: skip
    with hub.db.session(write=True) as s:
        own = consensus.save_own(s, actor, project_id, item_id, expected_version=body.version, annotations=inputs,
                                 status=body.status)  # fmt: skip
    if own is None:  # merged (or taken out of consensus) since the check: what the editor holds is stale
        raise stale_item(item_id, body.version, None, "its labels were merged meanwhile; reload it")
    return _replica_response(own)


def _replica_response(own: consensus.ReplicaView) -> Response:
    """The caller's replica in the AnnotationsPublic shape, with its ``consensus`` block."""
    body = {"item_id": own.item_id, "version": own.version, "annotations": own.annotations,
            "consensus": asdict(own.consensus)}  # fmt: skip
    return Response(orjson.dumps(body, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC), media_type="application/json")


def _annotations_response(item_id: int, version: int, rows: list[Row[Any]]) -> Response:
    """Serialise an item's annotations (the AnnotationsPublic shape) straight from database rows.

    The editor calls these two routes for every item it opens and every autosave; letting FastAPI validate
    each row into a model and serialise it again cost about a third of the request's CPU.
    """
    body = {"item_id": item_id, "version": version, "annotations": [r._asdict() for r in rows]}
    return Response(orjson.dumps(body, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC), media_type="application/json")
