"""The format registry: one entry per format, with its modules imported lazily on first use."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from labelhub.domain.enums import ItemKind
from labelhub.errors import FormatError, ValidationError
from labelhub.formats.base import FormatExporter, FormatImporter


@dataclass(frozen=True, slots=True)
class FormatSpec:
    """A format: its name, what it holds, and ``module:Class`` paths of its importer and exporter.

    ``item_kinds`` are the kinds of item it holds both ways; ``export_extra`` adds kinds only its exporter
    writes (COCO writes a video frame by frame, but a COCO file imports as images). ``import_options`` and
    ``export_options`` are the option keys (``-o KEY=VALUE``, the API's ``options``) its importer and its
    exporter read; any other key is refused (:func:`check_options`), so a typo never falls back to a default.
    """

    name: str
    title: str
    item_kinds: tuple[ItemKind, ...]
    module: str
    importer: str | None = None
    exporter: str | None = None
    export_extra: tuple[ItemKind, ...] = ()
    import_options: tuple[str, ...] = ()
    export_options: tuple[str, ...] = ()

    @property
    def export_kinds(self) -> tuple[ItemKind, ...]:
        """The kinds of item the exporter writes (none without an exporter)."""
        return (*self.item_kinds, *self.export_extra) if self.exporter is not None else ()

    def _load(self, attr: str | None, what: str) -> type:
        if attr is None:
            raise ValidationError(f"format {self.name!r} has no {what}", field="format")
        mod = importlib.import_module(f"labelhub.formats.{self.module}")
        cls: type = getattr(mod, attr)
        return cls

    def importer_class(self) -> type[FormatImporter]:
        return self._load(self.importer, "importer")

    def exporter_class(self) -> type[FormatExporter]:
        return self._load(self.exporter, "exporter")

    def detect(self, source: Path) -> bool:
        """True when ``source`` looks like this format (each module has a ``detect(path)`` function)."""
        if self.importer is None:
            return False
        mod = importlib.import_module(f"labelhub.formats.{self.module}")
        detect = getattr(mod, "detect", None)
        return bool(detect(source)) if detect is not None else False


# Detection tries formats in this order: the most specific first, the plain image folder last.
FORMATS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        FormatSpec(
            "coco",
            "COCO detection JSON",
            (ItemKind.IMAGE,),
            "coco",
            "CocoImporter",
            "CocoExporter",
            export_extra=(ItemKind.VIDEO,),
            import_options=("segmentation",),
        ),
        FormatSpec(
            "coco_captions",
            "COCO captions JSON (import only)",
            (ItemKind.IMAGE,),
            "coco_captions",
            "CocoCaptionsImporter",
            import_options=("lang", "xtd10", "xtd10_dir"),
        ),
        FormatSpec(
            "yolo",
            "YOLO txt (boxes and segmentation)",
            (ItemKind.IMAGE,),
            "yolo",
            "YoloImporter",
            "YoloExporter",
            import_options=("labels_dir", "names", "names_file"),
            export_options=("task",),
        ),
        FormatSpec("voc", "Pascal VOC XML", (ItemKind.IMAGE,), "voc", "VocImporter", "VocExporter"),
        FormatSpec(
            "text",
            "Text items (JSONL or CSV)",
            (ItemKind.TEXT,),
            "text_table",
            "TextImporter",
            "TextExporter",
            import_options=("text_column", "label_column", "delimiter"),
            export_options=("text_column", "label_column", "csv_safe"),
        ),
        FormatSpec(
            "label_studio",
            "Label Studio JSON (tasks with annotations and predictions)",
            (ItemKind.IMAGE, ItemKind.VIDEO, ItemKind.TEXT),
            "label_studio",
            "LabelStudioImporter",
            "LabelStudioExporter",
            import_options=("data_key",),
        ),
        FormatSpec(
            "webdataset",
            "WebDataset tar shards (JSON + media per sample)",
            (ItemKind.IMAGE, ItemKind.VIDEO, ItemKind.TEXT),
            "webdataset",
            "WebDatasetImporter",
            "WebDatasetExporter",
            export_options=("name", "shard_size", "shard_bytes", "clip_length"),
        ),
        FormatSpec(
            "cvat_images",
            "CVAT for images 1.1 XML",
            (ItemKind.IMAGE,),
            "cvat",
            "CvatImagesImporter",
            "CvatImagesExporter",
        ),
        FormatSpec(
            "cvat_video",
            "CVAT for video 1.1 XML (tracks)",
            (ItemKind.VIDEO,),
            "cvat_video",
            "CvatVideoImporter",
            "CvatVideoExporter",
            import_options=("name", "video"),
        ),
        FormatSpec(
            "mot",
            "MOT challenge sequences",
            (ItemKind.VIDEO,),
            "mot",
            "MotImporter",
            "MotExporter",
            import_options=("label", "detections", "clip"),
        ),
        FormatSpec(
            "video",
            "Video files and image sequences",
            (ItemKind.VIDEO,),
            "video",
            "VideoImporter",
            "VideoExporter",
            import_options=("fps", "max_count_frames"),
        ),
        FormatSpec(
            "nifti",
            "NIfTI volumes (.nii, .nii.gz; MSD layout) with label maps",
            (ItemKind.VOLUME,),
            "nifti",
            "NiftiImporter",
            "NiftiExporter",
            import_options=("labels",),
        ),
        FormatSpec(
            "dicom",
            "DICOM series and DICOM-SEG (NRRD label maps read too)",
            (ItemKind.VOLUME,),
            "dicom",
            "DicomImporter",
            "DicomSegExporter",
            import_options=("labels_dir",),
            export_options=("source_dir",),
        ),
        FormatSpec(
            "image_folder",
            "Folder of images (class per sub-folder)",
            (ItemKind.IMAGE,),
            "image_folder",
            "ImageFolderImporter",
            "ImageFolderExporter",
        ),
    )
}


def get_format(name: str) -> FormatSpec:
    """Return the format called ``name``, or raise an error that lists the known ones."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ValidationError(
            f"unknown format {name!r}; known formats: {', '.join(sorted(FORMATS))}", field="format"
        ) from None


# Keys every import or export takes: where the CLI writes an import's report, and the project's format facts and
# name the export service passes on (an API caller may set none of them: services/uploads.py refuses them).
_ALWAYS = {"import": frozenset({"report_path"}), "export": frozenset({"format_meta", "project_name"})}


def known_options(spec: FormatSpec | None, side: str) -> list[str]:
    """The option keys ``side`` (``import``, ``export`` or ``any``) of ``spec`` reads, sorted; None: of any format."""
    keys: set[str] = set()
    for one in [spec] if spec is not None else FORMATS.values():
        if side in ("import", "any"):
            keys.update(one.import_options)
        if side in ("export", "any"):
            keys.update(one.export_options)
    return sorted(keys)


def check_options(spec: FormatSpec | None, keys: Iterable[str], side: str) -> None:
    """Refuse an option key that ``side`` (``import``, ``export``, or ``any``) of ``spec`` (None: every format)
    does not read: a ValidationError on the field ``options.KEY`` with the closest known key and the known keys."""
    known = known_options(spec, side)
    always = _ALWAYS.get(side, _ALWAYS["import"] | _ALWAYS["export"])
    for key in keys:
        if key in known or key in always:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        whose = f"the {spec.name} format's {side}" if spec is not None else "any format"
        takes = f"it reads {', '.join(known)}" if known else "it takes no options"
        if spec is None:
            takes = f"the formats read {', '.join(known)}"
        raise ValidationError(f"unknown option {key!r} for {whose}{hint} ({takes})", field=f"options.{key}")


def formats_for(kind: ItemKind) -> list[str]:
    """The names of the formats that import items of ``kind``."""
    return sorted(name for name, spec in FORMATS.items() if spec.importer is not None and kind in spec.item_kinds)


def check_format_for(spec: FormatSpec, kind: ItemKind) -> None:
    """Raise a ValidationError saying which formats fit when ``spec`` cannot import items of ``kind``."""
    if kind not in spec.item_kinds:
        made = " and ".join(k.value for k in spec.item_kinds)
        fits = formats_for(kind)
        choose = f"choose one of: {', '.join(fits)}" if fits else f"no format imports {kind.value} items yet"
        raise ValidationError(
            f"the {spec.name} format makes {made} items and this is {kind_with_article(kind)} project; {choose}",
            field="format",
        )


def kind_with_article(kind: ItemKind) -> str:
    """``an image``, ``a video``, ``a text``: for messages."""
    return ("an " if kind.value[0] in "aeiou" else "a ") + kind.value


def _importable_kinds() -> set[ItemKind]:
    return {k for spec in FORMATS.values() if spec.importer is not None for k in spec.item_kinds}


def detect_format(source: Path, kind: ItemKind | None = None, options: Iterable[str] = ()) -> FormatSpec:
    """Return the first format whose ``detect`` accepts ``source``, or raise naming what was tried.

    With ``kind`` (the project's), only formats that import that kind are tried, and in a video project a folder
    of images is an image sequence (the ``video`` format), not an ``image_folder`` of stills. ``options`` (the
    import's option keys) steer it: a key no format reads is refused as :func:`check_options` does, the formats
    that read every key are the only ones tried, and when one format alone reads them it is the format (``-o
    text_column=utterance`` on a CSV whose header has no ``text`` column is still a text import).
    """
    if not source.exists():
        raise FormatError(f"{source} does not exist", file=str(source))
    if kind is not None and not formats_for(kind):
        raise FormatError(
            f"no format imports {kind.value} items yet, so {source.name} cannot be imported into this project; "
            f"the projects that take imports hold {', '.join(sorted(k.value for k in _importable_kinds()))} items",
            file=str(source),
        )
    candidates = _reading(kind, [k for k in options if k not in _ALWAYS["import"]])
    if len(candidates) == 1:
        return candidates[0]
    for spec in candidates:
        if spec.detect(source):
            return spec
    if kind is ItemKind.VIDEO and FORMATS["video"] in candidates and FORMATS["image_folder"].detect(source):
        return FORMATS["video"]
    names = formats_for(kind) if kind is not None else sorted(FORMATS)
    reasons = _why_undetected(source, kind)
    why = f" ({'; '.join(reasons)})" if reasons else ""
    raise FormatError(
        f"could not tell the format of {source.name}{why}; choose it (the import dialog's format, or --format):"
        f" one of {', '.join(names)}",
        file=str(source),
    )


def _reading(kind: ItemKind | None, keys: list[str]) -> list[FormatSpec]:
    """The formats (of ``kind``) to try for an import with the option ``keys``: every one without keys; with
    keys, those that read them all (a key no format reads is refused; keys no single format reads together too)."""
    fits = [spec for spec in FORMATS.values() if kind is None or kind in spec.item_kinds]
    if not keys:
        return fits
    check_options(None, keys, "import")
    readers = [spec for spec in fits if set(keys) <= set(spec.import_options)]
    if not readers:
        raise ValidationError(
            f"no format {'of ' + kind_with_article(kind) + ' project ' if kind else ''}reads all of the options "
            f"{', '.join(sorted(keys))}; choose the format (--format, or the import dialog's format)",
            field="options",
        )
    return readers


def _why_undetected(source: Path, kind: ItemKind | None) -> list[str]:
    """The most telling reasons no format took ``source``: it fits a format of another kind of project, and what
    the formats with a ``why_not(path)`` function (the text format, for a CSV) found wrong with it."""
    reasons: list[str] = []
    if kind is not None:
        for spec in FORMATS.values():
            if kind not in spec.item_kinds and spec.detect(source):
                made = " and ".join(k.value for k in spec.item_kinds)
                reasons.append(
                    f"it looks like {spec.title.split(' (')[0]} (the {spec.name} format), which holds {made} items,"
                    " and this is"
                    f" {kind_with_article(kind)} project: import it into {kind_with_article(spec.item_kinds[0])}"
                    " project"
                )
                return reasons
    for spec in FORMATS.values():
        if spec.importer is None:
            continue
        why_not = getattr(importlib.import_module(f"labelhub.formats.{spec.module}"), "why_not", None)
        reason = why_not(source) if why_not is not None else None
        if reason:
            reasons.append(reason)
    return reasons
