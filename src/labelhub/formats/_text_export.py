"""The text exporter: JSONL (labels and spans) or CSV (one row per item), chosen by the file suffix.

Tags (class annotations) and, in JSONL, spans are written; the tally counts any other kind as left out (so
a CSV export of a project with spans writes each item's class labels and counts its spans in the report).
A CSV row holds an item's labels in its label column joined by :data:`LABEL_SEPARATOR` (``a|b`` for a
multi-label item), which the text importer splits again.

The CSV cells are written exactly as stored, so a file imports back unchanged. A spreadsheet runs a cell that
starts with ``=``, ``+``, ``-`` or ``@`` as a formula (CSV injection); the option ``csv_safe=true`` prefixes such
cells (and ones starting with a tab or a carriage return) with ``'``, as OWASP advises, for a file meant for
Excel or LibreOffice; the prefix then stays in the data when that file is imported again.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson

from labelhub.domain.enums import AnnotationKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats._common import AtomicFile
from labelhub.formats._export_base import FileExporter
from labelhub.formats.base import ExportItem, ExportOptions

#: Joins the labels of a multi-label item in a CSV label column; the importer splits on it.
LABEL_SEPARATOR = "|"
#: The first characters that make a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_TRUE, _FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})
# The JSONL keys this exporter writes itself, and the import service's copy of the id kept in ``meta``.
_OWN_KEYS = frozenset({"id", "text", "label", "labels", "spans", "split", "external_id"})


def _is_tag(ann: AnnotationRecord) -> bool:
    return ann.kind is AnnotationKind.CLASS and ann.label is not None


def _flag(extra: dict[str, Any], key: str) -> bool:
    """The on/off option ``key``: true/false, 1/0 or yes/no (any case), or a JSON boolean; default off."""
    value = extra.get(key, False)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise FormatError(f"option {key} must be true or false, got {value!r}", field=key)


def spreadsheet_safe(cell: str) -> str:
    """Return ``cell`` with a ``'`` in front when a spreadsheet would run it as a formula, else ``cell``."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


class TextExporter(FileExporter):
    """Writes text items to ``dest``: ``.jsonl`` keeps every label and span, ``.csv`` an item's labels per row.

    The ``id`` written is the item's external id, or its name when it has none, so importing the file
    again gives the same item names.
    """

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        suffix = dest.suffix.lower()
        if suffix not in (".jsonl", ".ndjson", ".csv"):
            raise FormatError(f"a text export goes to a .jsonl or .csv file, not {dest.name}", file=str(dest))
        self._is_csv = suffix == ".csv"
        self._csv_safe = _flag(options.extra, "csv_safe")  # read for JSONL too, so a bad value is refused anyway
        self._csv: Any = None  # csv.writer's type is private to typeshed

    def _create(self) -> AtomicFile:
        """Create the file under a temporary name: binary JSONL, or a text CSV with its header row."""
        if not self._is_csv:
            return super()._create()
        out = AtomicFile(self.dest, newline="")
        self._csv = csv.writer(out.handle)
        text_col = self.options.extra.get("text_column", "text")
        label_col = self.options.extra.get("label_column", "label")
        self._row(["id", text_col, label_col])
        return out

    def _row(self, cells: list[str]) -> None:
        self._csv.writerow([spreadsheet_safe(c) for c in cells] if self._csv_safe else cells)

    def write(self, item: ExportItem) -> None:
        """Write one line or row for the item."""
        out = self._opened("write")
        rec = item.record
        if rec.text is None:
            raise FormatError(f"item {rec.name!r} has no text to export", item=rec.name)
        labels = [a.label for a in rec.annotations if _is_tag(a) and a.label is not None]
        spans = [a for a in rec.annotations if a.kind is AnnotationKind.SPAN]
        item_id = rec.external_id if rec.external_id is not None else rec.name
        if self._is_csv:
            self._write_row(rec, item_id, rec.text, labels)
            self.tally.count(rec.annotations, _is_tag)
            return
        self.tally.count(rec.annotations, lambda a: _is_tag(a) or a.kind is AnnotationKind.SPAN)
        obj: dict[str, Any] = {k: v for k, v in rec.meta.items() if k not in _OWN_KEYS}
        obj.update(id=item_id, text=rec.text)
        if len(labels) == 1:
            obj["label"] = labels[0]
        elif labels:
            obj["labels"] = labels
        if spans:
            obj["spans"] = [{"start": s.geometry["start"], "end": s.geometry["end"], "label": s.label} for s in spans]
        if rec.split is not None:
            obj["split"] = rec.split
        out.handle.write(orjson.dumps(obj) + b"\n")

    def _write_row(self, rec: ItemRecord, item_id: str, text: str, labels: list[str]) -> None:
        """Write the item's row, its labels joined by ``|``; a label holding ``|`` would not read back."""
        for label in labels:
            if LABEL_SEPARATOR in label:
                raise FormatError(
                    f"label {label!r} of item {rec.name!r} holds {LABEL_SEPARATOR!r}, which a CSV label column uses"
                    " to separate an item's labels; export to .jsonl",
                    item=rec.name,
                    label=label,
                )
        self._row([item_id, text, LABEL_SEPARATOR.join(labels)])
