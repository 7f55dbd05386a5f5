"""What the Search page and ``GET .../embeddings`` show of a project's spaces: vectors stored, items a run would
compute, the index backend, the default space, and whether text queries can search the space."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelhub.domain.permissions import Action
from labelhub.hub import Hub
from labelhub.search import EMBEDDERS
from labelhub.search.index import META_FILE, read_meta
from labelhub.services._spaces import default_space, index_folder, modality_of, read_state
from labelhub.services.access import Actor, require
from labelhub.services.embeddings import wanted_items
from labelhub.storage.models import Embedding

__all__ = ["SpaceSummary", "list_spaces"]


@dataclass(frozen=True, slots=True)
class SpaceSummary:
    """One space of a project: how many items have vectors, how many a run would (re)compute."""

    space: str
    embedder_version: str | None
    count: int
    dim: int | None
    items_total: int
    stale: int
    backend: str | None
    default: bool
    searches_text: bool = False  # its embedder has a text tower: a text query can search it


def list_spaces(session: Session, hub: Hub, actor: Actor, project_id: int) -> list[SpaceSummary]:
    """Return the project's spaces with stored vectors, and its default space even when it has none yet.

    ``stale`` counts the items a run would compute: those without a row, whose content changed, or whose row
    was made by another embedder version than the current one. It is found without loading the embedder (which
    can take seconds): for the encoders trained here the current version is the project's record of the latest
    training; for the others, the version the index holds (an updated checkpoint shows when the run starts).
    """
    from labelhub.services.embedder_training import ENCODER_KINDS, trained_record

    project = require(session, actor, project_id, Action.READ)
    modality = modality_of(project.item_kind) or ""
    wanted, _ = wanted_items(session, project_id, modality)
    spaces = list(session.scalars(select(Embedding.space).where(Embedding.project_id == project_id)
                                  .group_by(Embedding.space).order_by(Embedding.space)))  # fmt: skip
    default = default_space(hub, project_id, project.item_kind)
    if default is not None and default not in spaces:
        spaces.append(default)
    out = []
    for space in spaces:
        state = read_state(hub.settings, project_id, space)
        rows = session.execute(
            select(Embedding.item_id, Embedding.embedder_version, Embedding.source_hash)
            .where(Embedding.project_id == project_id, Embedding.space == space)
        ).all()  # fmt: skip
        version = state.embedder_version if state else None
        record = trained_record(session, project_id, space) if space in ENCODER_KINDS else None
        current = str(record["version"]) if record is not None and record.get("version") else version
        fresh = sum(1 for i, v, h in rows if wanted.get(i) == h and (current is None or v == current))
        folder = index_folder(hub.settings, project_id, space)
        backend = str(read_meta(folder)["backend"]) if (folder / META_FILE).exists() else None
        out.append(SpaceSummary(space=space, embedder_version=version, count=len(rows),
                                dim=state.dim if state else None, items_total=len(wanted),
                                stale=len(wanted) - fresh, backend=backend, default=space == default,
                                searches_text="text" in EMBEDDERS[space].modalities))  # fmt: skip
    return out
