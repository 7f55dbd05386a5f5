"""WebDataset shards streamed to training: the shard list of a project, and each shard as a tar (the export role).

Both answer with an ETag and honour ``If-None-Match`` (304). They may be kept by the reader (``private``) but must
be checked again each time (``no-cache``): a shard changes when the project is edited.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from labelhub.api.deps import ActorDep, HubDep
from labelhub.domain.enums import AnnotationState, ItemKind, ItemStatus
from labelhub.services import webdataset_stream as wds_stream
from labelhub.services.webdataset_shard_state import etag_matches
from labelhub.services.webdataset_stream import DEFAULT_SHARD_SIZE, MAX_SHARD_SIZE, StreamFilter

_CACHE = "private, no-cache"
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
IfNoneMatch = Annotated[
    str | None, Header(description="An ETag this route gave before: 304 with no body while it still holds")
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
    labels: list[str] = Field(
        description="The label order: an annotation's label_id is its label's place here (the project's labels, "
        "then the other labels its annotations in these states use, sorted)"
    )
    filter: dict[str, Any] = Field(description="The filter the shards were listed under")
    shards: list[ShardPublic]


@router.get(
    "",
    response_model=ShardListPublic,
    responses={304: {"description": "If-None-Match names the listing's ETag: it is unchanged"}},
)
def list_webdataset_shards(
    project_id: int,
    request: Request,
    actor: ActorDep,
    hub: HubDep,
    f: FilterDep,
    shard_size: ShardSizeQuery = DEFAULT_SHARD_SIZE,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The project's items under the filter as WebDataset shards of ``shard_size`` items, for a training script
    (``webdataset.WebDataset(urls)``); each shard's content stays the same while the project is not edited.
    The ETag is the listing's own (its bytes); each shard has its own."""
    listing = wds_stream.list_shards(hub, actor, project_id, f, shard_size=shard_size)
    shards = []
    for shard in listing.shards:
        path = request.url_for("stream_webdataset_shard", project_id=project_id, shard=shard.name).path
        query = [("after", str(shard.after)), ("upto", str(shard.upto)), ("shard_size", str(shard_size)), *f.query(),
                 ("label_order", listing.label_order)]  # fmt: skip
        url = f"{path}?{urlencode(query)}"
        shards.append(ShardPublic(name=shard.name, url=url, samples=shard.samples, after=shard.after, upto=shard.upto))
    body = ShardListPublic(
        project_id=project_id,
        shard_size=listing.shard_size,
        samples=listing.samples,
        labels=listing.labels,
        filter=f.to_json(),
        shards=shards,
    ).model_dump_json()
    etag = f'"wdl-{hashlib.sha256(body.encode()).hexdigest()[:40]}"'
    headers = {"ETag": etag, "Cache-Control": _CACHE}
    if etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get(
    "/{shard}",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/x-tar": {}}, "description": "The shard's tar, streamed"},
        304: {"description": "If-None-Match names the shard's ETag: its content is unchanged"},
        409: {"description": "Media of some items cannot be read (named), or the label order changed since listing"},
    },
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
    label_order: Annotated[
        str | None,
        Query(max_length=64, description="The listing's fingerprint of its labels: 409 when the order changed since"),
    ] = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One shard as a tar streamed item by item, laid out as the WebDataset export writes it (same bytes).

    Every item's media is checked before the 200 (409 naming those that cannot be read); a file lost after that
    breaks the connection, so a reader never takes a shorter tar for the whole shard."""
    stream = wds_stream.open_shard(hub, actor, project_id, f, name=shard, after=after, upto=upto,
                                   shard_size=shard_size, label_order=label_order,
                                   if_none_match=if_none_match)  # fmt: skip
    headers = {"ETag": stream.etag, "Cache-Control": _CACHE}
    if stream.not_modified:
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{stream.name}"'
    return StreamingResponse(stream.chunks(), media_type="application/x-tar", headers=headers)
