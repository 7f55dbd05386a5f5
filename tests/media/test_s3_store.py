"""The S3 media store against a real S3 API over HTTP (moto's server): uploads, de-duplication, multipart,
the read-through cache and its bound, deletes, listing, linked files, and the errors of a wrong configuration."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.s3_server import FAKE_CREDENTIALS, new_bucket, refuse_credentials, s3_client, s3_server

from labelhub.config import Settings
from labelhub.errors import ConfigurationError, NotFoundError
from labelhub.hub import open_media_store
from labelhub.media.disk_cache import DiskCache
from labelhub.media.s3 import BucketLocation, S3MediaStore
from labelhub.media.store import LocalMediaStore

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with s3_server() as url:
        yield url


@pytest.fixture
def bucket(endpoint: str, request: pytest.FixtureRequest) -> str:
    """A new, empty bucket for each test (names derive from the test, so they never collide)."""
    name = request.node.name.lower().replace("_", "-")[:50].strip("-")
    return new_bucket(endpoint, name)


def make_store(
    endpoint: str, bucket: str, home: Path, *, prefix: str = "media", cache_bytes: int = 1 << 30
) -> S3MediaStore:
    location = BucketLocation(bucket, prefix, endpoint, "us-east-1")
    return S3MediaStore(
        location, cache=DiskCache(home / "media-cache", cache_bytes), notes=LocalMediaStore(home / "media")
    )


@pytest.fixture
def store(endpoint: str, bucket: str, tmp_path: Path) -> S3MediaStore:
    return make_store(endpoint, bucket, tmp_path)


def read(store: S3MediaStore, key: str, linked_path: str | None = None) -> bytes:
    with store.open(key, linked_path) as f:
        return f.read()


def test_bytes_round_trip_through_the_bucket_and_a_cold_cache(
    store: S3MediaStore, endpoint: str, tmp_path: Path
) -> None:
    data = PNG + os.urandom(50_000)
    stored = store.put_bytes(data, name="cat.png")
    assert (stored.key, stored.size, stored.mime) == (hashlib.sha256(data).hexdigest(), len(data), "image/png")
    obj = s3_client(endpoint).get_object(Bucket=store.location.bucket, Key=f"media/{stored.key[:2]}/{stored.key}")
    assert obj["Body"].read() == data
    assert obj["ContentType"] == "image/png"
    # Another process with an empty cache downloads it once, into its own cache folder.
    other = make_store(endpoint, store.location.bucket, tmp_path / "other")
    assert read(other, stored.key) == data
    path = other.local_path(stored.key)
    assert path == tmp_path / "other" / "media-cache" / stored.key[:2] / stored.key
    assert path.read_bytes() == data
    assert other.exists(stored.key) and store.exists(stored.key)


def test_a_second_put_of_the_same_bytes_uploads_nothing(store: S3MediaStore, endpoint: str, tmp_path: Path) -> None:
    data = os.urandom(20_000)
    key = store.put_bytes(data).key
    client, name = s3_client(endpoint), f"media/{key[:2]}/{key}"
    # Put other bytes under the key behind the store's back: had it uploaded again, they would be replaced.
    marker = client.put_object(Bucket=store.location.bucket, Key=name, Body=b"marker")["ETag"]
    src = tmp_path / "same.bin"
    src.write_bytes(data)
    fresh = make_store(endpoint, store.location.bucket, tmp_path / "fresh")  # no cached copy: decides by HEAD
    for again in (
        store.put_bytes(data),
        store.put_stream(io.BytesIO(data)),
        fresh.put_file(src),
        fresh.put_bytes(data),
    ):
        assert again.key == key
    assert client.head_object(Bucket=store.location.bucket, Key=name)["ETag"] == marker
    listed = client.list_objects_v2(Bucket=store.location.bucket)["Contents"]
    assert [o["Key"] for o in listed] == [name]


def test_a_large_stream_goes_up_in_parts_and_comes_back_whole(
    store: S3MediaStore, endpoint: str, tmp_path: Path
) -> None:
    data = os.urandom(9 * 1024 * 1024 + 5)  # over boto3's 8 MiB multipart threshold
    stored = store.put_stream(io.BytesIO(data), name="clip.mp4")
    assert stored.size == len(data) and stored.mime == "video/mp4"
    head = s3_client(endpoint).head_object(Bucket=store.location.bucket, Key=f"media/{stored.key[:2]}/{stored.key}")
    assert head["ETag"].strip('"').endswith("-2")  # a multipart upload's ETag counts its parts
    assert head["ContentLength"] == len(data)
    cold = make_store(endpoint, store.location.bucket, tmp_path / "cold")
    assert hashlib.sha256(read(cold, stored.key)).hexdigest() == stored.key


def test_the_cache_keeps_its_bound_and_evicted_files_come_back(endpoint: str, bucket: str, tmp_path: Path) -> None:
    store = make_store(endpoint, bucket, tmp_path, cache_bytes=250_000)
    blobs = [os.urandom(100_000) for _ in range(5)]
    keys = [store.put_bytes(b).key for b in blobs]
    for key in keys:
        store.local_path(key)
        on_disk = sum(p.stat().st_size for p in (tmp_path / "media-cache").glob("??/*"))
        assert on_disk <= 250_000 and store.cache.total_bytes == on_disk
    assert store.cache.get(keys[0]) is None  # the least recently used went first
    assert store.cache.get(keys[-1]) is not None
    assert read(store, keys[0]) == blobs[0]  # fetched again from the bucket
    # A restart reads the folder back and keeps the bound.
    again = DiskCache(tmp_path / "media-cache", 150_000)
    assert again.total_bytes <= 150_000 and again.get(keys[0]) is not None


def test_delete_removes_the_object_and_the_cached_copy(store: S3MediaStore, endpoint: str) -> None:
    key = store.put_bytes(b"to be deleted").key
    cached = store.local_path(key)
    assert cached is not None and cached.exists()
    store.delete(key)
    assert not cached.exists()
    assert not store.exists(key)
    assert s3_client(endpoint).list_objects_v2(Bucket=store.location.bucket).get("KeyCount") == 0
    store.delete(key)  # deleting a missing key does nothing


def test_iter_keys_lists_the_prefix_and_the_linked_files(store: S3MediaStore, endpoint: str, tmp_path: Path) -> None:
    keys = {store.put_bytes(f"file {i}".encode()).key for i in range(7)}
    client = s3_client(endpoint)
    client.put_object(Bucket=store.location.bucket, Key="media/readme.txt", Body=b"not media")
    client.put_object(Bucket=store.location.bucket, Key="elsewhere/ab/" + "ab" * 32, Body=b"outside the prefix")
    original = tmp_path / "linked.bin"
    original.write_bytes(b"linked in place")
    linked = store.put_file(original, link=True)
    assert sorted(store.iter_keys()) == sorted(keys | {linked.key})


def test_a_missing_key_names_the_key_and_the_bucket(store: S3MediaStore) -> None:
    key = hashlib.sha256(b"never stored").hexdigest()
    with pytest.raises(NotFoundError) as err:
        store.open(key)
    assert key in str(err.value) and repr(store.location.bucket) in str(err.value)
    assert f"media/{key[:2]}/{key}" in str(err.value)
    assert err.value.context["bucket"] == store.location.bucket
    assert not store.exists(key)


def test_linked_files_stay_on_disk_and_are_size_checked(store: S3MediaStore, endpoint: str, tmp_path: Path) -> None:
    original = tmp_path / "photo.png"
    original.write_bytes(PNG + b"pixels")
    stored = store.put_file(original, link=True)
    assert stored.linked_path == str(original.resolve()) and stored.mime == "image/png"
    assert s3_client(endpoint).list_objects_v2(Bucket=store.location.bucket).get("KeyCount") == 0  # not uploaded
    assert store.local_path(stored.key) == original.resolve()
    assert read(store, stored.key, stored.linked_path) == PNG + b"pixels"
    original.write_bytes(PNG + b"pixels changed")
    with pytest.raises(NotFoundError, match="changed since it was linked"):
        store.open(stored.key, stored.linked_path)
    # Bytes already in the bucket are not linked: the object is the better source.
    uploaded = tmp_path / "uploaded.png"
    uploaded.write_bytes(PNG + b"in the bucket")
    store.put_file(uploaded)
    assert store.put_file(uploaded, link=True).linked_path is None


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(home=tmp_path / "home", **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("gs://bucket/media", "LABELHUB_MEDIA_URL must look like s3://BUCKET"),
        ("/srv/media", "got the scheme 'none'"),
        ("s3:///media", "names no bucket"),
        ("s3://AKIAEXAMPLE:very-secret@bucket/media", "must not hold credentials"),
    ],
)
def test_a_bad_media_url_is_refused_naming_the_setting(tmp_path: Path, url: str, expected: str) -> None:
    with pytest.raises(ConfigurationError) as err:
        open_media_store(_settings(tmp_path, media_url=url))
    assert expected in str(err.value) and err.value.context["field"] == "LABELHUB_MEDIA_URL"
    assert "very-secret" not in str(err.value)


def test_a_missing_bucket_is_refused_at_open(endpoint: str, tmp_path: Path) -> None:
    settings = _settings(tmp_path, media_url="s3://no-such-bucket/media", s3_endpoint_url=endpoint)
    with pytest.raises(ConfigurationError) as err:
        open_media_store(settings)
    message = str(err.value)
    assert "'no-such-bucket'" in message and endpoint in message and "does not exist" in message
    assert "LABELHUB_MEDIA_URL" in message


def test_refused_credentials_are_reported_without_the_secret(endpoint: str, bucket: str, tmp_path: Path) -> None:
    settings = _settings(tmp_path, media_url=f"s3://{bucket}", s3_endpoint_url=endpoint)
    with refuse_credentials(endpoint), pytest.raises(ConfigurationError) as err:
        open_media_store(settings)
    message = str(err.value)
    assert "refused the credentials" in message and repr(bucket) in message and endpoint in message
    assert FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in message
    assert isinstance(open_media_store(settings), S3MediaStore)  # accepted again once the server takes any key


def test_missing_credentials_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings = _settings(tmp_path, media_url="s3://bucket/media", s3_endpoint_url="http://127.0.0.1:9")
    with pytest.raises(ConfigurationError) as err:
        open_media_store(settings)
    assert "no S3 credentials for bucket 'bucket' at http://127.0.0.1:9" in str(err.value)


def test_an_unreachable_endpoint_names_the_endpoint_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    settings = _settings(tmp_path, media_url="s3://bucket", s3_endpoint_url="http://127.0.0.1:9")
    with pytest.raises(ConfigurationError) as err:
        open_media_store(settings)
    assert "http://127.0.0.1:9" in str(err.value) and err.value.context["field"] == "LABELHUB_S3_ENDPOINT_URL"
