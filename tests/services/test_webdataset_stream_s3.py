"""A streamed WebDataset shard whose media live in an S3 bucket (moto's server over HTTP): the media check asks
the bucket (HEAD, several at once) before the stream starts, and a bucket that stopped answering is a 503 then,
not a broken tar later."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tests.s3_server import new_bucket, s3_client, s3_server
from tests.services.test_webdataset_stream import SYSTEM, photos
from tests.services.test_webdataset_stream_state import shard

from labelhub.config import Settings
from labelhub.errors import ServiceUnavailable
from labelhub.hub import Hub
from labelhub.media.s3 import S3MediaStore
from labelhub.services.webdataset_shard_state import MediaMissing
from labelhub.services.webdataset_stream import StreamFilter, list_shards
from labelhub.storage.models import Item


def test_a_shard_on_s3_checks_its_media_in_the_bucket_before_it_starts(settings: Settings, tmp_path: Path) -> None:
    with s3_server() as url:
        bucket = new_bucket(url, "wds-shards")  # a server of its own
        hub = Hub.open(settings.model_copy(update={"media_url": f"s3://{bucket}/team", "s3_endpoint_url": url}))
        store = hub.media
        assert isinstance(store, S3MediaStore)
        pid = photos(hub, tmp_path, 4)
        listing = list_shards(hub, SYSTEM, pid, StreamFilter(), shard_size=2)
        with hub.db.session() as s:
            keys = {name: key for name, key in s.execute(select(Item.name, Item.media_key).order_by(Item.id))}
        for key in keys.values():
            store.cache.discard(key)  # a cold cache: the check asks the bucket
        lost = keys["photos/img1.png"]
        s3_client(url).delete_object(Bucket=bucket, Key=store.location.object_key(lost))

        with pytest.raises(MediaMissing) as err:
            shard(hub, listing, 0)
        assert [(i["name"], i["media_key"]) for i in err.value.context["items"]] == [("photos/img1.png", lost)]
        assert b"".join(shard(hub, listing, 1).chunks()).count(b"photos/img3.png") == 1
        for key in keys.values():
            store.cache.discard(key)
    try:
        # The bucket's server is gone: the shard is refused with a 503 (retry later) before any byte is sent.
        with pytest.raises(ServiceUnavailable):
            shard(hub, listing, 1)
    finally:
        hub.close()
