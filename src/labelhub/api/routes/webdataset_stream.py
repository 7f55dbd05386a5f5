"""WebDataset shards streamed to training: the shard list of a project, and each shard as a tar (the export role)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from labelhub.api.deps import ActorDep, HubDep
from labelhub.domain.enums import AnnotationState, ItemKind, ItemStatus
from labelhub.services import webdataset_stream as wds_stream
from labelhub.services.webdataset_stream import DEFAULT_SHARD_SIZE, MAX_SHARD_SIZE, StreamFilter

router = APIRouter(prefix="/projects/{project_id}/webdataset", tags=["webdataset"])


def stream_filter(
    status: Annotated[
        list[ItemStatus] | None, Query(description="Items in any of these statuses (repeat it); none: every status")
    ] = None,
    split: Annotated[str | None, Query(max_length=64, description="Items of this split (train, val, test)")] = None,
    kind: Annotated[ItemKind | None, Query(description="Items of this kind")] = None,
    states: Annotated[
        list[AnnotationState] | None,
        Query(description="States of the annotations written (repeat it); default accepted, as an export"),
    ] = None,
    annotated: Annotated[bool, Query(description="Only items with at least one annotation in those states")] = False,
) -> StreamFilter:
    """The filter of both routes, from the query string (a shard's URL repeats the list's filter)."""
    return StreamFilter(
        status=tuple(dict.fromkeys(status or ())),
        split=split,
        kind=kind,
        states=tuple(dict.fromkeys(states or (AnnotationState.ACCEPTED,))),
        annotated=annotated,
    )


FilterDep = Annotated[StreamFilter, Depends(stream_filter)]
ShardSizeQuery = Annotated[
    int, Query(ge=1, le=MAX_SHARD_SIZE, description="Items per shard (the last shard holds the rest)")
]


class ShardPublic(BaseModel):
    name: str = Field(description="shard-000003.tar: the number gives the keys' start, number * shard_size")
    url: str = Field(description="The shard's path on this server, with its range and the filter in the query")
    samples: int = Field(description="Samples the shard held when listed")
    after: int = Field(description="The shard holds the items with after < id <= upto (under the filter)")
    upto: int


class ShardListPublic(BaseModel):
    project_id: int
    shard_size: int
    samples: int = Field(description="Samples in all shards")
    labels: list[str] = Field(description="The label order: an annotation's label_id is its label's place here")
    filter: dict[str, Any] = Field(description="The filter the shards were listed under")
    shards: list[ShardPublic]


@router.get("", response_model=ShardListPublic)
def list_webdataset_shards(
    project_id: int,
    request: Request,
    actor: ActorDep,
    hub: HubDep,
    f: FilterDep,
    shard_size: ShardSizeQuery = DEFAULT_SHARD_SIZE,
) -> ShardListPublic:
    """The project's items under the filter as WebDataset shards of ``shard_size`` items, for a training script
    (``webdataset.WebDataset(urls)``); each shard's content stays the same while the project is not edited."""
    listing = wds_stream.list_shards(hub, actor, project_id, f, shard_size=shard_size)
    shards = []
    for shard in listing.shards:
        path = request.url_for("stream_webdataset_shard", project_id=project_id, shard=shard.name).path
        query = [("after", str(shard.after)), ("upto", str(shard.upto)), ("shard_size", str(shard_size)), *f.query()]
        url = f"{path}?{urlencode(query)}"
        shards.append(ShardPublic(name=shard.name, url=url, samples=shard.samples, after=shard.after, upto=shard.upto))
    return ShardListPublic(
        project_id=project_id,
        shard_size=listing.shard_size,
        samples=listing.samples,
        labels=listing.labels,
        filter=f.to_json(),
        shards=shards,
    )


@router.get(
    "/{shard}",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-tar": {}}, "description": "The shard's tar, streamed"}},
)
def stream_webdataset_shard(
    project_id: int,
    shard: str,
    actor: ActorDep,
    hub: HubDep,
    f: FilterDep,
    after: Annotated[int, Query(description="The shard holds the items with after < id <= upto")],
    upto: Annotated[int, Query(description="The last item id of the shard's range")],
    shard_size: ShardSizeQuery = DEFAULT_SHARD_SIZE,
) -> StreamingResponse:
    """One shard as a tar streamed item by item, laid out as the WebDataset export writes it (same bytes)."""
    stream = wds_stream.open_shard(hub, actor, project_id, f, name=shard, after=after, upto=upto, shard_size=shard_size)
    headers = {"Content-Disposition": f'attachment; filename="{stream.name}"', "Cache-Control": "no-store"}
    return StreamingResponse(stream.chunks(), media_type="application/x-tar", headers=headers)
