"""A pretrained sentence encoder from a local folder (sentence-transformers): for search and the text assistant.

n-gram features know only the words of the project's own texts: two requests that mean the same in different
words (or languages) share nothing. A pretrained sentence encoder (a sentence-transformers model such as
``all-MiniLM-L6-v2`` or the multilingual ``paraphrase-multilingual-MiniLM-L12-v2``, or any Hugging Face encoder
folder, mean-pooled) brings that knowledge in. It serves two users:

- search: :class:`SentenceEmbedder`, registered as the ``sentence`` embedder (text items and queries);
- the text assistant (:mod:`labelhub.assist.text`): its vectors are appended to the n-gram rows, and the
  diversity strategies measure distances in its space.

Nothing is downloaded: the folder is one the user saved (``SentenceTransformer(...).save(folder)`` or a Hugging
Face snapshot), loaded with ``local_files_only``. :func:`load_encoder` keeps the two most recent encoders of the
process loaded, and each keeps the vectors of the last :data:`CACHED_TEXTS` texts it encoded (the queue scores
the same pool after every retraining).
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from labelhub._lru import Lru
from labelhub.errors import ConfigurationError, FormatError, ValidationError
from labelhub.search.config import SentenceConfig

__all__ = ["CACHED_TEXTS", "SentenceEmbedder", "SentenceEncoder", "check_folder", "encoder_version", "load_encoder"]

CACHED_TEXTS = 50_000  # vectors kept per encoder (384 floats each for a MiniLM: ~75 MB)
FIELD = "text_encoder"  # the field errors name by default: the training setting


def encoder_version(folder: Path) -> str:
    """Return a short fingerprint of the model in ``folder``: its files' names and sizes, and the contents of its
    JSON settings. Another model, or the same one retrained or re-exported, gets another fingerprint; the
    weights are not read whole (a 500 MB model would cost every process a second at start)."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel.startswith(".") or "/." in rel:
            continue  # .cache and friends change without the model changing
        h.update(f"{rel}\0{path.stat().st_size}\0".encode())
        if path.suffix == ".json":
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def check_folder(folder: str | Path, field: str = FIELD) -> Path:
    """Return ``folder`` resolved when it holds a model to load (``modules.json`` or ``config.json``), without
    loading it: a ValidationError naming ``field`` when it is not there, a FormatError when it holds no model."""
    if not isinstance(folder, (str, Path)) or not str(folder).strip():
        raise ValidationError(f"{field} must be the path of a folder on the server", field=field)
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ValidationError(f"{field} {str(folder)!r}: no such folder on the server", field=field)
    if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
        raise FormatError(
            f"{field} {str(path)!r} holds neither modules.json (a sentence-transformers model) nor config.json"
            " (a Hugging Face model): save one there with SentenceTransformer(name).save(folder)",
            field=field,
        )
    return path.resolve()


def _sentence_transformer(path: Path, field: str) -> Any:
    # torchvision (imported by transformers' image utilities) needs the same care as for open_clip.
    from labelhub.search._torch_compat import prepare_torchvision

    prepare_torchvision()
    try:
        module = importlib.import_module("sentence_transformers")
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        msg = "a text encoder needs sentence-transformers: pip install sentence-transformers"
        raise ConfigurationError(msg) from exc
    # the weights' loading bar is for a notebook; a server's log and the CLI's own bar do without it
    importlib.import_module("transformers.utils.logging").disable_progress_bar()
    try:
        return module.SentenceTransformer(str(path), device="cpu", local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise FormatError(f"{field} {str(path)!r} could not be loaded: {exc}", field=field) from exc


class SentenceEncoder:
    """Texts to unit vectors with a sentence-transformers model loaded from a local folder."""

    def __init__(self, folder: str | Path, *, field: str = FIELD) -> None:
        self.path = check_folder(folder, field)
        self.version = encoder_version(self.path)
        self._model = _sentence_transformer(self.path, field)
        # renamed in sentence-transformers 6 (the old name warns)
        width = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = width()
        if not isinstance(dim, int) or dim < 1:
            probe = np.asarray(self._model.encode(["a"], convert_to_numpy=True))
            dim = int(probe.shape[-1])
        self.dim: int = dim
        self._vectors: Lru[npt.NDArray[np.float32]] = Lru(CACHED_TEXTS)
        self._lock = threading.Lock()  # one encoding at a time: PyTorch's threads are already all cores

    @property
    def settings(self) -> dict[str, Any]:
        """What a saved model records of its encoder: where it is, its fingerprint and its width."""
        return {"path": str(self.path), "version": self.version, "dim": self.dim}

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> npt.NDArray[np.float32]:
        """Return an ``(n, dim)`` float32 array of unit rows (a text with an all-zero vector keeps zeros); the
        texts not in the cache are encoded ``batch_size`` at a time."""
        items = list(texts)
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        for i, text in enumerate(items):
            found = self._vectors.get(text)
            if found is None:
                todo.setdefault(text, []).append(i)
            else:
                out[i] = found
        if todo:
            fresh = list(todo)
            with self._lock:
                vecs = self._model.encode(fresh, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)
            vecs = np.asarray(vecs, dtype=np.float32).reshape(len(fresh), self.dim)
            norms = np.linalg.norm(vecs, axis=1, keepdims=True)
            vecs = vecs / np.where(norms > 0, norms, 1.0)
            for text, vec in zip(fresh, vecs, strict=True):
                self._vectors.put(text, vec.copy())  # a row of its own: a view would keep the whole batch alive
                out[todo[text]] = vec
        return out


_loaded: Lru[SentenceEncoder] = Lru(2)
_load_lock = threading.Lock()


def load_encoder(folder: str | Path, *, version: str | None = None, field: str = FIELD) -> SentenceEncoder:
    """Return the encoder in ``folder``, loaded once per process (the two most recent stay loaded).

    With ``version`` (a saved model's record of the encoder it was trained with), a folder whose model has
    changed since is refused: the model's weights were fitted to the old encoder's vectors.
    """
    path = check_folder(folder, field)
    with _load_lock:
        enc = _loaded.get(path)
        if enc is None or enc.version != encoder_version(path):
            enc = SentenceEncoder(path, field=field)
            _loaded.put(path, enc)
    if version is not None and enc.version != version:
        raise FormatError(
            f"the text encoder in {str(path)!r} has changed since this model was trained (fingerprint {version},"
            f" now {enc.version}): put the original back or retrain the model",
            field=field,
        )
    return enc


class SentenceEmbedder:
    """The ``sentence`` search embedder: texts to the unit vectors of a sentence-transformers model."""

    name = "sentence"
    modalities = frozenset({"text"})

    def __init__(self, config: SentenceConfig) -> None:
        self.config = config
        self._encoder = load_encoder(config.path, field="path")

    @property
    def dim(self) -> int:
        return self._encoder.dim

    @property
    def version(self) -> str:
        """The model's fingerprint: another model, or the same one re-exported, fills another index."""
        return f"sentence-{self._encoder.version}"

    def embed_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encoder.encode(texts, batch_size=self.config.batch_size)

    def embed_images(self, paths: Sequence[Path | str]) -> npt.NDArray[np.float32]:
        raise ValidationError("the sentence embedder reads texts, not images: use open_clip, ssl or dual",
                              field="space")  # fmt: skip
