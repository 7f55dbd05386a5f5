"""Search by meaning: a text query, or an item, to the most similar items of a project, with filters.

Both queries run against the project's index in one space (``services/_spaces.py``; default: the project's
default space when it has vectors, else the space with the most). A text query is embedded by the space's text
tower; ``lang`` goes to an embedder whose ``embed_texts`` takes it and is otherwise only recorded in the answer
(open_clip's multilingual models and the n-gram embedder need no language). "More like this" uses the item's
stored vector, so the item itself comes first (cosine 1): the page shows what the others are compared with.

Filters (``label``: the item has an accepted annotation with that label; ``status``) are turned into the ids
they allow by the database and passed to the index's ``allowed_ids``, which returns the k most similar among
them (exactly for small sets; docs/search.md has how each backend filters).
"""

from __future__ import annotations

import inspect
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from labelhub.domain.enums import AnnotationState, ItemKind, ItemStatus
from labelhub.domain.permissions import Action
from labelhub.errors import ConflictError, NotFoundError, ValidationError
from labelhub.hub import Hub
from labelhub.search import EMBEDDERS, Embedder
from labelhub.services._spaces import cached_index, default_space, index_folder, load_embedder, read_state
from labelhub.services.access import Actor, project_schema, require
from labelhub.services.items import item_in_project
from labelhub.storage.models import Annotation, Embedding, Item, Project

__all__ = ["MAX_K", "Hit", "SearchResult", "allowed_ids", "describe_items", "search_space", "search_text",
           "similar_items", "thumb_url"]  # fmt: skip

MAX_K = 200
SNIPPET = 240
API = "/api/v1"


@dataclass(frozen=True, slots=True)
class Hit:
    """One item found: its cosine similarity to the query, a thumbnail URL (media items), a snippet (texts)."""

    item_id: int
    name: str
    kind: str
    score: float
    thumb_url: str | None
    text: str | None


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The answer: the space searched, the query, the language given, how many items the index holds, the hits."""

    space: str
    query: str
    lang: str | None
    indexed: int
    hits: list[Hit]


def thumb_url(project_id: int, item_id: int, kind: str, media_key: str | None, frame_count: int | None) -> str | None:
    """Return the URL the web app shows an item with: the image's thumbnail, a video's middle frame, or None."""
    if not media_key:
        return None
    base = f"{API}/projects/{project_id}/items/{item_id}"
    if kind == ItemKind.IMAGE.value:
        return f"{base}/thumbnail?size=256"
    if kind == ItemKind.VIDEO.value and frame_count:
        return f"{base}/frames/{frame_count // 2}"
    return None


def _snippet(text: str | None) -> str | None:
    if text is None:
        return None
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET else flat[: SNIPPET - 1].rstrip() + "…"


Described = tuple[str, str, str | None, str | None]


def describe_items(session: Session, project_id: int, ids: Sequence[int]) -> dict[int, Described]:
    """Return {id: (name, kind, thumb URL, snippet)} for the ids still in the project (deleted ones are absent)."""
    out: dict[int, Described] = {}
    for start in range(0, len(ids), 1_000):
        rows = session.execute(
            select(Item.id, Item.name, Item.kind, Item.media_key, Item.frame_count, Item.text)
            .where(Item.project_id == project_id, Item.id.in_(list(ids[start : start + 1_000])))
        ).all()  # fmt: skip
        for item_id, name, kind, key, frames, text in rows:
            snippet = _snippet(text) if kind == ItemKind.TEXT.value else None
            out[item_id] = (name, kind, thumb_url(project_id, item_id, kind, key, frames), snippet)
    return out


def allowed_ids(session: Session, project_id: int, label: str | None, status: ItemStatus | None) -> list[int] | None:
    """Return the ids a label/status filter allows, or None when there is no filter."""
    if label is None and status is None:
        return None
    if label is not None and not _known_label(session, project_id, label):
        raise ValidationError(f"{label!r} is not a label of this project; check its spelling (labels are "
                              "case-sensitive)", field="label")  # fmt: skip
    stmt = select(Item.id).where(Item.project_id == project_id)
    if status is not None:
        stmt = stmt.where(Item.status == status.value)
    if label is not None:
        stmt = stmt.where(exists().where(Annotation.item_id == Item.id, Annotation.project_id == project_id,
                                         Annotation.label == label,
                                         Annotation.state == AnnotationState.ACCEPTED.value))  # fmt: skip
    return list(session.scalars(stmt))


def _known_label(session: Session, project_id: int, label: str) -> bool:
    """True when ``label`` is one of the project's classes or on one of its annotations."""
    project = session.get(Project, project_id)
    if project is not None and project_schema(session, project).has_class(label):
        return True
    found = select(Annotation.id).where(Annotation.project_id == project_id, Annotation.label == label).limit(1)
    return session.scalar(found) is not None


def search_space(session: Session, hub: Hub, project: Project, space: str | None, *, text: bool = False) -> str:
    """Return the space to search: ``space``, else the default one if it has vectors, else the fullest one.

    ``text``: the query is text, so only a space with a text tower will do (an image project whose default is
    its own image encoder, ``ssl``, searches by text through ``dual`` or ``open_clip``).
    """
    if space is not None:
        if space not in EMBEDDERS:
            raise ValidationError(f"unknown space {space!r}; known: {', '.join(sorted(EMBEDDERS))}", field="space")
        if text and "text" not in EMBEDDERS[space].modalities:
            raise ValidationError(_no_text_search(project, space), field="space")
        return space
    rows = session.execute(
        select(Embedding.space, func.count()).where(Embedding.project_id == project.id).group_by(Embedding.space)
    ).all()
    counts: dict[str, int] = {
        str(space_): int(n) for space_, n in rows if not text or "text" in EMBEDDERS[str(space_)].modalities
    }
    default = default_space(hub, project.id, project.item_kind)
    usable_default = default is not None and (not text or "text" in EMBEDDERS[default].modalities)
    if default is not None and usable_default and (counts.get(default) or not counts):
        return default
    if counts:
        return max(sorted(counts), key=lambda s: counts[s])
    if text and default is not None:
        raise ValidationError(_no_text_search(project, default), field="space")
    raise ValidationError(
        f"project {project.name} has no embeddings yet and no embedder is set up: "
        + ("train its image encoder (`labelhub train-encoder "
           f"{shlex.quote(project.name)} --kind ssl`, or the Search page)" if project.item_kind == "image" else
           f"compute them (`labelhub embed {shlex.quote(project.name)}`, or the Search page)"),
        field="space",
    )  # fmt: skip


def _no_text_search(project: Project, space: str) -> str:
    """What to do when a text query meets a project whose only space embeds images."""
    name = shlex.quote(project.name)  # a command to paste into a shell ('Demo: shapes')
    return (
        f"the {space} space embeds images only, and project {project.name} has no vectors in a space that reads "
        f"text: train the multilingual text-image encoder (`labelhub train-encoder {name} --kind dual`, or "
        f"the Search page), compute its embeddings (`labelhub embed {name} --space dual`) and search again; "
        "or search by an item (more like this)"
    )


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise ValidationError(f"k must be a whole number in [1, {MAX_K}], got {k!r}", field="k")


def _run(
    session: Session,
    hub: Hub,
    project_id: int,
    space: str,
    query: str,
    lang: str | None,
    vector: Callable[[], npt.NDArray[np.float32] | None],
    k: int,
    label: str | None,
    status: ItemStatus | None,
) -> SearchResult:
    index = cached_index(index_folder(hub.settings, project_id, space))
    if index is None or len(index) == 0:
        return SearchResult(space, query, lang, 0, [])
    q = vector()
    if q is None:
        return SearchResult(space, query, lang, len(index), [])
    allowed = allowed_ids(session, project_id, label, status)
    # A few more than k: items deleted since the last embedding run are still in the index until the next one.
    found = index.search(q, k + 8, allowed_ids=allowed)
    described = describe_items(session, project_id, found.ids.tolist())
    hits: list[Hit] = []
    for item_id, score in found:
        if item_id in described and len(hits) < k:
            name, kind, thumb, text = described[item_id]
            hits.append(Hit(item_id, name, kind, round(float(score), 6), thumb, text))
    return SearchResult(space, query, lang, len(index), hits)


def _check_version(hub: Hub, project_id: int, space: str, embedder: Embedder) -> None:
    state = read_state(hub.settings, project_id, space)
    if state is not None and state.embedder_version != embedder.version:
        raise ConflictError(
            f"the {space} vectors were made by {state.embedder_version}, and the embedder is now "
            f"{embedder.version}: compute the embeddings again before searching",
            field="space",
        )


def _embed_query(embedder: Embedder, text: str, lang: str | None) -> npt.NDArray[np.float32] | None:
    """Return the query's vector (None when it has nothing to embed), passing ``lang`` to embedders that take it."""
    embed: Callable[..., npt.NDArray[np.float32]] = embedder.embed_texts
    takes_lang = "lang" in inspect.signature(embed).parameters
    rows = embed([text], lang=lang) if takes_lang and lang else embed([text])
    row = np.asarray(rows[0], dtype=np.float32)
    return row if np.all(np.isfinite(row)) and float(np.linalg.norm(row)) > 1e-6 else None


def search_text(
    session: Session,
    hub: Hub,
    actor: Actor,
    project_id: int,
    q: str,
    *,
    lang: str | None = None,
    space: str | None = None,
    k: int = 24,
    label: str | None = None,
    status: ItemStatus | None = None,
) -> SearchResult:
    """Return the ``k`` items most similar to the text ``q`` (images through an image-text space, or texts)."""
    project = require(session, actor, project_id, Action.READ)
    query = q.strip()
    if not query or len(query) > 1_000:
        raise ValidationError("type a query of 1 to 1000 characters", field="q")
    if not any(ch.isalnum() for ch in query):
        raise ValidationError("type words: a query of only symbols, emoji or punctuation matches nothing by meaning",
                              field="q")  # fmt: skip
    _check_k(k)
    space = search_space(session, hub, project, space, text=True)
    embedder = load_embedder(hub, project_id, space)

    def vector() -> npt.NDArray[np.float32] | None:
        _check_version(hub, project_id, space, embedder)
        return _embed_query(embedder, query, lang)

    return _run(session, hub, project_id, space, query, lang, vector, k, label, status)


def similar_items(
    session: Session,
    hub: Hub,
    actor: Actor,
    project_id: int,
    item_id: int,
    *,
    space: str | None = None,
    k: int = 24,
    label: str | None = None,
    status: ItemStatus | None = None,
) -> SearchResult:
    """Return the ``k`` items most similar to item ``item_id`` (itself first), by its stored vector."""
    project = require(session, actor, project_id, Action.READ)
    item = item_in_project(session, project_id, item_id)
    _check_k(k)
    space = search_space(session, hub, project, space)

    def vector() -> npt.NDArray[np.float32] | None:
        index = cached_index(index_folder(hub.settings, project_id, space))
        if index is None or item_id not in index:
            raise NotFoundError(
                f"item {item_id} has no vector in the {space} space yet: compute the embeddings", field="item_id"
            )
        got: Any = index.get([item_id])
        return np.asarray(got[0], dtype=np.float32)

    return _run(session, hub, project_id, space, item.name, None, vector, k, label, status)
