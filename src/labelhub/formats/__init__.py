"""Import and export formats: one module per format, looked up through :mod:`labelhub.formats.registry`."""

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
    detect_format,
    formats_for,
    get_format,
    kind_with_article,
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
    "check_format_for",
    "detect_format",
    "formats_for",
    "get_format",
    "kind_with_article",
]
