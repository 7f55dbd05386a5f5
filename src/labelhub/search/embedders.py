"""The embedder protocol and the embedders by name.

An embedder turns images or texts into float32 unit vectors of a fixed ``dim``; two items are similar when
the inner product of their vectors is high. ``name`` and ``version`` are stored with every embedding, so an
index is only ever filled (and queried) with vectors of one embedder and version.

Each embedder is registered with an :class:`EmbedderSpec` (what it embeds, its config class) in a read-only
mapping built here. Factories import their module when called: ``import labelhub.search`` loads neither
torch nor scikit-learn.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from labelhub.errors import ValidationError
from labelhub.search.config import NgramConfig, OpenClipConfig, SentenceConfig
from labelhub.search.dual.config import EncoderCheckpoint

__all__ = ["EMBEDDERS", "Embedder", "EmbedderSpec", "create_embedder", "embedder_names", "get_embedder"]


class Embedder(Protocol):
    """Images or texts to unit vectors in one space."""

    @property
    def name(self) -> str:
        """The registry name, stored with each embedding."""
        ...

    @property
    def version(self) -> str:
        """Changes whenever the same input would get a different vector (weights, settings, method)."""
        ...

    @property
    def dim(self) -> int:
        """The vectors' length."""
        ...

    @property
    def modalities(self) -> frozenset[str]:
        """What it embeds: ``"image"``, ``"text"`` or both."""
        ...

    def embed_images(self, paths: Sequence[Path | str]) -> npt.NDArray[np.float32]:
        """Return an ``(n, dim)`` float32 array of unit rows, one per image file."""
        ...

    def embed_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Return an ``(n, dim)`` float32 array of unit rows, one per text."""
        ...


@dataclass(frozen=True, slots=True)
class EmbedderSpec:
    """An embedder by name: its module and class (imported on use), its config class, what it embeds."""

    name: str
    module: str
    cls: str
    config_type: type
    modalities: frozenset[str]
    needs_config: bool
    description: str

    def create(self, config: Any = None) -> Embedder:
        """Return a new embedder of this kind with ``config`` (the default config when None)."""
        if config is None and self.needs_config:
            raise ValidationError(f"the {self.name} embedder needs a {self.config_type.__name__}", field="config")
        if config is not None and not isinstance(config, self.config_type):
            raise ValidationError(
                f"the {self.name} embedder takes a {self.config_type.__name__}, got {type(config).__name__}",
                field="config",
            )
        factory = getattr(importlib.import_module(self.module), self.cls)
        embedder: Embedder = factory(config)
        return embedder


EMBEDDERS: Mapping[str, EmbedderSpec] = MappingProxyType(
    {
        "ngram": EmbedderSpec(
            name="ngram",
            module="labelhub.search.ngram",
            cls="NgramEmbedder",
            config_type=NgramConfig,
            modalities=frozenset({"text"}),
            needs_config=False,
            description="hashed word and character n-grams: texts, no model, the bag-of-words baseline",
        ),
        "open_clip": EmbedderSpec(
            name="open_clip",
            module="labelhub.search.openclip",
            cls="OpenClipEmbedder",
            config_type=OpenClipConfig,
            modalities=frozenset({"image", "text"}),
            needs_config=True,
            description="an open_clip model (multilingual ones included) from a local checkpoint",
        ),
        "sentence": EmbedderSpec(
            name="sentence",
            module="labelhub.search.sentence",
            cls="SentenceEmbedder",
            config_type=SentenceConfig,
            modalities=frozenset({"text"}),
            needs_config=True,
            description="a pretrained sentence-transformers model (multilingual ones included) from a local folder",
        ),
        "dual": EmbedderSpec(
            name="dual",
            module="labelhub.search.dual.embedder",
            cls="DualEmbedder",
            config_type=EncoderCheckpoint,
            modalities=frozenset({"image", "text"}),
            needs_config=True,
            description="the built-in multilingual dual encoder, trained on the project (train_embedder job)",
        ),
        "ssl": EmbedderSpec(
            name="ssl",
            module="labelhub.search.ssl",
            cls="SslEmbedder",
            config_type=EncoderCheckpoint,
            modalities=frozenset({"image"}),
            needs_config=True,
            description="the built-in self-supervised (SimCLR) image encoder, trained on the project's images",
        ),
    }
)


def embedder_names() -> list[str]:
    """Return the names of the registered embedders."""
    return sorted(EMBEDDERS)


def get_embedder(name: str) -> EmbedderSpec:
    """Return the embedder registered as ``name``; ValidationError (field ``embedder``) lists the known ones."""
    spec = EMBEDDERS.get(name)
    if spec is None:
        raise ValidationError(f"unknown embedder {name!r}; known: {', '.join(embedder_names())}", field="embedder")
    return spec


def create_embedder(name: str, config: Any = None) -> Embedder:
    """Return a new embedder registered as ``name`` with ``config``."""
    return get_embedder(name).create(config)
