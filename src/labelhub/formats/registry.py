"""The format registry: one entry per format, with its modules imported lazily on first use."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from labelhub.domain.enums import ItemKind
from labelhub.errors import FormatError, ValidationError
from labelhub.formats.base import FormatExporter, FormatImporter


@dataclass(frozen=True, slots=True)
class FormatSpec:
    """A format: its name, what it holds, and ``module:Class`` paths of its importer and exporter.

    ``item_kinds`` are the kinds of item it holds both ways; ``export_extra`` adds kinds only its exporter
    writes (COCO writes a video frame by frame, but a COCO file imports as images).
    """

    name: str
    title: str
    item_kinds: tuple[ItemKind, ...]
    module: str
    importer: str | None = None
    exporter: str | None = None
    export_extra: tuple[ItemKind, ...] = ()

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
        ),
        FormatSpec(
            "coco_captions",
            "COCO captions JSON (import only)",
            (ItemKind.IMAGE,),
            "coco_captions",
            "CocoCaptionsImporter",
        ),
        FormatSpec(
            "yolo", "YOLO txt (boxes and segmentation)", (ItemKind.IMAGE,), "yolo", "YoloImporter", "YoloExporter"
        ),
        FormatSpec("voc", "Pascal VOC XML", (ItemKind.IMAGE,), "voc", "VocImporter", "VocExporter"),
        FormatSpec("text", "Text items (JSONL or CSV)", (ItemKind.TEXT,), "text_table", "TextImporter", "TextExporter"),
        FormatSpec(
            "label_studio",
            "Label Studio JSON export (import only)",
            (ItemKind.IMAGE, ItemKind.VIDEO, ItemKind.TEXT),
            "label_studio",
            "LabelStudioImporter",
        ),
        FormatSpec(
            "webdataset",
            "WebDataset tar shards (JSON + media per sample)",
            (ItemKind.IMAGE, ItemKind.VIDEO, ItemKind.TEXT),
            "webdataset",
            "WebDatasetImporter",
            "WebDatasetExporter",
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
        ),
        FormatSpec("mot", "MOT challenge sequences", (ItemKind.VIDEO,), "mot", "MotImporter", "MotExporter"),
        FormatSpec(
            "video", "Video files and image sequences", (ItemKind.VIDEO,), "video", "VideoImporter", "VideoExporter"
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


def formats_for(kind: ItemKind) -> list[str]:
    """The names of the formats that import items of ``kind``."""
    return sorted(name for name, spec in FORMATS.items() if spec.importer is not None and kind in spec.item_kinds)


def check_format_for(spec: FormatSpec, kind: ItemKind) -> None:
    """Raise a ValidationError saying which formats fit when ``spec`` cannot import items of ``kind``."""
    if kind not in spec.item_kinds:
        made = " and ".join(k.value for k in spec.item_kinds)
        raise ValidationError(
            f"the {spec.name} format makes {made} items and this is {kind_with_article(kind)} project;"
            f" choose one of: {', '.join(formats_for(kind))}",
            field="format",
        )


def kind_with_article(kind: ItemKind) -> str:
    """``an image``, ``a video``, ``a text``: for messages."""
    return ("an " if kind.value[0] in "aeiou" else "a ") + kind.value


def detect_format(source: Path, kind: ItemKind | None = None) -> FormatSpec:
    """Return the first format whose ``detect`` accepts ``source``, or raise naming what was tried.

    With ``kind`` (the project's), only formats that import that kind are tried, and in a video project a folder
    of images is an image sequence (the ``video`` format), not an ``image_folder`` of stills.
    """
    if not source.exists():
        raise FormatError(f"{source} does not exist", file=str(source))
    for spec in FORMATS.values():
        if (kind is None or kind in spec.item_kinds) and spec.detect(source):
            return spec
    if kind is ItemKind.VIDEO and FORMATS["image_folder"].detect(source):
        return FORMATS["video"]
    names = formats_for(kind) if kind is not None else sorted(FORMATS)
    raise FormatError(
        f"could not tell the format of {source.name}; choose it (the import dialog's format, or --format):"
        f" one of {', '.join(names)}",
        file=str(source),
    )
