"""Import and export formats: one module per format, looked up through :mod:`labelhub.formats.registry`."""

from labelhub.formats._layout import annotation_files, dataset_root
from labelhub.formats.base import (
    ExportItem,
    ExportOptions,
    ExportTally,
    FormatExporter,
    FormatImporter,
    ImportOptions,
)
from labelhub.formats.registry import (
    FORMATS,
    FormatSpec,
    check_format_for,
    check_options,
    detect_format,
    formats_for,
    get_format,
    kind_with_article,
    known_options,
)

__all__ = [
    "FORMATS",
    "ExportItem",
    "ExportOptions",
    "ExportTally",
    "FormatExporter",
    "FormatImporter",
    "FormatSpec",
    "ImportOptions",
    "annotation_files",
    "check_format_for",
    "check_options",
    "dataset_root",
    "detect_format",
    "formats_for",
    "get_format",
    "kind_with_article",
    "known_options",
]
