"""Import and export formats: one module per format, looked up through :mod:`labelhub.formats.registry`."""

from labelhub.formats.base import (
    ExportItem,
    ExportOptions,
    ExportTally,
    FormatExporter,
    FormatImporter,
    ImportOptions,
)
from labelhub.formats.registry import FORMATS, FormatSpec, detect_format, get_format

__all__ = [
    "FORMATS",
    "ExportItem",
    "ExportOptions",
    "ExportTally",
    "FormatExporter",
    "FormatImporter",
    "FormatSpec",
    "ImportOptions",
    "detect_format",
    "get_format",
]
