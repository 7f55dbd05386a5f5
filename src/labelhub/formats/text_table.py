"""Text items from JSONL or CSV: one item per line (JSONL) or row (CSV), with class labels and spans.

JSONL objects carry ``text``, optional ``id``, ``label`` (a string) or ``labels`` (a list), ``spans`` as
``[{"start", "end", "label"}]`` character offsets ``[start, end)`` (the internal convention, so nothing is
converted), and optional ``split``; any other keys are kept in the item's ``meta``. A CSV has a header row
naming a text column, optionally a label column and an ``id`` column; the options ``text_column`` and
``label_column`` (``-o text_column=NAME``) choose them, and ``delimiter`` (one character, or ``tab``) reads a file
separated by something else than commas. A CSV label cell holds one label, or several joined by ``|``
(``billing|urgent``, a multi-label item, as the exporter writes it); CSV holds no spans.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._encoding import bad_byte_in_file, first_bad_byte, not_utf8
from labelhub.formats._guards import storable
from labelhub.formats._mismatch import not_this_format
from labelhub.formats._text_export import LABEL_SEPARATOR, TextExporter
from labelhub.formats.base import FormatImporter, ImportOptions

__all__ = ["TextExporter", "TextImporter", "detect", "why_not"]

_SUFFIXES = (".jsonl", ".ndjson", ".csv")
_TEXT_COLUMNS = ("text", "sentence", "utterance")
_LABEL_COLUMNS = ("label", "category", "intent", "class")
_JSONL_KEYS = frozenset({"id", "text", "label", "labels", "spans", "split"})


def detect(path: Path) -> bool:
    """Return True for a JSONL file, or a CSV file whose header has a text column."""
    if not path.is_file() or path.suffix.lower() not in _SUFFIXES:
        return False
    if path.suffix.lower() != ".csv":
        return True
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh, strict=True), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return any(h.strip().lower() in _TEXT_COLUMNS for h in header)


def why_not(path: Path) -> str | None:
    """Say why a .csv file is not read as text (for "could not tell the format"), or None when it is not a CSV."""
    if not path.is_file() or path.suffix.lower() != ".csv":
        return None
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh, strict=True), None)
    except UnicodeDecodeError:
        bad = bad_byte_in_file(path)
        return f"{path.name} is not valid UTF-8" + (f" ({bad.describe()})" if bad else "")
    except (OSError, csv.Error) as exc:
        return f"{path.name} cannot be read as CSV: {exc}"
    if header is None:
        return f"{path.name} is empty; a text CSV needs a header row"
    if any(h.strip().lower() in _TEXT_COLUMNS for h in header):
        return None
    return (
        f"{path.name} has no text column ({', '.join(_TEXT_COLUMNS)}) in its header {header}: name one with the"
        f" text format's option text_column (-o text_column=NAME){_separator_hint(header, ',')}"
    )


def _pick(header: list[str], wanted: str | None, defaults: tuple[str, ...], file: str) -> int | None:
    """Return the index of the column ``wanted`` names, or of the first default present."""
    lowered = [h.strip().lower() for h in header]
    if wanted is not None:
        if wanted not in header:
            raise FormatError(f"no column {wanted!r}; the header has {header}", file=file, line=1, field=wanted)
        return header.index(wanted)
    for name in defaults:
        if name in lowered:
            return lowered.index(name)
    return None


def _delimiter(value: Any, file: str) -> str:
    """The CSV separator the ``delimiter`` option names: one character, or ``tab`` (default ``,``)."""
    if value is None:
        return ","
    text = "\t" if str(value).lower() in ("tab", "\\t", "\t") else str(value)
    if len(text) != 1 or text in ('"', "\n", "\r"):
        raise FormatError(
            f"option delimiter must be one character or 'tab', got {value!r}", file=file, field="delimiter"
        )
    return text


def _separator_hint(header: list[str], delimiter: str) -> str:
    """Say which separator a header of one column seems to use (``text;category``)."""
    if len(header) != 1:
        return ""
    for sep, shown in ((";", "';'"), ("\t", "tabs"), ("|", "'|'")):
        if sep != delimiter and sep in header[0]:
            option = "tab" if sep == "\t" else sep
            return f"; the file looks separated by {shown}, not {delimiter!r}: add -o delimiter={option}"
    return ""


class TextImporter(FormatImporter):
    """Reads a .jsonl or .csv file of text items; labels become class annotations, spans span annotations."""

    item_kind = ItemKind.TEXT

    def __init__(self, source: Path, options: ImportOptions) -> None:
        super().__init__(source, options)
        if source.suffix.lower() not in _SUFFIXES:
            raise not_this_format(source, "text", f"{source.name} is not a .jsonl or .csv file")
        if not source.is_file():
            raise FormatError(f"{source} does not exist", file=str(source))
        self._file = str(source)
        self._is_csv = source.suffix.lower() == ".csv"
        self._labels: list[str] | None = None
        self._count: int | None = None

    def labels(self) -> list[str]:
        """Return the labels in order of first appearance (class labels and span labels), reading the file."""
        if self._labels is None:
            seen: dict[str, None] = {}
            count = 0
            for rec in self:
                if isinstance(rec, ItemRecord):
                    count += 1
                    seen.update((a.label, None) for a in rec.annotations if a.label is not None)
            self._labels, self._count = list(seen), count
        return list(self._labels)

    def total(self) -> int | None:
        """Return the number of items once :meth:`labels` has read the file, else None."""
        return self._count

    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield one item per line or row, or a Problem naming the line."""
        return storable(self._iter_csv() if self._is_csv else self._iter_jsonl(), self.source)

    def _problem(self, message: str, line: int, field: str | None = None) -> Problem:
        return Problem(message, file=self._file, line=line, field=field)

    def _iter_jsonl(self) -> Iterator[ItemRecord | Problem]:
        with self.source.open("rb") as fh:
            for n, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    obj = orjson.loads(raw)
                except orjson.JSONDecodeError as exc:
                    bad = first_bad_byte(raw, n) if "UTF-8" in exc.msg else None
                    what = f"not valid UTF-8: byte 0x{bad.byte:02x} at column {bad.column}" if bad else None
                    yield self._problem(what or f"not valid JSON: {exc.msg} (column {exc.colno})", n)
                    continue
                if not isinstance(obj, dict):
                    yield self._problem("each line must be a JSON object", n)
                    continue
                yield self._from_object(obj, n)

    def _from_object(self, obj: dict[str, Any], n: int) -> ItemRecord | Problem:
        text, raw_id, split = obj.get("text"), obj.get("id"), obj.get("split")
        if not isinstance(text, str) or not text.strip():
            return self._problem("text must be a non-empty string", n, "text")
        if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, str | int)):
            return self._problem(f"id must be a string or an integer, got {raw_id!r}", n, "id")
        if split is not None and not isinstance(split, str):
            return self._problem(f"split must be a string, got {split!r}", n, "split")
        labels: list[Any] = []
        if obj.get("label") not in (None, ""):  # an empty label means unlabelled, as in a CSV
            labels.append(obj["label"])
        raw_labels = obj.get("labels")
        if raw_labels is not None:
            if not isinstance(raw_labels, list):
                return self._problem("labels must be a list of strings", n, "labels")
            labels.extend(raw_labels)
        for i, label in enumerate(labels):
            if not isinstance(label, str) or not label:
                return self._problem(f"a label must be a non-empty string, got {label!r}", n, f"labels[{i}]")
        origin = f"{self.source.name}: line {n}"
        anns = [AnnotationRecord(kind=AnnotationKind.CLASS, label=lb, origin=origin) for lb in labels]
        spans = obj.get("spans") or []
        if not isinstance(spans, list):
            return self._problem("spans must be a list of {start, end, label}", n, "spans")
        for i, span in enumerate(spans):
            rec = self._span(span, len(text), n, f"spans[{i}]", origin)
            if isinstance(rec, Problem):
                return rec
            anns.append(rec)
        item_id = str(raw_id) if raw_id is not None else None
        return ItemRecord(
            kind=ItemKind.TEXT,
            name=item_id or f"{self.source.name}:{n}",
            text=text,
            external_id=item_id,
            split=split,
            meta={k: v for k, v in obj.items() if k not in _JSONL_KEYS},
            annotations=anns,
            origin=origin,
        )

    def _span(self, span: Any, length: int, n: int, where: str, origin: str) -> AnnotationRecord | Problem:
        if not isinstance(span, dict):
            return self._problem("a span must be an object {start, end, label}", n, where)
        start, end, label = span.get("start"), span.get("end"), span.get("label")
        if type(start) is not int or type(end) is not int or not 0 <= start < end <= length:
            msg = f"span offsets must be integers with 0 <= start < end <= {length}, got {start!r}, {end!r}"
            return self._problem(msg, n, where)
        if label is not None and (not isinstance(label, str) or not label):
            return self._problem(f"span label must be a non-empty string, got {label!r}", n, f"{where}.label")
        return AnnotationRecord(
            kind=AnnotationKind.SPAN, label=label, geometry={"start": start, "end": end}, origin=origin
        )

    def _iter_csv(self) -> Iterator[ItemRecord | Problem]:
        try:
            fh = self.source.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise FormatError(f"cannot read {self.source.name}: {exc}", file=self._file) from None
        delimiter = _delimiter(self.options.extra.get("delimiter"), self._file)
        with fh:
            reader = csv.reader(fh, strict=True, delimiter=delimiter)
            start = 1
            try:
                header = next(reader, None)
                if header is None:
                    raise FormatError(f"{self.source.name} is empty; expected a header row", file=self._file)
                ti = _pick(header, self.options.extra.get("text_column"), _TEXT_COLUMNS, self._file)
                if ti is None:
                    raise FormatError(
                        f"no text column in the header {header}; name one with the option text_column "
                        f"(-o text_column=NAME; API: options){_separator_hint(header, delimiter)}",
                        file=self._file,
                        line=1,
                    )
                li = _pick(header, self.options.extra.get("label_column"), _LABEL_COLUMNS, self._file)
                ii = _pick(header, None, ("id",), self._file)
                text_col = header[ti]
                start = reader.line_num + 1
                for row in reader:
                    n, start = start, reader.line_num + 1
                    if row:
                        yield self._from_row(row, n, len(header), ti, li, ii, text_col)
            except csv.Error as exc:
                # A broken quote swallows the lines after it, so the record's first line is the one to fix.
                what = "a CSV field too large" if "field larger" in str(exc) else "broken CSV quoting"
                raise FormatError(
                    f"{what} in the record starting at line {start}: {exc}", file=self._file, line=start
                ) from None
            except UnicodeDecodeError as exc:
                bad = bad_byte_in_file(self.source)
                if bad is not None:
                    raise not_utf8(self.source.name, bad, self._file) from None
                raise FormatError(f"{self.source.name} is not UTF-8: {exc}", file=self._file) from None

    def _from_row(
        self, row: list[str], n: int, width: int, ti: int, li: int | None, ii: int | None, text_col: str
    ) -> ItemRecord | Problem:
        if len(row) != width:
            return self._problem(f"expected {width} fields like the header, got {len(row)}", n)
        text = row[ti]
        if not text.strip():
            return self._problem("empty text", n, text_col)
        origin = f"{self.source.name}: line {n}"
        cell = row[li] if li is not None else ""
        # Several labels (a multi-label item) are joined by "|"; empty pieces ("a||b", a trailing "|") are dropped.
        labels = dict.fromkeys(p.strip() for p in cell.split(LABEL_SEPARATOR) if p.strip())
        anns = [AnnotationRecord(kind=AnnotationKind.CLASS, label=label, origin=origin) for label in labels]
        item_id = row[ii].strip() if ii is not None and row[ii].strip() else None
        return ItemRecord(
            kind=ItemKind.TEXT,
            name=item_id or f"{self.source.name}:{n}",
            text=text,
            external_id=item_id,
            annotations=anns,
            origin=origin,
        )
