"""The embedding job: every item of a project as a vector in one space, stored and indexed, incrementally.

A run (``embed_project``, the body of the ``embed`` job and of ``labelhub embed``):

1. lists the project's items and what each is embedded from (``_spaces.source_hash``: the media key of an
   image or video, the SHA-256 of a text); items with nothing to embed are skipped (metadata-only media,
   empty texts, volumes);
2. compares them with the ``embeddings`` rows of the space: an item whose row has the same embedder version and
   source hash is left alone; new, changed and other-version items are (re)computed; rows of items that are
   gone or have nothing to embed any more are deleted;
3. brings the index (``HOME/indexes/{project}/{space}/``) in line with the rows *by adding and removing*: ids
   without a row leave it, rows missing from it (a deleted index folder) or written after its last save are
   added from their stored vectors, without embedding again. A new index is ``exact`` below ``EXACT_LIMIT``
   (20k) items, ``hnswlib`` above; an exact index whose project has grown past the limit, or one of another
   dimension (the embedder changed), is replaced by a new one filled from the rows;
4. embeds the items to compute in batches (progress "embedded N of M items"); each batch goes into the index,
   then into the ``embeddings`` table; the index is saved every ``SAVE_SECONDS`` and at the end (``_Saver``),
   and rows written after its last save are added again by the next run (step 3), so a run that stops early
   leaves nothing the next one does not repair;
5. saves each item's nearest neighbours (the duplicates page's graph) beside the index, computed anew unless the
   run changed nothing in it (``_neighbours.refresh_graph``: "neighbour graph: N of M items", the last 10%).

Video items are embedded from their middle frame (``services.frames``), as an image. An item whose file cannot
be read or whose text has no words is reported in ``errors`` and left out; the job goes on.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from labelhub.domain.enums import ItemKind, JobStatus
from labelhub.domain.permissions import Action
from labelhub.errors import LabelhubError, ValidationError
from labelhub.hub import Hub
from labelhub.jobs.context import JobContext
from labelhub.search import Embedder, VectorIndex, create_index, open_index
from labelhub.search.index import META_FILE, read_meta
from labelhub.services import audit, frames
from labelhub.services._neighbours import index_state, refresh_graph
from labelhub.services._spaces import (
    EXACT_LIMIT,
    SpaceState,
    check_ready,
    check_space,
    index_folder,
    load_embedder,
    modality_of,
    read_state,
    source_hash,
    write_state,
)
from labelhub.services.access import Actor, require
from labelhub.services.jobs import enqueue
from labelhub.storage.models import Embedding, Item, Job, Media, utcnow

__all__ = [
    "BATCH",
    "EmbedReport",
    "embed_project",
    "queue_embedding",
    "run_embed_job",
    "wanted_items",
]

BATCH = 64
SAVE_SECONDS = 30.0
EMBED_SHARE = 0.9  # of the progress bar; the neighbour graph takes the rest
_CHUNK = 1_000
Progress = Callable[[float, str], None]


@dataclass(slots=True)
class EmbedReport:
    """What one run did: ``embedded`` items computed now, ``unchanged`` ones kept, ``removed`` rows dropped."""

    space: str
    embedder_version: str
    backend: str
    items: int = 0
    embedded: int = 0
    unchanged: int = 0
    removed: int = 0
    restored: int = 0
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"space": self.space, "embedder_version": self.embedder_version, "backend": self.backend,
                "items": self.items, "embedded": self.embedded, "unchanged": self.unchanged,
                "removed": self.removed, "restored": self.restored, "skipped": self.skipped,
                "errors": self.errors[:100]}  # fmt: skip


def queue_embedding(session: Session, hub: Hub, actor: Actor, project_id: int, space: str | None) -> Job:
    """Queue an ``embed`` job for the project (default space when None); an unfinished one of the space is reused."""
    project = require(session, actor, project_id, Action.EMBED)
    space = check_space(hub, project_id, project.item_kind, space)
    check_ready(hub, project_id, space)
    unfinished = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
    for job in session.scalars(
        select(Job).where(Job.project_id == project_id, Job.kind == "embed", Job.status.in_(unfinished))
    ):
        if (job.params or {}).get("space") == space:
            return job
    return enqueue(session, actor, "embed", {"space": space}, project_id=project_id)


# --- the run ------------------------------------------------------------------------------------------------
def wanted_items(session: Session, project_id: int, modality: str) -> tuple[dict[int, str], int]:
    """Return {item id: source hash} of the items to embed, and how many items have nothing to embed."""
    wanted: dict[int, str] = {}
    skipped = 0
    stmt = select(Item.id, Item.kind, Item.media_key, Item.text).where(Item.project_id == project_id)
    for item_id, kind, key, text in session.execute(stmt.execution_options(yield_per=_CHUNK)):
        digest = source_hash(kind, key, text) if modality_of(kind) == modality else None
        if digest is None:
            skipped += 1
        else:
            wanted[item_id] = digest
    return wanted, skipped


def _open_or_create(hub: Hub, project_id: int, space: str, dim: int, items: int, exact_limit: int) -> VectorIndex:
    """Return the space's index, made anew when absent, of another dimension, or an exact one grown too big."""
    folder = index_folder(hub.settings, project_id, space)
    if (folder / META_FILE).exists():
        meta = read_meta(folder)
        too_big = meta["backend"] == "exact" and items >= exact_limit
        if int(meta["dim"]) == dim and not too_big:
            return open_index(folder)
        shutil.rmtree(folder)  # its rows are re-added from the table below (or recomputed: another embedder)
    elif folder.exists():
        shutil.rmtree(folder)  # a half-written folder without meta.json: nothing in it can be opened
    return create_index(folder, dim=dim, backend="exact" if items < exact_limit else "hnswlib")


def _chunks(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _restore(hub: Hub, project_id: int, space: str, index: VectorIndex, ids: list[int]) -> None:
    """Add stored vectors to the index (rows it lacks), without embedding again."""
    for chunk in _chunks(ids, _CHUNK):
        with hub.db.session() as s:
            rows = s.execute(
                select(Embedding.item_id, Embedding.vector)
                .where(Embedding.project_id == project_id, Embedding.space == space, Embedding.item_id.in_(chunk))
            ).all()  # fmt: skip
        if rows:
            vectors = np.stack([np.frombuffer(v, dtype="<f4") for _, v in rows])
            index.add([i for i, _ in rows], vectors)


def _inputs(hub: Hub, actor: Actor, project_id: int, ids: list[int]) -> list[tuple[int, str | Path | None, str]]:
    """Return (item id, text or image path or None, error) for a batch of items to embed."""
    out: list[tuple[int, str | Path | None, str]] = []
    with hub.db.session() as s:
        rows = s.execute(
            select(Item.id, Item.kind, Item.text, Item.media_key, Media.path)
            .outerjoin(Media, Media.key == Item.media_key)
            .where(Item.id.in_(ids))
        ).all()  # fmt: skip
        for item_id, kind, text, key, linked in rows:
            if kind == ItemKind.TEXT.value:
                out.append((item_id, text, ""))
            elif kind == ItemKind.VIDEO.value:
                try:
                    v = frames.load_video_item(s, hub, actor, project_id, item_id)
                    out.append((item_id, frames.frame_file(hub, v, v.frame_count // 2)[0], ""))
                except LabelhubError as exc:
                    out.append((item_id, None, exc.detail))
            else:
                path = hub.media.local_path(key, linked) if key else None
                ok = path is not None and Path(path).is_file()
                out.append((item_id, Path(path) if ok and path else None, "" if ok else "the media file is missing"))
    return out


def _embed(embedder: Embedder, modality: str, inputs: list[Any]) -> npt.NDArray[np.float32]:
    if modality == "text":
        return embedder.embed_texts([str(x) for x in inputs])
    return embedder.embed_images(inputs)


def _embed_batch(
    embedder: Embedder, modality: str, batch: list[tuple[int, Any, str]], errors: list[dict[str, Any]]
) -> tuple[list[int], list[npt.NDArray[np.float32]]]:
    """Embed a batch; when it fails as a whole, item by item, so one bad file costs only itself."""
    ready = [(i, x) for i, x, err in batch if x is not None]
    errors.extend({"item_id": i, "error": err} for i, x, err in batch if x is None)
    ids: list[int] = []
    vectors: list[npt.NDArray[np.float32]] = []
    try:
        pairs = list(zip([i for i, _ in ready], _embed(embedder, modality, [x for _, x in ready]), strict=True))
    except (LabelhubError, OSError, ValueError, RuntimeError):
        pairs = []
        for item_id, x in ready:
            try:
                pairs.append((item_id, _embed(embedder, modality, [x])[0]))
            except (LabelhubError, OSError, ValueError, RuntimeError) as exc:
                errors.append({"item_id": item_id, "error": str(exc)[:300]})
    for item_id, vector in pairs:
        if not np.all(np.isfinite(vector)) or float(np.linalg.norm(vector)) < 1e-6:
            errors.append({"item_id": item_id, "error": "nothing to embed (no words, or a blank image)"})
            continue
        ids.append(item_id)
        vectors.append(np.asarray(vector, dtype=np.float32))
    return ids, vectors


def _store(
    hub: Hub, project_id: int, space: str, version: str, ids: list[int], vectors: list[npt.NDArray[np.float32]],
    hashes: dict[int, str],
) -> None:  # fmt: skip
    now = utcnow()
    rows = [{"project_id": project_id, "item_id": i, "space": space, "embedder_version": version,
             "source_hash": hashes[i], "dim": int(v.shape[0]), "vector": v.astype("<f4").tobytes(),
             "updated_at": now} for i, v in zip(ids, vectors, strict=True)]  # fmt: skip
    with hub.db.session(write=True) as s:
        s.execute(delete(Embedding).where(Embedding.project_id == project_id, Embedding.space == space,
                                          Embedding.item_id.in_(ids)))  # fmt: skip
        if rows:
            s.execute(insert(Embedding), rows)


class _Saver:
    """Saves the index every ``SAVE_SECONDS`` and at the end, and records when in the state file.

    An hnswlib index is saved whole (200 MB at 100k x 512): saving after every batch of 64 would write more than
    it embeds. Each batch goes into the (in-memory) index before its rows are committed, and the time recorded is
    taken before the save starts, so every row older than it is in the saved index; the next run adds the newer
    ones again from their stored vectors (``_written_after``).
    """

    def __init__(self, hub: Hub, project_id: int, state: SpaceState, index: VectorIndex) -> None:
        self._hub, self._project_id, self._state, self._index = hub, project_id, state, index
        self._last = time.monotonic()

    def save(self) -> None:
        stamp = utcnow().isoformat()
        self._index.save()
        self._state = replace(self._state, saved_at=stamp)
        write_state(self._hub.settings, self._project_id, self._state.space, self._state)
        self._last = time.monotonic()

    def maybe_save(self) -> None:
        if time.monotonic() - self._last >= SAVE_SECONDS:
            self.save()


def _written_after(hub: Hub, project_id: int, space: str, saved_at: str, current: set[int]) -> set[int]:
    """Return the ids of ``current`` rows written after ``saved_at`` (all of them when it is unknown)."""
    if not saved_at:
        return set(current)
    with hub.db.session() as s:
        late = s.scalars(select(Embedding.item_id).where(
            Embedding.project_id == project_id, Embedding.space == space,
            Embedding.updated_at > datetime.fromisoformat(saved_at)))  # fmt: skip
        return {i for i in late if i in current}


def embed_project(
    hub: Hub,
    actor: Actor,
    project_id: int,
    space: str | None = None,
    *,
    progress: Progress | None = None,
    batch_size: int = BATCH,
    exact_limit: int = EXACT_LIMIT,
) -> EmbedReport:
    """Embed the project's new and changed items in ``space`` (default: the project's); see the module docstring."""
    if not 1 <= batch_size <= 4096:
        raise ValidationError(f"batch_size must be in [1, 4096], got {batch_size}", field="batch_size")
    with hub.db.session() as s:
        project = require(s, actor, project_id, Action.EMBED)
        space = check_space(hub, project_id, project.item_kind, space)
        modality = modality_of(project.item_kind) or ""
        wanted, skipped = wanted_items(s, project_id, modality)
        rows = {i: (v, h) for i, v, h in s.execute(
            select(Embedding.item_id, Embedding.embedder_version, Embedding.source_hash)
            .where(Embedding.project_id == project_id, Embedding.space == space))}  # fmt: skip
    embedder = load_embedder(hub, project_id, space)
    version = embedder.version
    gone = sorted(set(rows) - set(wanted))
    if gone:
        with hub.db.session(write=True) as s:
            for chunk in _chunks(gone, _CHUNK):
                s.execute(delete(Embedding).where(Embedding.project_id == project_id, Embedding.space == space,
                                                  Embedding.item_id.in_(chunk)))  # fmt: skip
    todo = sorted(i for i, h in wanted.items() if rows.get(i) != (version, h))
    current = {i for i in wanted if rows.get(i) == (version, wanted[i])}
    state = read_state(hub.settings, project_id, space)
    index = _open_or_create(hub, project_id, space, embedder.dim, len(wanted), exact_limit)
    found_state = index_state(index)
    backend = str(read_meta(index.folder)["backend"])
    report = EmbedReport(space, version, backend, items=len(wanted), unchanged=len(current), skipped=skipped,
                         removed=len(gone))  # fmt: skip
    in_index = set(index.ids().tolist())
    dropped = index.remove(sorted(in_index - current))
    # Rows the saved index may lack: missing from it, or written after its last save (a run that stopped early).
    late = _written_after(hub, project_id, space, state.saved_at if state is not None else "", current)
    missing = sorted((current - in_index) | late)
    _restore(hub, project_id, space, index, missing)
    report.restored = len(missing)
    saver = _Saver(hub, project_id, SpaceState(space, version, embedder.dim, backend, ""), index)
    saver.save()
    total, done = len(todo), 0
    if progress is not None:
        progress(0.0, f"embedded 0 of {total:,} items")
    try:
        for chunk in _chunks(todo, batch_size):
            batch = _inputs(hub, actor, project_id, chunk)
            ids, vectors = _embed_batch(embedder, modality, batch, report.errors)
            if ids:
                index.add(ids, np.stack(vectors))  # into the index first, then the rows: see _Saver
                _store(hub, project_id, space, version, ids, vectors, wanted)
            report.embedded += len(ids)
            done += len(chunk)
            saver.maybe_save()
            if progress is not None:
                progress(EMBED_SHARE * done / total, f"embedded {done:,} of {total:,} items")
    finally:
        saver.save()  # a cancelled run keeps its batches searchable (the job's rows are kept too)
    with hub.db.session(write=True) as s:
        audit.record(s, actor, "embeddings.compute", "project", project_id, project_id=project_id,
                     detail={"space": space, "embedded": report.embedded, "removed": report.removed})  # fmt: skip
    changed = bool(dropped or missing or report.embedded)  # else the graph saved before the run is still right
    refresh_graph(index, unchanged_since=None if changed else found_state, progress=progress, start=EMBED_SHARE)
    return report


# --- what is there ------------------------------------------------------------------------------------------
def run_embed_job(ctx: JobContext) -> dict[str, Any]:
    """The ``embed`` job: ``params.space`` (default: the project's default space)."""
    if ctx.project_id is None:
        raise ValidationError("an embedding job needs a project", field="project_id")
    space = ctx.params.get("space")
    return embed_project(ctx.hub, ctx.actor, ctx.project_id, str(space) if space else None,
                         progress=ctx.progress).to_json()  # fmt: skip
