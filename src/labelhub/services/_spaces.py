"""Embedding spaces of a project: which embedder, where its index lives, and what each item is embedded from.

A *space* is the registry name of an embedder (``ngram``, ``open_clip``, ``dual``, ``ssl``...). Each project
has one index per space under ``HOME/indexes/{project_id}/{space}/`` (the backend's own files) and a small
state file beside it, ``HOME/indexes/{project_id}/{space}.json`` (the embedder version and dimension the index
holds, its backend), so a search can check without a database query that the query's embedder is the one the
index was filled with.

**Which embedder.** An embedder is made, in this order, from:

1. a checkpoint trained on the project (``dual`` and ``ssl``: ``labelhub.services.embedder_training``'s
   ``trained_embedder``, looked up at run time so this module works before and without it);
2. the hub's embedder settings, one object per embedder name, e.g. ``{"open_clip": {"model":
   "xlm-roberta-base-ViT-B-32", "pretrained": "~/models/mclip", "text_model_dir": "~/models/xlm-roberta-base"}}``
   (the fields of the embedder's config class): ``Settings.embedders`` (``LABELHUB_EMBEDDERS``, JSON) over the
   file ``HOME/embedders.json``, name by name;
3. the embedder's defaults, for embedders that need no settings (``ngram``).

**The project's default space**: text projects ``sentence`` when it is configured, else ``ngram``; image and
video projects ``open_clip`` when it is configured, else ``ssl`` when it is registered and trained on the
project, else the first other image embedder that can be made, else none (the embedding job then says what to
configure).

**What an item is embedded from** (its ``source_hash`` in the ``embeddings`` table): an image's media key (the
file's SHA-256); a video's media key too, as its middle frame is embedded and the same file has the same middle
frame; a text item's SHA-256 of its text. Volumes are not embedded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, cast

from labelhub.config import Settings
from labelhub.domain.enums import ItemKind
from labelhub.errors import ConfigurationError, FormatError, ValidationError
from labelhub.hub import Hub
from labelhub.search import EMBEDDERS, Embedder, VectorIndex, embedder_names, get_embedder, open_index
from labelhub.search.index import META_FILE

__all__ = [
    "EMBEDDERS_FILE",
    "EXACT_LIMIT",
    "TRAINED_KINDS",
    "SpaceState",
    "available_spaces",
    "cached_index",
    "check_ready",
    "check_space",
    "default_space",
    "index_folder",
    "load_embedder",
    "modality_of",
    "read_state",
    "source_hash",
    "write_state",
]

EMBEDDERS_FILE = "embedders.json"
# Below this many items a project's index is the exact (numpy, memory-mapped) backend, above it hnswlib:
# docs/search.md measured exact at ~128 ms a query at 200k items and hnswlib under 1 ms; at 20k the exact
# search takes ~13 ms, still fine for a search box, and stays exact.
EXACT_LIMIT = 20_000
# Embedders whose weights are trained on the project itself (helper module embedder_training finds them).
TRAINED_KINDS = frozenset({"dual", "ssl"})
_TRAINING_MODULE = "labelhub.services.embedder_training"


def index_folder(settings: Settings, project_id: int, space: str) -> Path:
    """Return the folder of the project's index in ``space``."""
    return settings.home / "indexes" / str(project_id) / space


def modality_of(item_kind: str) -> str | None:
    """Return what an item of ``item_kind`` is embedded as (``image``, ``text``), or None (volumes)."""
    if item_kind in (ItemKind.IMAGE.value, ItemKind.VIDEO.value):
        return "image"
    if item_kind == ItemKind.TEXT.value:
        return "text"
    return None


def source_hash(kind: str, media_key: str | None, text: str | None) -> str | None:
    """Return what identifies an item's embedded content, or None when it has nothing to embed."""
    if kind == ItemKind.TEXT.value:
        return hashlib.sha256(text.encode("utf-8")).hexdigest() if text and text.strip() else None
    if kind in (ItemKind.IMAGE.value, ItemKind.VIDEO.value):
        return media_key or None
    return None


# --- the state file beside each index ----------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, slots=True)
class SpaceState:
    """What a project's index in one space holds: whose vectors, how long, in which backend, saved when.

    ``saved_at`` (ISO time, UTC) is taken just before the index was last saved: every ``embeddings`` row written
    before it is in the saved index, and rows written after it may not be (the next run adds them again).
    """

    space: str
    embedder_version: str
    dim: int
    backend: str
    saved_at: str


def _state_path(settings: Settings, project_id: int, space: str) -> Path:
    return settings.home / "indexes" / str(project_id) / f"{space}.json"


def read_state(settings: Settings, project_id: int, space: str) -> SpaceState | None:
    """Return the state of the project's index in ``space``, or None when there is none."""
    path = _state_path(settings, project_id, space)
    try:
        data = json.loads(path.read_text())
        version, saved = str(data["embedder_version"]), str(data.get("saved_at", ""))
        return SpaceState(str(data["space"]), version, int(data["dim"]), str(data["backend"]), saved)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FormatError(f"cannot read {path}: {exc}; run the embedding job again", file=str(path)) from exc


def write_state(settings: Settings, project_id: int, space: str, state: SpaceState) -> None:
    """Write the state file atomically (a reader sees the old one or the new one)."""
    path = _state_path(settings, project_id, space)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(dataclasses.asdict(state), indent=2))
    os.replace(tmp, path)


# --- embedders ---------------------------------------------------------------------------------------------
def _from_file(settings: Settings) -> dict[str, dict[str, Any]]:
    """Return the settings of each embedder from ``HOME/embedders.json`` ({} when the file is absent)."""
    path = settings.home / EMBEDDERS_FILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise FormatError(f"cannot read {path}: {exc}", file=str(path)) from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise FormatError(f"{path} must hold one object of settings per embedder name", file=str(path))
    return data


def _settings_origin(settings: Settings, name: str) -> str:
    """Where the settings of embedder ``name`` come from, as a person would look for them."""
    return "LABELHUB_EMBEDDERS" if name in settings.embedders else str(settings.home / EMBEDDERS_FILE)


def _config_for(settings: Settings, name: str) -> Any | None:
    """Return the embedder's config object built from its settings (``Settings.embedders``, else
    ``HOME/embedders.json``), or None when neither has an entry for it."""
    fields = settings.embedders[name] if name in settings.embedders else _from_file(settings).get(name)
    if fields is None:
        return None
    source = _settings_origin(settings, name)
    spec = get_embedder(name)
    known = {f.name: f for f in dataclasses.fields(spec.config_type)}
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise ValidationError(f"{source}: {name} has no settings {unknown}; known: {sorted(known)}",
                              file=source, field=unknown[0])  # fmt: skip
    values: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, str) and value.startswith("~"):
            value = str(Path(value).expanduser())
        values[key] = value
    try:
        return spec.config_type(**values)
    except TypeError as exc:
        raise ValidationError(f"{source}: {name}: {exc}", file=source) from exc


def _trained(hub: Hub, project_id: int, name: str) -> Embedder | None:
    """Return the project's trained embedder ``name`` when the training module has one, else None."""
    if name not in TRAINED_KINDS:
        return None
    try:
        module = importlib.import_module(_TRAINING_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != _TRAINING_MODULE:
            raise
        return None
    finder = getattr(module, "trained_embedder", None)
    return None if finder is None else cast(Embedder | None, finder(hub, project_id, name))


_CACHE: OrderedDict[tuple[Any, ...], Embedder] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4


def _cached(name: str, config: Any) -> Embedder:
    """Return an embedder made once per (name, config): loading open_clip costs seconds, a query milliseconds."""
    key = (name, config)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    embedder = get_embedder(name).create(config)
    with _CACHE_LOCK:
        _CACHE[key] = embedder
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return embedder


def load_embedder(hub: Hub, project_id: int, name: str) -> Embedder:
    """Return the embedder of space ``name`` for the project; ValidationError (field ``space``) says what is missing."""
    trained, config = _source(hub, project_id, name)
    return trained if trained is not None else _cached(name, config)


def check_ready(hub: Hub, project_id: int, name: str) -> None:
    """Raise ValidationError (field ``space``) when the embedder of ``name`` cannot be made, without loading it."""
    _source(hub, project_id, name)


def _source(hub: Hub, project_id: int, name: str) -> tuple[Embedder | None, Any]:
    """Return the project's trained embedder, or None and the config to make ``name`` from."""
    if name not in EMBEDDERS:
        raise ValidationError(f"unknown space {name!r}; known embedders: {', '.join(embedder_names())}", field="space")
    trained = _trained(hub, project_id, name)
    if trained is not None:
        return trained, None
    config = _config_for(hub.settings, name)
    if config is None and get_embedder(name).needs_config:
        how = "train it on the project (a train_embedder job)" if name in TRAINED_KINDS else (
            f"add its settings to {hub.settings.home / EMBEDDERS_FILE} or LABELHUB_EMBEDDERS")  # fmt: skip
        raise ValidationError(f"the {name} embedder is not set up: {how}", field="space")
    return None, config


def _usable(hub: Hub, project_id: int, name: str) -> bool:
    """Return whether the embedder can be made (its settings are there), without loading its weights."""
    try:
        check_ready(hub, project_id, name)
    except FormatError:
        raise  # an unreadable embedders.json must be named, not taken for "nothing configured"
    except ValidationError as exc:
        if "file" in exc.context:
            raise  # settings that are there but wrong (an unknown field): named, not skipped
        return False
    except ConfigurationError:
        return False
    return True


def available_spaces(hub: Hub, project_id: int, item_kind: str) -> list[str]:
    """Return the spaces an embedder can be made for, that embed this project's kind of item."""
    modality = modality_of(item_kind)
    if modality is None:
        return []
    return [n for n in embedder_names() if modality in EMBEDDERS[n].modalities and _usable(hub, project_id, n)]


def default_space(hub: Hub, project_id: int, item_kind: str) -> str | None:
    """Return the project's default space (see the module docstring), or None when no embedder fits."""
    modality = modality_of(item_kind)
    if modality == "text":
        configured = "sentence" in hub.settings.embedders or "sentence" in _from_file(hub.settings)
        return "sentence" if configured and _usable(hub, project_id, "sentence") else "ngram"
    if modality != "image":
        return None
    configured = "open_clip" in hub.settings.embedders or "open_clip" in _from_file(hub.settings)
    if configured and _usable(hub, project_id, "open_clip"):
        return "open_clip"
    if "ssl" in EMBEDDERS and _trained(hub, project_id, "ssl") is not None:
        return "ssl"
    spaces = available_spaces(hub, project_id, item_kind)
    return spaces[0] if spaces else None


def check_space(hub: Hub, project_id: int, item_kind: str, space: str | None) -> str:
    """Return ``space`` (or the project's default) after checking it embeds the project's items."""
    if space is None:
        space = default_space(hub, project_id, item_kind)
        if space is None:
            raise ValidationError(
                f"no embedder for {item_kind} items yet: train the project's own image encoder (the Search page's"
                f" 'Train an image encoder', `labelhub train-encoder PROJECT --kind ssl`, or POST"
                f" .../embedders/train with kind ssl; --kind dual also reads text), or set up an open_clip"
                f" checkpoint (LABELHUB_EMBEDDERS or {EMBEDDERS_FILE} in the data folder; see docs/search.md)",
                field="space",
            )
    if space not in EMBEDDERS:
        raise ValidationError(f"unknown space {space!r}; known embedders: {', '.join(embedder_names())}", field="space")
    modality = modality_of(item_kind)
    if modality is None or modality not in EMBEDDERS[space].modalities:
        raise ValidationError(f"the {space} embedder does not embed {item_kind} items", field="space")
    return space


# --- open indexes, shared by the searches of one process ---------------------------------------------------
_INDEXES: dict[Path, tuple[int, VectorIndex]] = {}
_INDEXES_LOCK = threading.Lock()


def cached_index(folder: Path) -> VectorIndex | None:
    """Return the index saved in ``folder`` (None when there is none), opened again only after it was saved.

    An hnswlib index is read whole into memory when opened (1.6 s at 1M items), so searches share one open
    index per folder; ``meta.json`` is written last on every save, so its change time says when to reopen.
    """
    try:
        stamp = (folder / META_FILE).stat().st_mtime_ns
    except FileNotFoundError:
        return None
    with _INDEXES_LOCK:
        held = _INDEXES.get(folder)
        if held is not None and held[0] == stamp:
            return held[1]
        index = open_index(folder)
        _INDEXES[folder] = (stamp, index)
        return index
