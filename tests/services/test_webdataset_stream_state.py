"""What a streamed WebDataset shard checks before its 200 (services/webdataset_shard_state.py): its ETag follows
what is written into it and nothing else, its media must all be readable, and labels outside the project's list
are numbered by one rule that every shard computes on its own (and the exporter agrees with here)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from tests.formats.test_webdataset import LABELS
from tests.services.test_webdataset_stream import SYSTEM, photos, streamed

from labelhub.domain.enums import AnnotationKind, AnnotationState
from labelhub.errors import ConflictError
from labelhub.formats import ExportOptions
from labelhub.hub import Hub
from labelhub.media.store import LocalMediaStore
from labelhub.services.annotations import AnnotationInput, replace_annotations
from labelhub.services.exports import export_project
from labelhub.services.webdataset_shard_state import MediaMissing
from labelhub.services.webdataset_stream import ShardList, ShardStream, StreamFilter, list_shards, open_shard
from labelhub.storage.models import Annotation, Item


def shard(hub: Hub, listing: ShardList, k: int, **kwargs: Any) -> ShardStream:
    s = listing.shards[k]
    return open_shard(hub, SYSTEM, listing.project_id, listing.filter, name=s.name, after=s.after, upto=s.upto,
                      shard_size=listing.shard_size, **kwargs)  # fmt: skip


def item_ids(hub: Hub) -> list[int]:
    with hub.db.session() as s:
        return list(s.scalars(select(Item.id).order_by(Item.id)))


def relabel(hub: Hub, pid: int, item_id: int, label: str) -> None:
    """Replace the item's annotations with one box of ``label``, as the editor saves them."""
    with hub.db.session(write=True) as s:
        version = s.scalars(select(Item.version).where(Item.id == item_id)).one()
        box = AnnotationInput(kind=AnnotationKind.BOX, label=label, geometry={"bbox": [1.0, 2.0, 30.0, 40.0]})
        replace_annotations(s, SYSTEM, pid, item_id, expected_version=version, annotations=[box])


def test_a_shard_etag_changes_with_what_is_written_into_it_and_nothing_else(hub: Hub, tmp_path: Path) -> None:
    pid = photos(hub, tmp_path, 6)
    ids = item_ids(hub)
    listing = list_shards(hub, SYSTEM, pid, StreamFilter(), shard_size=3)
    first, second = shard(hub, listing, 0).etag, shard(hub, listing, 1).etag
    assert first != second and first.startswith('"') and shard(hub, listing, 0).etag == first
    # If-None-Match naming it (weak comparison, among others) means nothing is to be sent; another tag does not.
    assert shard(hub, listing, 0, if_none_match=f'"x", W/{first}').not_modified
    assert not shard(hub, listing, 0, if_none_match='"x"').not_modified

    relabel(hub, pid, ids[4], "bird")  # in the second shard
    assert shard(hub, listing, 0).etag == first
    changed = shard(hub, listing, 1).etag
    assert changed != second
    # An annotation moved out of the states written (accepted -> rejected) changes what the shard holds too.
    with hub.db.session(write=True) as s:
        ann = s.scalars(select(Annotation).where(Annotation.item_id == ids[3])).first()
        assert ann is not None
        ann.state, ann.version = AnnotationState.REJECTED.value, ann.version + 1
    assert shard(hub, listing, 1).etag != changed and shard(hub, listing, 0).etag == first
    # The same range streamed with other annotation states, or keyed from another shard size, is another tar.
    rejected = StreamFilter(states=(AnnotationState.REJECTED,))
    s0 = listing.shards[0]
    other = open_shard(hub, SYSTEM, pid, rejected, name=s0.name, after=s0.after, upto=s0.upto, shard_size=3)
    assert other.etag != first


def test_a_shard_whose_media_cannot_be_read_is_refused_naming_the_items(hub: Hub, tmp_path: Path) -> None:
    pid = photos(hub, tmp_path, 6)
    ids = item_ids(hub)
    listing = list_shards(hub, SYSTEM, pid, StreamFilter(), shard_size=3)
    etag = shard(hub, listing, 0).etag
    with hub.db.session() as s:
        key = s.scalars(select(Item.media_key).where(Item.id == ids[1])).one()
    assert isinstance(hub.media, LocalMediaStore) and key is not None
    hub.media.path_for(key).unlink()

    with pytest.raises(MediaMissing) as err:
        shard(hub, listing, 0)
    assert err.value.status == 409 and err.value.slug == "media-missing"
    assert err.value.context["items"] == [{"id": ids[1], "name": "photos/img1.png", "media_key": key}]
    assert err.value.context["missing"] == 1 and f"item {ids[1]} 'photos/img1.png'" in err.value.detail
    # The other shard streams; a reader holding this shard from before is told it has not changed.
    assert len(b"".join(shard(hub, listing, 1).chunks())) > 0
    assert shard(hub, listing, 0, if_none_match=etag).not_modified


def tags(shard_bytes: bytes) -> dict[str, list[tuple[str | None, int | None]]]:
    """Return each sample's (label, label_id) pairs, by item name."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(shard_bytes)) as tar:
        for name in tar.getnames():
            if name.endswith(".json"):
                doc = orjson.loads(tar.extractfile(name).read())  # type: ignore[union-attr]
                out[doc["name"]] = [(a["label"], a["label_id"]) for a in doc["annotations"]]
    return out


def test_labels_outside_the_project_list_get_the_same_ids_in_every_shard(hub: Hub, tmp_path: Path) -> None:
    pid = photos(hub, tmp_path, 4)
    ids = item_ids(hub)
    extra = [(ids[0], "yak", "accepted"), (ids[3], "zebra", "accepted"), (ids[1], "okapi", "proposed")]
    with hub.db.session(write=True) as s:
        s.add_all(Annotation(item_id=i, project_id=pid, kind="class", label=label, geometry={}, state=state)
                  for i, label, state in extra)  # fmt: skip
    listing = list_shards(hub, SYSTEM, pid, StreamFilter(), shard_size=2)
    # The project's labels, then the others the accepted annotations use, sorted (okapi is only proposed).
    assert listing.labels == [*LABELS, "yak", "zebra"]
    assert list_shards(hub, SYSTEM, pid, StreamFilter(split="val")).labels == listing.labels  # one order per project
    both = StreamFilter(states=(AnnotationState.ACCEPTED, AnnotationState.PROPOSED))
    assert list_shards(hub, SYSTEM, pid, both).labels == [*LABELS, "okapi", "yak", "zebra"]

    # Each shard numbers them alone: the second never saw yak, yet zebra is 4 there.
    first, second = streamed(hub, pid, StreamFilter(), 2)
    assert tags(first)["photos/img0.jpg"][-1] == ("yak", 3)
    assert tags(second)["photos/img3.png"][-1] == ("zebra", 4)
    # The export numbers them by the same rule (services/exports.py): the same bytes.
    out = tmp_path / "export"
    export_project(hub, SYSTEM, pid, out, fmt="webdataset", options=ExportOptions(extra={"shard_size": 2}))
    assert [p.read_bytes() for p in sorted(out.glob("*.tar"))] == [first, second]

    # A shard URL carries the listing's label order: once it changed, reading on would mix two numberings.
    with hub.db.session(write=True) as s:
        s.add(Annotation(item_id=ids[2], project_id=pid, kind="class", label="aardvark", geometry={}))
    with pytest.raises(ConflictError) as err:
        shard(hub, listing, 1, label_order=listing.label_order)
    assert err.value.context["field"] == "label_order" and err.value.context["labels"][3] == "aardvark"
    fresh = list_shards(hub, SYSTEM, pid, StreamFilter(), shard_size=2)
    assert tags(b"".join(shard(hub, fresh, 1, label_order=fresh.label_order).chunks()))["photos/img3.png"][-1] == (
        "zebra",
        5,
    )
    # aardvark (item 2) now comes before yak (item 0) in the order: the export still writes what the stream does.
    again = tmp_path / "export-again"
    export_project(hub, SYSTEM, pid, again, fmt="webdataset", options=ExportOptions(extra={"shard_size": 2}))
    assert [p.read_bytes() for p in sorted(again.glob("*.tar"))] == streamed(hub, pid, StreamFilter(), 2)
