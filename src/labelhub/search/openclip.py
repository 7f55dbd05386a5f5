"""The open_clip embedder: images and texts into one space, from a checkpoint on this machine.

The loading is open_clip's own: ``open_clip.create_model_and_transforms(model, pretrained=<file>)`` builds
the architecture and loads the checkpoint strictly (a checkpoint that does not fit the architecture is
refused, naming ``pretrained``), and gives the image transform the weights were trained with. What is done
here is only what open_clip cannot do offline:

- **A model config from a file.** open_clip finds architectures by name in a process-wide registry
  (``open_clip.add_model_config``). A config JSON given as ``model`` is registered under a name made from its
  content's hash (``labelhub-<hash>``), so two different files never shadow each other or a built-in name.
- **Hugging Face text towers** (the multilingual xlm-roberta family): their config names a Hub model
  (``hf_model_name: "xlm-roberta-base"``) that open_clip would download the text model's config and
  tokenizer from. The name is replaced by ``text_model_dir``, a folder with that model's ``config.json`` and
  tokenizer files, and the tower is built from the config alone (``hf_model_pretrained: False``): its weights
  come from the CLIP checkpoint. The tokenizer is open_clip's ``HFTokenizer`` on the same folder.
- **torchvision**: see :mod:`labelhub.search._torch_compat`.

``version`` is the architecture and the first 12 hex digits of the checkpoint's SHA-256, so embeddings made
with other weights under the same name are told apart.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from labelhub.errors import FormatError, ValidationError
from labelhub.search._torch_compat import import_open_clip
from labelhub.search.config import OpenClipConfig

__all__ = ["CHECKPOINT_SUFFIXES", "TOKENIZER_FILES", "OpenClipEmbedder"]

CHECKPOINT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
# Any one of these makes a folder a tokenizer transformers can load (fast tokenizer, SentencePiece, WordPiece, BPE).
TOKENIZER_FILES = ("tokenizer.json", "sentencepiece.bpe.model", "spiece.model", "vocab.txt", "vocab.json")
_registry_lock = threading.Lock()
_registry_dir: list[Path] = []


def _checkpoint_file(path: Path) -> Path:
    """Return the checkpoint file ``path`` is, or the one file in the folder ``path`` that looks like one."""
    if path.is_file():
        return path
    found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in CHECKPOINT_SUFFIXES)
    preferred = [p for p in found if p.name.startswith("open_clip")] or found
    if len(preferred) != 1:
        what = "no checkpoint" if not preferred else f"several checkpoints ({', '.join(p.name for p in preferred)})"
        raise ValidationError(f"{path} holds {what}: name the file", field="pretrained")
    return preferred[0]


def _register(oc: ModuleType, cfg: dict[str, Any]) -> str:
    """Register ``cfg`` with open_clip under a name made from its content; return the name."""
    text = json.dumps(cfg, sort_keys=True)
    name = f"labelhub-{hashlib.sha256(text.encode()).hexdigest()[:12]}"
    with _registry_lock:
        if name not in oc.list_models():
            if not _registry_dir:
                _registry_dir.append(Path(tempfile.mkdtemp(prefix="labelhub-open-clip-")))
            path = _registry_dir[0] / f"{name}.json"
            path.write_text(text)
            oc.add_model_config(path)
    return name


def _model_config(oc: ModuleType, model: str) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """Return (registered name, name for people, model config, preprocess config) for ``model``."""
    path = Path(model).expanduser()
    if path.is_dir() and (path / "open_clip_config.json").is_file():
        path = path / "open_clip_config.json"
    if path.is_file() or model.endswith(".json"):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ValidationError(f"cannot read the model config {path}: {exc}", field="model") from exc
        cfg = data.get("model_cfg", data) if isinstance(data, dict) else None
        if not isinstance(cfg, dict) or not all(k in cfg for k in ("embed_dim", "vision_cfg", "text_cfg")):
            raise ValidationError(f"{path} is not an open_clip model config (embed_dim, vision_cfg, text_cfg)",
                                  field="model")  # fmt: skip
        label = path.parent.name if path.name == "open_clip_config.json" else path.stem
        return _register(oc, cfg), label, cfg, dict(data.get("preprocess_cfg", {}))
    cfg = oc.get_model_config(model)
    if cfg is None:
        raise ValidationError(f"open_clip has no architecture {model!r} and no such config file", field="model")
    return model, model, cfg, {}


def _text_model_dir(config: OpenClipConfig, checkpoint: Path, text_cfg: dict[str, Any]) -> Path:
    folder = config.text_model_dir
    if folder is None and (checkpoint.parent / "config.json").is_file():
        folder = checkpoint.parent
    hub_name = text_cfg.get("hf_model_name") or text_cfg.get("hf_tokenizer_name")
    if folder is None:
        raise ValidationError(
            f"this model's text tower is the Hugging Face model {hub_name!r}: set text_model_dir to a folder "
            f"with its config.json and tokenizer files ({' or '.join(TOKENIZER_FILES[:2])})",
            field="text_model_dir",
        )
    if not (folder / "config.json").is_file() or not any((folder / f).is_file() for f in TOKENIZER_FILES):
        raise ValidationError(
            f"{folder} must hold {hub_name!r}'s config.json and tokenizer files (one of {', '.join(TOKENIZER_FILES)})",
            field="text_model_dir",
        )
    return folder


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


class OpenClipEmbedder:
    """An open_clip model loaded from local files; see the module docstring."""

    name = "open_clip"
    modalities = frozenset({"image", "text"})

    def __init__(self, config: OpenClipConfig) -> None:
        if not isinstance(config, OpenClipConfig):
            raise ValidationError("the open_clip embedder needs an OpenClipConfig", field="config")
        self.config = config
        oc = import_open_clip()
        self._torch: Any = importlib.import_module("torch")
        checkpoint = _checkpoint_file(config.pretrained)
        arch, label, cfg, preprocess_cfg = _model_config(oc, config.model)
        kwargs: dict[str, Any] = {}
        text_cfg = dict(cfg["text_cfg"])
        hf_text = "hf_model_name" in text_cfg or "hf_tokenizer_name" in text_cfg
        text_dir = None
        if hf_text:
            text_dir = _text_model_dir(config, checkpoint, text_cfg)
            kwargs["text_cfg"] = {**text_cfg, "hf_model_name": str(text_dir), "hf_tokenizer_name": str(text_dir),
                                  "hf_model_pretrained": False}  # fmt: skip
        for key, arg in (("mean", "image_mean"), ("std", "image_std"), ("interpolation", "image_interpolation"),
                         ("resize_mode", "image_resize_mode")):  # fmt: skip
            if key in preprocess_cfg:
                kwargs[arg] = preprocess_cfg[key]
        try:
            model, _, preprocess = oc.create_model_and_transforms(arch, pretrained=str(checkpoint),
                                                                  device=config.device, **kwargs)  # fmt: skip
        except (RuntimeError, KeyError, ValueError) as exc:
            raise ValidationError(f"cannot load {checkpoint} into {label!r}: {str(exc)[:500]}",
                                  field="pretrained") from exc  # fmt: skip
        model.eval()
        if text_dir is not None:
            self._tokenizer: Any = oc.tokenizer.HFTokenizer(
                str(text_dir),
                context_length=text_cfg.get("context_length", oc.tokenizer.DEFAULT_CONTEXT_LENGTH),
                tokenizer_mode=text_cfg.get("tokenizer_mode"),
                **text_cfg.get("tokenizer_kwargs", {}),
            )
        else:
            self._tokenizer = oc.get_tokenizer(arch)
        self._model: Any = model
        self._preprocess: Any = preprocess
        self._dim = int(cfg["embed_dim"])
        self._version = f"{label}@{_sha256(checkpoint)[:12]}"
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def version(self) -> str:
        return self._version

    def _batches(self, count: int) -> range:
        return range(0, count, self.config.batch_size)

    def _encode(self, encode: Any, batch: Any) -> npt.NDArray[np.float32]:
        with self._lock, self._torch.inference_mode():
            features = encode(batch.to(self.config.device), normalize=True)
        return np.ascontiguousarray(features.float().cpu().numpy(), dtype=np.float32)

    def embed_images(self, paths: Sequence[Path | str]) -> npt.NDArray[np.float32]:
        """Return one unit row per image file; FormatError (file) for one that cannot be read."""
        from PIL import Image, UnidentifiedImageError

        rows = [np.zeros((0, self._dim), dtype=np.float32)]
        for start in self._batches(len(paths)):
            tensors = []
            for p in paths[start : start + self.config.batch_size]:
                try:
                    with Image.open(p) as im:
                        tensors.append(self._preprocess(im.convert("RGB")))
                except (OSError, UnidentifiedImageError, ValueError) as exc:
                    raise FormatError(f"cannot read image {p}: {exc}", file=str(p)) from exc
            rows.append(self._encode(self._model.encode_image, self._torch.stack(tensors)))
        return np.concatenate(rows)

    def embed_texts(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Return one unit row per text, in any language the text tower was trained on."""
        if isinstance(texts, str):
            raise ValidationError("texts must be a sequence of strings, not one string", field="texts")
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise ValidationError(f"texts[{i}] is {type(t).__name__}, not a string", field="texts", row=i)
        rows = [np.zeros((0, self._dim), dtype=np.float32)]
        for start in self._batches(len(texts)):
            tokens = self._tokenizer(list(texts[start : start + self.config.batch_size]))
            rows.append(self._encode(self._model.encode_text, tokens))
        return np.concatenate(rows)
