"""Text items: BANKING77's CSV, JSONL with labels and spans in and out, and broken rows naming their line."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from tests.builders import new_project
from tests.conftest import data_path
from tests.formats._support import split_records

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats.base import ExportItem, ExportOptions, ImportOptions
from labelhub.formats.text_table import TextExporter, TextImporter
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source
from labelhub.storage.models import Annotation, Item


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


def test_csv_export_writes_the_labels_and_counts_the_spans_left_out(tmp_path: Path) -> None:
    fine = ItemRecord(kind=ItemKind.TEXT, name="a", text="hello")
    spanned = ItemRecord(kind=ItemKind.TEXT, name="b", text="hello")
    spanned.annotations.append(AnnotationRecord(AnnotationKind.CLASS, "greet", {}))
    spanned.annotations.append(AnnotationRecord(AnnotationKind.SPAN, "x", {"start": 0, "end": 2}))
    spanned.annotations.append(AnnotationRecord(AnnotationKind.SPAN, "x", {"start": 2, "end": 4}))
    dest = tmp_path / "out.csv"
    with TextExporter(dest, ["greet", "x"], ExportOptions()) as exporter:
        for item in (fine, spanned):
            exporter.write(ExportItem(record=item))
    assert (exporter.tally.annotations, exporter.tally.skipped) == (1, {"span": 2})
    with dest.open(newline="", encoding="utf-8") as fh:
        assert list(csv.reader(fh)) == [["id", "text", "label"], ["a", "hello", ""], ["b", "hello", "greet"]]


# --- real data through a project: import, export, import again ------------------------------------------

SYSTEM = Actor.system()


def _snips_jsonl(root: Path, dest: Path) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Write SNIPS (its own JSON: text pieces, some with an ``entity``) as our JSONL.

    Return the rows written and, by id, the text of each entity piece as SNIPS has it.
    """
    rows: list[dict[str, Any]] = []
    covered: dict[str, list[str]] = {}
    for path in sorted(root.glob("*/*.json")):
        ((intent, queries),) = orjson.loads(path.read_bytes()).items()
        split = path.name.split("_", 1)[0]  # train_<Intent>.json, validate_<Intent>.json
        for n, query in enumerate(queries):
            text, spans, item_id = "", [], f"{intent}/{split}/{n}"
            for piece in query["data"]:
                if "entity" in piece:
                    spans.append({"start": len(text), "end": len(text) + len(piece["text"]), "label": piece["entity"]})
                text += piece["text"]
            covered[item_id] = [p["text"] for p in query["data"] if "entity" in p]
            rows.append({"id": item_id, "text": text, "label": intent, "spans": spans, "split": split})
    dest.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return rows, covered


Stored = dict[str, tuple[str | None, str | None, list[str], list[tuple[int, int, str]]]]


def _project_items(hub: Hub, pid: int) -> Stored:
    """Return each item of a project by name: text, split, class labels and spans (start, end, label)."""
    out: Stored = {}
    with hub.db.session() as s:
        ids = {}
        items = select(Item.id, Item.name, Item.text, Item.split).where(Item.project_id == pid)
        for iid, name, text, split in s.execute(items):
            ids[iid] = name
            out[name] = (text, split, [], [])
        rows = s.execute(
            select(Annotation.item_id, Annotation.kind, Annotation.label, Annotation.geometry)
            .where(Annotation.project_id == pid)
            .order_by(Annotation.id)
        )
        for iid, kind, label, geom in rows:
            _, _, classes, spans = out[ids[iid]]
            if kind == AnnotationKind.SPAN.value:
                spans.append((geom["start"], geom["end"], label))
            else:
                classes.append(label)
    return out


def test_snips_spans_survive_a_project_round_trip(hub: Hub, tmp_path: Path) -> None:
    rows, covered = _snips_jsonl(data_path("text_snips_nlu_benchmark_2017"), tmp_path / "snips.jsonl")
    n_spans = sum(len(r["spans"]) for r in rows)
    assert (len(rows), n_spans) == (2800, 7212)
    first = new_project(hub, "snips", ItemKind.TEXT)
    report = import_source(hub, SYSTEM, first, tmp_path / "snips.jsonl", fmt="auto")
    assert (report.format, report.items_added, report.annotations_added) == ("text", 2800, 2800 + n_spans)
    labels = report.labels
    assert len(labels) == 7 + len({s["label"] for r in rows for s in r["spans"]})
    out = tmp_path / "out.jsonl"
    assert export_project(hub, SYSTEM, first, out, fmt="text").annotations == 2800 + n_spans
    second = new_project(hub, "snips-again", ItemKind.TEXT)
    again = import_source(hub, SYSTEM, second, out, fmt="text")
    assert (again.items_added, again.annotations_added) == (2800, 2800 + n_spans)
    assert again.labels == labels
    got = _project_items(hub, second)
    want = {
        r["id"]: (r["text"], r["split"], [r["label"]], [(s["start"], s["end"], s["label"]) for s in r["spans"]])
        for r in rows
    }
    assert got == want
    # Each span still covers the words SNIPS marked.
    assert {name: [text[a:b] for a, b, _ in spans] for name, (text, _, _, spans) in got.items()} == covered


def test_banking77_csv_survives_a_project_round_trip(hub: Hub, banking77_train: Path, tmp_path: Path) -> None:
    # Items are named file:line by the line each record starts on; some texts hold line breaks.
    original: dict[str, tuple[str, str]] = {}
    with banking77_train.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        assert next(reader) == ["text", "category"]
        start = reader.line_num + 1
        for text, category in reader:
            original[f"train.csv:{start}"] = (text, category)
            start = reader.line_num + 1
    assert len(original) == 10_003 and len({c for _, c in original.values()}) == 77
    first = new_project(hub, "banking77", ItemKind.TEXT)
    import_source(hub, SYSTEM, first, banking77_train, fmt="text")
    out = tmp_path / "out.csv"
    assert export_project(hub, SYSTEM, first, out, fmt="text").items == 10_003
    second = new_project(hub, "banking77-again", ItemKind.TEXT)
    report = import_source(hub, SYSTEM, second, out, fmt="text")
    assert (report.items_added, report.annotations_added, len(report.labels)) == (10_003, 10_003, 77)
    got = _project_items(hub, second)
    # The names survive through the export's id column.
    assert {name: (text, classes) for name, (text, _, classes, _) in got.items()} == {
        name: (text, [label]) for name, (text, label) in original.items()
    }


def test_unterminated_quote_refuses_the_import(hub: Hub, tmp_path: Path) -> None:
    src = tmp_path / "broken.csv"
    src.write_text('text,label\nfine,a\n"runs to the end,b\nlater,c\n')
    pid = new_project(hub, "broken", ItemKind.TEXT)
    with pytest.raises(FormatError, match="broken CSV quoting") as err:
        import_source(hub, SYSTEM, pid, src, fmt="text")
    assert (err.value.context["file"], err.value.context["line"]) == (str(src), 3)
    assert "broken.csv" in str(err.value) and "line 3" in str(err.value)
    with hub.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Item).where(Item.project_id == pid)) == 0


def test_multi_label_items_go_through_csv_with_the_labels_joined(hub: Hub, tmp_path: Path) -> None:
    src = tmp_path / "tickets.csv"
    src.write_text("id,text,label\nt1,card lost abroad,card|urgent\nt2,how do I top up,top_up\nt3,hello, \n")
    first = new_project(hub, "tickets", ItemKind.TEXT)
    report = import_source(hub, SYSTEM, first, src, fmt="text")
    assert (report.items_added, report.annotations_added, report.labels) == (3, 3, ["card", "urgent", "top_up"])
    want = {"t1": ["card", "urgent"], "t2": ["top_up"], "t3": []}
    assert {name: classes for name, (_, _, classes, _) in _project_items(hub, first).items()} == want
    out = tmp_path / "out.csv"
    assert export_project(hub, SYSTEM, first, out, fmt="text").annotations == 3
    with out.open(newline="", encoding="utf-8") as fh:
        assert sorted(list(csv.reader(fh))[1:]) == [
            ["t1", "card lost abroad", "card|urgent"],
            ["t2", "how do I top up", "top_up"],
            ["t3", "hello", ""],
        ]
    second = new_project(hub, "tickets-again", ItemKind.TEXT)
    import_source(hub, SYSTEM, second, out, fmt="text")
    assert {name: classes for name, (_, _, classes, _) in _project_items(hub, second).items()} == want


def test_a_label_holding_the_separator_is_refused_by_a_csv_export(tmp_path: Path) -> None:
    item = ItemRecord(kind=ItemKind.TEXT, name="a", text="hello")
    item.annotations.append(AnnotationRecord(AnnotationKind.CLASS, "yes|no", {}))
    with pytest.raises(FormatError, match=r"holds '\|'.*export to .jsonl") as err:
        _export(tmp_path / "out.csv", [item], ["yes|no"])
    assert (err.value.context["item"], err.value.context["label"]) == ("a", "yes|no")
    assert not (tmp_path / "out.csv").exists()


# --- CSV injection: exact cells by default, csv_safe=true for a spreadsheet -----------------------------------

RISKY = ["=1+1", "+33 6 12", "-5 degrees", "@SUM(A1)", "\tTAB", "plain"]


@pytest.mark.parametrize(
    ("extra", "texts"),
    [
        ({}, RISKY),
        ({"csv_safe": "false"}, RISKY),
        ({"csv_safe": "true"}, ["'=1+1", "'+33 6 12", "'-5 degrees", "'@SUM(A1)", "'\tTAB", "plain"]),
        ({"csv_safe": True}, ["'=1+1", "'+33 6 12", "'-5 degrees", "'@SUM(A1)", "'\tTAB", "plain"]),
    ],
)
def test_csv_cells_a_spreadsheet_would_run_are_prefixed_only_with_csv_safe(
    tmp_path: Path, extra: dict[str, Any], texts: list[str]
) -> None:
    items = [ItemRecord(kind=ItemKind.TEXT, name=f"i{n}", text=t) for n, t in enumerate(RISKY)]
    items[0].annotations.append(AnnotationRecord(AnnotationKind.CLASS, "=cmd", {}))
    dest = tmp_path / "out.csv"
    with TextExporter(dest, ["=cmd"], ExportOptions(extra=extra)) as exporter:
        for item in items:
            exporter.write(ExportItem(record=item))
    with dest.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert [r[1] for r in rows[1:]] == texts
    assert rows[1][2] == ("'=cmd" if texts[0].startswith("'") else "=cmd")


def test_csv_safe_must_be_true_or_false(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="option csv_safe must be true or false, got 'maybe'") as err:
        TextExporter(tmp_path / "out.csv", [], ExportOptions(extra={"csv_safe": "maybe"}))
    assert err.value.context["field"] == "csv_safe"
