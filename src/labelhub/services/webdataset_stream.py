"""Streaming a project's labelled items to a training script as WebDataset shards, with no export job.

A shard is a keyset range of item ids: shard k holds the next ``shard_size`` items (in id order, under the
filter) after the last item of shard k-1, written down as ``after < id <= upto``. Its content stays the same
while the project is not edited (new items get larger ids, so they never slip into a listed range), and listing
the shards is one scan of the matching ids, the boundaries picked with ``row_number()`` (no OFFSET), plus a
count of the last, partial shard's items.

A shard's samples are those the exporter writes (:mod:`labelhub.formats._webdataset_sample`), keyed as it keys
them (the item's 0-based position under the filter, ``%08d``), so a streamed shard is byte-identical to the
exported shard of the same items and shard size. The stream reads its items in short read transactions of
``_DB_CHUNK`` items and yields each item's members as it goes: it holds one sample's JSON and one 1 MiB chunk of
media at a time, never the shard. Label ids follow :func:`~labelhub.services.webdataset_shard_state.label_order`
(the project's labels, then the other labels in use, sorted), the same in every shard.

Before the 200 (:func:`open_shard`): the shard's ETag is computed from the database (a matching ``If-None-Match``
ends there, 304), then every media file of its items must be readable, else 409 naming the items. A file that
still vanishes, or a store that fails, once bytes went out makes :meth:`ShardStream.chunks` log the item and
raise: the server drops the connection, so the reader sees a broken transfer, never a shorter well-formed tar.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from labelhub.domain.enums import AnnotationState, ItemKind, ItemStatus
from labelhub.domain.permissions import Action
from labelhub.errors import ConflictError, ValidationError
from labelhub.formats import ExportItem
from labelhub.formats._webdataset_sample import end_of_archive, measure, member_bytes, sample_members
from labelhub.hub import Hub
from labelhub.services import webdataset_shard_state as shard_state
from labelhub.services.access import Actor, project_schema, require
from labelhub.services.exports import export_records
from labelhub.services.items import ItemFilter, filtered_items
from labelhub.services.webdataset_shard_state import (
    ITEM_STATE,
    MediaMissing,
    check_media,
    etag_matches,
    labels_digest,
    shard_etag,
)
from labelhub.storage.models import Annotation, Item

DEFAULT_SHARD_SIZE = 1000
MAX_SHARD_SIZE = 10_000
SHARD_DIGITS = 6
_SHARD_RE = re.compile(rf"^shard-(\d{{{SHARD_DIGITS}}})\.tar$")
_DB_CHUNK = 500  # items read per read transaction while a shard streams
_FLUSH = 256 << 10  # small members (headers, JSON) are sent together, up to this many bytes
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StreamFilter:
    """Which items a stream holds and which of their annotations: ``status`` (any of them; none: every status),
    ``split``, ``kind``; ``states`` of the annotations written (accepted by default, as an export);
    ``annotated``: only items with at least one annotation in those states."""

    status: tuple[ItemStatus, ...] = ()
    split: str | None = None
    kind: ItemKind | None = None
    states: tuple[AnnotationState, ...] = (AnnotationState.ACCEPTED,)
    annotated: bool = False

    def query(self) -> list[tuple[str, str]]:
        """Return the filter as the query parameters of a shard's URL (the routes take the same names)."""
        params = [("status", s.value) for s in self.status]
        if self.split is not None:
            params.append(("split", self.split))
        if self.kind is not None:
            params.append(("kind", self.kind.value))
        params += [("states", s.value) for s in self.states]
        if self.annotated:
            params.append(("annotated", "true"))
        return params

    def to_json(self) -> dict[str, Any]:
        return {
            "status": [s.value for s in self.status],
            "split": self.split,
            "kind": self.kind.value if self.kind else None,
            "states": [s.value for s in self.states],
            "annotated": self.annotated,
        }

    def item_filter(self) -> ItemFilter:
        """Return the part of the filter :func:`filtered_items` takes (the rest is :meth:`conditions`)."""
        return ItemFilter(kind=self.kind, split=self.split)

    def conditions(self, project_id: int) -> list[ColumnElement[bool]]:
        """Return the conditions on :class:`Item` for ``status`` (any of several) and ``annotated``."""
        conds: list[ColumnElement[bool]] = []
        if self.status:
            conds.append(Item.status.in_([s.value for s in self.status]))
        if self.annotated:
            states = [s.value for s in self.states]
            conds.append(
                exists().where(
                    Annotation.item_id == Item.id, Annotation.project_id == project_id, Annotation.state.in_(states)
                )
            )
        return conds

    def state_values(self) -> tuple[str, ...]:
        """Return the annotation states written; raise ValidationError (field ``states``) for none."""
        if not self.states:
            raise ValidationError("states must name at least one annotation state", field="states")
        return tuple(s.value for s in self.states)


@dataclass(frozen=True, slots=True)
class ShardRange:
    """Shard ``number``: the items with ``after < id <= upto`` under the filter, ``samples`` of them when listed."""

    number: int
    after: int
    upto: int
    samples: int

    @property
    def name(self) -> str:
        return shard_name(self.number)


@dataclass(frozen=True, slots=True)
class ShardList:
    """The shards of a project under a filter, and the label order their ``label_id`` values follow."""

    project_id: int
    shard_size: int
    samples: int
    labels: list[str]
    shards: list[ShardRange]
    filter: StreamFilter

    @property
    def label_order(self) -> str:
        """The fingerprint of ``labels`` a shard's URL carries (``label_order``), so a changed order is refused."""
        return labels_digest(self.labels)


def shard_name(number: int) -> str:
    """Return shard ``number``'s name, ``shard-000003.tar``."""
    return f"shard-{number:0{SHARD_DIGITS}d}.tar"


def shard_number(name: str) -> int:
    """Return the number in a shard's name; raise ValidationError (field ``shard``) for any other name."""
    match = _SHARD_RE.match(name)
    if match is None:
        raise ValidationError(f"shard must be named shard-NNNNNN.tar (6 digits), got {name!r}", field="shard")
    return int(match.group(1))


def _check_size(shard_size: int) -> None:
    if not 1 <= shard_size <= MAX_SHARD_SIZE:
        raise ValidationError(f"shard_size must be 1 to {MAX_SHARD_SIZE:,}, got {shard_size}", field="shard_size")


def _labels(s: Session, project: Any, f: StreamFilter) -> list[str]:
    return shard_state.label_order(s, project.id, project_schema(s, project).names, f.state_values())


def list_shards(
    hub: Hub, actor: Actor, project_id: int, f: StreamFilter, *, shard_size: int = DEFAULT_SHARD_SIZE
) -> ShardList:
    """Return the project's shards under ``f`` (EXPORT: the role an export takes), each ``shard_size`` items but
    the last."""
    with hub.db.session() as s:
        if s.get_bind().dialect.name == "postgresql":  # the boundaries and the tail from one snapshot
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        project = require(s, actor, project_id, Action.EXPORT)  # a stranger learns nothing from the checks: 404 first
        _check_size(shard_size)
        labels = _labels(s, project, f)
        matching = filtered_items(project_id, f.item_filter()).where(*f.conditions(project_id))
        numbered = (
            matching.with_only_columns(Item.id, func.row_number().over(order_by=Item.id).label("n"))
            .order_by(None)
            .subquery()
        )
        # One scan of the matching ids; only each full shard's last item comes back.
        full = s.scalars(select(numbered.c.id).where(numbered.c.n % shard_size == 0).order_by(numbered.c.id)).all()
        after = full[-1] if full else 0
        # The rest (fewer than shard_size items) is the last shard.
        tail = matching.with_only_columns(Item.id).where(Item.id > after).order_by(None).subquery()
        tail_upto, tail_n = s.execute(select(func.max(tail.c.id), func.count()).select_from(tail)).one()
    shards = [ShardRange(number=k, after=full[k - 1] if k else 0, upto=upto, samples=shard_size)
              for k, upto in enumerate(full)]  # fmt: skip
    if tail_n:
        shards.append(ShardRange(number=len(full), after=after, upto=tail_upto, samples=tail_n))
    done = len(full) * shard_size + tail_n
    return ShardList(project_id, shard_size, done, labels, shards, f)


@dataclass(frozen=True, slots=True)
class ShardStream:
    """One shard, checked and ready to stream: :meth:`chunks` yields its tar's bytes. ``not_modified``: the
    request's ``If-None-Match`` names ``etag``, so nothing is to be sent (and the media were not checked)."""

    hub: Hub
    project_id: int
    name: str
    first_key: int
    item_ids: list[int]
    label_ids: dict[str, int]
    filter: StreamFilter
    etag: str
    not_modified: bool = False

    def chunks(self) -> Iterator[bytes]:
        """Yield the shard's tar, item after item, ending with the end-of-archive blocks.

        An item whose media cannot be read any more (deleted, or the store failing after the checks of
        :func:`open_shard`) is logged and its error raised: the server then drops the connection instead of
        ending the tar, and the reader fails (curl: exit 18; httpx: RemoteProtocolError)."""
        offset = 0
        pending: list[bytes] = []
        held = 0
        key = self.first_key
        where = "its first item"
        try:
            for items in self._batches():
                for item, media_key in items:
                    where = f"item {item.record.name!r} (media {media_key})"
                    if media_key is not None and item.media_file is None and not item.frame_files:
                        raise MediaMissing(f"media {media_key} of item {item.record.name!r} is gone", key=media_key)
                    members = sample_members(item, f"{key:08d}", self._label_id)
                    key += 1
                    measure(members)
                    for m in members:
                        for chunk in member_bytes(m, item.record.name):
                            offset += len(chunk)
                            if len(chunk) >= _FLUSH:  # a media chunk goes as it is, after what was held
                                if pending:
                                    yield b"".join(pending)
                                    pending, held = [], 0
                                yield chunk
                                continue
                            pending.append(chunk)
                            held += len(chunk)
                            if held >= _FLUSH:
                                yield b"".join(pending)
                                pending, held = [], 0
        except Exception as exc:
            log.error("WebDataset stream %s of project %d aborted at or after %s, %d bytes into the tar: %s",
                      self.name, self.project_id, where, offset, exc)  # fmt: skip
            raise
        pending.append(end_of_archive(offset))
        yield b"".join(pending)

    def _label_id(self, label: str | None) -> int | None:
        if label is None:
            return None
        label_id = self.label_ids.get(label)
        if label_id is None:  # a label new to the project since open_shard: the order is not the listing's now
            raise ConflictError(f"label {label!r} appeared while the shard streamed; list the shards again",
                                field="label_order")  # fmt: skip
        return label_id

    def _batches(self) -> Iterator[list[tuple[ExportItem, str | None]]]:
        """Yield the shard's items with their annotations and media files, read ``_DB_CHUNK`` at a time, each with
        the media key its sample needs (None for none, or for frames: a missing frame fails the sample itself)."""
        f = self.filter
        items_filter, states = f.item_filter(), f.state_values()
        after = self.item_ids[0] - 1 if self.item_ids else 0
        for start in range(0, len(self.item_ids), _DB_CHUNK):
            upto = self.item_ids[min(start + _DB_CHUNK, len(self.item_ids)) - 1]
            where = [Item.id <= upto, *f.conditions(self.project_id)]
            # A short read transaction per chunk: a slow reader of the stream holds no database snapshot.
            with self.hub.db.session() as s:
                has_media = select(Item.name, Item.media_key).where(
                    Item.project_id == self.project_id, Item.id > after, Item.id <= upto, Item.media_key.is_not(None)
                )
                keys = {name: key for name, key in s.execute(has_media) if key is not None}
                items = list(
                    export_records(s, self.hub, self.project_id, items_filter, states, after=after, where=where)
                )
            after = upto
            yield [(item, keys.get(item.record.name)) for item in items]


def open_shard(
    hub: Hub,
    actor: Actor,
    project_id: int,
    f: StreamFilter,
    *,
    name: str,
    after: int,
    upto: int,
    shard_size: int = DEFAULT_SHARD_SIZE,
    label_order: str | None = None,
    if_none_match: str | None = None,
) -> ShardStream:
    """Check the reader (EXPORT) and the shard's name and range, and return the shard ready to stream.

    The shard holds the first ``shard_size`` items with ``after < id <= upto`` under ``f``; its keys start at
    ``number * shard_size``, as in an export of the same items in shards of ``shard_size``. ``label_order`` is
    the listing's fingerprint of its labels: a shard whose label order differs now is refused (409, list again).
    Unless ``if_none_match`` names the shard's ETag (``not_modified``), every media file of its items must be
    readable: MediaMissing (409) names those that are not.
    """
    with hub.db.session() as s:
        if s.get_bind().dialect.name == "postgresql":  # the ETag, the items and their media from one snapshot
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        project = require(s, actor, project_id, Action.EXPORT)
        number = shard_number(name)
        _check_size(shard_size)
        if after < 0:
            raise ValidationError(f"after must be 0 or more, got {after}", field="after")
        if upto <= after:
            raise ValidationError(f"upto must be larger than after ({after}), got {upto}", field="upto")
        labels = _labels(s, project, f)
        if label_order is not None and label_order != labels_digest(labels):
            raise ConflictError(
                "the project's label order changed since the shards were listed (a label was added, removed or "
                "renamed), so label_id values would not match the listing's labels; list the shards again",
                field="label_order",
                labels=labels,
            )
        rows: Sequence[Any] = s.execute(
            filtered_items(project_id, f.item_filter())
            .where(Item.id > after, Item.id <= upto, *f.conditions(project_id))
            .with_only_columns(*ITEM_STATE)
            .limit(shard_size)
        ).all()
        request = {"project": project_id, "shard": name, "after": after, "upto": upto, "shard_size": shard_size,
                   "filter": f.to_json()}  # fmt: skip
        etag = shard_etag(s, request, labels, rows, f.state_values())
        not_modified = etag_matches(if_none_match, etag)
        if not not_modified:
            check_media(s, hub.media, rows)
    return ShardStream(
        hub=hub,
        project_id=project_id,
        name=name,
        first_key=number * shard_size,
        item_ids=[row.id for row in rows],
        label_ids={label: i for i, label in enumerate(labels)},
        filter=f,
        etag=etag,
        not_modified=not_modified,
    )
