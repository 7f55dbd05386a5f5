"""WebDataset streaming (services/webdataset_stream.py): the shard list under filters, and each streamed shard
holding exactly the bytes the export writes for the same items."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select, update
from tests.builders import new_project
from tests.formats.test_webdataset import LABELS, make_items

from labelhub.domain.enums import AnnotationState, ItemKind, ItemStatus
from labelhub.errors import NotFoundError, ValidationError
from labelhub.formats import ExportOptions, ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_records
from labelhub.services.items import ItemFilter
from labelhub.services.webdataset_stream import StreamFilter, list_shards, open_shard
from labelhub.storage.models import Item

SYSTEM = Actor.system()


def photos(hub: Hub, tmp_path: Path, n: int = 7) -> int:
    """A project of ``n`` images (splits train for the first 5, val after), two annotations each but the last."""
    pid = new_project(hub, "photos")
    items = make_items(tmp_path / "media", n)
    items[-1].annotations.clear()
    import_records(hub, SYSTEM, pid, items, labels=LABELS, format_name="test", options=ImportOptions())
    return pid


def streamed(hub: Hub, pid: int, f: StreamFilter, shard_size: int) -> list[bytes]:
    """Return every shard of the listing, streamed."""
    listing = list_shards(hub, SYSTEM, pid, f, shard_size=shard_size)
    out = []
    for s in listing.shards:
        stream = open_shard(hub, SYSTEM, pid, f, name=s.name, after=s.after, upto=s.upto, shard_size=shard_size)
        out.append(b"".join(stream.chunks()))
    return out


def test_shards_are_keyset_ranges_of_the_filtered_items(hub: Hub, tmp_path: Path) -> None:
    pid = photos(hub, tmp_path)
    listing = list_shards(hub, SYSTEM, pid, StreamFilter(), shard_size=3)
    assert (listing.samples, listing.labels) == (7, LABELS)
    assert [(s.name, s.samples) for s in listing.shards] == [
        ("shard-000000.tar", 3),
        ("shard-000001.tar", 3),
        ("shard-000002.tar", 1),
    ]
    with hub.db.session() as s:
        ids = list(s.scalars(select(Item.id).order_by(Item.id)))
    # Contiguous ranges: each shard starts after the last item of the one before.
    assert [(s.after, s.upto) for s in listing.shards] == [(0, ids[2]), (ids[2], ids[5]), (ids[5], ids[6])]

    assert [s.samples for s in list_shards(hub, SYSTEM, pid, StreamFilter(split="val")).shards] == [2]
    assert list_shards(hub, SYSTEM, pid, StreamFilter(kind=ItemKind.TEXT)).shards == []
    assert list_shards(hub, SYSTEM, pid, StreamFilter(annotated=True)).samples == 6
    with hub.db.session(write=True) as s:
        s.execute(update(Item).values(status=ItemStatus.NEW.value))
        s.execute(update(Item).where(Item.id.in_(ids[1:3])).values(status=ItemStatus.REVIEWED.value))
        s.execute(update(Item).where(Item.id == ids[4]).values(status=ItemStatus.LABELED.value))
    done = StreamFilter(status=(ItemStatus.LABELED, ItemStatus.REVIEWED))
    listing = list_shards(hub, SYSTEM, pid, done, shard_size=2)
    assert [(s.after, s.upto, s.samples) for s in listing.shards] == [(0, ids[2], 2), (ids[2], ids[4], 1)]


@pytest.mark.parametrize(
    ("f", "items"),
    [(StreamFilter(), ItemFilter()), (StreamFilter(split="train"), ItemFilter(split="train"))],
    ids=["all", "train"],
)
def test_a_streamed_shard_holds_the_bytes_the_export_writes(
    hub: Hub, tmp_path: Path, f: StreamFilter, items: ItemFilter
) -> None:
    pid = photos(hub, tmp_path)
    out = tmp_path / "export"
    export_project(hub, SYSTEM, pid, out, fmt="webdataset", options=ExportOptions(extra={"shard_size": 2}),
                   item_filter=items)  # fmt: skip
    exported = [p.read_bytes() for p in sorted(out.glob("*.tar"))]
    shards = streamed(hub, pid, f, 2)
    assert len(shards) == len(exported) >= 3
    assert shards == exported
    # The same shard twice: the same bytes.
    assert streamed(hub, pid, f, 2) == shards
    with tarfile.open(fileobj=io.BytesIO(shards[1])) as tar:
        assert tar.getnames() == ["00000002.jpg", "00000002.json", "00000003.png", "00000003.json"]
        doc = orjson.loads(tar.extractfile("00000003.json").read())  # type: ignore[union-attr]
    assert doc["name"] == "photos/img3.png" and doc["media"] == "png"
    assert [(a["label"], a["label_id"]) for a in doc["annotations"]] == [("cat", 0), ("dog", 1), ("dog", 1)]


def test_only_the_annotations_in_the_states_asked_for_are_written(hub: Hub, tmp_path: Path) -> None:
    pid = photos(hub, tmp_path, 2)
    f = StreamFilter(states=(AnnotationState.PROPOSED,), annotated=True)
    assert list_shards(hub, SYSTEM, pid, f).shards == []  # every imported annotation is accepted
    [shard] = streamed(hub, pid, StreamFilter(states=(AnnotationState.PROPOSED,)), 10)
    with tarfile.open(fileobj=io.BytesIO(shard)) as tar:
        docs = [orjson.loads(tar.extractfile(n).read()) for n in tar.getnames() if n.endswith(".json")]  # type: ignore[union-attr]
    assert [(d["name"], d["annotations"]) for d in docs] == [("photos/img0.jpg", []), ("photos/img1.png", [])]


def test_a_bad_shard_name_size_or_range_is_refused_naming_the_field(hub: Hub, tmp_path: Path) -> None:
    pid = photos(hub, tmp_path, 2)
    f = StreamFilter()
    cases = [
        ({"name": "shard-1.tar", "after": 0, "upto": 5}, "shard"),
        ({"name": "../shard-000000.tar", "after": 0, "upto": 5}, "shard"),
        ({"name": "shard-000000.tar", "after": -1, "upto": 5}, "after"),
        ({"name": "shard-000000.tar", "after": 5, "upto": 5}, "upto"),
        ({"name": "shard-000000.tar", "after": 0, "upto": 5, "shard_size": 0}, "shard_size"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as err:
            open_shard(hub, SYSTEM, pid, f, **kwargs)  # type: ignore[arg-type]
        assert err.value.context["field"] == field, kwargs
    with pytest.raises(ValidationError) as err:
        list_shards(hub, SYSTEM, pid, StreamFilter(states=()))
    assert err.value.context["field"] == "states"
    with pytest.raises(NotFoundError):
        list_shards(hub, SYSTEM, pid + 1, f)
