"""The public names of labelhub.search: a change to this list is a change to the package's surface."""

from __future__ import annotations

import subprocess
import sys

import labelhub.search


def test_public_names() -> None:
    assert labelhub.search.__all__ == [
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
    assert all(hasattr(labelhub.search, name) for name in labelhub.search.__all__)


def test_import_loads_no_model_library() -> None:
    code = "import sys, labelhub.search; print(sorted({'torch', 'open_clip', 'sklearn'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
