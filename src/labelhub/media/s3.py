"""Media on S3-compatible object storage (AWS S3, MinIO, Ceph, Cloudflare R2...), read through a local cache.

Chosen by ``LABELHUB_MEDIA_URL=s3://BUCKET[/PREFIX]`` (see docs/operations.md, "Media on S3-compatible
storage"). A copied file is the object ``{prefix}/{key[:2]}/{key}``, uploaded once: its bytes are hashed first
and the upload is skipped when the object is already there. Callers that need a file on disk get one from
``HOME/media-cache`` (:class:`~labelhub.media.disk_cache.DiskCache`, a hand-written least-recently-used eviction
bounded in bytes by ``LABELHUB_MEDIA_CACHE_MB``), where a download lands and is checked against its key first.

Linked files (``link=True``) behave exactly as with :class:`~labelhub.media.store.LocalMediaStore`: hashed where
they lie, never uploaded, read from disk with the size check; their link notes stay in ``HOME/media``.
Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``,
``~/.aws``, an instance role); no message ever repeats them.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NoReturn, cast
from urllib.parse import urlsplit

import boto3.session
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from labelhub.config import Settings
from labelhub.errors import ConfigurationError, NotFoundError, ServiceUnavailable
from labelhub.media.disk_cache import DiskCache
from labelhub.media.store import (
    _SNIFF_BYTES,
    KEY_PATTERN,
    LocalMediaStore,
    StoredMedia,
    _open_linked,
    _open_source,
    copy_hashing,
    guess_mime,
    link_record,
    validate_key,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["BucketLocation", "S3MediaStore", "parse_media_url"]

URL_SETTING = "LABELHUB_MEDIA_URL"
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
_REFUSED = {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}
# boto3's managed transfer: files over 8 MiB go up in 8 MiB parts, several at once.
_MULTIPART_BYTES = 8 * 1024 * 1024
_TRANSFER = TransferConfig(multipart_threshold=_MULTIPART_BYTES, multipart_chunksize=_MULTIPART_BYTES)


# Answers of a service that is overloaded or down for now (S3 asks clients to slow down or retry on these).
_TRANSIENT = {"500", "502", "503", "504", "InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"}


def _outage(exc: ClientError | BotoCoreError) -> bool:
    """Whether ``exc`` says the bucket's service is unreachable or failing, rather than that the request is wrong:
    a refused or timed-out connection, or a 5xx / SlowDown answer (after boto3's own retries)."""
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return _code(exc) in _TRANSIENT or status >= 500
    return isinstance(exc, BotoConnectionError | ReadTimeoutError)  # refused, reset, DNS, timeouts


def _reason(exc: ClientError | BotoCoreError) -> str:
    return _code(exc) if isinstance(exc, ClientError) else type(exc).__name__


@dataclass(frozen=True, slots=True)
class BucketLocation:
    """Where the objects live: the bucket, the key prefix (no slashes around it), and the endpoint and region."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None

    @property
    def where(self) -> str:
        """The bucket and endpoint in words, for messages (the URL setting holds no secret)."""
        return f"bucket {self.bucket!r} at {self.endpoint_url or 'the AWS S3 endpoint'}"

    def object_key(self, key: str) -> str:
        """Return the object name of media ``key``: ``{prefix}/{key[:2]}/{key}``."""
        key = validate_key(key)
        return f"{self.prefix}/{key[:2]}/{key}" if self.prefix else f"{key[:2]}/{key}"


def parse_media_url(url: str) -> tuple[str, str]:
    """Return the bucket and prefix of ``s3://BUCKET[/PREFIX]``; ConfigurationError naming the setting otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme != "s3":
        raise ConfigurationError(
            f"{URL_SETTING} must look like s3://BUCKET/OPTIONAL/PREFIX, got the scheme {parts.scheme or 'none'!r} "
            "(leave it unset to keep media in LABELHUB_HOME/media)",
            field=URL_SETTING,
        )
    if "@" in parts.netloc:  # said without echoing the URL: what stands before the @ may be a secret
        raise ConfigurationError(
            f"{URL_SETTING} must not hold credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
            "AWS_PROFILE) instead",
            field=URL_SETTING,
        )
    if not parts.netloc:
        raise ConfigurationError(f"{URL_SETTING} names no bucket: {url!r}; use s3://BUCKET[/PREFIX]", field=URL_SETTING)
    return parts.netloc, parts.path.strip("/")


def _client(location: BucketLocation) -> S3Client:
    """Return an S3 client for ``location``, set up to work with S3-compatible servers as well as AWS."""
    config = Config(
        connect_timeout=5,
        read_timeout=60,
        retries={"max_attempts": 3, "mode": "standard"},
        max_pool_connections=16,
        # Other servers than AWS reject or mangle the newer default checksums; path-style names work on all of them.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        s3={"addressing_style": "path" if location.endpoint_url else "auto"},
    )
    # A session of its own: boto3's default session keeps the first credentials it found for the whole process.
    session = boto3.session.Session()
    return session.client("s3", endpoint_url=location.endpoint_url, region_name=location.region, config=config)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", "")) or "unknown"


class S3MediaStore:
    """A :class:`~labelhub.media.store.MediaStore` in an S3-compatible bucket, with a bounded local read cache."""

    def __init__(
        self, location: BucketLocation, *, cache: DiskCache, notes: LocalMediaStore, client: S3Client | None = None
    ) -> None:
        self.location = location
        self.cache = cache
        self._notes = notes  # link notes only: linked files are never uploaded
        self.client = client or _client(location)

    @classmethod
    def from_settings(cls, settings: Settings, *, url: str | None = None) -> S3MediaStore:
        """Return the store ``url`` (default ``LABELHUB_MEDIA_URL``) names, after checking the bucket answers."""
        bucket, prefix = parse_media_url(url or settings.media_url or "")
        location = BucketLocation(bucket, prefix, settings.s3_endpoint_url, settings.s3_region)
        store = cls(
            location,
            cache=DiskCache(settings.media_cache_dir, settings.media_cache_mb * 1024 * 1024),
            notes=LocalMediaStore(settings.media_dir),
        )
        store.check_bucket()
        return store

    def check_bucket(self) -> None:
        """Return when the bucket exists and the credentials are accepted (one HEAD); ConfigurationError otherwise."""
        try:
            self.client.head_bucket(Bucket=self.location.bucket)
        except (ClientError, BotoCoreError) as exc:
            self._fail(exc, "check")

    def _fail(self, exc: ClientError | BotoCoreError, action: str) -> NoReturn:
        """Raise ConfigurationError for an S3 error, naming the setting, bucket and endpoint (never a secret)."""
        loc, context = self.location, {"bucket": self.location.bucket, "endpoint": self.location.endpoint_url}
        if isinstance(exc, NoCredentialsError):
            raise ConfigurationError(
                f"no S3 credentials for {loc.where} ({URL_SETTING}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                "or AWS_PROFILE",
                field=URL_SETTING,
                **context,
            ) from None
        if action != "check" and _outage(exc):  # it answered at start: the bucket's service is down, not the setup
            raise ServiceUnavailable(
                f"{loc.where} did not answer the {action} ({_reason(exc)}); the media store is unavailable, "
                "try again shortly",
                field=URL_SETTING,
                **context,
            ) from None
        if isinstance(exc, EndpointConnectionError):
            raise ConfigurationError(
                f"cannot reach {loc.where}: is LABELHUB_S3_ENDPOINT_URL right and the server up?",
                field="LABELHUB_S3_ENDPOINT_URL",
                **context,
            ) from None
        code = _code(exc) if isinstance(exc, ClientError) else type(exc).__name__
        if code in _MISSING and action == "check":
            message = f"{loc.where} does not exist ({URL_SETTING}); create it or fix the bucket name"
        elif code in _REFUSED:
            message = (
                f"{loc.where} refused the credentials ({code}) on {action}: check AWS_ACCESS_KEY_ID, "
                f"AWS_SECRET_ACCESS_KEY and the bucket's policy ({URL_SETTING})"
            )
        else:
            message = f"S3 {action} failed on {loc.where}: {code} ({URL_SETTING})"
        raise ConfigurationError(message, field=URL_SETTING, **context) from None

    def _not_found(self, key: str) -> NotFoundError:
        obj = self.location.object_key(key)
        return NotFoundError(
            f"media {key} is not stored: no object {obj} in {self.location.where}", key=key, bucket=self.location.bucket
        )

    def _head(self, key: str) -> bool:
        """Return whether the object of ``key`` is in the bucket (one HEAD request)."""
        try:
            self.client.head_object(Bucket=self.location.bucket, Key=self.location.object_key(key))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            self._fail(exc, "HEAD")
        except BotoCoreError as exc:
            self._fail(exc, "HEAD")
        return True

    def _has_object(self, key: str) -> bool:
        return self.cache.get(key) is not None or self._head(key)

    def _upload(self, path: Path, key: str, mime: str) -> None:
        """Upload the file at ``path`` as ``key``'s object (multipart when large: boto3's managed transfer)."""
        try:
            self.client.upload_file(
                str(path),
                self.location.bucket,
                self.location.object_key(key),
                ExtraArgs={"ContentType": mime},
                Config=_TRANSFER,
            )
        except (ClientError, BotoCoreError) as exc:
            self._fail(exc, "upload")
        except S3UploadFailedError as exc:  # how the managed transfer reports a ClientError
            cause = exc.__context__
            if not isinstance(cause, ClientError):
                raise
            self._fail(cause, "upload")

    def put_stream(self, stream: BinaryIO, *, name: str = "") -> StoredMedia:
        """Return the stored record for ``stream``: spooled to a temporary file while hashed, then uploaded once.

        The temporary file then becomes the cached copy, so reading the file right after (a thumbnail) downloads
        nothing."""
        out, tmp = self.cache.temp_file()
        try:
            with out:
                key, size, head = copy_hashing(stream, out)
            record = StoredMedia(key=key, size=size, mime=guess_mime(name, head))
            if not self._has_object(key):
                self._upload(tmp, key, record.mime)
            self.cache.commit(tmp, key)
        finally:
            tmp.unlink(missing_ok=True)
        return record

    def put_file(self, path: Path, *, link: bool = False) -> StoredMedia:
        """Return the stored record for ``path``; with ``link`` it is hashed in place and never uploaded.

        As with the folder store, linking bytes that are already in the bucket returns ``linked_path=None``."""
        if not link:
            with _open_source(path) as f:
                return self.put_stream(f, name=path.name)
        record = link_record(path)
        if self._has_object(record.key):
            return replace(record, linked_path=None)
        self._notes.write_link_note(record.key, str(record.linked_path), record.size)
        return record

    def put_bytes(self, data: bytes, *, name: str = "") -> StoredMedia:
        """Return the stored record for ``data``; nothing is uploaded when the object is already there."""
        return self.put_stream(io.BytesIO(data), name=name)

    def _link_target(self, key: str, linked_path: str | None) -> tuple[str, int | None] | None:
        """Return the linked original of ``key`` and the size it must have, or None when it is not linked."""
        note = self._notes.read_link_note(key)
        path = linked_path or (note[0] if note else None)
        return (path, note[1] if note else None) if path else None

    def _download(self, key: str) -> Path:
        """Return the cached file of ``key``, fetched from the bucket and checked against its key."""
        out, tmp = self.cache.temp_file()
        try:
            with out:
                try:
                    body = self.client.get_object(Bucket=self.location.bucket, Key=self.location.object_key(key))
                    got, _, _ = copy_hashing(cast(BinaryIO, body["Body"]), out)
                except ClientError as exc:
                    if _code(exc) in _MISSING:
                        raise self._not_found(key) from None
                    self._fail(exc, "download")
                except BotoCoreError as exc:
                    self._fail(exc, "download")
            if got != key:
                raise NotFoundError(
                    f"object {self.location.object_key(key)} in {self.location.where} holds other bytes than its "
                    f"key says (SHA-256 {got}); upload the file again",
                    key=key,
                    bucket=self.location.bucket,
                )
            return self.cache.commit(tmp, key)
        finally:
            tmp.unlink(missing_ok=True)

    def _fetch(self, key: str, linked_path: str | None) -> tuple[Path, int | None, bool]:
        """Return the file holding ``key``, the size a linked original must have, and whether it is linked.

        The cache comes first, then a linked original (no request at all), then the bucket; a linked original
        that changed falls back to the bucket when the same bytes were uploaded since."""
        key = validate_key(key)
        if (cached := self.cache.get(key)) is not None:
            return cached, None, False
        target = self._link_target(key, linked_path)
        if target is not None:
            try:
                _open_linked(key, *target).close()
                return Path(target[0]), target[1], True
            except NotFoundError as exc:
                if not self._head(key):
                    raise exc from None
        return self._download(key), None, False

    def open(self, key: str, linked_path: str | None = None) -> BinaryIO:
        """Return ``key``'s bytes opened for reading; NotFoundError naming the key and bucket when gone."""
        path, size, linked = self._fetch(key, linked_path)
        if linked:
            return _open_linked(key, str(path), size)
        try:
            return path.open("rb")
        except FileNotFoundError:  # evicted by another process between the fetch and the open
            return self._download(key).open("rb")

    def local_path(self, key: str, linked_path: str | None = None) -> Path | None:
        """Return a file on disk with ``key``'s bytes: the cached copy (downloaded when missing) or the original."""
        return self._fetch(key, linked_path)[0]

    def exists(self, key: str, linked_path: str | None = None) -> bool:
        """Return True when ``key``'s bytes can be read: cached, linked and unchanged, or in the bucket (HEAD)."""
        key = validate_key(key)
        if self.cache.get(key) is not None:
            return True
        target = self._link_target(key, linked_path)
        if target is not None:
            try:
                _open_linked(key, *target).close()
                return True
            except NotFoundError:
                pass
        return self._head(key)

    def delete(self, key: str) -> None:
        """Delete ``key``'s object, cached copy and link note (and a copy left in HOME/media from before)."""
        try:
            self.client.delete_object(Bucket=self.location.bucket, Key=self.location.object_key(key))
        except (ClientError, BotoCoreError) as exc:
            self._fail(exc, "delete")
        self.cache.discard(key)
        self._notes.delete(key)

    def iter_keys(self) -> Iterator[str]:
        """Yield every key in the bucket (listed a page of 1,000 at a time), then the linked keys not in it."""
        seen: set[str] = set()
        prefix = f"{self.location.prefix}/" if self.location.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.location.bucket, Prefix=prefix)
        try:
            for page in pages:
                for obj in page.get("Contents", []):
                    name = obj.get("Key", "")[len(prefix) :]
                    key = name[3:]
                    if name[2:3] == "/" and KEY_PATTERN.fullmatch(key) and name[:2] == key[:2]:
                        seen.add(key)
                        yield key
        except (ClientError, BotoCoreError) as exc:
            self._fail(exc, "list")
        yield from (key for key in self._notes.linked_keys() if key not in seen)

    def upload_copy(self, key: str, path: Path) -> int:
        """Return the bytes uploaded for the file at ``path`` stored under ``key``; 0 when the object is there."""
        if self._head(key):
            return 0
        with _open_source(path) as f:
            head = f.read(_SNIFF_BYTES)
        self._upload(path, key, guess_mime("", head))
        return path.stat().st_size
