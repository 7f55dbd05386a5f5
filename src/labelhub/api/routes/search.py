"""Search by meaning: embeddings (status, compute), text and "more like this" queries, duplicates, the embedding
map, and bulk item changes (tags, send to labelling)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request

from labelhub.api.deps import ActorDep, HubDep, queued_job
from labelhub.api.schemas import JobPublic
from labelhub.api.search_schemas import (
    BulkIn,
    BulkPublic,
    DuplicateGroupPublic,
    DuplicateMemberPublic,
    DuplicatesPublic,
    EmbeddingSpacePublic,
    EmbedIn,
    MapIn,
    MapPointPublic,
    MapPublic,
    ResolvedPublic,
    ResolveIn,
    SearchHitPublic,
    SearchPublic,
)
from labelhub.domain.enums import ItemKind, ItemStatus
from labelhub.services import duplicates, embedding_map, embeddings, item_bulk, item_delete, search, space_status
from labelhub.services.search import MAX_K, SearchResult

router = APIRouter(prefix="/projects/{project_id}", tags=["search"])
K = Annotated[int, Query(ge=1, le=MAX_K, description="How many items to return")]
Space = Annotated[str | None, Query(max_length=200, description="Embedding space; default: the project's")]
Label = Annotated[str | None, Query(max_length=200, description="Only items with an accepted annotation of this label")]


def _public(result: SearchResult) -> SearchPublic:
    hits = [SearchHitPublic(item_id=h.item_id, name=h.name, kind=ItemKind(h.kind), score=h.score,
                            thumb_url=h.thumb_url, text=h.text) for h in result.hits]  # fmt: skip
    return SearchPublic(space=result.space, query=result.query, lang=result.lang, indexed=result.indexed, hits=hits)


@router.get("/embeddings", response_model=list[EmbeddingSpacePublic])
def list_embeddings(project_id: int, actor: ActorDep, hub: HubDep) -> list[EmbeddingSpacePublic]:
    """The project's embedding spaces: how many items have vectors, how many are stale, the index backend."""
    with hub.db.session() as s:
        return [EmbeddingSpacePublic(**asdict(v)) for v in space_status.list_spaces(s, hub, actor, project_id)]


@router.post("/embeddings", response_model=JobPublic, status_code=202)
def compute_embeddings(project_id: int, body: EmbedIn, request: Request, actor: ActorDep, hub: HubDep) -> JobPublic:
    """Start (or return the unfinished) embedding job of a space; it computes only new and changed items."""
    return queued_job(request, hub, actor, lambda s: embeddings.queue_embedding(s, hub, actor, project_id, body.space))


@router.get("/search", response_model=SearchPublic)
def search_items(
    project_id: int,
    actor: ActorDep,
    hub: HubDep,
    q: Annotated[str, Query(min_length=1, max_length=1000, description="What to look for, in any language")],
    lang: Annotated[str | None, Query(max_length=16, description="The query's language, e.g. de")] = None,
    space: Space = None,
    k: K = 24,
    label: Label = None,
    status: ItemStatus | None = None,
) -> SearchPublic:
    """The items most similar to a text, best first."""
    with hub.db.session() as s:
        result = search.search_text(s, hub, actor, project_id, q, lang=lang, space=space, k=k, label=label,
                                    status=status)  # fmt: skip
    return _public(result)


@router.get("/items/{item_id}/similar", response_model=SearchPublic)
def similar_items(
    project_id: int,
    item_id: int,
    actor: ActorDep,
    hub: HubDep,
    space: Space = None,
    k: K = 24,
    label: Label = None,
    status: ItemStatus | None = None,
) -> SearchPublic:
    """More like this: the items most similar to an item (the item itself first)."""
    with hub.db.session() as s:
        result = search.similar_items(s, hub, actor, project_id, item_id, space=space, k=k, label=label,
                                      status=status)  # fmt: skip
    return _public(result)


# Near-copy threshold when the space suggests none (too few vectors to tell).
DEFAULT_DUPLICATE_THRESHOLD = 0.95


@router.get("/duplicates", response_model=DuplicatesPublic)
def list_duplicates(
    project_id: int,
    actor: ActorDep,
    hub: HubDep,
    threshold: Annotated[
        float | None,
        Query(ge=0.5, le=1.0, description="Cosine above which items are near copies (default: suggested_threshold)"),
    ] = None,
    space: Space = None,
) -> DuplicatesPublic:
    """Groups of exact copies (same file or text) and of near copies (embeddings above the threshold)."""
    with hub.db.session() as s:
        suggested = duplicates.suggest_threshold(s, hub, actor, project_id, space)
        used_threshold = threshold if threshold is not None else (suggested or DEFAULT_DUPLICATE_THRESHOLD)
        used, groups = duplicates.find_duplicates(s, hub, actor, project_id, threshold=used_threshold, space=space)
    return DuplicatesPublic(space=used, threshold=used_threshold, suggested_threshold=suggested, groups=[
        DuplicateGroupPublic(kind=g.kind, items=[DuplicateMemberPublic(**asdict(m)) for m in g.items])
        for g in groups])  # fmt: skip


@router.post("/duplicates/resolve", response_model=ResolvedPublic)
def resolve_duplicates(project_id: int, body: ResolveIn, actor: ActorDep, hub: HubDep) -> ResolvedPublic:
    """Keep one item and delete the others (their annotations too), in one transaction."""
    with hub.db.session(write=True) as s:
        deleted = duplicates.resolve_duplicates(s, hub, actor, project_id, body.keep, body.drop)
    item_delete.forget_items(hub, project_id, body.drop)
    return ResolvedPublic(deleted=deleted)


@router.post("/map", response_model=JobPublic, status_code=202)
def compute_map(project_id: int, body: MapIn, request: Request, actor: ActorDep, hub: HubDep) -> JobPublic:
    """Start the job that lays the space's items out in 2-D (UMAP)."""
    return queued_job(request, hub, actor, lambda s: embedding_map.queue_map(s, hub, actor, project_id, body.space))


@router.get("/map", response_model=MapPublic)
def get_map(project_id: int, actor: ActorDep, hub: HubDep, space: Space = None) -> MapPublic:
    """The embedding map with labels as they are now; 404 before it was computed."""
    with hub.db.session() as s:
        view = embedding_map.read_map(s, hub, actor, project_id, space)
    return MapPublic(space=view.space, computed_at=view.computed_at, method=view.method,
                     points=[MapPointPublic(**asdict(p)) for p in view.points])  # fmt: skip


@router.post("/items/bulk", response_model=BulkPublic)
def bulk_update_items(project_id: int, body: BulkIn, actor: ActorDep, hub: HubDep) -> BulkPublic:
    """Tag, untag or send to labelling many items at once (a lasso selection on the map)."""
    with hub.db.session(write=True) as s:
        r = item_bulk.bulk_update(s, actor, project_id, body.item_ids, add_tags=body.add_tags,
                                  remove_tags=body.remove_tags, send_to_labelling=body.send_to_labelling)  # fmt: skip
    return BulkPublic(updated=r.changed, queued=r.queued)
