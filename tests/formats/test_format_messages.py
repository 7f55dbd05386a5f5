"""Messages that say what is wrong: why detection failed, where a file stops being UTF-8, what a source looks like."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.builders import new_project
from tests.conftest import data_path
from tests.formats._coco_support import ann_entry, image_entry, write_coco
from tests.formats._support import split_records

from labelhub.domain.enums import ItemKind
from labelhub.errors import FormatError, LabelhubError
from labelhub.formats import check_format_for, detect_format, get_format
from labelhub.formats._encoding import bad_byte_in_file
from labelhub.formats.base import ImportOptions
from labelhub.formats.coco import CocoImporter
from labelhub.formats.label_studio import LabelStudioImporter
from labelhub.formats.text_table import TextImporter
from labelhub.formats.voc import VocImporter
from labelhub.formats.yolo import YoloImporter
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source

LATIN = "caf\u00e9".encode("latin-1")  # 0xe9 where UTF-8 wants a multi-byte sequence


# --- (#10) could not tell the format: say why ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"text,label\nfine,a\n" + LATIN + b",b\n", ["not valid UTF-8", "0xe9", "line 3, column 4"]),
        (b"", ["empty", "header row"]),
        (b"sentence_x,cat\nhello,a\n", ["no text column", "sentence_x", "text_column"]),
        (b"text;category\nhello;a\n", ["no text column", "delimiter=;"]),
    ],
)
def test_an_undetected_csv_says_what_the_text_format_found(tmp_path: Path, body: bytes, words: list[str]) -> None:
    src = tmp_path / "rows.csv"
    src.write_bytes(body)
    for kind in (None, ItemKind.TEXT):
        with pytest.raises(FormatError, match=r"could not tell the format of rows\.csv") as err:
            detect_format(src, kind)
        for word in words:
            assert word in err.value.detail, (word, err.value.detail)


def test_a_text_csv_in_an_image_project_is_called_a_text_table(tmp_path: Path) -> None:
    src = tmp_path / "test.csv"
    src.write_text("text,category\nhello,greet\n")
    with pytest.raises(FormatError) as err:
        detect_format(src, ItemKind.IMAGE)
    detail = err.value.detail
    assert "test.csv" in detail and "text" in detail and "an image project" in detail, detail
    assert "text items" in detail


def test_a_volume_project_detects_nifti_and_is_told_which_formats_fit() -> None:
    """The MSD folder is NIfTI; a format of another kind names the formats a volume project takes."""
    src = data_path("medical_msd_hippocampus_subset40")
    assert detect_format(src, ItemKind.VOLUME).name == "nifti"
    with pytest.raises(LabelhubError, match=r"a volume project; choose one of: .*nifti"):
        check_format_for(get_format("coco"), ItemKind.VOLUME)


# --- (#11, #12) encoding errors name the line, column and byte; problems carry their line ----------------------


def test_a_latin1_coco_file_names_the_bad_byte(tmp_path: Path) -> None:
    src = tmp_path / "latin1.json"
    src.write_bytes(b'{"images": [],\n  "info": {"description": "' + LATIN + b'"}, "annotations": []}')
    with pytest.raises(FormatError) as err:
        CocoImporter(src, ImportOptions()).labels()
    assert err.value.detail == "latin1.json is not valid UTF-8: byte 0xe9 at line 2, column 31 (save the file as UTF-8)"
    assert (err.value.context["line"], err.value.context["column"]) == (2, 31)
    assert "surrogates" not in err.value.detail


def test_a_latin1_label_studio_file_names_the_bad_byte(tmp_path: Path) -> None:
    src = tmp_path / "ls.json"
    src.write_bytes(b'[\n {"id": 1, "data": {"text": "' + LATIN + b'"}, "annotations": []}\n]')
    with pytest.raises(FormatError, match=r"not valid UTF-8: byte 0xe9 at line 2, column 33") as err:
        _read_all(LabelStudioImporter(src, ImportOptions()))
    assert err.value.context["line"] == 2


def test_a_latin1_csv_names_the_line_and_byte(tmp_path: Path) -> None:
    src = tmp_path / "latin.csv"
    src.write_bytes(b"text,label\nfine,a\n" + LATIN + b",b\n")
    with pytest.raises(FormatError, match=r"latin.csv is not valid UTF-8: byte 0xe9 at line 3, column 4") as err:
        _read_all(TextImporter(src, ImportOptions()))
    assert err.value.context["line"] == 3


def test_a_latin1_jsonl_line_is_a_problem_naming_the_byte(tmp_path: Path) -> None:
    src = tmp_path / "rows.jsonl"
    src.write_bytes(b'{"text": "fine"}\n{"text": "' + LATIN + b'"}\n')
    _, problems = split_records(TextImporter(src, ImportOptions()))
    assert [(p.line, p.message) for p in problems] == [(2, "not valid UTF-8: byte 0xe9 at column 14")]


def test_a_latin1_yolo_label_file_is_a_problem_with_its_line(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    make_image(tmp_path / "images" / "a.png")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "a.txt").write_bytes(b"0 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.2 0.2 # " + LATIN + b"\n")
    (tmp_path / "classes.txt").write_text("cat\n")
    _, problems = split_records(YoloImporter(tmp_path, ImportOptions()))
    assert [(p.line, p.message) for p in problems] == [
        (2, "cannot read the label file: it is not valid UTF-8 (byte 0xe9 at line 2, column 24)")
    ]


def test_ragged_csv_rows_and_yolo_lines_carry_their_line(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    src = tmp_path / "ragged.csv"
    src.write_text("text,category\nonly text\nhello,greet,extra\n")
    _, problems = split_records(TextImporter(src, ImportOptions()))
    assert [p.line for p in problems] == [2, 3]
    make_image(tmp_path / "y" / "images" / "a.png")
    (tmp_path / "y" / "labels").mkdir()
    (tmp_path / "y" / "labels" / "a.txt").write_text("0 0.5 0.5 0.1 0.1\n\n0 320 0.5 0.1 0.1\n")
    (tmp_path / "y" / "classes.txt").write_text("cat\n")
    _, problems = split_records(YoloImporter(tmp_path / "y", ImportOptions()))
    assert [p.line for p in problems] == [3]


def test_the_bad_byte_is_found_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from labelhub.formats import _encoding

    monkeypatch.setattr(_encoding, "_CHUNK", 7)
    src = tmp_path / "f.txt"
    src.write_bytes("ab\u00e9\u00e9\ncd\u00e9x\n\u00e9\u00e9\u00e9".encode() + b"\xff")
    bad = bad_byte_in_file(src)
    assert bad is not None and (bad.byte, bad.line, bad.column) == (0xFF, 3, 4)
    src.write_bytes("\u00e9\u00e9\u00e9\u00e9\n".encode())
    assert bad_byte_in_file(src) is None


# --- (#17) a chosen format that does not fit says what the source looks like -----------------------------------


def _coco_upload(root: Path, make_image: Callable[..., Path]) -> Path:
    """A COCO dataset as an unpacked upload: ``<hex>/ok.zip/annotations/instances.json`` and its image."""
    folder = root / "0a1b2c" / "ok.zip"
    make_image(folder / "images" / "1.png")
    write_coco(folder / "annotations" / "instances.json", [image_entry(1)], [ann_entry(1, 1)])
    return folder


def test_a_coco_upload_chosen_as_yolo_says_it_looks_like_coco(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    folder = _coco_upload(tmp_path, make_image)
    with pytest.raises(FormatError) as err:
        YoloImporter(folder, ImportOptions())
    detail = err.value.detail
    assert detail.startswith(f"{folder} is not a YOLO dataset"), detail
    assert "it looks like COCO detection JSON (annotations/instances.json): choose coco or auto" in detail, detail


def test_other_chosen_formats_say_what_the_source_looks_like(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    folder = _coco_upload(tmp_path, make_image)
    with pytest.raises(FormatError, match="choose coco or auto"):
        VocImporter(folder / "annotations" / "instances.json", ImportOptions())
    with pytest.raises(FormatError, match="choose coco or auto"):
        TextImporter(folder / "annotations" / "instances.json", ImportOptions())
    csv = tmp_path / "t.csv"
    csv.write_text("text,label\nhi,a\n")
    with pytest.raises(FormatError, match=r"it looks like Text items .*: choose text or auto"):
        CocoImporter(csv, ImportOptions()).labels()


def test_the_import_names_the_upload_as_the_user_knows_it(
    hub: Hub, tmp_path: Path, make_image: Callable[..., Path]
) -> None:
    folder = _coco_upload(tmp_path, make_image)
    pid = new_project(hub, "wrong", ItemKind.IMAGE)
    with pytest.raises(LabelhubError) as err:
        import_source(hub, Actor.system(), pid, folder, fmt="yolo")
    assert "ok.zip is not a YOLO dataset" in err.value.detail
    assert "looks like COCO" in err.value.detail


def _read_all(importer: TextImporter | LabelStudioImporter) -> None:
    with importer:
        importer.labels()
        list(importer)
