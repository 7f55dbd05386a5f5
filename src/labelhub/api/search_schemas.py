"""Request and response bodies of the search routes: embeddings, queries, duplicates, the map, bulk item
changes (see docs/api.md, "Search")."""

from __future__ import annotations

from pydantic import BaseModel, Field

from labelhub.api.strict import StrictIn
from labelhub.domain.enums import ItemKind


class EmbeddingSpacePublic(BaseModel):
    space: str = Field(description="The embedder's registry name (ngram, open_clip, dual, ssl, ...)")
    embedder_version: str | None = Field(description="The version the index holds; null before the first run")
    count: int = Field(description="Items with a stored vector in this space")
    dim: int | None
    items_total: int = Field(description="Items of the project this space can embed")
    stale: int = Field(description="Items the next run would compute: new, changed, or of another version")
    backend: str | None = Field(description="The index backend: exact (small projects) or hnswlib")
    default: bool = Field(description="The project's default space (computed when no space is given)")
    searches_text: bool = Field(False, description="Its embedder reads text: text queries can search this space")


class EmbedIn(StrictIn):
    space: str | None = Field(default=None, description="Default: the project's default space")


class MapIn(StrictIn):
    space: str | None = Field(default=None, description="Default: the space search uses")


class SearchHitPublic(BaseModel):
    item_id: int
    name: str
    kind: ItemKind
    score: float = Field(description="Cosine similarity to the query, in [-1, 1]")
    thumb_url: str | None = Field(description="Image thumbnail or a video's middle frame; null for texts")
    text: str | None = Field(default=None, description="A text item's text, shortened to a snippet")


class SearchPublic(BaseModel):
    space: str
    query: str = Field(description="The text searched for, or the name of the item for 'more like this'")
    lang: str | None = Field(default=None, description="The language given; passed to embedders that take it")
    indexed: int = Field(description="Items in the space's index; 0 means: compute embeddings first")
    hits: list[SearchHitPublic]


class DuplicateMemberPublic(BaseModel):
    item_id: int
    name: str
    thumb_url: str | None
    similarity: float = Field(description="Cosine to the first item of the group (the one suggested to keep)")
    text: str | None = Field(default=None, description="A text item's text, shortened to a snippet")


class DuplicateGroupPublic(BaseModel):
    kind: str = Field(description="exact (same file or text) or near (embeddings above the threshold)")
    items: list[DuplicateMemberPublic]


class DuplicatesPublic(BaseModel):
    space: str | None = Field(description="The space near groups come from; null when there are no vectors")
    threshold: float = Field(description="The threshold used: the one asked for, else the suggested one")
    suggested_threshold: float | None = Field(
        None, description="From the space's own neighbour distances: a near copy is 10x closer than a typical neighbour"
    )
    groups: list[DuplicateGroupPublic]


class ResolveIn(StrictIn):
    keep: int
    drop: list[int] = Field(min_length=1, max_length=1000)


class ResolvedPublic(BaseModel):
    deleted: int


class MapPointPublic(BaseModel):
    item_id: int
    x: float = Field(description="In [0, 1]; both axes share one scale")
    y: float
    label: str | None = Field(description="The accepted class label, else the first accepted box label")
    name: str
    thumb_url: str | None


class MapPublic(BaseModel):
    space: str
    computed_at: str
    method: str = Field(description="umap, or pca for fewer than 15 items")
    points: list[MapPointPublic]


class BulkIn(StrictIn):
    item_ids: list[int] = Field(min_length=1, max_length=10_000)
    add_tags: list[str] = []
    remove_tags: list[str] = []
    send_to_labelling: bool = False


class BulkPublic(BaseModel):
    updated: int
    queued: int | None = Field(
        None, description="With send_to_labelling: how many of the items the labelling queue offers (no label yet)"
    )
