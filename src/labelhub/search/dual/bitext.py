"""Translation pairs from files: a TSV of (source, English) or a folder of line-parallel files.

- **TSV** (``.tsv``, or ``.tsv.gz``): one pair a line, ``source<TAB>english``, with an optional third column
  naming the source language (else ``?``). Lines with fewer than two non-empty columns are skipped.
- **Parallel files** (a folder, or its ``raw/`` sub-folder, as Multi30K ships them): files named
  ``<split>.<lang>`` or ``<split>.<lang>.gz``, line *i* of every language of a split translating the same
  caption; each non-English file is paired with the ``en`` file of its split. A split without an ``en``
  file is skipped; files of one split with different line counts are refused (FormatError naming them).

UTF-8 throughout. ``splits`` and ``langs`` limit what is read (a benchmark trains on some splits and tests
on another).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from labelhub.errors import FormatError, ValidationError

__all__ = ["TranslationPair", "read_bitext"]

_PARALLEL = re.compile(r"^(?P<split>.+?)\.(?P<lang>[a-z]{2,3})(?:\.gz)?$")


@dataclass(frozen=True, slots=True)
class TranslationPair:
    """A caption in ``lang`` and its English translation."""

    lang: str
    source: str
    english: str


def _lines(path: Path) -> list[str]:
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return fh.read().splitlines()
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise FormatError(f"cannot read {path}: {exc}", file=str(path)) from exc


def _tsv(path: Path, langs: Collection[str] | None) -> list[TranslationPair]:
    pairs = []
    for line in _lines(path):
        cols = line.split("\t")
        if len(cols) < 2 or not cols[0].strip() or not cols[1].strip():
            continue
        lang = cols[2].strip() if len(cols) > 2 and cols[2].strip() else "?"
        if langs is None or lang in langs:
            pairs.append(TranslationPair(lang, cols[0].strip(), cols[1].strip()))
    return pairs


def _parallel(folder: Path, splits: Collection[str] | None, langs: Collection[str] | None) -> list[TranslationPair]:
    by_split: dict[str, dict[str, Path]] = {}
    for p in sorted(folder.iterdir()):
        m = _PARALLEL.match(p.name)
        if p.is_file() and m and (splits is None or m["split"] in splits):
            by_split.setdefault(m["split"], {})[m["lang"]] = p
    pairs = []
    for files in by_split.values():
        if "en" not in files:
            continue
        english = _lines(files["en"])
        for lang, path in sorted(files.items()):
            if lang == "en" or (langs is not None and lang not in langs):
                continue
            source = _lines(path)
            if len(source) != len(english):
                raise FormatError(f"{path} has {len(source)} lines but {files['en']} has {len(english)}: "
                                  "parallel files must match line by line", file=str(path))  # fmt: skip
            pairs += [TranslationPair(lang, s.strip(), e.strip()) for s, e in zip(source, english, strict=True)
                      if s.strip() and e.strip()]  # fmt: skip
    return pairs


def bitext_splits(path: Path) -> list[str]:
    """Return the splits a folder of parallel files holds (``[]`` for a TSV file, which has none)."""
    if not path.is_dir():
        return []
    folder = path / "raw" if (path / "raw").is_dir() else path
    return sorted({m["split"] for p in folder.iterdir() if p.is_file() and (m := _PARALLEL.match(p.name))})


def read_bitext(
    path: Path, *, splits: Collection[str] | None = None, langs: Collection[str] | None = None
) -> list[TranslationPair]:
    """Return the translation pairs in ``path`` (a TSV file or a folder of parallel files; see the module).

    ValidationError (field ``bitext``) when ``path`` is neither; FormatError names a file that cannot be read.
    """
    if path.is_file():
        return _tsv(path, langs)
    if path.is_dir():
        folder = path / "raw" if (path / "raw").is_dir() else path
        return _parallel(folder, splits, langs)
    raise ValidationError(f"no translation pairs at {path}: give a .tsv file or a folder of parallel files",
                          field="bitext")  # fmt: skip
