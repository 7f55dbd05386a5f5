"""The settings of each embedder, as validated value objects (no model is loaded here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labelhub.domain.checks import check_int, check_span
from labelhub.errors import ValidationError

__all__ = ["NgramConfig", "OpenClipConfig", "SentenceConfig"]


@dataclass(frozen=True, slots=True, kw_only=True)
class NgramConfig:
    """The hashed n-gram text embedder (:class:`labelhub.search.ngram.NgramEmbedder`).

    - ``dim``: hash buckets, the embedding's length. 512 keeps an item at 2 KB; collisions cost little retrieval
      quality at caption length (a caption yields ~100-200 n-grams).
    - ``char_ngrams``: character n-gram lengths, taken inside words padded with spaces (what makes inflections,
      compounds and scripts without spaces match in part).
    - ``word_ngrams``: word n-gram lengths (whole words and word pairs).
    """

    dim: int = 512
    char_ngrams: tuple[int, int] = (3, 5)
    word_ngrams: tuple[int, int] = (1, 2)

    def __post_init__(self) -> None:
        check_int(self.dim, "dim", low=16, high=1 << 20)
        check_span(self.char_ngrams, "char_ngrams", low=1, high=8)
        check_span(self.word_ngrams, "word_ngrams", low=1, high=4)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenClipConfig:
    """An open_clip model from files on this machine (nothing is downloaded).

    - ``model``: an open_clip architecture name (``open_clip.list_models()``, e.g. ``ViT-B-32`` or
      ``xlm-roberta-base-ViT-B-32``), or the path of a model config JSON: a bare open_clip config
      (``embed_dim``, ``vision_cfg``, ``text_cfg``) or an ``open_clip_config.json`` as published with the
      weights (``model_cfg``, ``preprocess_cfg``).
    - ``pretrained``: the checkpoint file (``.bin``, ``.pt``, ``.pth`` or ``.safetensors``), or a folder that
      holds one, such as a Hugging Face cache snapshot (``open_clip_pytorch_model.bin`` and the like).
    - ``text_model_dir``: for models whose text tower is a Hugging Face model (``hf_model_name`` in their
      config: the xlm-roberta multilingual family, for instance), the folder with that model's ``config.json``
      and its tokenizer files (``tokenizer.json``, or ``sentencepiece.bpe.model`` with
      ``tokenizer_config.json``). The text model's own weights are not needed: the checkpoint holds them.
      Defaults to the ``pretrained`` folder when that holds a ``config.json``.
    - ``batch_size``: images or texts encoded at once; ``device``: a torch device name.
    """

    model: str
    pretrained: Path
    text_model_dir: Path | None = None
    batch_size: int = 32
    device: str = "cpu"

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise ValidationError("model must name an open_clip architecture or a config file", field="model")
        if not isinstance(self.pretrained, Path):
            object.__setattr__(self, "pretrained", Path(str(self.pretrained)))
        if not self.pretrained.exists():
            raise ValidationError(f"no checkpoint at {self.pretrained}", field="pretrained")
        if self.text_model_dir is not None:
            if not isinstance(self.text_model_dir, Path):
                object.__setattr__(self, "text_model_dir", Path(str(self.text_model_dir)))
            if not Path(self.text_model_dir).is_dir():
                raise ValidationError(f"{self.text_model_dir} is not a folder", field="text_model_dir")
        check_int(self.batch_size, "batch_size", low=1, high=4096)
        if not isinstance(self.device, str) or not self.device:
            raise ValidationError("device must be a torch device name such as 'cpu'", field="device")


@dataclass(frozen=True, slots=True, kw_only=True)
class SentenceConfig:
    """A sentence-transformers model from a folder on this machine (nothing is downloaded).

    - ``path``: the folder, as ``SentenceTransformer(name).save(folder)`` writes it (``modules.json``), or a
      Hugging Face encoder's folder (``config.json``, weights and tokenizer), which is mean-pooled; for search in
      any language, a multilingual model such as ``paraphrase-multilingual-MiniLM-L12-v2``.
    - ``batch_size``: texts encoded at once.
    """

    path: Path
    batch_size: int = 64

    def __post_init__(self) -> None:
        if not isinstance(self.path, Path):
            object.__setattr__(self, "path", Path(str(self.path)).expanduser())
        if not self.path.is_dir():
            raise ValidationError(f"{self.path} is not a folder", field="path")
        check_int(self.batch_size, "batch_size", low=1, high=4096)
