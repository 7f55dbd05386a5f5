"""Search by meaning: embedders, a vector index per project, and duplicates.

No database and no HTTP here: an :class:`Embedder` turns images or texts into unit vectors, a
:class:`VectorIndex` (created in or opened from a folder) finds the items most similar to a vector, and
:func:`near_duplicates` / :func:`exact_duplicates` group items a person may want to drop. See ``docs/search.md``.
"""

from labelhub.search.backends import (
    DEFAULT_BACKEND,
    INDEX_BACKENDS,
    IndexSpec,
    backend_names,
    create_index,
    get_backend,
    open_index,
)
from labelhub.search.config import NgramConfig, OpenClipConfig, SentenceConfig
from labelhub.search.duplicates import DuplicateGroup, exact_duplicates, near_duplicates
from labelhub.search.embedders import EMBEDDERS, Embedder, EmbedderSpec, create_embedder, embedder_names, get_embedder
from labelhub.search.exact import ExactIndex
from labelhub.search.hnsw import HnswIndex
from labelhub.search.index import Hits, VectorIndex

__all__ = [
    "DEFAULT_BACKEND",
    "EMBEDDERS",
    "INDEX_BACKENDS",
    "DuplicateGroup",
    "Embedder",
    "EmbedderSpec",
    "ExactIndex",
    "Hits",
    "HnswIndex",
    "IndexSpec",
    "NgramConfig",
    "OpenClipConfig",
    "SentenceConfig",
    "VectorIndex",
    "backend_names",
    "create_embedder",
    "create_index",
    "embedder_names",
    "exact_duplicates",
    "get_backend",
    "get_embedder",
    "near_duplicates",
    "open_index",
]
