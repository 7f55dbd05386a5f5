"""What a streamed WebDataset shard depends on, read from the database before any byte is sent.

- :func:`label_order`: the label order a stream's ``label_id`` values follow, the same for every shard and every
  item filter of a project: the project's labels, then the other labels its annotations in the chosen states
  use (left by a class removed from the schema, or imported), sorted. A shard computes it on its own with one
  query, so it never depends on what an earlier shard saw.
- :func:`shard_etag`: a strong ETag of a shard, from what its bytes are made of: the request (name, range, size,
  filter), the label order, each item's row (id, version, update stamp and the columns its sample writes) and
  each written annotation's id, version and update stamp. Media bytes are not read: a media key is the SHA-256 of
  its bytes, so the key stands for them.
- :func:`check_media`: every media file (and frame) of the shard's items must be readable, or the request fails
  with :class:`MediaMissing` (409) naming the items, before the 200 goes out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.errors import ConflictError
from labelhub.media.store import LocalMediaStore, MediaStore
from labelhub.storage.models import Annotation, Item, Media

# Part of every shard's ETag: bump it when the samples' layout (formats/_webdataset_sample.py) changes.
ETAG_VERSION = 1
_IN_CHUNK = 5_000  # ids per IN list (SQLite binds at most 32,766 values per statement)
_LISTED = 20  # missing media named in a problem (the count says how many there are in all)
_REMOTE_CHECKS = 16  # concurrent existence checks (HEAD requests) on a remote store such as S3

# The item columns a shard's ETag and media check read: the sample's own fields, and what changes with an edit.
ITEM_STATE = (Item.id, Item.version, Item.updated_at, Item.name, Item.kind, Item.media_key, Item.width,
              Item.height, Item.frame_count, Item.fps, Item.split, Item.meta)  # fmt: skip


class MediaMissing(ConflictError):
    """Items of a shard whose media cannot be read: the shard is refused before it starts (409), naming them."""

    title = "Media missing"
    slug = "media-missing"


@dataclass(frozen=True, slots=True)
class MissingMedia:
    """One item whose media file (or a frame of it) cannot be read."""

    item_id: int
    name: str
    media_key: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.item_id, "name": self.name, "media_key": self.media_key}


def _chunks(ids: Sequence[Any]) -> Iterable[Sequence[Any]]:
    return (ids[i : i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK))


def label_order(s: Session, project_id: int, names: Sequence[str], states: Sequence[str]) -> list[str]:
    """Return the project's labels (``names``, first of each), then the other labels its annotations in
    ``states`` use, sorted by code point; one DISTINCT on the (project, label, item) index."""
    known = list(dict.fromkeys(names))
    query = (
        select(Annotation.label)
        .where(Annotation.project_id == project_id, Annotation.label.is_not(None), Annotation.state.in_(states))
        .distinct()
    )
    if known:
        query = query.where(Annotation.label.not_in(known))
    seen = set(known)
    return known + sorted({label for label in s.scalars(query) if label is not None and label not in seen})


def labels_digest(labels: Sequence[str]) -> str:
    """Return a short fingerprint of a label order, which a shard URL carries to detect a changed order."""
    return hashlib.sha256(orjson.dumps(list(labels))).hexdigest()[:16]


def shard_etag(s: Session, request: dict[str, Any], labels: Sequence[str], items: Sequence[Any],
               states: Sequence[str]) -> str:  # fmt: skip
    """Return the shard's strong ETag from ``request`` (its name, range, size and filter), the label order, the
    item rows (:data:`ITEM_STATE`, in id order) and the id, version and update stamp of their annotations in
    ``states``."""
    digest = hashlib.sha256(orjson.dumps([ETAG_VERSION, request, list(labels)], option=orjson.OPT_SORT_KEYS))
    for row in items:  # orjson writes the update stamp (a datetime) as RFC 3339 text
        digest.update(orjson.dumps(tuple(row), option=orjson.OPT_SORT_KEYS))
    ids = [row.id for row in items]
    for chunk in _chunks(ids):
        rows = s.execute(
            select(Annotation.item_id, Annotation.id, Annotation.version, Annotation.updated_at)
            .where(Annotation.item_id.in_(chunk), Annotation.state.in_(states))
            .order_by(Annotation.item_id, Annotation.id)
        )
        for item_id, ann_id, version, updated in rows:
            digest.update(b"%d:%d:%d:%s;" % (item_id, ann_id, version, str(updated).encode()))
    return f'"wds-{digest.hexdigest()[:40]}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Return True when an ``If-None-Match`` header names ``etag`` (weak comparison, as RFC 9110 says) or is ``*``."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return etag in tags or "*" in tags


def media_wanted(row: Any) -> list[str]:
    """Return the media keys an item row's sample reads: its frames (an image sequence), else its media file."""
    frames = row.meta.get("frames") if isinstance(row.meta, dict) else None
    if isinstance(frames, list):
        return [k for k in frames if isinstance(k, str)]
    return [row.media_key] if row.media_key else []


def check_media(s: Session, store: MediaStore, items: Sequence[Any]) -> None:
    """Raise :class:`MediaMissing` (409) naming the items whose media (or a frame) the store cannot read.

    A folder store answers with a ``stat`` per file; another store (S3: a HEAD per file not cached) is asked
    ``_REMOTE_CHECKS`` keys at a time, since S3 has no call that checks many keys at once. A store that fails
    (S3 down) raises its own error (503) before the shard starts.
    """
    wanted = {row.id: media_wanted(row) for row in items}
    keys = sorted({k for ks in wanted.values() for k in ks})
    if not keys:
        return
    links: dict[str, str | None] = {}
    for chunk in _chunks(keys):
        links.update({key: path for key, path in s.execute(select(Media.key, Media.path).where(Media.key.in_(chunk)))})

    def readable(key: str) -> bool:
        return store.exists(key, links.get(key))

    if isinstance(store, LocalMediaStore):
        found = dict(zip(keys, map(readable, keys), strict=True))
    else:
        with ThreadPoolExecutor(max_workers=_REMOTE_CHECKS, thread_name_prefix="wds-media") as pool:
            found = dict(zip(keys, pool.map(readable, keys), strict=True))
    missing = [MissingMedia(row.id, row.name, next(k for k in wanted[row.id] if not found[k]))
               for row in items if not all(found[k] for k in wanted[row.id])]  # fmt: skip
    if not missing:
        return
    named = ", ".join(f"item {m.item_id} {m.name!r} (media {m.media_key[:12]})" for m in missing[:3])
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    raise MediaMissing(
        f"{len(missing)} item(s) of this shard have media the server cannot read: {named}{more}. Upload the "
        "files again, delete the items, or leave them out with a filter (status, split), then list the shards again",
        missing=len(missing),
        items=[m.to_json() for m in missing[:_LISTED]],
    )
