"""``labelhub media push``: the local media folder copied to a bucket of a real S3 API (moto's server), once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli._support import Env, ok, run
from tests.s3_server import new_bucket, s3_client, s3_server

from labelhub.config import Settings
from labelhub.hub import open_media_store
from labelhub.media.store import LocalMediaStore


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with s3_server() as url:
        yield url


def flat(text: str) -> str:
    return " ".join(text.split())


def test_push_copies_every_stored_file_once(endpoint: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    local = LocalMediaStore(home / "media")
    blobs = [f"image {i}".encode() * 1000 for i in range(3)]
    keys = {local.put_bytes(b).key for b in blobs}
    original = tmp_path / "linked.bin"
    original.write_bytes(b"stays where it is")
    linked = local.put_file(original, link=True)
    bucket = new_bucket(endpoint, "push-target")
    env: Env = {"LABELHUB_HOME": str(home), "LABELHUB_S3_ENDPOINT_URL": endpoint, "LABELHUB_MEDIA_URL": None}

    first = ok(env, "media", "push", f"s3://{bucket}/lab/media")
    assert "uploaded 3 files" in flat(first.stdout) and "0 were there already" in flat(first.stdout)
    assert "1 linked files left in place" in flat(first.stdout)
    names = [o["Key"] for o in s3_client(endpoint).list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(names) == sorted(f"lab/media/{k[:2]}/{k}" for k in keys)

    again = ok(env, "media", "push", f"s3://{bucket}/lab/media")
    assert "uploaded 0 files" in flat(again.stdout) and "3 were there already" in flat(again.stdout)

    # The hub then reads every file from the bucket, and the linked one from where it lies.
    store = open_media_store(Settings(home=home, media_url=f"s3://{bucket}/lab/media", s3_endpoint_url=endpoint))
    for data in blobs:
        with store.open(hashlib.sha256(data).hexdigest()) as f:
            assert f.read() == data
    assert store.local_path(linked.key) == original.resolve()


def test_push_without_a_bucket_or_to_a_missing_one_fails_cleanly(endpoint: str, tmp_path: Path) -> None:
    env: Env = {
        "LABELHUB_HOME": str(tmp_path / "home"),
        "LABELHUB_S3_ENDPOINT_URL": endpoint,
        "LABELHUB_MEDIA_URL": None,
    }
    assert "s3://BUCKET/PREFIX" in flat(ok(env, "media", "push", "--help").stdout)
    result = run(env, "media", "push")
    assert result.exit_code == 1 and "name the bucket" in flat(result.stderr)
    result = run(env, "media", "push", "s3://not-created/media")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "'not-created'" in flat(result.stderr) and "does not exist" in flat(result.stderr)
