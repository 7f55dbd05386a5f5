"""The embedding map: every item of a space placed in 2-D, so clusters (and the unlabelled ones) can be seen.

The ``embedding_map`` job reads the space's stored vectors and lays them out with UMAP (umap-learn, cosine
metric, ``random_state`` fixed so a map is the same every time for the same vectors; ``n_neighbors`` 15, or
``n - 1`` for smaller sets). Below ``MIN_UMAP`` (15) items UMAP's neighbour graph says little, so the map is
the first two principal components instead (``method: "pca"`` in the file). The coordinates are scaled into
[0, 1] (both axes by the same factor, so distances keep their proportions) and stored with each point's item
id and label in ``HOME/maps/{project_id}/{space}.json``.

A point's label is the item's accepted class label, else its first accepted box label, else its first other
accepted label, else none. ``read_map`` returns the stored points with labels, names and thumbnails read again
from the database (a label given after the map was computed shows at once), without the items deleted since.
"""

from __future__ import annotations

import importlib
import json
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub._jit_cache import CANNOT_CACHE, cache_compiled
from labelhub.domain.enums import AnnotationKind, AnnotationState
from labelhub.domain.permissions import Action
from labelhub.errors import FormatError, NotFoundError, ValidationError
from labelhub.hub import Hub
from labelhub.jobs.context import JobContext
from labelhub.search import EMBEDDERS
from labelhub.services.access import Actor, require
from labelhub.services.jobs import enqueue
from labelhub.services.search import describe_items, search_space
from labelhub.storage.models import Annotation, Embedding, Job

__all__ = [
    "MIN_UMAP",
    "MapPoint",
    "MapView",
    "compute_map",
    "layout",
    "map_file",
    "queue_map",
    "read_map",
    "run_map_job",
]

MIN_UMAP = 15
SEED = 0
Progress = Callable[[float, str], None]


@dataclass(frozen=True, slots=True)
class MapPoint:
    item_id: int
    x: float
    y: float
    label: str | None
    name: str
    thumb_url: str | None


@dataclass(frozen=True, slots=True)
class MapView:
    space: str
    computed_at: str
    method: str
    points: list[MapPoint]


def map_file(hub: Hub, project_id: int, space: str) -> Path:
    """Return where the project's map of ``space`` is stored."""
    return hub.settings.home / "maps" / str(project_id) / f"{space}.json"


def layout(vectors: npt.NDArray[np.float32], *, seed: int = SEED) -> tuple[npt.NDArray[np.float64], str, int]:
    """Return 2-D coordinates in [0, 1] for the rows, the method (``umap``/``pca``) and ``n_neighbors`` used."""
    n = int(vectors.shape[0])
    if n == 0:
        raise ValidationError("no vectors to lay out: compute the embeddings first", field="space")
    neighbours = 0
    if n < MIN_UMAP:
        method = "pca"
        coords = _pca(vectors)
    else:
        # A few seconds to import (numba), so only when a map is computed; imported by name (no type stubs).
        umap = importlib.import_module("umap")
        cache_compiled("umap", "pynndescent")  # compiled once per install, not on every server start
        method = "umap"
        neighbours = min(15, n - 1)
        reducer = umap.UMAP(n_components=2, n_neighbors=neighbours, metric="cosine", random_state=seed,
                            init="spectral" if n > neighbours + 1 else "random")  # fmt: skip
        with warnings.catch_warnings():
            # "n_jobs overridden by random_state": the fixed seed is the point here.
            warnings.filterwarnings("ignore", message=".*n_jobs.*", category=UserWarning)
            warnings.filterwarnings("ignore", message=CANNOT_CACHE)
            coords = np.asarray(reducer.fit_transform(vectors), dtype=np.float64)
    lo = coords.min(axis=0)
    span = float((coords.max(axis=0) - lo).max())
    scaled = (coords - lo) / span if span > 0 else np.full_like(coords, 0.5)
    return scaled, method, neighbours


def _pca(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """The first two principal components (zeros where the data has fewer directions)."""
    centred = np.asarray(vectors, dtype=np.float64) - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    coords = np.zeros((vectors.shape[0], 2))
    take = min(2, vt.shape[0])
    coords[:, :take] = centred @ vt[:take].T
    return coords


def item_labels(session: Session, project_id: int) -> dict[int, str]:
    """Return each item's map label: accepted class, else first accepted box, else first other accepted label."""
    rank = {AnnotationKind.CLASS.value: 0, AnnotationKind.BOX.value: 1}
    best: dict[int, tuple[int, int, str]] = {}
    stmt = (select(Annotation.item_id, Annotation.id, Annotation.kind, Annotation.label)
            .where(Annotation.project_id == project_id, Annotation.state == AnnotationState.ACCEPTED.value,
                   Annotation.label.is_not(None)))  # fmt: skip
    for item_id, ann_id, kind, label in session.execute(stmt.execution_options(yield_per=5_000)):
        key = (rank.get(kind, 2), int(ann_id), str(label))
        if item_id not in best or key < best[item_id]:
            best[item_id] = key
    return {i: k[2] for i, k in best.items()}


def queue_map(session: Session, hub: Hub, actor: Actor, project_id: int, space: str | None) -> Job:
    """Queue an ``embedding_map`` job for the project's space (default: the one search uses)."""
    project = require(session, actor, project_id, Action.EMBED)
    space = search_space(session, hub, project, space)
    return enqueue(session, actor, "embedding_map", {"space": space}, project_id=project_id)


def compute_map(
    hub: Hub, actor: Actor, project_id: int, space: str | None = None, *, progress: Progress | None = None
) -> dict[str, Any]:
    """Lay out the space's stored vectors in 2-D and write the map file; return a summary for the job."""
    with hub.db.session() as s:
        project = require(s, actor, project_id, Action.EMBED)
        space = search_space(s, hub, project, space)
        if progress is not None:
            progress(0.05, "reading vectors")
        rows = s.execute(select(Embedding.item_id, Embedding.vector)
                         .where(Embedding.project_id == project_id, Embedding.space == space)
                         .order_by(Embedding.item_id)).all()  # fmt: skip
        if not rows:
            raise ValidationError(f"no vectors in the {space} space yet: compute the embeddings first", field="space")
        ids = [i for i, _ in rows]
        vectors = np.stack([np.frombuffer(v, dtype="<f4") for _, v in rows])
        labels = item_labels(s, project_id)
    if progress is not None:
        how = "UMAP; the first map after an install compiles it, up to a minute" if len(ids) >= MIN_UMAP else "PCA"
        progress(0.2, f"laying out {len(ids):,} items ({how})")
    coords, method, neighbours = layout(vectors)
    now = datetime.now(UTC).isoformat()
    doc = {"space": space, "computed_at": now, "method": method, "n_neighbors": neighbours, "random_state": SEED,
           "points": [{"item_id": i, "x": round(float(x), 6), "y": round(float(y), 6), "label": labels.get(i)}
                      for i, (x, y) in zip(ids, coords.tolist(), strict=True)]}  # fmt: skip
    path = map_file(hub, project_id, space)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc))
    os.replace(tmp, path)
    if progress is not None:
        progress(1.0, f"mapped {len(ids):,} items ({method})")
    return {"space": space, "points": len(ids), "method": method, "n_neighbors": neighbours, "file": str(path)}


def read_map(session: Session, hub: Hub, actor: Actor, project_id: int, space: str | None = None) -> MapView:
    """Return the stored map of ``space`` with labels, names and thumbnails as they are now; 404 before computed."""
    project = require(session, actor, project_id, Action.READ)
    if space is not None and space not in EMBEDDERS:
        raise ValidationError(f"unknown space {space!r}", field="space")
    if space is None:
        try:
            space = search_space(session, hub, project, None)
        except ValidationError as exc:
            raise NotFoundError("no embedding map yet: compute the embeddings, then the map", field="space") from exc
    path = map_file(hub, project_id, space)
    try:
        doc = json.loads(path.read_text())
        points: Sequence[dict[str, Any]] = doc["points"]
    except FileNotFoundError as exc:
        raise NotFoundError(f"no embedding map of the {space} space yet: compute it", field="space") from exc
    except (OSError, ValueError, KeyError) as exc:
        raise FormatError(f"cannot read {path}: {exc}; compute the map again", file=str(path)) from exc
    described = describe_items(session, project_id, [int(p["item_id"]) for p in points])
    labels = item_labels(session, project_id)
    out = [MapPoint(int(p["item_id"]), float(p["x"]), float(p["y"]), labels.get(int(p["item_id"])),
                    described[int(p["item_id"])][0], described[int(p["item_id"])][2])
           for p in points if int(p["item_id"]) in described]  # fmt: skip
    return MapView(space=space, computed_at=str(doc.get("computed_at", "")), method=str(doc.get("method", "")),
                   points=out)  # fmt: skip


def run_map_job(ctx: JobContext) -> dict[str, Any]:
    """The ``embedding_map`` job: ``params.space`` (default: the space search uses)."""
    if ctx.project_id is None:
        raise ValidationError("an embedding map job needs a project", field="project_id")
    space = ctx.params.get("space")
    return compute_map(ctx.hub, ctx.actor, ctx.project_id, str(space) if space else None, progress=ctx.progress)
