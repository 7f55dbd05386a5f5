"""Text items: BANKING77's CSV, JSONL with labels and spans in and out, and broken rows naming their line."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.formats._support import split_records

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats.base import ExportItem, ExportOptions, ImportOptions
from labelhub.formats.text_table import TextExporter, TextImporter


def _export(dest: Path, items: list[ItemRecord], labels: list[str]) -> None:
    with TextExporter(dest, labels, ExportOptions()) as exporter:
        for item in items:
            exporter.write(ExportItem(record=item))


def test_banking77_train_csv(banking77_train: Path) -> None:
    with TextImporter(banking77_train, ImportOptions()) as importer:
        labels = importer.labels()
        assert importer.total() == 10_003
        items, problems = split_records(importer)
    assert problems == []
    assert len(items) == 10_003
    assert len(labels) == 77 and labels[0] == "card_arrival"
    assert {i.annotations[0].label for i in items} == set(labels)
    first = items[0]
    assert first.kind is ItemKind.TEXT and first.text == "I am still waiting on my card?"
    assert (first.name, first.external_id) == ("train.csv:2", None)
    assert first.annotations[0].kind is AnnotationKind.CLASS and first.annotations[0].geometry == {}
    assert first.annotations[0].origin == "train.csv: line 2"


def test_banking77_through_jsonl_and_csv(banking77_train: Path, tmp_path: Path) -> None:
    with TextImporter(banking77_train, ImportOptions()) as importer:
        labels = importer.labels()
        items, _ = split_records(importer)
    for suffix in (".jsonl", ".csv"):
        dest = tmp_path / f"out{suffix}"
        _export(dest, items, labels)
        with TextImporter(dest, ImportOptions()) as again:
            assert again.labels() == labels
            back, problems = split_records(again)
        assert problems == []
        # The exported id is the item name, so the names survive too.
        assert [(i.name, i.text, i.annotations[0].label) for i in back] == [
            (i.name, i.text, i.annotations[0].label) for i in items
        ]


def test_jsonl_round_trip_with_spans_labels_and_meta(tmp_path: Path) -> None:
    text = "Book a table at Luigi's for 7pm"
    item = ItemRecord(kind=ItemKind.TEXT, name="q1", text=text, external_id="q1", split="val", meta={"lang": "en"})
    item.annotations += [
        AnnotationRecord(AnnotationKind.CLASS, "book_restaurant"),
        AnnotationRecord(AnnotationKind.CLASS, "polite"),
        AnnotationRecord(AnnotationKind.SPAN, "restaurant", {"start": 16, "end": 23}),
        AnnotationRecord(AnnotationKind.SPAN, "time", {"start": 28, "end": 31}),
    ]
    plain = ItemRecord(kind=ItemKind.TEXT, name="q2", text="hello")
    dest = tmp_path / "out.jsonl"
    _export(dest, [item, plain], ["book_restaurant", "polite", "restaurant", "time"])
    with TextImporter(dest, ImportOptions()) as importer:
        assert importer.labels() == ["book_restaurant", "polite", "restaurant", "time"]
        (back, back_plain), problems = split_records(importer)
    assert problems == []
    assert (back.name, back.external_id, back.text, back.split, back.meta) == ("q1", "q1", text, "val", {"lang": "en"})
    assert [(a.kind, a.label, a.geometry) for a in back.annotations] == [
        (AnnotationKind.CLASS, "book_restaurant", {}),
        (AnnotationKind.CLASS, "polite", {}),
        (AnnotationKind.SPAN, "restaurant", {"start": 16, "end": 23}),
        (AnnotationKind.SPAN, "time", {"start": 28, "end": 31}),
    ]
    assert text[16:23] == "Luigi's" and text[28:31] == "7pm"
    assert (back_plain.name, back_plain.annotations) == ("q2", [])


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ('{"text": "ok", "label": 3}', "labels[0]", "non-empty string"),
        ('{"text": ""}', "text", "non-empty string"),
        ('{"text": "abc", "spans": [{"start": 1, "end": 9, "label": "x"}]}', "spans[0]", "end <= 3"),
        ('{"text": "abc", "id": [1]}', "id", "string or an integer"),
        ('{"text": "abc",}', None, "not valid JSON"),
        ("[1, 2]", None, "JSON object"),
    ],
)
def test_bad_jsonl_line_is_a_problem(tmp_path: Path, line: str, field: str | None, words: str) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "fine", "label": "a"}\n' + line + "\n")
    with TextImporter(src, ImportOptions()) as importer:
        items, problems = split_records(importer)
    assert len(items) == 1
    assert [(p.file, p.line, p.field) for p in problems] == [(str(src), 2, field)]
    assert words in problems[0].message


def test_csv_columns_ids_and_row_problems(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text('id,utterance,intent\nu1,"two\nlines",greet\nu2,  ,greet\nu3,too,many,fields\nu4,bye,\n')
    with TextImporter(src, ImportOptions()) as importer:
        items, problems = split_records(importer)
    assert [(i.name, i.text, [a.label for a in i.annotations]) for i in items] == [
        ("u1", "two\nlines", ["greet"]),
        ("u4", "bye", []),
    ]
    # Row 1 spans lines 2-3, so the next rows start on lines 4 and 5.
    assert [(p.line, p.field) for p in problems] == [(4, "utterance"), (5, None)]


def test_chosen_columns(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("body,topic,text\nhello there,greet,ignored\n")
    options = ImportOptions(extra={"text_column": "body", "label_column": "topic"})
    with TextImporter(src, options) as importer:
        items, _ = split_records(importer)
    assert (items[0].text, items[0].annotations[0].label) == ("hello there", "greet")
    with pytest.raises(FormatError, match="no column 'nope'") as err:
        list(TextImporter(src, ImportOptions(extra={"text_column": "nope"})))
    assert (err.value.context["line"], err.value.context["field"]) == (1, "nope")


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ('text,label\nfine,a\nalso fine,b\n"bad"quote,c\nlater,d\n', 4),
        # An unclosed quote runs to the end of the file; the record it opened starts on line 3.
        ('text,label\nfine,a\n"never closed,b\nlater,d\nmore,e\n', 3),
    ],
)
def test_broken_csv_quoting_names_the_line(tmp_path: Path, body: str, line: int) -> None:
    src = tmp_path / "broken.csv"
    src.write_text(body)
    with pytest.raises(FormatError, match="broken CSV quoting") as err:
        list(TextImporter(src, ImportOptions()))
    assert (err.value.context["file"], err.value.context["line"]) == (str(src), line)


def test_csv_export_refuses_spans_and_leaves_nothing(tmp_path: Path) -> None:
    fine = ItemRecord(kind=ItemKind.TEXT, name="a", text="hello")
    spanned = ItemRecord(kind=ItemKind.TEXT, name="b", text="hello")
    spanned.annotations.append(AnnotationRecord(AnnotationKind.SPAN, "x", {"start": 0, "end": 2}))
    with pytest.raises(FormatError, match=r"export to \.jsonl"):
        _export(tmp_path / "out.csv", [fine, spanned], ["x"])
    assert list(tmp_path.iterdir()) == []
