"""The index backends by name, and the two ways in: create an index in a folder, or open the one saved there.

Each backend is registered with an :class:`IndexSpec` that says what it can do (``exact``, how it filters),
in a read-only mapping built here; nothing registers itself at import. ``hnswlib`` is the default; ``exact``
is for small projects and tests, and the ground truth of the benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from labelhub.errors import ValidationError
from labelhub.search.exact import ExactIndex
from labelhub.search.hnsw import HnswIndex
from labelhub.search.index import VectorIndex, read_meta

__all__ = ["DEFAULT_BACKEND", "INDEX_BACKENDS", "IndexSpec", "backend_names", "create_index", "get_backend",
           "open_index"]  # fmt: skip

DEFAULT_BACKEND = "hnswlib"


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """A vector index backend by name: how to create and open one, and what it can do.

    ``exact``: every search returns the true top k. ``filtering``: how ``allowed_ids`` is applied.
    """

    name: str
    create: Callable[..., VectorIndex]
    open: Callable[[Path], VectorIndex]
    exact: bool
    filtering: str
    description: str


INDEX_BACKENDS: Mapping[str, IndexSpec] = MappingProxyType(
    {
        "exact": IndexSpec(
            name="exact",
            create=ExactIndex.create,
            open=ExactIndex.open,
            exact=True,
            filtering="scores only the allowed rows",
            description="numpy brute force over memory-mapped vectors; small projects and tests",
        ),
        "hnswlib": IndexSpec(
            name="hnswlib",
            create=HnswIndex.create,
            open=HnswIndex.open,
            exact=False,
            filtering="exact over small allowed sets, hnswlib's filter callback over large ones",
            description="hnswlib HNSW graph: approximate, adds and removes in place",
        ),
    }
)


def backend_names() -> list[str]:
    """Return the names of the registered backends."""
    return sorted(INDEX_BACKENDS)


def get_backend(name: str) -> IndexSpec:
    """Return the backend registered as ``name``; ValidationError (field ``backend``) lists the known ones."""
    spec = INDEX_BACKENDS.get(name)
    if spec is None:
        raise ValidationError(f"unknown index backend {name!r}; known: {', '.join(backend_names())}", field="backend")
    return spec


def create_index(folder: Path | str, *, dim: int, backend: str = DEFAULT_BACKEND, **options: Any) -> VectorIndex:
    """Return a new, empty index of ``backend`` saved in ``folder`` (ConflictError if it already holds one)."""
    return get_backend(backend).create(Path(folder), dim, **options)


def open_index(folder: Path | str) -> VectorIndex:
    """Return the index saved in ``folder``, of whichever backend wrote it (FormatError when there is none)."""
    meta = read_meta(Path(folder))
    return get_backend(str(meta["backend"])).open(Path(folder))
